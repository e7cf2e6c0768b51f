package commands

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
	"github.com/authportal/authportal/providers"
)

// SignInExternal signs in with an outside account: Authenticate asks the
// provider (a media server checking a password, a Plex PIN, an OAuth code
// exchange) and returns the identity it vouched for.
type SignInExternal struct {
	Provider string
	// AccountKey names the account being tried before the provider is asked
	// (the username typed into a Jellyfin form), for its failure budget;
	// empty when the provider's own flow already bounds guessing (a PIN, an
	// OAuth code).
	AccountKey   string
	Authenticate func(ctx context.Context) (providers.Identity, error)
	Meta         domain.Metadata
}

// ErrProviderUnavailable is returned when the identity source could not be
// reached or timed out: nothing was granted, and the user is told to try
// again later rather than that their password was wrong.
var ErrProviderUnavailable = providers.ErrUnavailable

// SignInExternalHandler handles SignInExternal. It is the one command every
// outside provider signs in through.
type SignInExternalHandler struct {
	store   Store
	budgets Budgets
	sealer  *Sealer
	newID   NewID
	now     Clock
	logger  *slog.Logger
	policy  PolicySource
}

// NewSignInExternalHandler panics on a nil dependency.
func NewSignInExternalHandler(store Store, budgets Budgets, sealer *Sealer, newID NewID, now Clock, logger *slog.Logger, policy PolicySource) SignInExternalHandler {
	if store == nil || budgets == nil || sealer == nil || newID == nil || now == nil || logger == nil {
		panic("commands.NewSignInExternalHandler: nil dependency")
	}
	return SignInExternalHandler{store: store, budgets: budgets, sealer: sealer, newID: newID, now: now, logger: logger, policy: policy}
}

// Handle returns ErrInvalidCredentials for every refusal by the provider,
// ErrProviderUnavailable when it could not answer, and a *RateLimitedError
// when the account key's failure budget is spent (taken before the provider
// is asked, so a guesser cannot use AuthPortal to lock a Jellyfin account
// out, and given back when the provider says yes).
//
// A first sign-in makes a new user linked to the identity, whatever its
// name or email: an outside account never becomes an existing user by
// matching them. A later one follows the provider's word on access (a user
// removed from the server loses it, and their sessions end) and keeps the
// newest credential, sealed.
func (h SignInExternalHandler) Handle(ctx context.Context, cmd SignInExternal) (LoginResult, error) {
	ident, err := askProvider(ctx, h.budgets, h.logger, h.now, cmd)
	if err != nil {
		return LoginResult{}, err
	}
	id := externalIdentity(ident)

	newUserID, sessionID := h.newID(), h.newID()
	res, err := retry(ctx, "sign in with "+cmd.Provider, func() (LoginResult, error) {
		claims, claimVersion, err := h.store.Load(ctx, domain.IdentityStream(id.Provider, id.Subject))
		if err != nil {
			return LoginResult{}, err
		}
		if userID := domain.ClaimedIdentityUser(claims); userID != "" {
			return h.returning(ctx, cmd, userID, id, ident.Token, sessionID)
		}
		return h.first(ctx, cmd, newUserID, id, ident.Token, sessionID, claimVersion)
	})
	if errors.Is(err, domain.ErrUserDisabled) {
		h.logger.InfoContext(ctx, "sign-in failed", "client_ip", cmd.Meta.ClientIP, "provider", cmd.Provider, "reason", "disabled",
			"request_id", cmd.Meta.RequestID)
		return LoginResult{}, ErrInvalidCredentials
	}
	if err != nil {
		return LoginResult{}, err
	}
	h.logger.InfoContext(ctx, "sign-in succeeded", "client_ip", cmd.Meta.ClientIP, "provider", cmd.Provider, "user_id", res.Session.UserID,
		"session_kind", string(res.Session.Kind), "request_id", cmd.Meta.RequestID)
	return res, nil
}

// first registers the user a provider account's first sign-in makes (its
// first ever, or its first since its last user unlinked it: claimVersion is
// the claim stream's version, 0 when there is none).
func (h SignInExternalHandler) first(ctx context.Context, cmd SignInExternal, userID string, id domain.ExternalIdentity, token, sessionID string, claimVersion int64) (LoginResult, error) {
	sealed, err := h.seal(token, userID)
	if err != nil {
		return LoginResult{}, err
	}
	signup, err := domain.RegisterExternalUser(userID, id, sealed)
	if err != nil {
		return LoginResult{}, err
	}
	login, err := domain.FoldUser(signup.User).Login(sessionID, id.Provider, false, h.policy.Policy(), h.now())
	if err != nil {
		return LoginResult{}, err
	}
	res, err := h.store.Append(ctx, cmd.Meta,
		eventstore.Append{StreamID: domain.IdentityStream(id.Provider, id.Subject), Expected: eventstore.Exactly(claimVersion), Events: []domain.Event{signup.Claim}},
		eventstore.Append{StreamID: domain.UserStream(userID), Expected: eventstore.NoStream, Events: append(signup.User, login.User...)},
		eventstore.Append{StreamID: domain.SessionStream(sessionID), Expected: eventstore.NoStream, Events: []domain.Event{login.Session}},
	)
	if err != nil {
		return LoginResult{}, err // a race for the claim conflicts and the retry finds the winner's user
	}
	return LoginResult{Result: Result{Position: res.LastPosition}, Session: login.Session}, nil
}

// returning signs a linked provider account in again.
func (h SignInExternalHandler) returning(ctx context.Context, cmd SignInExternal, userID string, id domain.ExternalIdentity, token, sessionID string) (LoginResult, error) {
	u, version, err := loadUser(ctx, h.store, userID)
	if err != nil {
		return LoginResult{}, err
	}
	changed := h.tokenChanged(u.Identities[id.Provider].Token, token, u.ID)
	var sealed string
	if changed {
		if sealed, err = h.seal(token, u.ID); err != nil {
			return LoginResult{}, err
		}
	}
	events, err := u.SignedInExternally(id, sealed, changed)
	if err != nil {
		return LoginResult{}, err
	}
	for _, e := range events {
		u.Apply(e)
	}
	login, err := u.Login(sessionID, id.Provider, false, h.policy.Policy(), h.now())
	if err != nil {
		return LoginResult{}, err
	}
	res, err := h.store.Append(ctx, cmd.Meta, withUserEvents(u.ID, version, append(events, login.User...), login.Session)...)
	if err != nil {
		return LoginResult{}, err
	}
	return LoginResult{Result: Result{Position: res.LastPosition}, Session: login.Session}, nil
}

// tokenChanged reports whether the provider's new credential differs from
// the sealed one kept. One that cannot be opened (another DATA_KEY, a
// damaged event) is replaced: unsealing fails closed, never crashes.
func (h SignInExternalHandler) tokenChanged(sealed, token, userID string) bool {
	if token == "" {
		return false
	}
	if sealed == "" {
		return true
	}
	old, err := h.sealer.Open(sealed, userID)
	return err != nil || subtle.ConstantTimeCompare(old, []byte(token)) != 1
}

func (h SignInExternalHandler) seal(token, userID string) (string, error) {
	if token == "" {
		return "", nil
	}
	return h.sealer.Seal([]byte(token), userID)
}

// askProvider runs an outside sign-in's Authenticate under the failure
// budget of its account key (taken before the provider is asked, given back
// when it says yes). Refusals are one log line and ErrInvalidCredentials; an
// unreachable provider is ErrProviderUnavailable. Signing in and linking an
// account to a signed-in user both ask this way.
func askProvider(ctx context.Context, budgets Budgets, logger *slog.Logger, now Clock, cmd SignInExternal) (providers.Identity, error) {
	var spent []budget
	if cmd.AccountKey != "" {
		b := budget{scope: scopeLoginAccount, id: cmd.Provider + ":" + strings.ToLower(strings.TrimSpace(cmd.AccountKey)), limit: LoginAccountLimit}
		d, err := budgets.Take(ctx, b.scope, b.id, b.limit, now())
		if err != nil {
			return providers.Identity{}, fmt.Errorf("sign in with %s: %w", cmd.Provider, err)
		}
		if !d.Allowed {
			return providers.Identity{}, &RateLimitedError{RetryAfter: d.RetryAfter}
		}
		spent = append(spent, b)
	}
	ident, err := cmd.Authenticate(ctx)
	switch {
	case errors.Is(err, providers.ErrUnavailable):
		logger.WarnContext(ctx, "sign-in provider unavailable", "provider", cmd.Provider, "client_ip", cmd.Meta.ClientIP, "err", err)
		return providers.Identity{}, fmt.Errorf("sign in with %s: %w", cmd.Provider, ErrProviderUnavailable)
	case err != nil:
		// One line for fail2ban; the event log is left alone: the provider
		// keeps its own record, and an anonymous client must not be able to
		// write here at will.
		logger.InfoContext(ctx, "sign-in failed", "client_ip", cmd.Meta.ClientIP, "provider", cmd.Provider, "reason", "provider_refused",
			"request_id", cmd.Meta.RequestID)
		return providers.Identity{}, ErrInvalidCredentials
	case ident.Provider != cmd.Provider:
		return providers.Identity{}, fmt.Errorf("sign in with %s: the adapter answered for %q", cmd.Provider, ident.Provider)
	}
	for _, b := range spent {
		budgets.Refund(ctx, b.scope, b.id, b.limit)
	}
	return ident, nil
}

// externalIdentity is what the rules see of what a provider vouched for.
func externalIdentity(ident providers.Identity) domain.ExternalIdentity {
	return domain.ExternalIdentity{Provider: ident.Provider, Subject: ident.Subject, Username: ident.Username, Email: ident.Email,
		Access: ident.Access, Admin: ident.Admin, Reason: ident.Reason}
}
