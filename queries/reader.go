package queries

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/authportal/authportal/projections"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrNotFound is returned when a row asked for by key does not exist.
var ErrNotFound = errors.New("queries: not found")

// ErrNotCaughtUp is returned by WaitFor when the projection did not reach the
// position in time: the caller gets an error, never stale data.
var ErrNotCaughtUp = errors.New("queries: read model has not caught up")

// Reader reads the projection tables.
type Reader struct {
	pool *pgxpool.Pool
}

// NewReader panics on a nil pool.
func NewReader(pool *pgxpool.Pool) *Reader {
	if pool == nil {
		panic("queries.NewReader: nil pool")
	}
	return &Reader{pool: pool}
}

// WaitFor blocks until projection has applied position, polling its
// checkpoint, for at most timeout.
func (r *Reader) WaitFor(ctx context.Context, projection string, position int64, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	delay := time.Millisecond
	for {
		cp, err := projections.Checkpoint(ctx, r.pool, projection)
		if err == nil && cp >= position {
			return nil
		}
		select {
		case <-ctx.Done():
			if err != nil {
				return fmt.Errorf("queries: wait for %s: %w", projection, err)
			}
			return fmt.Errorf("%w: %s at %d, waiting for %d", ErrNotCaughtUp, projection, cp, position)
		case <-time.After(delay):
		}
		delay = min(delay*2, 50*time.Millisecond)
	}
}

// ProjectionStatus is one projection's progress.
type ProjectionStatus struct {
	Name      string    `json:"name"`
	Position  int64     `json:"position"`
	Head      int64     `json:"head"`
	Lag       int64     `json:"lag"`
	Leader    bool      `json:"leader"` // some node holds its lock
	UpdatedAt time.Time `json:"updatedAt"`
}

// Status reports every projection's checkpoint against the head of the log.
func (r *Reader) Status(ctx context.Context, names []string) ([]ProjectionStatus, error) {
	var head int64
	if err := r.pool.QueryRow(ctx, `SELECT coalesce(max(position), 0) FROM events`).Scan(&head); err != nil {
		return nil, fmt.Errorf("queries: status: %w", err)
	}
	out := make([]ProjectionStatus, 0, len(names))
	for _, name := range names {
		s := ProjectionStatus{Name: name, Head: head}
		err := r.pool.QueryRow(ctx, `SELECT c.position, c.updated_at,
				EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted
					AND ((classid::bigint << 32) | objid::bigint) = $2)
			FROM projection_checkpoints c WHERE c.name = $1`, name, projections.LockKey(name)).Scan(&s.Position, &s.UpdatedAt, &s.Leader)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return nil, fmt.Errorf("queries: status of %s: %w", name, err)
		}
		s.Lag = head - s.Position
		out = append(out, s)
	}
	return out, nil
}

// User is a row of the users read model.
type User struct {
	ID          string     `json:"id"`
	Username    string     `json:"username"`
	Email       string     `json:"email"`
	Provider    string     `json:"provider"`
	Admin       bool       `json:"admin"`
	Authorized  bool       `json:"authorized"`
	Disabled    bool       `json:"disabled"`
	CreatedAt   time.Time  `json:"createdAt"`
	LastLoginAt *time.Time `json:"lastLoginAt,omitempty"`
}

// User returns one user by id.
func (r *Reader) User(ctx context.Context, id string) (User, error) {
	var u User
	err := r.pool.QueryRow(ctx, `SELECT id, username, email, provider, admin, NOT disabled AND (admin OR access_granted), disabled, created_at, last_login_at
		FROM users WHERE id = $1`, id).Scan(&u.ID, &u.Username, &u.Email, &u.Provider, &u.Admin, &u.Authorized, &u.Disabled, &u.CreatedAt, &u.LastLoginAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return User{}, ErrNotFound
	}
	if err != nil {
		return User{}, fmt.Errorf("queries: user %s: %w", id, err)
	}
	return u, nil
}

// MFAState is a row of the MFA read model.
type MFAState struct {
	State                  string     `json:"state"` // "none", "pending", "enabled"
	EnabledAt              *time.Time `json:"enabledAt,omitempty"`
	LastUsedAt             *time.Time `json:"lastUsedAt,omitempty"`
	RecoveryCodesRemaining int        `json:"recoveryCodesRemaining"`
}

// MFA returns a user's MFA state ("none" when they never started).
func (r *Reader) MFA(ctx context.Context, userID string) (MFAState, error) {
	var m MFAState
	err := r.pool.QueryRow(ctx, `SELECT state, enabled_at, last_used_at, recovery_codes_remaining FROM mfa_state WHERE user_id = $1`, userID).
		Scan(&m.State, &m.EnabledAt, &m.LastUsedAt, &m.RecoveryCodesRemaining)
	if errors.Is(err, pgx.ErrNoRows) {
		return MFAState{State: "none"}, nil
	}
	if err != nil {
		return MFAState{}, fmt.Errorf("queries: mfa of %s: %w", userID, err)
	}
	return m, nil
}
