package eventstore

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"

	"github.com/authportal/authportal/domain"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Store is the Postgres log. It is safe for concurrent use.
type Store struct {
	pool     *pgxpool.Pool
	registry *domain.Registry
	logger   *slog.Logger

	mu     sync.Mutex
	wakers map[chan struct{}]struct{} // readers to wake when the head moves
}

// New returns a store over pool that decodes events with registry.
func New(pool *pgxpool.Pool, registry *domain.Registry, logger *slog.Logger) *Store {
	if pool == nil || registry == nil || logger == nil {
		panic("eventstore.New: nil dependency")
	}
	return &Store{pool: pool, registry: registry, logger: logger, wakers: map[chan struct{}]struct{}{}}
}

// Head returns the position of the last event in the log, 0 when it is empty.
func (s *Store) Head(ctx context.Context) (int64, error) {
	var head int64
	if err := s.pool.QueryRow(ctx, `SELECT coalesce(max(position), 0) FROM events`).Scan(&head); err != nil {
		return 0, fmt.Errorf("eventstore: read head: %w", err)
	}
	return head, nil
}

// ExpectedVersion is what a caller believes a stream's version to be.
type ExpectedVersion int64

const (
	// Any appends whatever the stream's version.
	Any ExpectedVersion = -1
	// NoStream appends only if the stream does not exist yet.
	NoStream ExpectedVersion = 0
)

// Exactly expects the stream to be at version v (0 is NoStream).
func Exactly(v int64) ExpectedVersion { return ExpectedVersion(v) }

func (v ExpectedVersion) String() string {
	switch v {
	case Any:
		return "any"
	case NoStream:
		return "no stream"
	}
	return strconv.FormatInt(int64(v), 10)
}
