package eventstore_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/authportal/authportal/eventstore"
)

// FuzzMessageRaw feeds MessageRaw messages with arbitrary metadata, as a
// broker or a bug might hand them over: it must answer, never panic. A
// message NewMessage made from a row must give that row back.
func FuzzMessageRaw(f *testing.F) {
	f.Add("17", "user-01JPDQ6V7C9M2X4T8R5K3H1NWA", "3", "user.login_failed", "1", "2025-03-14T21:26:53.123456Z",
		`{"actor":"u1","actorKind":"user"}`, []byte(`{"userId":"u1","username":"ada","provider":"local","reason":"bad_password"}`), int64(1741987613123456))
	f.Add("", "", "", "", "", "", "", []byte(nil), int64(0))
	f.Add("-1", "s", "9223372036854775808", "t", "0x10", "2025-13-01T00:00:00Z", "{", []byte("not json"), int64(-62135596800000000))
	f.Add(" 1", "s", "+2", "t", "1e3", "2025-03-14T21:26:53+14:00", "null", []byte("{}"), int64(253402300799999999))

	f.Fuzz(func(t *testing.T, position, stream, streamVersion, typ, schemaVersion, recordedAt, eventMeta string, payload []byte, micros int64) {
		msg := message.NewMessage("fuzz", payload)
		msg.Metadata.Set(eventstore.MetaPosition, position)
		msg.Metadata.Set(eventstore.MetaStreamID, stream)
		msg.Metadata.Set(eventstore.MetaStreamVersion, streamVersion)
		msg.Metadata.Set(eventstore.MetaName, typ)
		msg.Metadata.Set(eventstore.MetaSchemaVersion, schemaVersion)
		msg.Metadata.Set(eventstore.MetaRecordedAt, recordedAt)
		msg.Metadata.Set(eventstore.MetaEventMetadata, eventMeta)
		if raw, err := eventstore.MessageRaw(msg); err == nil && (raw.StreamID != stream || raw.Type != typ) {
			t.Errorf("got stream %q type %q, want %q %q", raw.StreamID, raw.Type, stream, typ)
		}
		// A message without any metadata at all.
		if _, err := eventstore.MessageRaw(message.NewMessage("bare", payload)); err == nil {
			t.Error("message without metadata: got no error, want one")
		}

		// Round trip of a row as the store would have it: times within the
		// years RFC 3339 can write, at microsecond precision.
		const span = int64(253402300799999999 + 62135596800000000) // 0001-01-01 .. 9999-12-31, in µs
		at := time.UnixMicro(((micros%span)+span)%span - 62135596800000000).UTC()
		want := eventstore.RawEvent{
			Position: int64(len(position)) * micros, StreamID: stream, StreamVersion: int64(len(streamVersion)), Type: typ,
			SchemaVersion: len(schemaVersion) - 3, Data: payload, Metadata: []byte(eventMeta), RecordedAt: at,
		}
		got, err := eventstore.MessageRaw(eventstore.NewMessage(want))
		if err != nil {
			t.Fatalf("round trip of %+v: got error %v, want none", want, err)
		}
		if got.Position != want.Position || got.StreamID != want.StreamID || got.StreamVersion != want.StreamVersion ||
			got.Type != want.Type || got.SchemaVersion != want.SchemaVersion || !bytes.Equal(got.Data, want.Data) ||
			!bytes.Equal(got.Metadata, want.Metadata) || !got.RecordedAt.Equal(want.RecordedAt) {
			t.Errorf("round trip: got %+v, want %+v", got, want)
		}
	})
}
