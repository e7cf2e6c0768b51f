package projections_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
	"github.com/authportal/authportal/eventstore/pgtest"
	"github.com/authportal/authportal/projections"
	"github.com/jackc/pgx/v5"
)

// txCounting is a projection without tables that records which transaction
// applied each event.
type txCounting struct {
	mu  sync.Mutex
	txs map[pgx.Tx]int // kept, so no transaction's address is reused meanwhile
	n   int
}

func (c *txCounting) Name() string      { return "tx-counting" }
func (c *txCounting) Tables() []string  { return nil }
func (c *txCounting) Handles() []string { return []string{domain.TypeLoginFailed} }
func (c *txCounting) Apply(_ context.Context, tx pgx.Tx, _ projections.Tables, _ domain.Recorded) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.txs[tx]++
	c.n++
	return nil
}

func (c *txCounting) counts() (events, transactions int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n, len(c.txs)
}

// While following, a leader applies what the log holds in batches: events
// that became visible together are applied in one transaction with one
// checkpoint move, not one transaction each.
func TestRunnerFollowsInBatches(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	store := eventstore.New(pool, domain.Events(), discard)
	c := &txCounting{txs: map[pgx.Tx]int{}}
	startRunner(t, projections.RunnerConfig{
		Pool: pool, Store: store, Projections: []projections.Projection{c}, StandbyInterval: 100 * time.Millisecond,
	})
	failed := func(n int) domain.Event {
		return domain.LoginFailed{UserID: "u1", Username: fmt.Sprintf("try-%d", n), Provider: "local", Reason: "bad_password"}
	}
	// Two single appends first, so that the runner is past catch-up and
	// follows the log when the burst comes.
	for i := range 2 {
		if _, err := store.Append(t.Context(), domain.Metadata{ActorKind: domain.ActorSystem}, eventstore.Append{StreamID: "user-u1", Expected: eventstore.Any, Events: []domain.Event{failed(i)}}); err != nil {
			t.Fatal(err)
		}
		waitCaughtUp(t, pool, store, c.Name())
	}
	_, before := c.counts()

	const burst = 300
	events := make([]domain.Event, burst)
	for i := range events {
		events[i] = failed(100 + i)
	}
	if _, err := store.Append(t.Context(), domain.Metadata{ActorKind: domain.ActorSystem}, eventstore.Append{StreamID: "user-u1", Expected: eventstore.Any, Events: events}); err != nil {
		t.Fatal(err)
	}
	waitCaughtUp(t, pool, store, c.Name())
	n, txs := c.counts()
	if n != 2+burst {
		t.Fatalf("applied %d events, want %d", n, 2+burst)
	}
	if got := txs - before; got != 1 {
		t.Errorf("the burst of %d events took %d transactions, want 1", burst, got)
	}
}

// BenchmarkRunnerFollowBurst measures how long the three projections take,
// while following, to apply a burst of 1000 events that became visible at
// once (sustained load looks like this to a follower that fell behind).
func BenchmarkRunnerFollowBurst(b *testing.B) {
	pool := pgtest.New(b)
	store := eventstore.New(pool, domain.Events(), discard)
	w := newWorld(b, store)
	w.run(20)
	startRunner(b, projections.RunnerConfig{Pool: pool, Store: store, Projections: projections.All(), StandbyInterval: 100 * time.Millisecond})
	waitCaughtUp(b, pool, store, allNames...)

	const burst = 1000
	events := make([]domain.Event, burst)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := range events {
			events[j] = domain.LoginFailed{UserID: w.users[0], Username: fmt.Sprintf("b%d-%d", i, j), Provider: "local", Reason: "bad_password"}
		}
		if _, err := store.Append(b.Context(), domain.Metadata{ActorKind: domain.ActorSystem}, eventstore.Append{StreamID: "burst", Expected: eventstore.Any, Events: events}); err != nil {
			b.Fatal(err)
		}
		waitCaughtUp(b, pool, store, allNames...)
	}
	b.ReportMetric(float64(b.N*burst)/b.Elapsed().Seconds(), "events/s")
}
