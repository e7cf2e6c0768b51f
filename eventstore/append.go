package eventstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/authportal/authportal/domain"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// appendLockKey is the advisory lock every append holds until it commits.
// Holding it across the whole transaction is what makes positions gapless and
// commit-ordered.
const appendLockKey = 0x4150_6c67 // "APlg"

// NotifyChannel is the LISTEN/NOTIFY channel that carries the new head.
const NotifyChannel = "authportal_events"

// Append is the events for one stream, with the version the caller expects.
type Append struct {
	StreamID string
	Expected ExpectedVersion
	Events   []domain.Event
}

// Result is where an append landed in the log.
type Result struct {
	FirstPosition int64
	LastPosition  int64
}

// Append writes the events of every stream in appends, in order, in one
// transaction: all land or none does. meta is recorded with each event.
// When a stream is not at its expected version nothing is written and the
// error wraps ErrVersionConflict.
func (s *Store) Append(ctx context.Context, meta domain.Metadata, appends ...Append) (Result, error) {
	metaJSON, err := json.Marshal(meta)
	if err != nil {
		return Result{}, fmt.Errorf("eventstore: encode metadata: %w", err)
	}
	type encoded struct {
		stream string
		event  domain.Event
		data   []byte
	}
	var rows []encoded
	streams := make([]string, 0, len(appends))
	for _, a := range appends {
		if a.StreamID == "" {
			return Result{}, errors.New("eventstore: append to an empty stream id")
		}
		streams = append(streams, a.StreamID)
		for _, e := range a.Events {
			data, err := domain.Encode(e)
			if err != nil {
				return Result{}, err
			}
			rows = append(rows, encoded{a.StreamID, e, data})
		}
	}
	if len(rows) == 0 {
		return Result{}, errors.New("eventstore: append of no events")
	}

	var res Result
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// One round trip: the lock, then (under it) the head, the streams'
		// versions and the clock. The log's clock, not this node's, so that
		// recorded times never run backwards between nodes.
		b := &pgx.Batch{}
		b.Queue(`SELECT pg_advisory_xact_lock($1)`, appendLockKey)
		b.Queue(`SELECT position, hash FROM events ORDER BY position DESC LIMIT 1`)
		b.Queue(`SELECT stream_id, max(stream_version) FROM events WHERE stream_id = ANY($1) GROUP BY stream_id`, streams)
		b.Queue(`SELECT clock_timestamp()`)
		br := tx.SendBatch(ctx, b)
		if _, err := br.Exec(); err != nil {
			return errors.Join(fmt.Errorf("take append lock: %w", err), br.Close())
		}
		head, prev := int64(0), genesis
		if err := br.QueryRow().Scan(&head, &prev); err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return errors.Join(fmt.Errorf("read head: %w", err), br.Close())
		}
		versions := map[string]int64{}
		vrows, err := br.Query()
		if err != nil {
			return errors.Join(fmt.Errorf("read stream versions: %w", err), br.Close())
		}
		for vrows.Next() {
			var id string
			var v int64
			if err := vrows.Scan(&id, &v); err != nil {
				vrows.Close()
				return errors.Join(fmt.Errorf("read stream versions: %w", err), br.Close())
			}
			versions[id] = v
		}
		vrows.Close()
		var now time.Time
		if err := br.QueryRow().Scan(&now); err != nil {
			return errors.Join(fmt.Errorf("read clock: %w", err), br.Close())
		}
		if err := br.Close(); err != nil {
			return err
		}
		for _, a := range appends {
			if actual := versions[a.StreamID]; a.Expected != Any && int64(a.Expected) != actual {
				return &VersionConflictError{StreamID: a.StreamID, Expected: a.Expected, Actual: actual}
			}
		}

		now = now.UTC().Truncate(time.Microsecond)
		ins := &pgx.Batch{}
		pos := head
		for _, r := range rows {
			pos++
			versions[r.stream]++
			raw := RawEvent{
				Position: pos, StreamID: r.stream, StreamVersion: versions[r.stream],
				Type: r.event.EventType(), SchemaVersion: r.event.SchemaVersion(),
				Data: r.data, Metadata: metaJSON, RecordedAt: now,
			}
			hash, err := chainHash(prev, raw)
			if err != nil {
				return err
			}
			ins.Queue(`INSERT INTO events (position, stream_id, stream_version, event_type, schema_version, data, metadata, recorded_at, hash)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
				raw.Position, raw.StreamID, raw.StreamVersion, raw.Type, raw.SchemaVersion, string(raw.Data), string(raw.Metadata), raw.RecordedAt, hash)
			prev = hash
		}
		ins.Queue(`SELECT pg_notify($1, $2)`, NotifyChannel, strconv.FormatInt(pos, 10))
		if err := tx.SendBatch(ctx, ins).Close(); err != nil {
			return fmt.Errorf("insert events: %w", err)
		}
		res = Result{FirstPosition: head + 1, LastPosition: pos}
		return nil
	})
	if err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23505" {
			// The unique (stream, version) guard caught what the check above
			// would have, had the lock been bypassed.
			return Result{}, fmt.Errorf("eventstore: append: %w", ErrVersionConflict)
		}
		if errors.Is(err, ErrVersionConflict) {
			return Result{}, err
		}
		return Result{}, fmt.Errorf("eventstore: append: %w", classify(err))
	}
	s.headMoved(res.LastPosition)
	return res, nil
}
