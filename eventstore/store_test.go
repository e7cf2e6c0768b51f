package eventstore_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
	"github.com/authportal/authportal/eventstore/pgtest"
	"github.com/jackc/pgx/v5/pgxpool"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// newStore returns a store on a fresh, migrated database, and its pool.
func newStore(t testing.TB) (*eventstore.Store, *pgxpool.Pool) {
	t.Helper()
	pool := pgtest.New(t)
	return eventstore.New(pool, domain.Events(), slog.New(slog.DiscardHandler)), pool
}

// testMeta is the metadata of a request from a signed-in browser.
var testMeta = domain.Metadata{
	Actor: "01JPDQ6V7C9M2X4T8R5K3H1NWA", ActorKind: domain.ActorUser,
	ClientIP: "203.0.113.7", UserAgent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
	RequestID: "req-7f3a9c", CorrelationID: "corr-1b2c3d", CausationID: "cause-0a9b8c",
}

// failedLogin is an event whose fields identify who wrote it, for tests
// that need to tell appends apart.
func failedLogin(writer, n int) domain.Event {
	return domain.LoginFailed{
		UserID: fmt.Sprintf("writer-%d", writer), Username: fmt.Sprintf("attempt-%d", n),
		Provider: "local", Reason: "bad_password",
	}
}

// mustAppend appends or fails the test.
func mustAppend(t testing.TB, store *eventstore.Store, appends ...eventstore.Append) eventstore.Result {
	t.Helper()
	res, err := store.Append(t.Context(), testMeta, appends...)
	if err != nil {
		t.Fatalf("append: got error %v, want none", err)
	}
	return res
}

// readAll returns every event in the log.
func readAll(t testing.TB, store *eventstore.Store) []domain.Recorded {
	t.Helper()
	recs, err := store.ReadAll(t.Context(), 0, 1_000_000)
	if err != nil {
		t.Fatalf("read all: got error %v, want none", err)
	}
	return recs
}

// head returns the log's head position.
func head(t testing.TB, store *eventstore.Store) int64 {
	t.Helper()
	h, err := store.Head(t.Context())
	if err != nil {
		t.Fatalf("head: got error %v, want none", err)
	}
	return h
}

func TestAppendReadRoundTrip(t *testing.T) {
	t.Parallel()
	store, _ := newStore(t)
	ctx := t.Context()
	expires := time.Date(2025, 3, 14, 21, 0, 0, 0, time.UTC)
	user, session := domain.UserStream("u1"), domain.SessionStream("s1")

	first := []domain.Event{
		domain.UserRegistered{UserID: "u1", Username: "ada", Email: "ada@example.com", Provider: "local", PasswordHash: "$argon2id$v=19$x", AccessGranted: true},
		domain.AdminGranted{UserID: "u1", Reason: "bootstrap"},
	}
	second := []domain.Event{
		domain.LoginSucceeded{UserID: "u1", Provider: "local", SessionID: "s1"},
	}
	third := []domain.Event{
		domain.SessionStarted{SessionID: "s1", UserID: "u1", Kind: domain.SessionFull, Authorized: true, Provider: "local", Epoch: 0, ExpiresAt: expires},
	}
	res := mustAppend(t, store, eventstore.Append{StreamID: user, Expected: eventstore.NoStream, Events: first})
	if res.FirstPosition != 1 || res.LastPosition != 2 {
		t.Errorf("first append: got positions %d..%d, want 1..2", res.FirstPosition, res.LastPosition)
	}
	res = mustAppend(t, store,
		eventstore.Append{StreamID: user, Expected: eventstore.Exactly(2), Events: second},
		eventstore.Append{StreamID: session, Expected: eventstore.NoStream, Events: third},
	)
	if res.FirstPosition != 3 || res.LastPosition != 4 {
		t.Errorf("second append: got positions %d..%d, want 3..4", res.FirstPosition, res.LastPosition)
	}

	type row struct {
		stream  string
		version int64
		event   domain.Event
	}
	want := []row{
		{user, 1, first[0]}, {user, 2, first[1]}, {user, 3, second[0]}, {session, 1, third[0]},
	}
	got := readAll(t, store)
	if len(got) != len(want) {
		t.Fatalf("read all: got %d events, want %d", len(got), len(want))
	}
	for i, rec := range got {
		w := want[i]
		if rec.Position != int64(i+1) {
			t.Errorf("event %d: got position %d, want %d", i, rec.Position, i+1)
		}
		if rec.StreamID != w.stream || rec.StreamVersion != w.version {
			t.Errorf("event %d: got %s@%d, want %s@%d", i, rec.StreamID, rec.StreamVersion, w.stream, w.version)
		}
		if rec.Type != w.event.EventType() || rec.SchemaVersion != w.event.SchemaVersion() {
			t.Errorf("event %d: got %s v%d, want %s v%d", i, rec.Type, rec.SchemaVersion, w.event.EventType(), w.event.SchemaVersion())
		}
		if !reflect.DeepEqual(rec.Event, w.event) {
			t.Errorf("event %d: got %#v, want %#v", i, rec.Event, w.event)
		}
		if rec.Metadata != testMeta {
			t.Errorf("event %d metadata: got %+v, want %+v", i, rec.Metadata, testMeta)
		}
		if rec.RecordedAt.IsZero() || time.Since(rec.RecordedAt) > time.Hour {
			t.Errorf("event %d: got recorded at %v, want about now", i, rec.RecordedAt)
		}
	}

	after, err := store.ReadAll(ctx, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != 1 || after[0].Position != 3 {
		t.Errorf("read after 2 limit 1: got %d events %v, want position 3", len(after), after)
	}
	events, version, err := store.Load(ctx, user)
	if err != nil {
		t.Fatal(err)
	}
	if version != 3 || !reflect.DeepEqual(events, append(slices.Clone(first), second...)) {
		t.Errorf("load %s: got version %d events %#v, want version 3 and the user's events", user, version, events)
	}
	events, version, err = store.Load(ctx, domain.UserStream("nobody"))
	if err != nil || version != 0 || len(events) != 0 {
		t.Errorf("load missing stream: got version %d, %d events, error %v, want 0, 0, none", version, len(events), err)
	}
	if h := head(t, store); h != 4 {
		t.Errorf("head: got %d, want 4", h)
	}
}

func TestAppendRefusesEmpty(t *testing.T) {
	t.Parallel()
	store, _ := newStore(t)
	tests := []struct {
		name    string
		appends []eventstore.Append
	}{
		{name: "no appends"},
		{name: "no events", appends: []eventstore.Append{{StreamID: "user-a", Expected: eventstore.Any}}},
		{name: "no stream id", appends: []eventstore.Append{{Expected: eventstore.Any, Events: []domain.Event{failedLogin(0, 0)}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := store.Append(t.Context(), testMeta, tt.appends...); err == nil {
				t.Error("got no error, want one")
			}
		})
	}
	if h := head(t, store); h != 0 {
		t.Errorf("head after refused appends: got %d, want 0", h)
	}
}

func TestAppendExpectedVersion(t *testing.T) {
	t.Parallel()
	const existing = "user-existing" // seeded with two events
	tests := []struct {
		name     string
		stream   string
		expected eventstore.ExpectedVersion
		conflict bool
		version  int64 // the stream's version afterwards, which a conflict reports as Actual
	}{
		{name: "no stream on an existing stream", stream: existing, expected: eventstore.NoStream, conflict: true, version: 2},
		{name: "exactly behind", stream: existing, expected: eventstore.Exactly(1), conflict: true, version: 2},
		{name: "exactly ahead", stream: existing, expected: eventstore.Exactly(3), conflict: true, version: 2},
		{name: "exactly on a new stream", stream: "user-new", expected: eventstore.Exactly(1), conflict: true, version: 0},

		{name: "exactly right", stream: existing, expected: eventstore.Exactly(2), version: 3},
		{name: "any on an existing stream", stream: existing, expected: eventstore.Any, version: 3},
		{name: "any on a new stream", stream: "user-new", expected: eventstore.Any, version: 1},
		{name: "no stream on a new stream", stream: "user-new", expected: eventstore.NoStream, version: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			store, _ := newStore(t)
			mustAppend(t, store, eventstore.Append{StreamID: existing, Expected: eventstore.NoStream, Events: []domain.Event{failedLogin(0, 1), failedLogin(0, 2)}})

			_, err := store.Append(t.Context(), testMeta, eventstore.Append{StreamID: tt.stream, Expected: tt.expected, Events: []domain.Event{failedLogin(1, 1)}})
			if tt.conflict {
				if !errors.Is(err, eventstore.ErrVersionConflict) {
					t.Fatalf("error: got %v, want ErrVersionConflict", err)
				}
				var vc *eventstore.VersionConflictError
				if !errors.As(err, &vc) {
					t.Fatalf("error: got %T %v, want a *VersionConflictError", err, err)
				}
				if vc.StreamID != tt.stream || vc.Expected != tt.expected || vc.Actual != tt.version {
					t.Errorf("conflict: got stream %s expected %v actual %d, want %s %v %d", vc.StreamID, vc.Expected, vc.Actual, tt.stream, tt.expected, tt.version)
				}
			} else if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			_, version, err := store.Load(t.Context(), tt.stream)
			if err != nil {
				t.Fatal(err)
			}
			if version != tt.version {
				t.Errorf("stream version afterwards: got %d, want %d", version, tt.version)
			}
			wantHead := int64(2)
			if !tt.conflict {
				wantHead = 3
			}
			if h := head(t, store); h != wantHead {
				t.Errorf("head afterwards: got %d, want %d", h, wantHead)
			}
		})
	}
}

func TestAppendIsAtomicAcrossStreams(t *testing.T) {
	t.Parallel()
	store, _ := newStore(t)
	ctx := t.Context()
	taken := domain.UsernameStream("ada")
	mustAppend(t, store, eventstore.Append{StreamID: taken, Expected: eventstore.NoStream, Events: []domain.Event{domain.UsernameClaimed{Username: "ada", UserID: "u0"}}})

	user := domain.UserStream("u1")
	_, err := store.Append(ctx, testMeta,
		eventstore.Append{StreamID: user, Expected: eventstore.NoStream, Events: []domain.Event{
			domain.UserRegistered{UserID: "u1", Username: "ada", Provider: "local"},
			domain.AdminGranted{UserID: "u1", Reason: "cli"},
		}},
		eventstore.Append{StreamID: taken, Expected: eventstore.NoStream, Events: []domain.Event{domain.UsernameClaimed{Username: "ada", UserID: "u1"}}},
	)
	var vc *eventstore.VersionConflictError
	if !errors.As(err, &vc) || vc.StreamID != taken {
		t.Fatalf("error: got %v, want a version conflict on %s", err, taken)
	}
	events, version, err := store.Load(ctx, user)
	if err != nil {
		t.Fatal(err)
	}
	if version != 0 || len(events) != 0 {
		t.Errorf("first stream after the second conflicted: got version %d with %d events, want nothing written", version, len(events))
	}
	if got := readAll(t, store); len(got) != 1 {
		t.Errorf("log after a refused append: got %d events, want 1", len(got))
	}
}

// TestConcurrentWritersOneStream has writers race for the same stream with
// optimistic concurrency: each version must go to exactly one of them.
func TestConcurrentWritersOneStream(t *testing.T) {
	t.Parallel()
	store, _ := newStore(t)
	ctx := t.Context()
	const writers, perWriter = 8, 12
	const stream = "user-contended"

	type win struct {
		writer, n int
		version   int64 // the stream version this append took
		position  int64
	}
	var mu sync.Mutex
	var wins []win
	conflicts := 0
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for n := 0; n < perWriter; {
				_, version, err := store.Load(ctx, stream)
				if err != nil {
					t.Errorf("writer %d: load: %v", w, err)
					return
				}
				res, err := store.Append(ctx, testMeta, eventstore.Append{
					StreamID: stream, Expected: eventstore.Exactly(version), Events: []domain.Event{failedLogin(w, n)},
				})
				if errors.Is(err, eventstore.ErrVersionConflict) {
					mu.Lock()
					conflicts++
					mu.Unlock()
					continue
				}
				if err != nil {
					t.Errorf("writer %d: append: %v", w, err)
					return
				}
				mu.Lock()
				wins = append(wins, win{writer: w, n: n, version: version + 1, position: res.FirstPosition})
				mu.Unlock()
				n++
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	t.Logf("%d appends landed after %d conflicts", len(wins), conflicts)

	recs, err := store.ReadStream(ctx, stream)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != writers*perWriter {
		t.Fatalf("stream length: got %d, want %d", len(recs), writers*perWriter)
	}
	byVersion := map[int64]win{}
	for _, w := range wins {
		if other, dup := byVersion[w.version]; dup {
			t.Errorf("version %d was won by writer %d append %d and writer %d append %d", w.version, other.writer, other.n, w.writer, w.n)
		}
		byVersion[w.version] = w
	}
	for i, rec := range recs {
		v := int64(i + 1)
		if rec.StreamVersion != v {
			t.Errorf("event %d: got stream version %d, want %d", i, rec.StreamVersion, v)
		}
		w, ok := byVersion[v]
		if !ok {
			t.Errorf("version %d: no append reported winning it", v)
			continue
		}
		if want := failedLogin(w.writer, w.n); !reflect.DeepEqual(rec.Event, want) || rec.Position != w.position {
			t.Errorf("version %d: got %#v at position %d, want %#v at %d (what its winner appended)", v, rec.Event, rec.Position, want, w.position)
		}
	}
	for w := range writers {
		for n := range perWriter {
			want := failedLogin(w, n)
			count := 0
			for _, rec := range recs {
				if reflect.DeepEqual(rec.Event, want) {
					count++
				}
			}
			if count != 1 {
				t.Errorf("writer %d append %d: found %d times, want once", w, n, count)
			}
		}
	}
}

// TestConcurrentWritersGaplessCommitOrder has writers append to their own
// streams while a reader keeps reading the log: positions must be gapless,
// follow real time, and no read may see a position before the ones under it.
func TestConcurrentWritersGaplessCommitOrder(t *testing.T) {
	t.Parallel()
	store, _ := newStore(t)
	ctx := t.Context()
	const writers, perWriter = 8, 25

	type landed struct {
		started, returned time.Time
		first, last       int64
	}
	var mu sync.Mutex
	var appends []landed

	done := make(chan struct{})
	var reads, maxSeen int
	var readerWG sync.WaitGroup
	readerWG.Go(func() {
		prev := 0
		for {
			select {
			case <-done:
				return
			default:
			}
			raws, err := store.ReadRaw(ctx, 0, 1_000_000, "")
			if err != nil {
				t.Errorf("reader: %v", err)
				return
			}
			for i, r := range raws {
				if r.Position != int64(i+1) {
					t.Errorf("reader saw position %d at index %d of a read of %d: not a gapless prefix", r.Position, i, len(raws))
					return
				}
			}
			if len(raws) < prev {
				t.Errorf("reader: a read returned %d events after one returned %d", len(raws), prev)
				return
			}
			prev = len(raws)
			reads, maxSeen = reads+1, prev
		}
	})

	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			stream := domain.UserStream(fmt.Sprintf("w%d", w))
			for n := range perWriter {
				events := []domain.Event{failedLogin(w, n)}
				if n%3 == 0 { // some appends carry two events
					events = append(events, failedLogin(w, n+1000))
				}
				started := time.Now()
				res, err := store.Append(ctx, testMeta, eventstore.Append{StreamID: stream, Expected: eventstore.Any, Events: events})
				returned := time.Now()
				if err != nil {
					t.Errorf("writer %d: %v", w, err)
					return
				}
				if got := res.LastPosition - res.FirstPosition + 1; got != int64(len(events)) {
					t.Errorf("writer %d: got positions %d..%d for %d events", w, res.FirstPosition, res.LastPosition, len(events))
				}
				mu.Lock()
				appends = append(appends, landed{started: started, returned: returned, first: res.FirstPosition, last: res.LastPosition})
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(done)
	readerWG.Wait()
	if t.Failed() {
		return
	}
	t.Logf("reader made %d reads, the last seeing %d events", reads, maxSeen)

	// Every position taken by exactly one append, none missing.
	owner := map[int64]int{}
	var total int64
	for i, a := range appends {
		for p := a.first; p <= a.last; p++ {
			if j, dup := owner[p]; dup {
				t.Errorf("position %d returned to appends %d and %d", p, j, i)
			}
			owner[p] = i
		}
		total += a.last - a.first + 1
	}
	for p := int64(1); p <= total; p++ {
		if _, ok := owner[p]; !ok {
			t.Errorf("position %d was returned to no append", p)
		}
	}
	// An append that returned before another started committed first.
	slices.SortFunc(appends, func(a, b landed) int { return a.returned.Compare(b.returned) })
	for i, a := range appends {
		for _, b := range appends[i+1:] {
			if a.returned.Before(b.started) && a.last >= b.first {
				t.Errorf("append at %d..%d returned before append at %d..%d started", a.first, a.last, b.first, b.last)
			}
		}
	}

	recs := readAll(t, store)
	if int64(len(recs)) != total {
		t.Fatalf("log: got %d events, want %d", len(recs), total)
	}
	versions := map[string]int64{}
	for i, rec := range recs {
		if rec.Position != int64(i+1) {
			t.Fatalf("log index %d: got position %d, want %d", i, rec.Position, i+1)
		}
		if i > 0 && rec.RecordedAt.Before(recs[i-1].RecordedAt) {
			t.Errorf("position %d recorded at %v, before position %d at %v", rec.Position, rec.RecordedAt, i, recs[i-1].RecordedAt)
		}
		versions[rec.StreamID]++
		if rec.StreamVersion != versions[rec.StreamID] {
			t.Errorf("position %d: got %s@%d, want version %d", rec.Position, rec.StreamID, rec.StreamVersion, versions[rec.StreamID])
		}
	}
}

func TestAppendWakesOwnReaders(t *testing.T) {
	t.Parallel()
	store, _ := newStore(t)
	wake, stop := store.Wake()
	defer stop()
	mustAppend(t, store, eventstore.Append{StreamID: "user-a", Expected: eventstore.Any, Events: []domain.Event{failedLogin(0, 0)}})
	select {
	case <-wake:
	case <-time.After(5 * time.Second):
		t.Fatal("append did not wake this store's reader within 5s")
	}
}

// TestListenWakesOnOtherNodesAppend stands in two nodes with two stores on
// separate pools: the second one's append reaches the first by NOTIFY.
func TestListenWakesOnOtherNodesAppend(t *testing.T) {
	t.Parallel()
	store1, pool1 := newStore(t)
	pool2, err := pgxpool.New(t.Context(), pgtest.ConnString(t, pool1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool2.Close)
	store2 := eventstore.New(pool2, domain.Events(), slog.New(slog.DiscardHandler))

	wake, stop := store1.Wake()
	defer stop()
	ctx, cancel := context.WithCancel(t.Context())
	listening := make(chan struct{})
	go func() {
		defer close(listening)
		store1.Listen(ctx)
	}()
	defer func() {
		cancel()
		<-listening
	}()

	// Listen wakes readers once it holds the LISTEN.
	select {
	case <-wake:
	case <-time.After(10 * time.Second):
		t.Fatal("Listen did not wake readers on connecting within 10s")
	}
	select {
	case <-wake:
		t.Fatal("woken with no append")
	case <-time.After(100 * time.Millisecond):
	}
	if _, err := store2.Append(t.Context(), testMeta, eventstore.Append{StreamID: "user-a", Expected: eventstore.Any, Events: []domain.Event{failedLogin(0, 0)}}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-wake:
	case <-time.After(5 * time.Second):
		t.Fatal("another store's append did not wake this store's reader within 5s")
	}
}

func TestEventsAreAppendOnly(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		sql  string
	}{
		{name: "update", sql: `UPDATE events SET data = data || '{"reason":"tampered"}' WHERE position = 2`},
		{name: "update every row", sql: `UPDATE events SET recorded_at = recorded_at - interval '1 day'`},
		{name: "delete", sql: `DELETE FROM events WHERE position = 2`},
		{name: "delete every row", sql: `DELETE FROM events`},
		{name: "truncate", sql: `TRUNCATE events`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			store, pool := newStore(t)
			mustAppend(t, store, eventstore.Append{StreamID: "user-a", Expected: eventstore.NoStream, Events: []domain.Event{failedLogin(0, 1), failedLogin(0, 2), failedLogin(0, 3)}})
			before, err := store.ReadRaw(t.Context(), 0, 100, "")
			if err != nil {
				t.Fatal(err)
			}

			_, err = pool.Exec(t.Context(), tt.sql)
			if err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Fatalf("error: got %v, want the append-only refusal", err)
			}
			after, err := store.ReadRaw(t.Context(), 0, 100, "")
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(after, before) {
				t.Errorf("log changed: got %d rows %v, want %d rows %v", len(after), after, len(before), before)
			}
		})
	}
}

func TestExpectedVersionString(t *testing.T) {
	tests := []struct {
		name string
		v    eventstore.ExpectedVersion
		want string
	}{
		{name: "any", v: eventstore.Any, want: "any"},
		{name: "no stream", v: eventstore.NoStream, want: "no stream"},
		{name: "exactly", v: eventstore.Exactly(42), want: "42"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.v.String(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestReplayStreamsEverythingInOrder(t *testing.T) {
	t.Parallel()
	store, _ := newStore(t)
	ctx := t.Context()
	for i := range 600 { // more than one scan chunk
		id := fmt.Sprintf("u%d", i%7)
		if _, err := store.Append(ctx, testMeta, eventstore.Append{StreamID: domain.UserStream(id), Expected: eventstore.Any,
			Events: []domain.Event{domain.AdminGranted{UserID: id, Reason: strconv.Itoa(i)}}}); err != nil {
			t.Fatal(err)
		}
	}
	var got []int64
	err := store.Replay(ctx, 100, func(rec domain.Recorded) error {
		got = append(got, rec.Position)
		if g, ok := rec.Event.(domain.AdminGranted); !ok || g.Reason != strconv.FormatInt(rec.Position-1, 10) || rec.Metadata != testMeta {
			t.Fatalf("position %d: %+v", rec.Position, rec)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 500 || got[0] != 101 || got[499] != 600 {
		t.Fatalf("replayed %d events from %v to %v, want 101..600", len(got), got[0], got[len(got)-1])
	}
	for i := 1; i < len(got); i++ {
		if got[i] != got[i-1]+1 {
			t.Fatalf("out of order at %d: %d after %d", i, got[i], got[i-1])
		}
	}
	stop := errors.New("stop")
	n := 0
	err = store.Replay(ctx, 0, func(domain.Recorded) error {
		if n++; n == 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 3 {
		t.Errorf("Replay after fn failed: %v after %d events, want stop after 3", err, n)
	}
}
