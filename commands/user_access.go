package commands

import (
	"context"
	"errors"
	"fmt"

	"github.com/authportal/authportal/domain"
)

// SetPermissions replaces a user's forward-auth permission mode and host
// exceptions.
type SetPermissions struct {
	UserID  string
	Mode    domain.PermissionMode
	HostIDs []string
	Meta    domain.Metadata
}

// SetPermissionsHandler handles SetPermissions.
type SetPermissionsHandler struct {
	store Store
}

// NewSetPermissionsHandler panics on a nil dependency.
func NewSetPermissionsHandler(store Store) SetPermissionsHandler {
	if store == nil {
		panic("commands.NewSetPermissionsHandler: nil dependency")
	}
	return SetPermissionsHandler{store: store}
}

// maxPermissionHosts bounds one user's exceptions.
const maxPermissionHosts = 1000

// Handle checks that every listed host exists (an unknown id is a
// *domain.InvalidInputError on "hosts") and sets the permissions; the same
// again appends nothing. A host removed after the check only leaves an id
// that matches nothing.
func (h SetPermissionsHandler) Handle(ctx context.Context, cmd SetPermissions) (Result, error) {
	if len(cmd.HostIDs) > maxPermissionHosts {
		return Result{}, &domain.InvalidInputError{Field: "hosts", Reason: fmt.Sprintf("at most %d hosts", maxPermissionHosts)}
	}
	if !cmd.Mode.Valid() {
		return Result{}, &domain.InvalidInputError{Field: "mode", Reason: `"allow_all" or "deny_all"`}
	}
	for _, id := range cmd.HostIDs {
		_, _, err := loadHost(ctx, h.store, id)
		if errors.Is(err, domain.ErrHostNotFound) {
			return Result{}, &domain.InvalidInputError{Field: "hosts", Reason: "every listed host must be a protected host (ids as /api/admin/hosts lists them)"}
		}
		if err != nil {
			return Result{}, fmt.Errorf("set permissions: %w", err)
		}
	}
	return changeUser(ctx, h.store, "set permissions", cmd.UserID, cmd.Meta, func(u domain.User) ([]domain.Event, error) {
		return u.SetPermissions(cmd.Mode, cmd.HostIDs)
	})
}

// SetDisabled disables or enables a user; disabling ends their sessions.
type SetDisabled struct {
	UserID   string
	Disabled bool
	Reason   string // "cli", "console"
	Meta     domain.Metadata
}

// SetDisabledHandler handles SetDisabled.
type SetDisabledHandler struct {
	store Store
}

// NewSetDisabledHandler panics on a nil dependency.
func NewSetDisabledHandler(store Store) SetDisabledHandler {
	if store == nil {
		panic("commands.NewSetDisabledHandler: nil dependency")
	}
	return SetDisabledHandler{store: store}
}

// Handle changes the flag; asking for what is already so appends nothing.
func (h SetDisabledHandler) Handle(ctx context.Context, cmd SetDisabled) (Result, error) {
	return changeUser(ctx, h.store, "set disabled", cmd.UserID, cmd.Meta, func(u domain.User) ([]domain.Event, error) {
		return u.SetDisabled(cmd.Disabled, cmd.Reason)
	})
}
