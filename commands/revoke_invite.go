package commands

import (
	"context"

	"github.com/authportal/authportal/domain"
)

// RevokeInvite makes an invite unusable.
type RevokeInvite struct {
	InviteID string
	Meta     domain.Metadata
}

// RevokeInviteHandler handles RevokeInvite.
type RevokeInviteHandler struct {
	store Store
	now   Clock
}

// NewRevokeInviteHandler panics on a nil dependency.
func NewRevokeInviteHandler(store Store, now Clock) RevokeInviteHandler {
	if store == nil || now == nil {
		panic("commands.NewRevokeInviteHandler: nil dependency")
	}
	return RevokeInviteHandler{store: store, now: now}
}

// Handle revokes the invite; one already unusable is left as it is.
func (h RevokeInviteHandler) Handle(ctx context.Context, cmd RevokeInvite) (Result, error) {
	return changeInvite(ctx, h.store, "revoke invite", cmd.InviteID, cmd.Meta, func(inv domain.Invite) ([]domain.Event, error) {
		return inv.Revoke(h.now())
	})
}
