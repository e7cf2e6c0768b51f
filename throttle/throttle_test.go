package throttle_test

import (
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authportal/authportal/eventstore/pgtest"
	"github.com/authportal/authportal/throttle"
	"github.com/jackc/pgx/v5/pgxpool"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var t0 = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func newBuckets(t *testing.T, pool *pgxpool.Pool) *throttle.Buckets {
	t.Helper()
	b, err := throttle.New(pool, []byte("0123456789abcdef0123456789abcdef"), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestTakeSpendsBurstThenRefills(t *testing.T) {
	t.Parallel()
	b := newBuckets(t, pgtest.New(t))
	l := throttle.Limit{Every: 10 * time.Second, Burst: 3}
	for i := range 3 {
		d, err := b.Take(t.Context(), "s", "alice", l, t0)
		if err != nil || !d.Allowed {
			t.Fatalf("take %d: got %+v, %v; want allowed", i, d, err)
		}
	}
	d, err := b.Take(t.Context(), "s", "alice", l, t0)
	if err != nil || d.Allowed {
		t.Fatalf("4th take: got %+v, %v; want refused", d, err)
	}
	if d.RetryAfter != 10*time.Second {
		t.Errorf("retry after: got %v, want 10s", d.RetryAfter)
	}
	// Another id has its own bucket.
	if d, _ := b.Take(t.Context(), "s", "bob", l, t0); !d.Allowed {
		t.Error("bob's bucket was spent by alice's takes")
	}
	// So does another scope for the same id.
	if d, _ := b.Take(t.Context(), "other", "alice", l, t0); !d.Allowed {
		t.Error("a different scope shares alice's bucket")
	}
	if d, _ := b.Take(t.Context(), "s", "alice", l, t0.Add(10*time.Second)); !d.Allowed {
		t.Error("no token after one interval")
	}
	if d, _ := b.Take(t.Context(), "s", "alice", l, t0.Add(10*time.Second)); d.Allowed {
		t.Error("two tokens after one interval")
	}
}

// Many takes at once on one bucket, from two pools standing for two nodes,
// spend exactly the burst: the check and the spend are one statement.
func TestConcurrentTakesAcrossNodesSpendOnlyTheBurst(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	other, err := pgxpool.New(t.Context(), pgtest.ConnString(t, pool))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(other.Close)
	nodes := []*throttle.Buckets{newBuckets(t, pool), newBuckets(t, other)}
	l := throttle.Limit{Every: time.Minute, Burst: 3}
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for i := range 60 {
		wg.Go(func() {
			d, err := nodes[i%2].Take(t.Context(), "mfa", "user-1", l, t0)
			if err != nil {
				t.Error(err)
				return
			}
			if d.Allowed {
				allowed.Add(1)
			}
		})
	}
	wg.Wait()
	if got := allowed.Load(); got != 3 {
		t.Errorf("allowed: got %d of 60 parallel takes, want 3", got)
	}
}

func TestRefundGivesTheTokenBack(t *testing.T) {
	t.Parallel()
	b := newBuckets(t, pgtest.New(t))
	l := throttle.Limit{Every: time.Minute, Burst: 2}
	for range 2 {
		if d, _ := b.Take(t.Context(), "s", "k", l, t0); !d.Allowed {
			t.Fatal("burst refused")
		}
	}
	b.Refund(t.Context(), "s", "k", l)
	if d, _ := b.Take(t.Context(), "s", "k", l, t0); !d.Allowed {
		t.Error("refunded token not available")
	}
	if d, _ := b.Take(t.Context(), "s", "k", l, t0); d.Allowed {
		t.Error("more than the burst after one refund")
	}
}

func TestSweepForgetsFullBucketsAndStoresNoNames(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	b := newBuckets(t, pool)
	l := throttle.Limit{Every: time.Second, Burst: 5}
	for _, name := range []string{"hunter2-typed-as-a-name", "alice"} {
		if _, err := b.Take(t.Context(), "login-account", name, l, t0); err != nil {
			t.Fatal(err)
		}
	}
	var leaked bool
	if err := pool.QueryRow(t.Context(), `SELECT EXISTS (SELECT 1 FROM throttle_buckets WHERE position('hunter2' in encode(key, 'escape')) > 0)`).Scan(&leaked); err != nil {
		t.Fatal(err)
	}
	if leaked {
		t.Error("a bucket key holds the name in clear")
	}
	if n, _ := b.Count(t.Context()); n != 2 {
		t.Fatalf("buckets: got %d, want 2", n)
	}
	if n, err := b.Sweep(t.Context(), t0); err != nil || n != 0 {
		t.Errorf("sweep while spent: got %d, %v; want 0", n, err)
	}
	if n, err := b.Sweep(t.Context(), t0.Add(time.Second)); err != nil || n != 2 {
		t.Errorf("sweep once full: got %d, %v; want 2", n, err)
	}
}

func TestAddressKeyGroupsIPv6By64(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		same bool
	}{
		{"2001:db8:1:2:aaaa::1", "2001:db8:1:2:ffff::9", true},
		{"2001:db8:1:2::1", "2001:db8:1:3::1", false},
		{"192.0.2.1", "192.0.2.2", false},
		{"::ffff:192.0.2.1", "192.0.2.1", true},
	} {
		if got := throttle.AddressKey(tc.a) == throttle.AddressKey(tc.b); got != tc.same {
			t.Errorf("AddressKey(%s) == AddressKey(%s): got %v, want %v", tc.a, tc.b, got, tc.same)
		}
	}
}
