package commands

import (
	"context"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
	"github.com/authportal/authportal/providers/local"
)

// RegisterUser creates a local account.
type RegisterUser struct {
	Username      string
	Email         string
	Password      string
	Admin         bool
	AccessGranted bool // the account was created by an admin (CLI, console, invite)
	Meta          domain.Metadata
}

// RegisterUserResult is the new account.
type RegisterUserResult struct {
	Result
	UserID string
}

// MinPasswordLen follows NIST SP 800-63B for passwords chosen by users.
const MinPasswordLen = 8

// RegisterUserHandler handles RegisterUser.
type RegisterUserHandler struct {
	store  Store
	hasher PasswordHasher
	sealer *Sealer
	newID  NewID
}

// NewRegisterUserHandler panics on a nil dependency.
func NewRegisterUserHandler(store Store, hasher PasswordHasher, sealer *Sealer, newID NewID) RegisterUserHandler {
	if store == nil || hasher == nil || sealer == nil || newID == nil {
		panic("commands.NewRegisterUserHandler: nil dependency")
	}
	return RegisterUserHandler{store: store, hasher: hasher, sealer: sealer, newID: newID}
}

// Handle registers the user. A taken username (in any case) is
// domain.ErrUsernameTaken; the claim stream's "no stream" expectation is what
// guards it, even against a concurrent registration of the same name.
func (h RegisterUserHandler) Handle(ctx context.Context, cmd RegisterUser) (RegisterUserResult, error) {
	if n := utf8.RuneCountInString(cmd.Password); n < MinPasswordLen {
		return RegisterUserResult{}, &domain.InvalidInputError{Field: "password", Reason: fmt.Sprintf("at least %d characters", MinPasswordLen)}
	}
	if len(cmd.Password) > local.MaxPasswordLen {
		return RegisterUserResult{}, &domain.InvalidInputError{Field: "password", Reason: fmt.Sprintf("at most %d bytes", local.MaxPasswordLen)}
	}
	hash, err := h.hasher.Hash(ctx, cmd.Password)
	if err != nil {
		return RegisterUserResult{}, fmt.Errorf("register user: %w", err) // ErrBusy: shed load, 503
	}
	id := h.newID()
	sealed, err := h.sealer.SealPasswordHash(hash, id)
	if err != nil {
		return RegisterUserResult{}, fmt.Errorf("register user: %w", err)
	}
	reason := "cli"
	if cmd.Meta.ActorKind == domain.ActorAdmin {
		reason = "console"
	}
	signup, err := domain.RegisterUser(domain.NewUser{
		ID: id, Username: cmd.Username, Email: cmd.Email, Provider: "local", PasswordHash: sealed,
		AccessGranted: cmd.AccessGranted, Admin: cmd.Admin, AdminReason: reason,
	})
	if err != nil {
		return RegisterUserResult{}, err
	}
	res, err := h.store.Append(ctx, cmd.Meta,
		eventstore.Append{StreamID: domain.UsernameStream(signup.Claim.Username), Expected: eventstore.NoStream, Events: []domain.Event{signup.Claim}},
		eventstore.Append{StreamID: domain.UserStream(id), Expected: eventstore.NoStream, Events: signup.User},
	)
	if errors.Is(err, eventstore.ErrVersionConflict) {
		return RegisterUserResult{}, domain.ErrUsernameTaken
	}
	if err != nil {
		return RegisterUserResult{}, fmt.Errorf("register user: %w", err)
	}
	return RegisterUserResult{Result: Result{Position: res.LastPosition}, UserID: id}, nil
}
