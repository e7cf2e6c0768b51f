package commands

import (
	"context"

	"github.com/authportal/authportal/domain"
)

// ResendInvite asks the mailer for a fresh round of attempts.
type ResendInvite struct {
	InviteID string
	Meta     domain.Metadata
}

// ResendInviteHandler handles ResendInvite.
type ResendInviteHandler struct {
	store Store
	now   Clock
}

// NewResendInviteHandler panics on a nil dependency.
func NewResendInviteHandler(store Store, now Clock) ResendInviteHandler {
	if store == nil || now == nil {
		panic("commands.NewResendInviteHandler: nil dependency")
	}
	return ResendInviteHandler{store: store, now: now}
}

// Handle appends invite.resend_requested: domain.ErrInviteNoMail while the
// last round is still under way (or for a link invite), and the invite's
// own error when it can no longer be used.
func (h ResendInviteHandler) Handle(ctx context.Context, cmd ResendInvite) (Result, error) {
	return changeInvite(ctx, h.store, "resend invite", cmd.InviteID, cmd.Meta, func(inv domain.Invite) ([]domain.Event, error) {
		return inv.RequestResend(h.now())
	})
}
