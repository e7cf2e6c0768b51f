package commands

import (
	"context"
	"fmt"

	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
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
	return retry(ctx, "reset mfa", func() (Result, error) {
		u, version, err := loadUser(ctx, h.store, cmd.UserID)
		if err != nil {
			return Result{}, err
		}
		events, err := u.ResetTOTP(cmd.Reason)
		if err != nil || len(events) == 0 {
			return Result{}, err
		}
		res, err := h.store.Append(ctx, cmd.Meta, eventstore.Append{StreamID: domain.UserStream(u.ID), Expected: eventstore.Exactly(version), Events: events})
		if err != nil {
			return Result{}, fmt.Errorf("append user-%s: %w", u.ID, err)
		}
		return Result{Position: res.LastPosition}, nil
	})
}
