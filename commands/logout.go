package commands

import (
	"context"

	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
)

// Logout ends a session.
type Logout struct {
	SessionID string
	// OwnerID, when set, is the user who asks: the session must be theirs
	// (the account page ending one of their devices).
	OwnerID string
	Meta    domain.Metadata
}

// LogoutHandler handles Logout.
type LogoutHandler struct {
	store Store
}

// NewLogoutHandler panics on a nil dependency.
func NewLogoutHandler(store Store) LogoutHandler {
	if store == nil {
		panic("commands.NewLogoutHandler: nil dependency")
	}
	return LogoutHandler{store: store}
}

// Handle ends the session; ending one that already ended appends nothing.
func (h LogoutHandler) Handle(ctx context.Context, cmd Logout) (Result, error) {
	return retry(ctx, "logout", func() (Result, error) {
		s, version, err := loadSession(ctx, h.store, cmd.SessionID)
		if err != nil {
			return Result{}, err
		}
		events := s.End("logout")
		if cmd.OwnerID != "" {
			if events, err = s.EndBy(cmd.OwnerID, "revoked_by_user"); err != nil {
				return Result{}, err
			}
		}
		if len(events) == 0 {
			return Result{}, nil
		}
		res, err := h.store.Append(ctx, cmd.Meta, eventstore.Append{StreamID: domain.SessionStream(s.ID), Expected: eventstore.Exactly(version), Events: events})
		return Result{Position: res.LastPosition}, err
	})
}
