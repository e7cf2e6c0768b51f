package commands

import (
	"context"

	"github.com/authportal/authportal/domain"
)

// ResetMFA takes away a user's authenticator (an admin's answer to a lost
// device) and ends their sessions.
type ResetMFA struct {
	UserID string
	Reason string // "cli", "console"
	Meta   domain.Metadata
}

// ResetMFAHandler handles ResetMFA.
type ResetMFAHandler struct {
	store Store
}

// NewResetMFAHandler panics on a nil dependency.
func NewResetMFAHandler(store Store) ResetMFAHandler {
	if store == nil {
		panic("commands.NewResetMFAHandler: nil dependency")
	}
	return ResetMFAHandler{store: store}
}

// Handle appends TOTPReset and SessionsRevoked; a user with no authenticator
// gets nothing appended and a zero Result.
func (h ResetMFAHandler) Handle(ctx context.Context, cmd ResetMFA) (Result, error) {
	return changeUser(ctx, h.store, "reset mfa", cmd.UserID, cmd.Meta, func(u domain.User) ([]domain.Event, error) {
		return u.ResetTOTP(cmd.Reason)
	})
}
