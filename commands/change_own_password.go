package commands

import (
	"context"
	"fmt"
	"unicode/utf8"

	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
	"github.com/authportal/authportal/providers/local"
)

// ChangeOwnPassword is a signed-in user changing their local password.
type ChangeOwnPassword struct {
	SessionID string
	Current   string // proves it is them, not whoever holds the session cookie
	New       string
	Meta      domain.Metadata
}

// ChangeOwnPasswordResult is the session this browser goes on in: the
// change ended every session of the user's, this one included.
type ChangeOwnPasswordResult struct {
	Result
	Session domain.SessionStarted
}

// ChangeOwnPasswordHandler handles ChangeOwnPassword.
type ChangeOwnPasswordHandler struct {
	store    Store
	hasher   PasswordHasher
	sealer   *Sealer
	password passwordCheck
	newID    NewID
	now      Clock
	policy   PolicySource
}

// NewChangeOwnPasswordHandler panics on a nil dependency.
func NewChangeOwnPasswordHandler(store Store, hasher PasswordHasher, sealer *Sealer, budgets Budgets, newID NewID, now Clock, policy PolicySource) ChangeOwnPasswordHandler {
	if store == nil || hasher == nil || sealer == nil || budgets == nil || newID == nil || now == nil {
		panic("commands.NewChangeOwnPasswordHandler: nil dependency")
	}
	return ChangeOwnPasswordHandler{store: store, hasher: hasher, sealer: sealer, newID: newID, now: now, policy: policy,
		password: passwordCheck{hasher: hasher, sealer: sealer, budgets: budgets, now: now}}
}

// Handle returns ErrInvalidCredentials when Current is wrong (spending the
// session's step-up budget; a *RateLimitedError when it is spent), a
// domain.InvalidInputError for a new password that is too short or long or
// an account without a local password, and domain.ErrWrongSessionKind for a
// session still owing its second factor. The user's other sessions end.
func (h ChangeOwnPasswordHandler) Handle(ctx context.Context, cmd ChangeOwnPassword) (ChangeOwnPasswordResult, error) {
	switch n := utf8.RuneCountInString(cmd.New); {
	case n < MinPasswordLen:
		return ChangeOwnPasswordResult{}, &domain.InvalidInputError{Field: "password", Reason: fmt.Sprintf("at least %d characters", MinPasswordLen)}
	case len(cmd.New) > local.MaxPasswordLen:
		return ChangeOwnPasswordResult{}, &domain.InvalidInputError{Field: "password", Reason: fmt.Sprintf("at most %d bytes", local.MaxPasswordLen)}
	}
	live, err := loadLiveSession(ctx, h.store, cmd.SessionID, h.now())
	if err != nil {
		return ChangeOwnPasswordResult{}, fmt.Errorf("change password: %w", err)
	}
	if live.session.Kind != domain.SessionFull {
		return ChangeOwnPasswordResult{}, domain.ErrWrongSessionKind
	}
	if live.user.Provider != "local" {
		return ChangeOwnPasswordResult{}, &domain.InvalidInputError{Field: "user", Reason: "only local accounts have a password here"}
	}
	if err := h.password.confirm(ctx, live.session.ID, live.user, cmd.Current); err != nil {
		return ChangeOwnPasswordResult{}, fmt.Errorf("change password: %w", err)
	}
	hash, err := h.hasher.Hash(ctx, cmd.New)
	if err != nil {
		return ChangeOwnPasswordResult{}, fmt.Errorf("change password: %w", err)
	}
	sealed, err := h.sealer.SealPasswordHash(hash, live.user.ID)
	if err != nil {
		return ChangeOwnPasswordResult{}, fmt.Errorf("change password: %w", err)
	}
	newSessionID := h.newID()
	return retry(ctx, "change password", func() (ChangeOwnPasswordResult, error) {
		now := h.now()
		live, err := loadLiveSession(ctx, h.store, cmd.SessionID, now)
		if err != nil {
			return ChangeOwnPasswordResult{}, err
		}
		u := live.user
		events, err := u.ChangePassword(sealed, "self")
		if err != nil {
			return ChangeOwnPasswordResult{}, err
		}
		for _, e := range events {
			u.Apply(e)
		}
		ended, started := live.session.Reissue(u, newSessionID, h.policy.Policy(), now)
		res, err := h.store.Append(ctx, cmd.Meta,
			eventstore.Append{StreamID: domain.UserStream(u.ID), Expected: eventstore.Exactly(live.userVersion), Events: events},
			eventstore.Append{StreamID: domain.SessionStream(live.session.ID), Expected: eventstore.Exactly(live.sessionVersion), Events: ended},
			eventstore.Append{StreamID: domain.SessionStream(newSessionID), Expected: eventstore.NoStream, Events: []domain.Event{started}},
		)
		if err != nil {
			return ChangeOwnPasswordResult{}, err
		}
		return ChangeOwnPasswordResult{Result: Result{Position: res.LastPosition}, Session: started}, nil
	})
}
