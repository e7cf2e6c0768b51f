package eventstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/authportal/authportal/domain"
	"github.com/jackc/pgx/v5/pgconn"
)

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
//
// The whole append is one statement, append_events (migrations/
// 003_append_function.sql), and so one round trip: it takes the append
// lock, checks the versions, numbers and chains the rows and notifies.
func (s *Store) Append(ctx context.Context, meta domain.Metadata, appends ...Append) (Result, error) {
	metaJSON, err := json.Marshal(meta)
	if err != nil {
		return Result{}, fmt.Errorf("eventstore: encode metadata: %w", err)
	}
	var streams, eventStreams, types, data []string
	var expected []int64
	var schemas []int32
	for _, a := range appends {
		if a.StreamID == "" {
			return Result{}, errors.New("eventstore: append to an empty stream id")
		}
		streams, expected = append(streams, a.StreamID), append(expected, int64(a.Expected))
		for _, e := range a.Events {
			encoded, err := domain.Encode(e)
			if err != nil {
				return Result{}, err
			}
			eventStreams, types = append(eventStreams, a.StreamID), append(types, e.EventType())
			schemas, data = append(schemas, int32(e.SchemaVersion())), append(data, string(encoded))
		}
	}
	if len(types) == 0 {
		return Result{}, errors.New("eventstore: append of no events")
	}

	var res Result
	err = s.pool.QueryRow(ctx, `SELECT first_position, last_position FROM append_events($1, $2, $3, $4, $5, $6, $7)`,
		streams, expected, eventStreams, types, schemas, data, string(metaJSON)).Scan(&res.FirstPosition, &res.LastPosition)
	if err != nil {
		return Result{}, appendError(err)
	}
	s.headMoved()
	return res, nil
}

// appendError maps what append_events raised.
func appendError(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "AP409": // the version check in append_events
			var d struct {
				Stream   string `json:"stream"`
				Expected int64  `json:"expected"`
				Actual   int64  `json:"actual"`
			}
			if json.Unmarshal([]byte(pgErr.Detail), &d) == nil {
				return &VersionConflictError{StreamID: d.Stream, Expected: ExpectedVersion(d.Expected), Actual: d.Actual}
			}
			return fmt.Errorf("eventstore: append: %w", ErrVersionConflict)
		case "23505":
			// The unique (stream, version) guard caught what the check
			// would have, had the lock been bypassed.
			return fmt.Errorf("eventstore: append: %w", ErrVersionConflict)
		}
	}
	return fmt.Errorf("eventstore: append: %w", classify(err))
}
