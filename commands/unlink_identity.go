package commands

import (
	"context"

	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
)

// UnlinkIdentity unlinks one of the user's outside accounts.
type UnlinkIdentity struct {
	UserID   string
	Provider string
	Meta     domain.Metadata
}

// UnlinkIdentityHandler handles UnlinkIdentity.
type UnlinkIdentityHandler struct {
	store Store
}

// NewUnlinkIdentityHandler panics on a nil dependency.
func NewUnlinkIdentityHandler(store Store) UnlinkIdentityHandler {
	if store == nil {
		panic("commands.NewUnlinkIdentityHandler: nil dependency")
	}
	return UnlinkIdentityHandler{store: store}
}

// Handle returns domain.ErrLastWayIn when the account is the user's only way
// to sign in, domain.ErrIdentityNotLinked when they have none of provider.
func (h UnlinkIdentityHandler) Handle(ctx context.Context, cmd UnlinkIdentity) (Result, error) {
	return retry(ctx, "unlink "+cmd.Provider+" account", func() (Result, error) {
		u, version, err := loadUser(ctx, h.store, cmd.UserID)
		if err != nil {
			return Result{}, err
		}
		events, released, err := u.UnlinkIdentity(cmd.Provider)
		if err != nil {
			return Result{}, err
		}
		_, claimVersion, err := h.store.Load(ctx, domain.IdentityStream(released.Provider, released.Subject))
		if err != nil {
			return Result{}, err
		}
		res, err := h.store.Append(ctx, cmd.Meta,
			eventstore.Append{StreamID: domain.UserStream(u.ID), Expected: eventstore.Exactly(version), Events: events},
			eventstore.Append{StreamID: domain.IdentityStream(released.Provider, released.Subject), Expected: eventstore.Exactly(claimVersion), Events: []domain.Event{released}},
		)
		if err != nil {
			return Result{}, err
		}
		return Result{Position: res.LastPosition}, nil
	})
}
