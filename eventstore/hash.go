package eventstore

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// genesis is the hash before the first event.
var genesis = make([]byte, sha256.Size)

// RawEvent is a row of the log exactly as stored, undecoded.
type RawEvent struct {
	Position      int64
	StreamID      string
	StreamVersion int64
	Type          string
	SchemaVersion int
	Data          json.RawMessage
	Metadata      json.RawMessage
	RecordedAt    time.Time
	Hash          []byte
}

// MarshalJSON writes the row as `audit export` does: every field the hash
// covers, the time at the precision hashed and the hash in hex, so that an
// auditor can recompute the chain from the export alone.
func (e RawEvent) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Position      int64           `json:"position"`
		StreamID      string          `json:"streamId"`
		StreamVersion int64           `json:"streamVersion"`
		Type          string          `json:"type"`
		SchemaVersion int             `json:"schemaVersion"`
		Data          json.RawMessage `json:"data"`
		Metadata      json.RawMessage `json:"metadata"`
		RecordedAt    string          `json:"recordedAt"`
		Hash          string          `json:"hash"`
	}{e.Position, e.StreamID, e.StreamVersion, e.Type, e.SchemaVersion, e.Data, e.Metadata,
		e.RecordedAt.UTC().Format(recordedAtLayout), hex.EncodeToString(e.Hash)})
}

// chainHash is sha256(prev || canonical row). The row is written as
// length-prefixed fields so that no two rows share an encoding, and its JSON
// in canonical form (keys sorted, no insignificant space, numbers as
// written) so that the hash survives jsonb's own normalisation.
func chainHash(prev []byte, e RawEvent) ([]byte, error) {
	data, err := canonicalJSON(e.Data)
	if err != nil {
		return nil, fmt.Errorf("canonical data at position %d: %w", e.Position, err)
	}
	meta, err := canonicalJSON(e.Metadata)
	if err != nil {
		return nil, fmt.Errorf("canonical metadata at position %d: %w", e.Position, err)
	}
	h := sha256.New()
	h.Write(prev)
	var num [binary.MaxVarintLen64]byte
	field := func(b []byte) {
		h.Write(num[:binary.PutUvarint(num[:], uint64(len(b)))])
		h.Write(b)
	}
	field(binary.AppendVarint(nil, e.Position))
	field([]byte(e.StreamID))
	field(binary.AppendVarint(nil, e.StreamVersion))
	field([]byte(e.Type))
	field(binary.AppendVarint(nil, int64(e.SchemaVersion)))
	field(data)
	field(meta)
	field([]byte(e.RecordedAt.UTC().Format(recordedAtLayout)))
	return h.Sum(nil), nil
}

// recordedAtLayout has microseconds, Postgres' timestamp precision.
const recordedAtLayout = "2006-01-02T15:04:05.000000Z"

// canonicalJSON re-encodes a JSON document with sorted keys. Numbers keep
// their text (UseNumber): events hold integers and strings, which jsonb
// stores and prints back unchanged.
func canonicalJSON(doc []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return json.Marshal(v)
}
