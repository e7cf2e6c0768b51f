package eventstore

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"time"
)

// genesis is the hash before the first event.
var genesis = make([]byte, sha256.Size)

// RawEvent is a row of the log exactly as stored, undecoded. Data and
// Metadata are jsonb's own text form of the stored values.
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

// recordedAtLayout has microseconds, Postgres' timestamp precision.
const recordedAtLayout = "2006-01-02T15:04:05.000000Z"

// chainHash is sha256(prev || row), the row written as migrations/
// 003_append_function.sql defines it: integers big-endian, text fields
// prefixed by their length, data and metadata in jsonb's own text form (so
// the hash is over exactly what the database keeps, whatever jsonb did to
// the JSON it was given). The database computes it on append; this computes
// it again to verify.
func chainHash(prev []byte, e RawEvent) []byte {
	h := sha256.New()
	h.Write(prev)
	var n [8]byte
	field := func(b []byte) {
		binary.BigEndian.PutUint32(n[:4], uint32(len(b)))
		h.Write(n[:4])
		h.Write(b)
	}
	binary.BigEndian.PutUint64(n[:], uint64(e.Position))
	h.Write(n[:])
	field([]byte(e.StreamID))
	binary.BigEndian.PutUint64(n[:], uint64(e.StreamVersion))
	h.Write(n[:])
	field([]byte(e.Type))
	binary.BigEndian.PutUint32(n[:4], uint32(e.SchemaVersion))
	h.Write(n[:4])
	field(e.Data)
	field(e.Metadata)
	field([]byte(e.RecordedAt.UTC().Format(recordedAtLayout)))
	return h.Sum(nil)
}
