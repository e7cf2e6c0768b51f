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

// Head returns the position of the last event in the log.
func (r *Reader) Head(ctx context.Context) (int64, error) {
	var head int64
	if err := r.pool.QueryRow(ctx, `SELECT coalesce(max(position), 0) FROM events`).Scan(&head); err != nil {
		return 0, fmt.Errorf("queries: head: %w", err)
	}
	return head, nil
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
	head, err := r.Head(ctx)
	if err != nil {
		return nil, err
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
