package commands

import (
	"context"

	"github.com/authportal/authportal/domain"
)

// SetAdmin grants or revokes a user's admin flag, which revokes their sessions.
type SetAdmin struct {
	UserID string
	Admin  bool
	Reason string // "cli", "console"
	Meta   domain.Metadata
}

// SetAdminHandler handles SetAdmin.
type SetAdminHandler struct {
	store Store
}

// NewSetAdminHandler panics on a nil dependency.
func NewSetAdminHandler(store Store) SetAdminHandler {
	if store == nil {
		panic("commands.NewSetAdminHandler: nil dependency")
	}
	return SetAdminHandler{store: store}
}

// Handle changes the flag; asking for what is already so appends nothing.
func (h SetAdminHandler) Handle(ctx context.Context, cmd SetAdmin) (Result, error) {
	return changeUser(ctx, h.store, "set admin", cmd.UserID, cmd.Meta, func(u domain.User) ([]domain.Event, error) {
		return u.SetAdmin(cmd.Admin, cmd.Reason)
	})
}
