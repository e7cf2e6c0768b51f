package commands

import (
	"context"

	"github.com/authportal/authportal/domain"
)

// RevokeSessions ends every session a user holds.
type RevokeSessions struct {
	UserID string
	Meta   domain.Metadata
}

// RevokeSessionsHandler handles RevokeSessions.
type RevokeSessionsHandler struct {
	store Store
}

// NewRevokeSessionsHandler panics on a nil dependency.
func NewRevokeSessionsHandler(store Store) RevokeSessionsHandler {
	if store == nil {
		panic("commands.NewRevokeSessionsHandler: nil dependency")
	}
	return RevokeSessionsHandler{store: store}
}

// Handle appends SessionsRevoked with the next epoch.
func (h RevokeSessionsHandler) Handle(ctx context.Context, cmd RevokeSessions) (Result, error) {
	return changeUser(ctx, h.store, "revoke sessions", cmd.UserID, cmd.Meta, func(u domain.User) ([]domain.Event, error) {
		return u.RevokeSessions()
	})
}
