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

// encoded is one event ready to be written.
type encoded struct {
	stream string
	event  domain.Event
	data   []byte
}

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

	res, err := s.appendRows(ctx, streams, appends, rows, metaJSON)
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

// appendRows writes rows in one transaction, in two round trips: BEGIN,
// the lock and what must be read under it travel in one pipelined batch,
// the inserts, the notification and COMMIT in the next. The explicit
// transaction stays open between them on the one connection held.
func (s *Store) appendRows(ctx context.Context, streams []string, appends []Append, rows []encoded, metaJSON []byte) (res Result, err error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return Result{}, err
	}
	defer conn.Release()
	open := false
	defer func() {
		if open {
			// Roll back what the failed batch left; if even that fails the
			// connection is broken and the pool drops it on release.
			if _, rbErr := conn.Exec(context.WithoutCancel(ctx), "ROLLBACK"); rbErr != nil {
				err = errors.Join(err, rbErr)
			}
		}
	}()

	// Under the lock, in one statement: the head, the clock (the log's, not
	// this node's, so that recorded times never run backwards between
	// nodes) and each stream's version, read from the end of its index.
	b := &pgx.Batch{}
	b.Queue(`BEGIN`)
	b.Queue(`SELECT pg_advisory_xact_lock($1)`, appendLockKey)
	b.Queue(`SELECT h.position, h.hash, clock_timestamp(),
		ARRAY(SELECT coalesce((SELECT e.stream_version FROM events e WHERE e.stream_id = s.id ORDER BY e.stream_version DESC LIMIT 1), 0)
			FROM unnest($1::text[]) WITH ORDINALITY AS s(id, n) ORDER BY s.n)
		FROM (SELECT) AS one LEFT JOIN LATERAL (SELECT position, hash FROM events ORDER BY position DESC LIMIT 1) AS h ON true`, streams)
	open = true
	head, prev, versions, now, err := readUnderLock(conn.SendBatch(ctx, b), streams)
	if err != nil {
		return Result{}, err
	}
	for _, a := range appends {
		if actual := versions[a.StreamID]; a.Expected != Any && int64(a.Expected) != actual {
			return Result{}, &VersionConflictError{StreamID: a.StreamID, Expected: a.Expected, Actual: actual}
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
			return Result{}, err
		}
		ins.Queue(`INSERT INTO events (position, stream_id, stream_version, event_type, schema_version, data, metadata, recorded_at, hash)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			raw.Position, raw.StreamID, raw.StreamVersion, raw.Type, raw.SchemaVersion, string(raw.Data), string(raw.Metadata), raw.RecordedAt, hash)
		prev = hash
	}
	ins.Queue(`SELECT pg_notify($1, $2)`, NotifyChannel, strconv.FormatInt(pos, 10))
	ins.Queue(`COMMIT`)
	if err := conn.SendBatch(ctx, ins).Close(); err != nil {
		return Result{}, fmt.Errorf("insert events: %w", err)
	}
	open = false
	return Result{FirstPosition: head + 1, LastPosition: pos}, nil
}

// readUnderLock reads the results of the first batch of appendRows.
func readUnderLock(br pgx.BatchResults, streams []string) (head int64, prev []byte, versions map[string]int64, now time.Time, err error) {
	defer func() { err = errors.Join(err, br.Close()) }()
	if _, err := br.Exec(); err != nil {
		return 0, nil, nil, now, fmt.Errorf("begin: %w", err)
	}
	if _, err := br.Exec(); err != nil {
		return 0, nil, nil, now, fmt.Errorf("take append lock: %w", err)
	}
	var pos *int64
	var hash []byte
	var current []int64
	if err := br.QueryRow().Scan(&pos, &hash, &now, &current); err != nil {
		return 0, nil, nil, now, fmt.Errorf("read head and stream versions: %w", err)
	}
	if len(current) != len(streams) {
		return 0, nil, nil, now, fmt.Errorf("read stream versions: got %d for %d streams", len(current), len(streams))
	}
	prev = genesis
	if pos != nil {
		head, prev = *pos, hash
	}
	versions = make(map[string]int64, len(streams))
	for i, id := range streams {
		versions[id] = current[i]
	}
	return head, prev, versions, now, nil
}
