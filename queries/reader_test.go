package queries_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
	"github.com/authportal/authportal/eventstore/pgtest"
	"github.com/authportal/authportal/projections"
	"github.com/authportal/authportal/queries"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// traceKey marks, in a query's context, a read of the checkpoints.
type traceKey struct{}

// checkpointReads is a pgx tracer that reports each completed read of the
// projection checkpoints, so a test knows a waiter has looked at least once.
type checkpointReads chan struct{}

func (c checkpointReads) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	if strings.Contains(data.SQL, "projection_checkpoints") {
		return context.WithValue(ctx, traceKey{}, true)
	}
	return ctx
}

func (c checkpointReads) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryEndData) {
	if ctx.Value(traceKey{}) != nil {
		select {
		case c <- struct{}{}:
		default: // nobody is counting this one
		}
	}
}

// tracedPool is a second pool to pool's database whose checkpoint reads are
// reported on the returned channel.
func tracedPool(t *testing.T, pool *pgxpool.Pool) (*pgxpool.Pool, checkpointReads) {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(pgtest.ConnString(t, pool))
	if err != nil {
		t.Fatal(err)
	}
	reads := make(checkpointReads)
	cfg.ConnConfig.Tracer = reads
	traced, err := pgxpool.NewWithConfig(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(traced.Close)
	return traced, reads
}

func setCheckpoint(t *testing.T, pool *pgxpool.Pool, name string, position int64) {
	t.Helper()
	if _, err := pool.Exec(t.Context(), `INSERT INTO projection_checkpoints (name, position) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET position = excluded.position`, name, position); err != nil {
		t.Fatal(err)
	}
}

func TestWaitForNeverReachedIsAnError(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	setCheckpoint(t, pool, "users", 2)
	err := queries.NewReader(pool).WaitFor(t.Context(), "users", 3, 50*time.Millisecond)
	if !errors.Is(err, queries.ErrNotCaughtUp) {
		t.Fatalf("WaitFor a position never reached = %v, want ErrNotCaughtUp", err)
	}
	if err := queries.NewReader(pool).WaitFor(t.Context(), "users", 2, 50*time.Millisecond); err != nil {
		t.Errorf("WaitFor a position already reached = %v", err)
	}
}

// A waiter that saw the checkpoint behind returns once it passes.
func TestWaitForReturnsWhenTheCheckpointPasses(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	setCheckpoint(t, pool, "users", 0)
	traced, reads := tracedPool(t, pool)

	done := make(chan error, 1)
	go func() { done <- queries.NewReader(traced).WaitFor(t.Context(), "users", 3, 20*time.Second) }()
	select {
	case <-reads: // it has read the checkpoint at 0 and must wait
	case err := <-done:
		t.Fatalf("WaitFor returned %v before the checkpoint reached the position", err)
	}
	setCheckpoint(t, pool, "users", 3)
	for {
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("WaitFor after the checkpoint passed: %v", err)
			}
			return
		case <-reads: // polls until it sees the new checkpoint
		}
	}
}

func TestStatusLagAndLeader(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	ctx := t.Context()
	store := eventstore.New(pool, domain.Events(), slog.New(slog.DiscardHandler))
	for range 5 {
		if _, err := store.Append(ctx, domain.Metadata{Actor: "anonymous", ActorKind: domain.ActorAnonymous}, eventstore.Append{
			StreamID: domain.LoginAttemptsStream, Expected: eventstore.Any,
			Events: []domain.Event{domain.LoginFailed{Username: "nobody", Provider: "local", Reason: "unknown_user"}},
		}); err != nil {
			t.Fatal(err)
		}
	}
	setCheckpoint(t, pool, projections.UsersName, 3)
	setCheckpoint(t, pool, projections.SessionsName, 5)

	// Some node leads the users projection: it holds the lock the runner takes.
	leader, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer leader.Release()
	if _, err := leader.Exec(ctx, `SELECT pg_advisory_lock($1)`, projections.LockKey(projections.UsersName)); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if _, err := leader.Exec(context.Background(), `SELECT pg_advisory_unlock_all()`); err != nil {
			t.Error(err)
		}
	}()

	status, err := queries.NewReader(pool).Status(ctx, []string{projections.UsersName, projections.SessionsName, "never-ran"})
	if err != nil {
		t.Fatal(err)
	}
	want := []queries.ProjectionStatus{
		{Name: projections.UsersName, Position: 3, Head: 5, Lag: 2, Leader: true},
		{Name: projections.SessionsName, Position: 5, Head: 5, Lag: 0, Leader: false},
		{Name: "never-ran", Position: 0, Head: 5, Lag: 5, Leader: false},
	}
	if len(status) != len(want) {
		t.Fatalf("status has %d rows, want %d: %+v", len(status), len(want), status)
	}
	for i, w := range want {
		got := status[i]
		got.UpdatedAt = time.Time{}
		if got != w {
			t.Errorf("status[%d] = %+v, want %+v", i, got, w)
		}
	}
}
