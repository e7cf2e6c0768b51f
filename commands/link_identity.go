package commands

import (
	"context"
	"log/slog"

	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
)

// LinkIdentity links an outside account to the signed-in user, once they
// proved they hold it by signing in with it (SignIn.Authenticate).
type LinkIdentity struct {
	UserID string
	SignIn SignInExternal
}

// LinkIdentityHandler handles LinkIdentity.
type LinkIdentityHandler struct {
	store   Store
	budgets Budgets
	sealer  *Sealer
	now     Clock
	logger  *slog.Logger
}

// NewLinkIdentityHandler panics on a nil dependency.
func NewLinkIdentityHandler(store Store, budgets Budgets, sealer *Sealer, now Clock, logger *slog.Logger) LinkIdentityHandler {
	if store == nil || budgets == nil || sealer == nil || now == nil || logger == nil {
		panic("commands.NewLinkIdentityHandler: nil dependency")
	}
	return LinkIdentityHandler{store: store, budgets: budgets, sealer: sealer, now: now, logger: logger}
}

// Handle returns what a sign-in with the provider would (ErrInvalidCredentials,
// ErrProviderUnavailable, *RateLimitedError), domain.ErrIdentityTaken when
// the account belongs to someone else, and domain.ErrProviderAlreadyLinked
// when the user already has one of that provider.
func (h LinkIdentityHandler) Handle(ctx context.Context, cmd LinkIdentity) (Result, error) {
	ident, err := askProvider(ctx, h.budgets, h.logger, h.now, cmd.SignIn)
	if err != nil {
		return Result{}, err
	}
	id := externalIdentity(ident)
	return retry(ctx, "link "+id.Provider+" account", func() (Result, error) {
		claims, claimVersion, err := h.store.Load(ctx, domain.IdentityStream(id.Provider, id.Subject))
		if err != nil {
			return Result{}, err
		}
		switch owner := domain.ClaimedIdentityUser(claims); owner {
		case "":
		case cmd.UserID:
			return Result{}, domain.ErrProviderAlreadyLinked
		default:
			return Result{}, domain.ErrIdentityTaken
		}
		u, version, err := loadUser(ctx, h.store, cmd.UserID)
		if err != nil {
			return Result{}, err
		}
		var sealed string
		if ident.Token != "" {
			if sealed, err = h.sealer.Seal([]byte(ident.Token), u.ID); err != nil {
				return Result{}, err
			}
		}
		events, err := u.LinkIdentity(id, sealed)
		if err != nil {
			return Result{}, err
		}
		res, err := h.store.Append(ctx, cmd.SignIn.Meta,
			eventstore.Append{StreamID: domain.IdentityStream(id.Provider, id.Subject), Expected: eventstore.Exactly(claimVersion),
				Events: []domain.Event{domain.IdentityClaimed{Provider: id.Provider, Subject: id.Subject, UserID: u.ID}}},
			eventstore.Append{StreamID: domain.UserStream(u.ID), Expected: eventstore.Exactly(version), Events: events},
		)
		if err != nil {
			return Result{}, err // a conflict (someone claimed it, the user changed) decides again
		}
		return Result{Position: res.LastPosition}, nil
	})
}
