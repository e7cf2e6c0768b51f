package eventstore_test

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// fillLog appends n events over new streams, a few users' sign-ups and
// sign-ins per append.
func fillLog(t testing.TB, store *eventstore.Store, n int) {
	t.Helper()
	expires := time.Date(2025, 3, 14, 21, 0, 0, 0, time.UTC)
	base := head(t, store) // streams are named after it, so each call's are new
	var pending []eventstore.Append
	written := 0
	for i := 0; written < n; i++ {
		uid, sid := fmt.Sprintf("u%d-%d", base, i), fmt.Sprintf("s%d-%d", base, i)
		events := []domain.Event{
			domain.UserRegistered{UserID: uid, Username: "user" + uid, Email: uid + "@example.com", Provider: "local", AccessGranted: i%2 == 0},
			domain.LoginSucceeded{UserID: uid, Provider: "local", SessionID: sid},
			domain.LoginFailed{UserID: uid, Username: "user" + uid, Provider: "local", Reason: "bad_password"},
		}
		events = events[:min(len(events), n-written)]
		pending = append(pending, eventstore.Append{StreamID: domain.UserStream(uid), Expected: eventstore.NoStream, Events: events})
		written += len(events)
		if written < n {
			pending = append(pending, eventstore.Append{StreamID: domain.SessionStream(sid), Expected: eventstore.NoStream, Events: []domain.Event{
				domain.SessionStarted{SessionID: sid, UserID: uid, Kind: domain.SessionFull, Provider: "local", ExpiresAt: expires},
			}})
			written++
		}
		if len(pending) == 8 || written == n {
			mustAppend(t, store, pending...)
			pending = nil
		}
	}
}

// rawAt returns the stored row at position.
func rawAt(t testing.TB, store *eventstore.Store, position int64) eventstore.RawEvent {
	t.Helper()
	raws, err := store.ReadRaw(t.Context(), position-1, 1, "")
	if err != nil || len(raws) != 1 || raws[0].Position != position {
		t.Fatalf("read position %d: got %v, %v", position, raws, err)
	}
	return raws[0]
}

func TestVerifyIntactLog(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		events int
	}{
		{name: "empty"},
		{name: "one batch", events: 23},
		{name: "more than one read batch", events: 5003}, // Verify reads 5000 rows at a time
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			store, _ := newStore(t)
			if tt.events > 0 {
				fillLog(t, store, tt.events)
			}
			v, err := store.Verify(t.Context())
			if err != nil {
				t.Fatalf("verify: got error %v, want none", err)
			}
			if v.Checked != int64(tt.events) || v.Head != int64(tt.events) {
				t.Errorf("verify: got checked %d head %d, want %d and %d", v.Checked, v.Head, tt.events, tt.events)
			}
			if tt.events == 0 {
				return
			}
			if want := hex.EncodeToString(rawAt(t, store, int64(tt.events)).Hash); v.HeadHash != want {
				t.Errorf("head hash: got %s, want %s (the last row's)", v.HeadHash, want)
			}
		})
	}
}

// tamper runs statements as the table's owner would, triggers off.
func tamper(t testing.TB, pool *pgxpool.Pool, statements ...string) {
	t.Helper()
	err := pgx.BeginFunc(t.Context(), pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(t.Context(), `ALTER TABLE events DISABLE TRIGGER USER`); err != nil {
			return err
		}
		for _, sql := range statements {
			if _, err := tx.Exec(t.Context(), sql); err != nil {
				return fmt.Errorf("%s: %w", sql, err)
			}
		}
		_, err := tx.Exec(t.Context(), `ALTER TABLE events ENABLE TRIGGER USER`)
		return err
	})
	if err != nil {
		t.Fatalf("tamper: %v", err)
	}
}

func TestVerifyFindsTampering(t *testing.T) {
	t.Parallel()
	const events = 20
	tests := []struct {
		name  string
		sql   []string
		first int64 // the first tampered position
	}{
		{
			name:  "changed data",
			sql:   []string{`UPDATE events SET data = jsonb_set(data, '{provider}', '"plex"') WHERE position = 7`},
			first: 7,
		},
		{
			name:  "changed data, hash recomputed without the chain",
			sql:   []string{`UPDATE events SET data = data || '{"accessGranted":true}', hash = sha256(data::text::bytea) WHERE position = 9`},
			first: 9,
		},
		{
			name:  "changed metadata",
			sql:   []string{`UPDATE events SET metadata = jsonb_set(metadata, '{clientIp}', '"198.51.100.1"') WHERE position = 12`},
			first: 12,
		},
		{
			name:  "changed time",
			sql:   []string{`UPDATE events SET recorded_at = recorded_at - interval '1 second' WHERE position = 15`},
			first: 15,
		},
		{
			name:  "deleted in the middle",
			sql:   []string{`DELETE FROM events WHERE position = 11`},
			first: 11,
		},
		{
			name:  "deleted the first",
			sql:   []string{`DELETE FROM events WHERE position = 1`},
			first: 1,
		},
		{
			// Rows 5 and 10 are events of two users' streams. Their
			// contents trade places; positions and hashes stay.
			name: "swapped rows",
			sql: []string{
				`CREATE TEMP TABLE swap AS SELECT position, stream_id, stream_version, event_type, data FROM events WHERE position IN (5, 10)`,
				`UPDATE events SET stream_id = 'swap-in-progress' WHERE position = 5`,
				`UPDATE events e SET stream_id = s.stream_id, stream_version = s.stream_version, event_type = s.event_type, data = s.data
					FROM swap s WHERE e.position = 10 AND s.position = 5`,
				`UPDATE events e SET stream_id = s.stream_id, stream_version = s.stream_version, event_type = s.event_type, data = s.data
					FROM swap s WHERE e.position = 5 AND s.position = 10`,
			},
			first: 5,
		},
		{
			name: "swapped hashes too",
			sql: []string{
				`UPDATE events e SET data = o.data, event_type = o.event_type, hash = o.hash
					FROM events o WHERE (e.position, o.position) IN ((6, 7), (7, 6))`,
			},
			first: 6,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			store, pool := newStore(t)
			fillLog(t, store, events)
			if _, err := store.Verify(t.Context()); err != nil {
				t.Fatalf("verify before tampering: got error %v, want none", err)
			}

			tamper(t, pool, tt.sql...)
			v, err := store.Verify(t.Context())
			if !errors.Is(err, eventstore.ErrChainBroken) {
				t.Fatalf("verify: got %+v, error %v, want ErrChainBroken", v, err)
			}
			var ce *eventstore.ChainError
			if !errors.As(err, &ce) {
				t.Fatalf("verify: got error %T %v, want a *ChainError", err, err)
			}
			if ce.Position != tt.first {
				t.Errorf("chain error at position %d (%s), want %d", ce.Position, ce.Reason, tt.first)
			}
			if v.Checked != tt.first-1 {
				t.Errorf("checked: got %d, want %d (the rows before the tampered one)", v.Checked, tt.first-1)
			}
		})
	}
}

func TestVerifyAnchor(t *testing.T) {
	t.Parallel()
	store, pool := newStore(t)
	fillLog(t, store, 20)
	v, err := store.Verify(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	mid := hex.EncodeToString(rawAt(t, store, 8).Hash)

	// Cutting the log short leaves a valid, shorter chain: only the anchor
	// recorded before sees it.
	tamper(t, pool, `DELETE FROM events WHERE position > 17`)
	after, err := store.Verify(t.Context())
	if err != nil || after.Checked != 17 {
		t.Fatalf("verify the cut log: got %+v, %v, want 17 checked and no error", after, err)
	}

	tests := []struct {
		name     string
		position int64
		hash     string
		ok       bool
	}{
		{name: "kept event", position: 8, hash: mid, ok: true},
		{name: "kept event, other hash", position: 8, hash: v.HeadHash},
		{name: "kept event, malformed hash", position: 8, hash: "not hex"},
		{name: "cut off head", position: v.Head, hash: v.HeadHash},
		{name: "never written", position: 1000, hash: v.HeadHash},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := store.VerifyAnchor(t.Context(), tt.position, tt.hash)
			if tt.ok {
				if err != nil {
					t.Errorf("got error %v, want none", err)
				}
				return
			}
			var ce *eventstore.ChainError
			if !errors.As(err, &ce) || !errors.Is(err, eventstore.ErrChainBroken) {
				t.Fatalf("got error %v, want a *ChainError wrapping ErrChainBroken", err)
			}
			if ce.Position != tt.position {
				t.Errorf("chain error at %d, want %d", ce.Position, tt.position)
			}
		})
	}
}

// The database computes each hash (append_events) and Go recomputes it to
// verify: they must agree on text that JSON and jsonb treat specially.
func TestVerifyAgreesWithTheDatabaseOnAwkwardText(t *testing.T) {
	t.Parallel()
	store, _ := newStore(t)
	names := []string{"ümlaut", `quote " and \ backslash`, "emoji 🔑", "<script>&amp;", "tab\tnew\nline", "\u2028\u202e", strings.Repeat("long", 500)}
	meta := domain.Metadata{Actor: "ü 🔑", ActorKind: domain.ActorAnonymous, UserAgent: "Mozilla/5.0 \"quoted\" <x>"}
	for i, name := range names {
		if _, err := store.Append(t.Context(), meta, eventstore.Append{StreamID: domain.LoginAttemptsStream, Expected: eventstore.Any,
			Events: []domain.Event{domain.LoginFailed{Username: name, Provider: "local", Reason: strconv.Itoa(i)}}}); err != nil {
			t.Fatal(err)
		}
	}
	v, err := store.Verify(t.Context())
	if err != nil || v.Checked != int64(len(names)) {
		t.Fatalf("Verify = %+v, %v; want %d events checked", v, err, len(names))
	}
}
