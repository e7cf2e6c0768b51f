package commands

import (
	"context"
	"fmt"

	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
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
	return retry(ctx, "revoke sessions", func() (Result, error) {
		u, version, err := loadUser(ctx, h.store, cmd.UserID)
		if err != nil {
			return Result{}, err
		}
		events, err := u.RevokeSessions()
		if err != nil {
			return Result{}, err
		}
		res, err := h.store.Append(ctx, cmd.Meta, eventstore.Append{StreamID: domain.UserStream(u.ID), Expected: eventstore.Exactly(version), Events: events})
		if err != nil {
			return Result{}, fmt.Errorf("append user-%s: %w", u.ID, err)
		}
		return Result{Position: res.LastPosition}, nil
	})
}
