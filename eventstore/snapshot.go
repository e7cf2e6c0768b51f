package eventstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Snapshot is an aggregate's state folded up to Version of its stream, in
// the shape its Schema names. Snapshots are a cache beside the log: losing
// one costs a longer load, never a wrong decision, as long as the fold that
// reads it bumps Schema whenever the state's meaning changes.
type Snapshot struct {
	Version int64
	Schema  int
	Data    json.RawMessage
}

// LoadSnapshot returns the stream's snapshot, if one was saved.
func (s *Store) LoadSnapshot(ctx context.Context, streamID string) (Snapshot, bool, error) {
	var snap Snapshot
	var data []byte
	err := s.pool.QueryRow(ctx, `SELECT version, schema, data::text FROM snapshots WHERE stream_id = $1`, streamID).
		Scan(&snap.Version, &snap.Schema, &data)
	if errors.Is(err, pgx.ErrNoRows) {
		return Snapshot{}, false, nil
	}
	if err != nil {
		return Snapshot{}, false, fmt.Errorf("eventstore: load snapshot of %s: %w", streamID, classify(err))
	}
	snap.Data = data
	return snap, true, nil
}

// SaveSnapshot keeps snap for streamID unless a newer one is already there:
// two nodes saving at once leave the later version. It is best effort: a
// snapshot is a cache, so a failure is logged and the next load takes one.
func (s *Store) SaveSnapshot(ctx context.Context, streamID string, snap Snapshot) {
	_, err := s.pool.Exec(ctx, `INSERT INTO snapshots (stream_id, version, schema, data) VALUES ($1, $2, $3, $4)
		ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version, schema = excluded.schema, data = excluded.data, taken_at = now()
		WHERE snapshots.version < excluded.version OR snapshots.schema <> excluded.schema`,
		streamID, snap.Version, snap.Schema, string(snap.Data))
	if err != nil {
		s.logger.WarnContext(ctx, "snapshot not saved", "stream", streamID, "version", snap.Version, "err", classify(err))
	}
}
