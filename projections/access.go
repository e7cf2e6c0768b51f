package projections

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// AccessUser is what the hot path knows of a user.
type AccessUser struct {
	ID            string
	Username      string
	Email         string
	Provider      string
	Admin         bool
	AccessGranted bool
	MediaAccess   bool
	Disabled      bool
	Epoch         int64
	MFAEnabled    bool
	MFAPending    bool // an enrollment was started and not yet verified
	RecoveryCodes int  // unspent recovery codes
}

// Standing is what the access rules need to know of u.
func (u AccessUser) Standing() domain.Standing {
	return domain.Standing{Admin: u.Admin, AccessGranted: u.AccessGranted, MediaAccess: u.MediaAccess, Disabled: u.Disabled, Epoch: u.Epoch}
}

// Authorized reports whether the user may enter protected apps (domain.Standing.Authorized).
func (u AccessUser) Authorized() bool { return u.Standing().Authorized() }

// Access is the in-memory model every node keeps so that checking a session
// reads no database: users (admin, access, epoch, MFA) and the sessions that
// were started and have not ended. It is loaded from the projection tables
// and then kept current by following the log; every node follows it on its
// own. A session it never saw start is no session, however well its cookie
// is signed.
type Access struct {
	mu       sync.RWMutex
	users    map[string]AccessUser
	live     map[string]time.Time // started, not ended: session id -> its expiry; forgotten after that
	position int64
	moved    chan struct{} // closed and replaced whenever position moves
	fwd      forwardModel  // protected hosts and permissions (access_forward.go)
}

// NewAccess returns an empty model at position 0.
func NewAccess() *Access {
	return &Access{users: map[string]AccessUser{}, live: map[string]time.Time{}, moved: make(chan struct{}), fwd: newForwardModel()}
}

// Load fills the model from the projection tables, read in one snapshot,
// and sets its position to the lowest of their checkpoints. Events between
// that and the others' checkpoints are applied again when following, which
// is harmless: the model only ever sets absolute values.
func (a *Access) Load(ctx context.Context, pool *pgxpool.Pool, now time.Time) error {
	return pgx.BeginTxFunc(ctx, pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var pos int64
		err := tx.QueryRow(ctx, `SELECT coalesce(min(coalesce(c.position, 0)), 0)
			FROM unnest($1::text[]) AS n(name) LEFT JOIN projection_checkpoints c ON c.name = n.name`,
			[]string{UsersName, SessionsName, MFAName, ForwardAuthName}).Scan(&pos)
		if err != nil {
			return fmt.Errorf("projections: access: read checkpoints: %w", err)
		}
		users := map[string]AccessUser{}
		rows, err := tx.Query(ctx, `SELECT u.id, u.username, u.email, u.provider, u.admin, u.access_granted, u.media_access, u.disabled, u.session_epoch,
				coalesce(m.state = $1, false), coalesce(m.state = $2, false), coalesce(m.recovery_codes_remaining, 0)
			FROM users u LEFT JOIN mfa_state m ON m.user_id = u.id`, MFAStateEnabled, MFAStatePending)
		if err != nil {
			return fmt.Errorf("projections: access: read users: %w", err)
		}
		for rows.Next() {
			var u AccessUser
			if err := rows.Scan(&u.ID, &u.Username, &u.Email, &u.Provider, &u.Admin, &u.AccessGranted, &u.MediaAccess, &u.Disabled, &u.Epoch, &u.MFAEnabled, &u.MFAPending, &u.RecoveryCodes); err != nil {
				rows.Close()
				return fmt.Errorf("projections: access: read users: %w", err)
			}
			users[u.ID] = u
		}
		rows.Close()
		live := map[string]time.Time{}
		rows, err = tx.Query(ctx, `SELECT id, expires_at FROM sessions WHERE ended_at IS NULL AND expires_at > $1`, now)
		if err != nil {
			return fmt.Errorf("projections: access: read sessions: %w", err)
		}
		for rows.Next() {
			var id string
			var exp time.Time
			if err := rows.Scan(&id, &exp); err != nil {
				rows.Close()
				return fmt.Errorf("projections: access: read sessions: %w", err)
			}
			live[id] = exp
		}
		rows.Close()
		fwd, err := loadForward(ctx, tx)
		if err != nil {
			return err
		}
		a.mu.Lock()
		a.users, a.live = users, live
		fwd.defaultAllow = a.fwd.defaultAllow
		a.fwd = fwd
		a.setPosition(pos)
		a.mu.Unlock()
		return nil
	})
}

// Apply folds one event in. Events at or before the model's position are ignored.
func (a *Access) Apply(rec domain.Recorded) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if rec.Position <= a.position {
		return
	}
	switch e := rec.Event.(type) {
	case domain.UserRegistered:
		u := a.users[e.UserID]
		u.ID, u.Username, u.Email, u.Provider, u.AccessGranted = e.UserID, e.Username, e.Email, e.Provider, e.AccessGranted
		a.users[e.UserID] = u
	case domain.AdminGranted:
		a.update(e.UserID, func(u *AccessUser) { u.Admin = true })
	case domain.MediaAccessGranted:
		a.update(e.UserID, func(u *AccessUser) { u.MediaAccess = true })
	case domain.MediaAccessRevoked:
		a.update(e.UserID, func(u *AccessUser) { u.MediaAccess = false })
	case domain.AdminRevoked:
		a.update(e.UserID, func(u *AccessUser) { u.Admin = false })
	case domain.SessionsRevoked:
		a.update(e.UserID, func(u *AccessUser) { u.Epoch = e.Epoch })
	case domain.TOTPEnrollmentStarted:
		a.update(e.UserID, func(u *AccessUser) { u.MFAPending = true })
	case domain.TOTPEnabled:
		a.update(e.UserID, func(u *AccessUser) { u.MFAEnabled, u.MFAPending, u.RecoveryCodes = true, false, len(e.RecoveryCodes) })
	case domain.RecoveryCodesRenewed:
		a.update(e.UserID, func(u *AccessUser) { u.RecoveryCodes = len(e.RecoveryCodes) })
	case domain.RecoveryCodeUsed:
		a.update(e.UserID, func(u *AccessUser) { u.RecoveryCodes = e.Remaining })
	case domain.SessionStarted:
		a.live[e.SessionID] = e.ExpiresAt
	case domain.TOTPReset:
		a.update(e.UserID, func(u *AccessUser) { u.MFAEnabled, u.MFAPending, u.RecoveryCodes = false, false, 0 })
	case domain.SessionEnded:
		delete(a.live, e.SessionID)
	case domain.UserDisabled:
		a.update(e.UserID, func(u *AccessUser) { u.Disabled = true })
	case domain.UserEnabled:
		a.update(e.UserID, func(u *AccessUser) { u.Disabled = false })
	default:
		a.fwd.apply(e)
	}
	a.setPosition(rec.Position)
}

func (a *Access) update(id string, f func(*AccessUser)) {
	if u, ok := a.users[id]; ok {
		f(&u)
		a.users[id] = u
	}
}

func (a *Access) setPosition(pos int64) {
	if pos == a.position {
		return
	}
	a.position = pos
	close(a.moved)
	a.moved = make(chan struct{})
}

// Prune forgets sessions that have expired by now.
func (a *Access) Prune(now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for id, exp := range a.live {
		if !now.Before(exp) {
			delete(a.live, id)
		}
	}
}

// Position is the last event the model reflects.
func (a *Access) Position() int64 {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.position
}

// ErrModelBehind is returned by WaitFor when this node's model did not reach
// the position in time (a slow or interrupted tail, as after an outage):
// the caller answers "try again" (503), never with stale data.
var ErrModelBehind = errors.New("projections: access model is behind")

// WaitFor blocks until the model reflects position pos, or ctx ends; then
// it returns an error matching ErrModelBehind and the context's cause.
func (a *Access) WaitFor(ctx context.Context, pos int64) error {
	for {
		a.mu.RLock()
		at, moved := a.position, a.moved
		a.mu.RUnlock()
		if at >= pos {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: at %d, waiting for %d: %w", ErrModelBehind, at, pos, context.Cause(ctx))
		case <-moved:
		}
	}
}

// User returns what the model knows of a user.
func (a *Access) User(id string) (AccessUser, bool) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	u, ok := a.users[id]
	return u, ok
}

// SessionLive reports whether a session was started, has not ended (logout,
// rotation) and has not expired at now. Revocation by epoch is checked
// against the user's Epoch instead (CheckSession does both).
func (a *Access) SessionLive(id string, now time.Time) bool {
	a.mu.RLock()
	defer a.mu.RUnlock()
	exp, ok := a.live[id]
	return ok && now.Before(exp)
}

// CheckSession applies domain.CheckSession to a session this model saw
// start, for the user and epoch its cookie claims, and returns the user. A
// session it never saw start, or one of a user it does not know, is
// domain.ErrSessionNotFound.
func (a *Access) CheckSession(sessionID, userID string, epoch int64, now time.Time) (AccessUser, error) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	u, known := a.users[userID]
	exp, live := a.live[sessionID]
	if !known || !live {
		return AccessUser{}, domain.ErrSessionNotFound
	}
	if err := domain.CheckSession(domain.SessionState{Epoch: epoch, ExpiresAt: exp}, u.Standing(), now); err != nil {
		return AccessUser{}, err
	}
	return u, nil
}

// Follow keeps the model current until ctx ends, through a watermill
// handler on the log, and prunes expired sessions once a minute.
func (a *Access) Follow(ctx context.Context, store *eventstore.Store, logger *slog.Logger) error {
	sub, err := eventstore.NewSubscriber(store, eventstore.SubscriberConfig{
		StartAfter: func(context.Context, string) (int64, error) { return a.Position(), nil },
	})
	if err != nil {
		return err
	}
	router, err := NewRouter(logger)
	if err != nil {
		return err
	}
	router.AddConsumerHandler("access-model", "access-model", sub, func(msg *message.Message) error {
		rec, err := store.MessageEvent(msg)
		if err != nil {
			return err
		}
		a.Apply(rec)
		return nil
	})
	go func() {
		t := time.NewTicker(time.Minute)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-t.C:
				a.Prune(now)
			}
		}
	}()
	return router.Run(ctx)
}
