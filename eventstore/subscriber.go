package eventstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/authportal/authportal/domain"
)

// Message metadata keys set by the Subscriber.
const (
	MetaPosition      = "position"
	MetaStreamID      = "stream_id"
	MetaStreamVersion = "stream_version"
	MetaName          = "name" // the event type; the key watermill's cqrs marshaler dispatches on
	MetaSchemaVersion = "schema_version"
	MetaRecordedAt    = "recorded_at"
	MetaEventMetadata = "event_metadata" // the event's own metadata, as JSON
)

// SubscriberConfig configures a Subscriber.
type SubscriberConfig struct {
	// StartAfter returns the position a topic's consumer has already seen;
	// delivery starts after it. Required. Durable consumers read their
	// checkpoint here; in-memory ones return the position they loaded at.
	StartAfter func(ctx context.Context, topic string) (int64, error)
	// BatchSize is how many events are read at once. Default 500.
	BatchSize int
	// PollInterval bounds how long a new event can wait when a notification
	// was lost. Default 2s.
	PollInterval time.Duration
	// RetryBackoff is the first wait after a failed read of the log (half of
	// it after a nack), doubling on each failure. Default 100ms. A wake from
	// the store (an append, a reconnect) always cuts the wait short.
	RetryBackoff time.Duration
	// MaxRedeliveryBackoff caps the wait before a failed read is retried or
	// a nacked event is sent again. Default 10s.
	MaxRedeliveryBackoff time.Duration
}

func (c *SubscriberConfig) setDefaults() {
	if c.BatchSize == 0 {
		c.BatchSize = 500
	}
	if c.PollInterval == 0 {
		c.PollInterval = 2 * time.Second
	}
	if c.RetryBackoff == 0 {
		c.RetryBackoff = 100 * time.Millisecond
	}
	if c.MaxRedeliveryBackoff == 0 {
		c.MaxRedeliveryBackoff = 10 * time.Second
	}
}

// Subscriber is the log as a watermill message.Subscriber. A topic is a
// consumer's name: every topic sees every event, in position order, one at a
// time. The next event is sent only after the previous one is acked; a
// nacked event is sent again, with backoff, for as long as it takes. Nothing
// is ever skipped, so a handler that keeps failing holds its consumer still
// (and says so in its logs) rather than losing an event.
type Subscriber struct {
	store  *Store
	config SubscriberConfig

	mu     sync.Mutex
	closed bool
	close  chan struct{}
	wg     sync.WaitGroup
}

var _ message.Subscriber = (*Subscriber)(nil)

// NewSubscriber returns a subscriber over store.
func NewSubscriber(store *Store, config SubscriberConfig) (*Subscriber, error) {
	config.setDefaults()
	if store == nil || config.StartAfter == nil {
		return nil, errors.New("eventstore: subscriber needs a store and StartAfter")
	}
	return &Subscriber{store: store, config: config, close: make(chan struct{})}, nil
}

// Subscribe starts delivering the events after StartAfter(topic).
func (s *Subscriber) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errors.New("eventstore: subscriber is closed")
	}
	after, err := s.config.StartAfter(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("eventstore: start position of %s: %w", topic, err)
	}
	out := make(chan *message.Message)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(out)
		s.tail(ctx, topic, after, out)
	}()
	return out, nil
}

// Close ends every subscription and waits for them.
func (s *Subscriber) Close() error {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.close)
	}
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}

func (s *Subscriber) tail(ctx context.Context, topic string, after int64, out chan<- *message.Message) {
	ch, stop := s.store.Wake()
	defer stop()
	w := &wakeup{ch: ch}
	readBackoff := s.config.RetryBackoff
	for {
		batch, err := s.store.ReadRaw(ctx, after, s.config.BatchSize, "")
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			s.store.logger.Warn("consumer cannot read the log; retrying", "consumer", topic, "after", after, "retry_in", readBackoff, "err", err)
			if !s.sleep(ctx, 0, readBackoff, w) {
				return
			}
			readBackoff = min(readBackoff*2, s.config.MaxRedeliveryBackoff)
			continue
		}
		readBackoff = s.config.RetryBackoff
		for _, raw := range batch {
			if !s.deliver(ctx, topic, raw, out, w) {
				return
			}
			after = raw.Position
		}
		if len(batch) == s.config.BatchSize || w.taken() {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-s.close:
			return
		case <-w.ch:
		case <-time.After(s.config.PollInterval):
		}
	}
}

// wakeup is a tail's wake channel, remembering a signal that a backoff
// consumed so that the tail still reads again before it waits: the signal
// may have been an append the backoff's read did not see.
type wakeup struct {
	ch    <-chan struct{}
	woken bool
}

func (w *wakeup) taken() bool {
	woken := w.woken
	w.woken = false
	return woken
}

// deliver sends one event until it is acked; false means stop.
func (s *Subscriber) deliver(ctx context.Context, topic string, raw RawEvent, out chan<- *message.Message, w *wakeup) bool {
	backoff := s.config.RetryBackoff / 2
	for attempt := 1; ; attempt++ {
		msg := NewMessage(raw)
		msg.SetContext(ctx)
		select {
		case out <- msg:
		case <-ctx.Done():
			return false
		case <-s.close:
			return false
		}
		select {
		case <-msg.Acked():
			return true
		case <-msg.Nacked():
			s.store.logger.Warn("event not handled; will be redelivered", "consumer", topic, "position", raw.Position, "type", raw.Type, "attempt", attempt, "retry_in", backoff)
			// The floor keeps an event that fails for its own reasons from
			// being redelivered on every append of a busy log.
			if !s.sleep(ctx, min(backoff, s.config.RetryBackoff), backoff, w) {
				return false
			}
			backoff = min(backoff*2, s.config.MaxRedeliveryBackoff)
		case <-ctx.Done():
			return false
		case <-s.close:
			return false
		}
	}
}

// sleep waits d, or only floor when the store wakes its readers meanwhile:
// the head moved or the notification connection came back after an outage,
// and either way whatever failed (a read, a handler writing to the
// database) is worth trying again now rather than at the end of a backoff
// grown during the outage. False means stop.
func (s *Subscriber) sleep(ctx context.Context, floor, d time.Duration, w *wakeup) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	if floor > 0 {
		f := time.NewTimer(floor)
		defer f.Stop()
		select {
		case <-f.C:
		case <-t.C:
			return true
		case <-ctx.Done():
			return false
		case <-s.close:
			return false
		}
	}
	select {
	case <-t.C:
		return true
	case <-w.ch:
		w.woken = true
		return true
	case <-ctx.Done():
		return false
	case <-s.close:
		return false
	}
}

// NewMessage wraps a stored event as a watermill message. The payload is
// the event data; everything else travels in metadata, so the message can
// cross a broker and still be decoded with MessageRaw.
func NewMessage(raw RawEvent) *message.Message {
	msg := message.NewMessage("event-"+strconv.FormatInt(raw.Position, 10), message.Payload(raw.Data))
	msg.Metadata.Set(MetaPosition, strconv.FormatInt(raw.Position, 10))
	msg.Metadata.Set(MetaStreamID, raw.StreamID)
	msg.Metadata.Set(MetaStreamVersion, strconv.FormatInt(raw.StreamVersion, 10))
	msg.Metadata.Set(MetaName, raw.Type)
	msg.Metadata.Set(MetaSchemaVersion, strconv.Itoa(raw.SchemaVersion))
	msg.Metadata.Set(MetaRecordedAt, raw.RecordedAt.UTC().Format(time.RFC3339Nano))
	msg.Metadata.Set(MetaEventMetadata, string(raw.Metadata))
	return msg
}

// MessageRaw recovers the stored event from a message made by NewMessage.
func MessageRaw(msg *message.Message) (RawEvent, error) {
	var raw RawEvent
	var err error
	parseInt := func(key string) int64 {
		if err != nil {
			return 0
		}
		var v int64
		v, err = strconv.ParseInt(msg.Metadata.Get(key), 10, 64)
		if err != nil {
			err = fmt.Errorf("eventstore: message %s: metadata %s: %w", msg.UUID, key, err)
		}
		return v
	}
	raw.Position = parseInt(MetaPosition)
	raw.StreamVersion = parseInt(MetaStreamVersion)
	raw.SchemaVersion = int(parseInt(MetaSchemaVersion))
	if err != nil {
		return RawEvent{}, err
	}
	raw.RecordedAt, err = time.Parse(time.RFC3339Nano, msg.Metadata.Get(MetaRecordedAt))
	if err != nil {
		return RawEvent{}, fmt.Errorf("eventstore: message %s: recorded_at: %w", msg.UUID, err)
	}
	raw.StreamID, raw.Type = msg.Metadata.Get(MetaStreamID), msg.Metadata.Get(MetaName)
	raw.Data, raw.Metadata = json.RawMessage(msg.Payload), json.RawMessage(msg.Metadata.Get(MetaEventMetadata))
	return raw, nil
}

// MessageEvent decodes the event carried by a message.
func (s *Store) MessageEvent(msg *message.Message) (domain.Recorded, error) {
	raw, err := MessageRaw(msg)
	if err != nil {
		return domain.Recorded{}, err
	}
	return s.Decode(raw)
}
