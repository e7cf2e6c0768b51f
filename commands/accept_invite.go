package commands

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
	"github.com/authportal/authportal/providers/local"
	"github.com/authportal/authportal/throttle"
)

// AcceptInvite creates the account an invite offers and signs it in.
type AcceptInvite struct {
	Token       string
	Username    string
	DisplayName string
	Password    string
	Meta        domain.Metadata
}

// AcceptInviteResult is the new account and its first session (full, or
// pending an authenticator when MFA_ENFORCE is on).
type AcceptInviteResult struct {
	Result
	UserID   string
	Username string
	Session  domain.SessionStarted
}

// InviteFinder finds an invite by its token's digest (queries.Reader).
type InviteFinder interface {
	FindInvite(ctx context.Context, digest string) (id string, found bool, err error)
}

// Invite acceptance budgets: the token is 130 bits of randomness, so these
// bound a flood's cost rather than guessing, per client address and per
// token (a leaked link hammered from many addresses).
var (
	InviteAddressLimit = throttle.Limit{Every: 6 * time.Second, Burst: 10}
	InviteTokenLimit   = throttle.Limit{Every: 30 * time.Second, Burst: 10}
)

const (
	scopeInviteAddress = "invite-accept-address"
	scopeInviteToken   = "invite-accept-token"
)

// AcceptInviteHandler handles AcceptInvite.
type AcceptInviteHandler struct {
	store   Store
	finder  InviteFinder
	hasher  PasswordHasher
	sealer  *Sealer
	budgets Budgets
	newID   NewID
	now     Clock
	policy  PolicySource
	logger  *slog.Logger

	provisioners MediaProvisioners // nil: invites asking for a media account cannot be accepted
}

// NewAcceptInviteHandler panics on a nil dependency.
func NewAcceptInviteHandler(store Store, finder InviteFinder, hasher PasswordHasher, sealer *Sealer, budgets Budgets,
	newID NewID, now Clock, policy PolicySource, logger *slog.Logger) AcceptInviteHandler {
	if store == nil || finder == nil || hasher == nil || sealer == nil || budgets == nil || newID == nil || now == nil || logger == nil {
		panic("commands.NewAcceptInviteHandler: nil dependency")
	}
	return AcceptInviteHandler{store: store, finder: finder, hasher: hasher, sealer: sealer, budgets: budgets,
		newID: newID, now: now, policy: policy, logger: logger}
}

// CheckInvite says whether a token names an invite that can be used now:
// nil, or domain.ErrInviteNotFound, ErrInviteExpired, ErrInviteRevoked,
// ErrInviteUsed. The accept page asks it before showing the form.
func (h AcceptInviteHandler) CheckInvite(ctx context.Context, token string) (domain.Invite, error) {
	inv, _, err := h.find(ctx, token)
	if err != nil {
		return domain.Invite{}, err
	}
	return inv, inv.Usable(h.now())
}

func (h AcceptInviteHandler) find(ctx context.Context, token string) (domain.Invite, int64, error) {
	digest := InviteTokenDigest(token)
	id, found, err := h.finder.FindInvite(ctx, digest)
	if err != nil {
		return domain.Invite{}, 0, err
	}
	if !found {
		return domain.Invite{}, 0, domain.ErrInviteNotFound
	}
	inv, version, err := loadInvite(ctx, h.store, id)
	if err != nil {
		return domain.Invite{}, 0, err
	}
	if !inv.MatchesToken(digest) {
		return domain.Invite{}, 0, domain.ErrInviteNotFound // the lookup table and the stream disagree on the digest
	}
	return inv, version, nil
}

// Handle registers the account, with the invite's role and host
// permissions, in one append with the invite's use, the username's claim
// and the first session: a used single-use invite fails
// the invite stream's version check on any node, a taken name fails the
// claim's, and either way nothing is written.
func (h AcceptInviteHandler) Handle(ctx context.Context, cmd AcceptInvite) (AcceptInviteResult, error) {
	if err := h.reserve(ctx, cmd); err != nil {
		return AcceptInviteResult{}, fmt.Errorf("accept invite: %w", err)
	}
	name, err := domain.NormalizeUsername(cmd.Username)
	if err != nil {
		return AcceptInviteResult{}, err
	}
	if err := passwordStrength(cmd.Password, name, cmd.DisplayName); err != nil {
		return AcceptInviteResult{}, err
	}
	inv, _, err := h.find(ctx, cmd.Token)
	if err != nil {
		return AcceptInviteResult{}, fmt.Errorf("accept invite: %w", err)
	}
	if err := inv.Usable(h.now()); err != nil {
		return AcceptInviteResult{}, fmt.Errorf("accept invite: %w", err)
	}
	hash, err := h.hasher.Hash(ctx, cmd.Password)
	if err != nil {
		return AcceptInviteResult{}, fmt.Errorf("accept invite: %w", err)
	}
	userID, sessionID := h.newID(), h.newID()
	sealed, err := h.sealer.SealPasswordHash(hash, userID)
	if err != nil {
		return AcceptInviteResult{}, fmt.Errorf("accept invite: %w", err)
	}
	var media MediaAccounts
	var mediaID string
	if provider := inv.Created.Provision; provider != "" {
		// The media account comes first, so that a name taken there writes
		// nothing here. A name taken here is asked first, so that the common
		// case makes no account to undo; the append still guards the race.
		claims, _, err := h.store.Load(ctx, domain.UsernameStream(name))
		if err != nil {
			return AcceptInviteResult{}, fmt.Errorf("accept invite: %w", err)
		}
		if domain.ClaimedUserID(claims) != "" {
			return AcceptInviteResult{}, domain.ErrUsernameTaken
		}
		if media, mediaID, err = h.provisionMedia(ctx, provider, name, cmd.Password); err != nil {
			return AcceptInviteResult{}, err
		}
	}
	digest := InviteTokenDigest(cmd.Token)
	res, err := retry(ctx, "accept invite", func() (AcceptInviteResult, error) {
		inv, version, err := loadInvite(ctx, h.store, inv.Created.InviteID)
		if err != nil {
			return AcceptInviteResult{}, err
		}
		now := h.now()
		accepted, err := inv.Accept(digest, userID, cmd.DisplayName, now)
		if err != nil {
			return AcceptInviteResult{}, err
		}
		signup, err := domain.RegisterUser(domain.NewUser{
			ID: userID, Username: name, Email: inv.Created.Email, Provider: "local", PasswordHash: sealed,
			AccessGranted: true, Admin: inv.Created.Role == domain.RoleAdmin, AdminReason: "invite",
		})
		if err != nil {
			return AcceptInviteResult{}, err
		}
		userEvents := signup.User
		if mode := domain.PermissionMode(inv.Created.PermissionMode); mode != domain.AllowAll || len(inv.Created.PermittedHosts) > 0 {
			// The zero value already reads as allow_all with no exceptions.
			perms, err := domain.FoldUser(userEvents).SetPermissions(mode, inv.Created.PermittedHosts)
			if err != nil {
				return AcceptInviteResult{}, err
			}
			userEvents = append(userEvents, perms...)
		}
		var extra []eventstore.Append
		if media != nil {
			linked, claim, err := linkProvisioned(domain.FoldUser(userEvents), inv.Created.Provision, mediaID, name)
			if err != nil {
				return AcceptInviteResult{}, err
			}
			userEvents = append(userEvents, linked...)
			extra = append(extra, eventstore.Append{StreamID: domain.IdentityStream(claim.Provider, claim.Subject),
				Expected: eventstore.NoStream, Events: []domain.Event{claim}})
		}
		login, err := domain.FoldUser(userEvents).Login(sessionID, "local", false, h.policy.Policy(), now)
		if err != nil {
			return AcceptInviteResult{}, err
		}
		appends := append([]eventstore.Append{
			{StreamID: domain.UsernameStream(name), Expected: eventstore.NoStream, Events: []domain.Event{signup.Claim}},
			{StreamID: domain.UserStream(userID), Expected: eventstore.NoStream, Events: append(userEvents, login.User...)},
			{StreamID: domain.InviteStream(inv.Created.InviteID), Expected: eventstore.Exactly(version), Events: []domain.Event{accepted}},
			{StreamID: domain.SessionStream(sessionID), Expected: eventstore.NoStream, Events: []domain.Event{login.Session}},
		}, extra...)
		appended, err := h.store.Append(ctx, cmd.Meta, appends...)
		var conflict *eventstore.VersionConflictError
		if errors.As(err, &conflict) && conflict.StreamID == domain.UsernameStream(name) {
			return AcceptInviteResult{}, domain.ErrUsernameTaken
		}
		if err != nil {
			return AcceptInviteResult{}, err // a conflict on the invite: decide again on what it holds now
		}
		return AcceptInviteResult{Result: Result{Position: appended.LastPosition}, UserID: userID, Username: name, Session: login.Session}, nil
	})
	if err != nil {
		if media != nil {
			h.undoMedia(ctx, media, inv.Created.Provision, mediaID, userID)
		}
		return AcceptInviteResult{}, err
	}
	h.logger.InfoContext(ctx, "invite accepted", "invite_id", inv.Created.InviteID, "user_id", userID, "client_ip", cmd.Meta.ClientIP,
		"request_id", cmd.Meta.RequestID)
	return res, nil
}

// reserve takes a token from the client address's budget and the token's
// before anything is looked up or hashed.
func (h AcceptInviteHandler) reserve(ctx context.Context, cmd AcceptInvite) error {
	for _, b := range []budget{
		{scope: scopeInviteAddress, id: throttle.AddressKey(cmd.Meta.ClientIP), limit: InviteAddressLimit},
		{scope: scopeInviteToken, id: InviteTokenDigest(cmd.Token), limit: InviteTokenLimit},
	} {
		d, err := h.budgets.Take(ctx, b.scope, b.id, b.limit, h.now())
		if err != nil {
			return err
		}
		if !d.Allowed {
			return &RateLimitedError{RetryAfter: d.RetryAfter}
		}
	}
	return nil
}

// passwordStrength is the minimum a new password must meet (NIST SP
// 800-63B: length, and not the obvious), each failure in words that follow
// "Your password must be".
func passwordStrength(password, username, displayName string) error {
	switch {
	case utf8.RuneCountInString(password) < MinPasswordLen:
		return &domain.InvalidInputError{Field: "password", Reason: fmt.Sprintf("at least %d characters", MinPasswordLen)}
	case len(password) > local.MaxPasswordLen:
		return &domain.InvalidInputError{Field: "password", Reason: fmt.Sprintf("at most %d bytes", local.MaxPasswordLen)}
	case strings.EqualFold(password, username) || (displayName != "" && strings.EqualFold(password, displayName)):
		return &domain.InvalidInputError{Field: "password", Reason: "different from your username and name"}
	case strings.Count(password, password[:1]) == len(password):
		return &domain.InvalidInputError{Field: "password", Reason: "more varied than one character repeated"}
	}
	return nil
}
