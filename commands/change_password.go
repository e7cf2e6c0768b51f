package commands

import (
	"context"
	"fmt"
	"unicode/utf8"

	"github.com/authportal/authportal/domain"
)

// ChangePassword sets a local account's password and ends its sessions.
type ChangePassword struct {
	UserID   string
	Password string
	Reason   string // "cli", "console"
	Meta     domain.Metadata
}

// ChangePasswordHandler handles ChangePassword.
type ChangePasswordHandler struct {
	store  Store
	hasher PasswordHasher
	sealer *Sealer
}

// NewChangePasswordHandler panics on a nil dependency.
func NewChangePasswordHandler(store Store, hasher PasswordHasher, sealer *Sealer) ChangePasswordHandler {
	if store == nil || hasher == nil || sealer == nil {
		panic("commands.NewChangePasswordHandler: nil dependency")
	}
	return ChangePasswordHandler{store: store, hasher: hasher, sealer: sealer}
}

// Handle hashes the password once, seals the hash to the user, and appends
// PasswordChanged with the SessionsRevoked that goes with it.
func (h ChangePasswordHandler) Handle(ctx context.Context, cmd ChangePassword) (Result, error) {
	if n := utf8.RuneCountInString(cmd.Password); n < MinPasswordLen {
		return Result{}, &domain.InvalidInputError{Field: "password", Reason: fmt.Sprintf("at least %d characters", MinPasswordLen)}
	}
	hash, err := h.hasher.Hash(ctx, cmd.Password)
	if err != nil {
		return Result{}, fmt.Errorf("change password: %w", err)
	}
	sealed, err := h.sealer.SealPasswordHash(hash, cmd.UserID)
	if err != nil {
		return Result{}, fmt.Errorf("change password: %w", err)
	}
	return changeUser(ctx, h.store, "change password", cmd.UserID, cmd.Meta, func(u domain.User) ([]domain.Event, error) {
		return u.ChangePassword(sealed, cmd.Reason)
	})
}
