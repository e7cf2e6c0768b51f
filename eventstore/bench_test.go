package eventstore_test

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
	"github.com/jackc/pgx/v5"
)

// BenchmarkAppend measures one event per append, each to a new stream with
// NoStream expected: what a sign-up's claim costs. Compare with
// BenchmarkPlainInsert for the price of the lock, the version check and the
// hash chain.
func BenchmarkAppend(b *testing.B) {
	store, _ := newStore(b)
	ctx := b.Context()
	for i := 0; b.Loop(); i++ {
		name := "bench" + strconv.Itoa(i)
		_, err := store.Append(ctx, testMeta, eventstore.Append{
			StreamID: domain.UsernameStream(name), Expected: eventstore.NoStream,
			Events: []domain.Event{domain.UsernameClaimed{Username: name, UserID: "01JPDQ6V7C9M2X4T8R5K3H1NWA"}},
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "appends/s")
}

// BenchmarkPlainInsert is the floor BenchmarkAppend is measured against:
// one transaction inserting one row into a table shaped like events
// (same columns, primary key and unique constraint) with no triggers.
func BenchmarkPlainInsert(b *testing.B) {
	_, pool := newStore(b)
	ctx := b.Context()
	// LIKE copies columns, defaults, checks, the primary key and the unique
	// constraint; never triggers.
	if _, err := pool.Exec(ctx, `CREATE TABLE bench_events (LIKE events INCLUDING ALL)`); err != nil {
		b.Fatal(err)
	}
	data, err := domain.Encode(domain.UsernameClaimed{Username: "bench", UserID: "01JPDQ6V7C9M2X4T8R5K3H1NWA"})
	if err != nil {
		b.Fatal(err)
	}
	meta := `{"actor":"01JPDQ6V7C9M2X4T8R5K3H1NWA","actorKind":"user","clientIp":"203.0.113.7"}`
	hash := make([]byte, 32)
	for i := 0; b.Loop(); i++ {
		err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO bench_events (position, stream_id, stream_version, event_type, schema_version, data, metadata, recorded_at, hash)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
				int64(i+1), "username-bench"+strconv.Itoa(i), int64(1), domain.TypeUsernameClaimed, 1, string(data), meta, time.Now(), hash)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "inserts/s")
}

// BenchmarkReplay folds a 100,000-event log with Store.Replay, decoding
// every event and folding the users. The log is filled 1000 events per
// append, so consecutive events share their metadata (as the events of one
// append do) and the metadata cache hits; BenchmarkReplayDistinctMetadata
// is the worst case.
func BenchmarkReplay(b *testing.B) {
	store, _ := newStore(b)
	fillForReplay(b, store)
	benchmarkReplay(b, store)
}

// BenchmarkReplayDistinctMetadata is BenchmarkReplay with every event's
// metadata different (the chain is broken by the rewrite, which replay does
// not check).
func BenchmarkReplayDistinctMetadata(b *testing.B) {
	store, pool := newStore(b)
	fillForReplay(b, store)
	if _, err := pool.Exec(b.Context(), `ALTER TABLE events DISABLE TRIGGER USER;
		UPDATE events SET metadata = jsonb_set(metadata, '{requestId}', to_jsonb('req-' || position))`); err != nil {
		b.Fatal(err)
	}
	benchmarkReplay(b, store)
}

const replayUsers, replayPerUser = 10_000, 10

func fillForReplay(b *testing.B, store *eventstore.Store) {
	b.Helper()
	ctx := b.Context()
	var pending []eventstore.Append
	for u := range replayUsers {
		id := fmt.Sprintf("01JPDQ%020d", u)
		pending = append(pending, eventstore.Append{StreamID: domain.UserStream(id), Expected: eventstore.NoStream, Events: []domain.Event{
			domain.UserRegistered{UserID: id, Username: "user" + strconv.Itoa(u), Email: "user" + strconv.Itoa(u) + "@example.com", Provider: "local", AccessGranted: true},
			domain.LoginSucceeded{UserID: id, Provider: "local", SessionID: id + "-s1"},
			domain.TOTPEnrollmentStarted{UserID: id, Secret: "v1.sealed-secret-" + id},
			domain.TOTPEnabled{UserID: id, RecoveryCodes: []string{"sha256:aa", "sha256:bb", "sha256:cc"}, Step: 58052871},
			domain.LoginSucceeded{UserID: id, Provider: "local", SessionID: id + "-s2"},
			domain.TOTPUsed{UserID: id, Step: 58052874, SessionID: id + "-s2"},
			domain.LoginFailed{UserID: id, Username: "user" + strconv.Itoa(u), Provider: "local", Reason: "bad_password"},
			domain.MFAChallengeFailed{UserID: id, SessionID: id + "-s3", Reason: "invalid"},
			domain.RecoveryCodeUsed{UserID: id, Index: 1, SessionID: id + "-s3"},
			domain.SessionsRevoked{UserID: id, Epoch: 1, Reason: "admin_changed"},
		}})
		if len(pending) == 100 {
			if _, err := store.Append(ctx, testMeta, pending...); err != nil {
				b.Fatal(err)
			}
			pending = nil
		}
	}
}

func benchmarkReplay(b *testing.B, store *eventstore.Store) {
	const total = replayUsers * replayPerUser
	for b.Loop() {
		folded := map[string]*domain.User{}
		byType := map[string]int{}
		n := 0
		err := store.Replay(b.Context(), 0, func(rec domain.Recorded) error {
			u := folded[rec.StreamID]
			if u == nil {
				u = &domain.User{}
				folded[rec.StreamID] = u
			}
			u.Apply(rec.Event)
			byType[rec.Type]++
			n++
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		if n != total || len(folded) != replayUsers || byType[domain.TypeLoginSucceeded] != 2*replayUsers {
			b.Fatalf("replay: got %d events of %d streams, %d sign-ins, want %d of %d, %d", n, len(folded), byType[domain.TypeLoginSucceeded], total, replayUsers, 2*replayUsers)
		}
	}
	b.ReportMetric(float64(total*b.N)/b.Elapsed().Seconds(), "events/s")
}
