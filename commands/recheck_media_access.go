package commands

import (
	"context"

	"github.com/authportal/authportal/domain"
)

// RecheckMediaAccess records what a media server says of a user's access
// now, without the user signing in: a friend removed from the server loses
// access, and their sessions end.
type RecheckMediaAccess struct {
	UserID   string
	Provider string
	Access   bool
	Reason   string
	Meta     domain.Metadata
}

// RecheckMediaAccessHandler handles RecheckMediaAccess.
type RecheckMediaAccessHandler struct {
	store Store
}

// NewRecheckMediaAccessHandler panics on a nil dependency.
func NewRecheckMediaAccessHandler(store Store) RecheckMediaAccessHandler {
	if store == nil {
		panic("commands.NewRecheckMediaAccessHandler: nil dependency")
	}
	return RecheckMediaAccessHandler{store: store}
}

// Handle appends nothing when the server's word has not changed.
func (h RecheckMediaAccessHandler) Handle(ctx context.Context, cmd RecheckMediaAccess) (Result, error) {
	return changeUser(ctx, h.store, "recheck media access", cmd.UserID, cmd.Meta, func(u domain.User) ([]domain.Event, error) {
		return u.MediaAccessChecked(cmd.Provider, cmd.Access, cmd.Reason), nil
	})
}
