package commands

import (
	"context"

	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
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
	return retry(ctx, "set admin", func() (Result, error) {
		u, version, err := loadUser(ctx, h.store, cmd.UserID)
		if err != nil {
			return Result{}, err
		}
		events, err := u.SetAdmin(cmd.Admin, cmd.Reason)
		if err != nil || len(events) == 0 {
			return Result{}, err
		}
		res, err := h.store.Append(ctx, cmd.Meta, eventstore.Append{StreamID: domain.UserStream(u.ID), Expected: eventstore.Exactly(version), Events: events})
		return Result{Position: res.LastPosition}, err
	})
}
