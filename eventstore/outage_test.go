package eventstore_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
	"github.com/authportal/authportal/eventstore/pgserver"
	"github.com/authportal/authportal/migrations"
	"github.com/jackc/pgx/v5/pgxpool"
)

// stoppableCluster is a PostgreSQL cluster of the test's own, in a temporary
// directory, that the test may stop and start again (pgtest's is shared).
type stoppableCluster struct {
	t   testing.TB
	dir string
	mu  sync.Mutex
	srv *pgserver.Server
}

func newStoppableCluster(t testing.TB) *stoppableCluster {
	t.Helper()
	// Short: the socket path inside must fit 107 bytes.
	dir, err := os.MkdirTemp("", "ap-outage-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o711); err != nil { // the cluster user must reach it when we are root
		t.Fatal(err)
	}
	c := &stoppableCluster{t: t, dir: dir}
	c.start()
	t.Cleanup(func() {
		c.stop()
		if err := os.RemoveAll(dir); err != nil {
			t.Errorf("remove cluster: %v", err)
		}
	})
	return c
}

func (c *stoppableCluster) start() {
	c.t.Helper()
	srv, err := pgserver.Open(context.Background(), pgserver.Config{Dir: c.dir})
	if err != nil {
		c.t.Fatalf("start cluster: %v", err)
	}
	c.mu.Lock()
	c.srv = srv
	c.mu.Unlock()
}

func (c *stoppableCluster) stop() {
	c.t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.srv.Stop(context.Background()); err != nil {
		c.t.Errorf("stop cluster: %v", err)
	}
}

// migratedPool creates and migrates a database on the cluster.
func (c *stoppableCluster) migratedPool(name string) *pgxpool.Pool {
	c.t.Helper()
	if err := c.srv.EnsureDatabase(c.t.Context(), name); err != nil {
		c.t.Fatal(err)
	}
	pool, err := pgxpool.New(c.t.Context(), c.srv.ConnString(name))
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(pool.Close)
	if _, err := migrations.Apply(c.t.Context(), pool); err != nil {
		c.t.Fatal(err)
	}
	return pool
}

// logWatch is a slog handler that hands the test every record whose
// message contains a given text, so the test awaits log lines rather than
// sleeping.
type logWatch struct {
	text string
	ch   chan slog.Record
}

func (w *logWatch) Enabled(context.Context, slog.Level) bool { return true }
func (w *logWatch) Handle(_ context.Context, r slog.Record) error {
	if strings.Contains(r.Message, w.text) {
		select {
		case w.ch <- r.Clone():
		default: // the test has seen enough of them
		}
	}
	return nil
}
func (w *logWatch) WithAttrs([]slog.Attr) slog.Handler { return w }
func (w *logWatch) WithGroup(string) slog.Handler      { return w }

// A subscriber whose reads failed while the database was away must resume
// as soon as it is back, not at the end of its backoff. The backoff here is
// an hour, so only a wake (the notification connection coming back, or the
// NOTIFY of the append) can deliver the event within the test's deadline.
func TestSubscriberBackoffIsCutShortWhenTheDatabaseReturns(t *testing.T) {
	t.Parallel()
	cluster := newStoppableCluster(t)
	pool := cluster.migratedPool("outage")
	watch := &logWatch{text: "consumer cannot read the log", ch: make(chan slog.Record, 16)}
	store := eventstore.New(pool, domain.Events(), slog.New(watch))

	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wg.Go(func() { store.Listen(ctx) })

	sub, err := eventstore.NewSubscriber(store, eventstore.SubscriberConfig{
		StartAfter:           func(context.Context, string) (int64, error) { return 0, nil },
		PollInterval:         50 * time.Millisecond, // notice the outage promptly
		RetryBackoff:         time.Hour,
		MaxRedeliveryBackoff: time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	messages, err := sub.Subscribe(ctx, "outage")
	if err != nil {
		t.Fatal(err)
	}
	mustAppend(t, store, eventstore.Append{StreamID: "user-w1", Expected: eventstore.Any, Events: []domain.Event{failedLogin(1, 1)}})
	first := receive(t, messages)
	first.Ack()

	cluster.stop()
	var failed slog.Record
	select {
	case failed = <-watch.ch:
	case <-time.After(30 * time.Second):
		t.Fatal("the subscriber never failed to read while the database was down")
	}
	var retryIn time.Duration
	failed.Attrs(func(a slog.Attr) bool {
		if a.Key == "retry_in" {
			retryIn = a.Value.Duration()
		}
		return true
	})
	if retryIn < time.Hour {
		t.Fatalf("logged retry_in %v, want the configured hour", retryIn)
	}

	cluster.start()
	restarted := time.Now()
	var appended eventstore.Result
	for deadline := time.Now().Add(20 * time.Second); ; {
		// The pool's connections died with the server: the first tries may fail.
		appended, err = store.Append(t.Context(), testMeta, eventstore.Append{StreamID: "user-w1", Expected: eventstore.Any, Events: []domain.Event{failedLogin(1, 2)}})
		if err == nil {
			break
		}
		if !errors.Is(err, eventstore.ErrUnavailable) || time.Now().After(deadline) {
			t.Fatalf("append after restart: %v", err)
		}
	}
	msg := receive(t, messages)
	msg.Ack()
	if got := messageRaw(t, msg).Position; got != appended.LastPosition {
		t.Fatalf("delivered position %d after the outage, want %d", got, appended.LastPosition)
	}
	t.Logf("delivered %v after the cluster was back (the backoff was %v)", time.Since(restarted), retryIn)
}
