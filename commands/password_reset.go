package commands

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
	"github.com/authportal/authportal/throttle"
)

// RequestPasswordReset is "forgot your password": Who is what the person
// typed (a username or an email), Candidates the local accounts a lookup
// found for it (queries; none is a normal answer). The rules decide from
// each candidate's own stream.
type RequestPasswordReset struct {
	Who        string
	Candidates []string
	Meta       domain.Metadata
}

// Budgets of resets. What an anonymous client can make the server write is
// one reset per account per quarter hour (and the mail it owes); asking
// for the same name or address again is refused sooner, without a write to
// the log.
var (
	resetWhoLimit     = throttle.Limit{Every: 10 * time.Minute, Burst: 3}
	resetAccountLimit = throttle.Limit{Every: 15 * time.Minute, Burst: 1}
)

// RequestPasswordResetHandler handles RequestPasswordReset.
type RequestPasswordResetHandler struct {
	store    Store
	sealer   *Sealer
	budgets  Budgets
	newToken NewID
	now      Clock
	floor    time.Duration
}

// NewRequestPasswordResetHandler panics on a nil dependency. floor is the
// least time Handle takes, whatever it found: the answer's timing must not
// tell whether an account matched (an append costs a few milliseconds).
func NewRequestPasswordResetHandler(store Store, sealer *Sealer, budgets Budgets, newToken NewID, now Clock, floor time.Duration) RequestPasswordResetHandler {
	if store == nil || sealer == nil || budgets == nil || newToken == nil || now == nil {
		panic("commands.NewRequestPasswordResetHandler: nil dependency")
	}
	return RequestPasswordResetHandler{store: store, sealer: sealer, budgets: budgets, newToken: newToken, now: now, floor: floor}
}

// Handle appends password_reset.requested for the first candidate that is
// an enabled local account with an address, within its budget. It says
// nothing of what it found: nil whether or not a reset was made.
func (h RequestPasswordResetHandler) Handle(ctx context.Context, cmd RequestPasswordReset) error {
	done := time.After(h.floor)
	err := h.request(ctx, cmd)
	select {
	case <-done:
	case <-ctx.Done():
	}
	return err
}

func (h RequestPasswordResetHandler) request(ctx context.Context, cmd RequestPasswordReset) error {
	who := strings.ToLower(strings.TrimSpace(cmd.Who))
	d, err := h.budgets.Take(ctx, "password-reset-who", who, resetWhoLimit, h.now())
	if err != nil {
		return fmt.Errorf("request password reset: %w", err)
	}
	if !d.Allowed {
		return nil // asked often enough: the mail owed is on its way
	}
	for _, id := range cmd.Candidates[:min(len(cmd.Candidates), 3)] {
		u, _, err := loadUser(ctx, h.store, id)
		if err != nil {
			return fmt.Errorf("request password reset: %w", err)
		}
		if !u.Exists() || u.Provider != "local" || u.Disabled || u.Email == "" {
			continue
		}
		d, err := h.budgets.Take(ctx, "password-reset-account", u.ID, resetAccountLimit, h.now())
		if err != nil {
			return fmt.Errorf("request password reset: %w", err)
		}
		if !d.Allowed {
			return nil // one pending reset per account and window
		}
		token := h.newToken()
		digest := InviteTokenDigest(token)
		stream := domain.PasswordResetStream(digest)
		sealed, err := h.sealer.Seal([]byte(token), stream)
		if err != nil {
			return fmt.Errorf("request password reset: %w", err)
		}
		e := domain.PasswordResetRequested{UserID: u.ID, Email: u.Email, ExpiresAt: h.now().Add(domain.PasswordResetTTL).UTC(),
			TokenDigest: digest, SealedToken: sealed}
		if _, err := h.store.Append(ctx, cmd.Meta, eventstore.Append{StreamID: stream, Expected: eventstore.NoStream, Events: []domain.Event{e}}); err != nil {
			return fmt.Errorf("request password reset: %w", err)
		}
		return nil
	}
	return nil
}

// loadPasswordReset folds the reset whose link holds token.
func loadPasswordReset(ctx context.Context, store Store, token string) (domain.PasswordReset, string, int64, error) {
	stream := domain.PasswordResetStream(InviteTokenDigest(token))
	events, version, err := store.Load(ctx, stream)
	if err != nil {
		return domain.PasswordReset{}, stream, 0, fmt.Errorf("load %s: %w", stream, err)
	}
	var r domain.PasswordReset
	for _, e := range events {
		r.Apply(e)
	}
	return r, stream, version, nil
}

// ResetPassword sets a new password with a reset link's token.
type ResetPassword struct {
	Token    string
	Password string
	Meta     domain.Metadata
}

// ResetPasswordHandler handles ResetPassword and checks links for the page.
type ResetPasswordHandler struct {
	store  Store
	hasher PasswordHasher
	sealer *Sealer
	now    Clock
}

// NewResetPasswordHandler panics on a nil dependency.
func NewResetPasswordHandler(store Store, hasher PasswordHasher, sealer *Sealer, now Clock) ResetPasswordHandler {
	if store == nil || hasher == nil || sealer == nil || now == nil {
		panic("commands.NewResetPasswordHandler: nil dependency")
	}
	return ResetPasswordHandler{store: store, hasher: hasher, sealer: sealer, now: now}
}

// CheckReset returns the reset if its link can be used now, else
// domain.ErrResetNotFound, ErrResetExpired or ErrResetUsed.
func (h ResetPasswordHandler) CheckReset(ctx context.Context, token string) (domain.PasswordReset, error) {
	if token == "" || len(token) > 128 {
		return domain.PasswordReset{}, domain.ErrResetNotFound
	}
	r, _, _, err := loadPasswordReset(ctx, h.store, token)
	if err != nil {
		return r, err
	}
	return r, r.Usable(h.now())
}

// Handle spends the link and changes the password in one append (the
// reset's use, PasswordChanged and the SessionsRevoked that ends every
// session of the user, as ChangePassword does): a link changes the
// password once, on any number of nodes.
func (h ResetPasswordHandler) Handle(ctx context.Context, cmd ResetPassword) (Result, error) {
	r, err := h.CheckReset(ctx, cmd.Token)
	if err != nil {
		return Result{}, err
	}
	u, _, err := loadUser(ctx, h.store, r.Requested.UserID)
	if err != nil {
		return Result{}, fmt.Errorf("reset password: %w", err)
	}
	if err := passwordStrength(cmd.Password, u.Username, ""); err != nil {
		return Result{}, err
	}
	hash, err := h.hasher.Hash(ctx, cmd.Password)
	if err != nil {
		return Result{}, fmt.Errorf("reset password: %w", err)
	}
	sealed, err := h.sealer.SealPasswordHash(hash, u.ID)
	if err != nil {
		return Result{}, fmt.Errorf("reset password: %w", err)
	}
	return retry(ctx, "reset password", func() (Result, error) {
		r, stream, rv, err := loadPasswordReset(ctx, h.store, cmd.Token)
		if err != nil {
			return Result{}, err
		}
		used, err := r.Use(h.now())
		if err != nil {
			return Result{}, err
		}
		u, uv, err := loadUser(ctx, h.store, r.Requested.UserID)
		if err != nil {
			return Result{}, err
		}
		if u.Disabled {
			return Result{}, domain.ErrResetNotFound // a disabled account gets no new password by mail
		}
		changed, err := u.ChangePassword(sealed, "reset")
		if err != nil {
			return Result{}, err
		}
		res, err := h.store.Append(ctx, cmd.Meta,
			eventstore.Append{StreamID: stream, Expected: eventstore.Exactly(rv), Events: used},
			eventstore.Append{StreamID: domain.UserStream(u.ID), Expected: eventstore.Exactly(uv), Events: changed})
		if err != nil {
			return Result{}, err
		}
		return Result{Position: res.LastPosition}, nil
	})
}
