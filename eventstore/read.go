package eventstore

import (
	"bytes"
	"context"
	"fmt"

	"github.com/authportal/authportal/domain"
	gojson "github.com/goccy/go-json"
	"github.com/jackc/pgx/v5"
)

const rawColumns = `position, stream_id, stream_version, event_type, schema_version, data::text, metadata::text, recorded_at, hash`

// scanRow reads one row selected with rawColumns.
func scanRow(rows pgx.Rows) (RawEvent, error) {
	var e RawEvent
	err := rows.Scan(&e.Position, &e.StreamID, &e.StreamVersion, &e.Type, &e.SchemaVersion, &e.Data, &e.Metadata, &e.RecordedAt, &e.Hash)
	return e, err
}

func scanRaw(rows pgx.Rows) ([]RawEvent, error) {
	defer rows.Close()
	var out []RawEvent
	for rows.Next() {
		e, err := scanRow(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// Querier is what reads run on: the pool, or a caller's transaction.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// ReadRaw returns up to limit stored rows after position after, in order;
// when stream is not empty, only that stream's.
func (s *Store) ReadRaw(ctx context.Context, after int64, limit int, stream string) ([]RawEvent, error) {
	return s.readRaw(ctx, s.pool, after, limit, stream)
}

func (s *Store) readRaw(ctx context.Context, q Querier, after int64, limit int, stream string) ([]RawEvent, error) {
	var rows pgx.Rows
	var err error
	if stream == "" {
		rows, err = q.Query(ctx, `SELECT `+rawColumns+` FROM events WHERE position > $1 ORDER BY position LIMIT $2`, after, limit)
	} else {
		rows, err = q.Query(ctx, `SELECT `+rawColumns+` FROM events WHERE stream_id = $3 AND position > $1 ORDER BY position LIMIT $2`, after, limit, stream)
	}
	if err != nil {
		return nil, fmt.Errorf("eventstore: read after %d: %w", after, classify(err))
	}
	out, err := scanRaw(rows)
	if err != nil {
		return nil, fmt.Errorf("eventstore: read after %d: %w", after, classify(err))
	}
	return out, nil
}

// Decode turns a stored row into a recorded event at its current schema.
func (s *Store) Decode(raw RawEvent) (domain.Recorded, error) {
	return s.decode(raw, &metaCache{})
}

// metaCache remembers the last metadata decoded: every event of one append
// carries the same metadata, so a reader in position order decodes it once.
type metaCache struct {
	raw  []byte
	meta domain.Metadata
}

func (s *Store) decode(raw RawEvent, cache *metaCache) (domain.Recorded, error) {
	e, err := s.registry.Decode(raw.Type, raw.SchemaVersion, raw.Data)
	if err != nil {
		return domain.Recorded{}, fmt.Errorf("eventstore: position %d: %w", raw.Position, err)
	}
	if cache.raw == nil || !bytes.Equal(cache.raw, raw.Metadata) {
		var meta domain.Metadata
		if err := gojson.Unmarshal(raw.Metadata, &meta); err != nil { // see domain.strictUnmarshal on why goccy
			return domain.Recorded{}, fmt.Errorf("eventstore: position %d: metadata: %w", raw.Position, err)
		}
		cache.raw, cache.meta = raw.Metadata, meta
	}
	meta := cache.meta
	return domain.Recorded{
		Position: raw.Position, StreamID: raw.StreamID, StreamVersion: raw.StreamVersion,
		Type: raw.Type, SchemaVersion: raw.SchemaVersion, Event: e, Metadata: meta, RecordedAt: raw.RecordedAt,
	}, nil
}

// ReadAll returns up to limit decoded events after position after.
func (s *Store) ReadAll(ctx context.Context, after int64, limit int) ([]domain.Recorded, error) {
	return s.ReadAllIn(ctx, s.pool, after, limit)
}

// ReadAllIn is ReadAll on q, typically a transaction the caller holds: a
// caller that reads while holding a transaction must not wait for a second
// pooled connection, or enough such callers exhaust the pool and deadlock.
func (s *Store) ReadAllIn(ctx context.Context, q Querier, after int64, limit int) ([]domain.Recorded, error) {
	raws, err := s.readRaw(ctx, q, after, limit, "")
	if err != nil {
		return nil, err
	}
	return s.decodeAll(raws)
}

func (s *Store) decodeAll(raws []RawEvent) ([]domain.Recorded, error) {
	out := make([]domain.Recorded, len(raws))
	cache := &metaCache{}
	for i, raw := range raws {
		rec, err := s.decode(raw, cache)
		if err != nil {
			return nil, err
		}
		out[i] = rec
	}
	return out, nil
}

// ReadStream returns every event of one stream, in order.
func (s *Store) ReadStream(ctx context.Context, streamID string) ([]domain.Recorded, error) {
	return s.readStream(ctx, streamID, 0)
}

// readStream returns a stream's events after version after, in order.
func (s *Store) readStream(ctx context.Context, streamID string, after int64) ([]domain.Recorded, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+rawColumns+` FROM events WHERE stream_id = $1 AND stream_version > $2 ORDER BY stream_version`, streamID, after)
	if err != nil {
		return nil, fmt.Errorf("eventstore: read stream %s: %w", streamID, classify(err))
	}
	raws, err := scanRaw(rows)
	if err != nil {
		return nil, fmt.Errorf("eventstore: read stream %s: %w", streamID, classify(err))
	}
	return s.decodeAll(raws)
}

// Load returns a stream's events and its version (0 when it does not exist),
// the pair a command needs to decide and then append with expected version.
func (s *Store) Load(ctx context.Context, streamID string) ([]domain.Event, int64, error) {
	return s.LoadAfter(ctx, streamID, 0)
}

// LoadAfter is Load of the events after version after only (a snapshot's):
// the version returned is the stream's, or after when nothing follows it.
func (s *Store) LoadAfter(ctx context.Context, streamID string, after int64) ([]domain.Event, int64, error) {
	recs, err := s.readStream(ctx, streamID, after)
	if err != nil {
		return nil, 0, err
	}
	events := make([]domain.Event, len(recs))
	for i, r := range recs {
		events[i] = r.Event
	}
	version := after
	if n := len(recs); n > 0 {
		version = recs[n-1].StreamVersion
	}
	return events, version, nil
}

// Replay streams every event after position after, in order, to fn, in one
// query. Rows are scanned on one goroutine and decoded and folded on the
// caller's, so the two overlap (and the database sends rows meanwhile). It
// is for read-only folds (audits, in-memory models, benchmarks); fn must
// not use the store. fn's error stops it.
func (s *Store) Replay(ctx context.Context, after int64, fn func(domain.Recorded) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	const chunk = 256
	chunks := make(chan []RawEvent, 4)
	scanErr := make(chan error, 1)
	go func() {
		defer close(chunks)
		scanErr <- s.scanAll(ctx, after, chunk, chunks)
	}()
	cache := &metaCache{}
	for batch := range chunks {
		for _, raw := range batch {
			rec, err := s.decode(raw, cache)
			if err == nil {
				err = fn(rec)
			}
			if err != nil {
				cancel()
				for range chunks { // let the scanner finish and close
				}
				return err
			}
		}
	}
	return <-scanErr
}

// scanAll sends the rows after position after to out, size at a time.
func (s *Store) scanAll(ctx context.Context, after int64, size int, out chan<- []RawEvent) error {
	rows, err := s.pool.Query(ctx, `SELECT `+rawColumns+` FROM events WHERE position > $1 ORDER BY position`, after)
	if err != nil {
		return fmt.Errorf("eventstore: replay after %d: %w", after, classify(err))
	}
	defer rows.Close()
	batch := make([]RawEvent, 0, size)
	send := func() bool {
		select {
		case out <- batch:
			batch = make([]RawEvent, 0, size)
			return true
		case <-ctx.Done():
			return false
		}
	}
	for rows.Next() {
		raw, err := scanRow(rows)
		if err != nil {
			return fmt.Errorf("eventstore: replay: %w", err)
		}
		batch = append(batch, raw)
		if len(batch) == size && !send() {
			return context.Cause(ctx)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("eventstore: replay: %w", classify(err))
	}
	if len(batch) > 0 && !send() {
		return context.Cause(ctx)
	}
	return nil
}
