package eventstore_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/authportal/authportal/eventstore"
	"github.com/authportal/authportal/projections"
)

// receive returns the next message, failing the test after a while.
func receive(t testing.TB, messages <-chan *message.Message) *message.Message {
	t.Helper()
	select {
	case msg, ok := <-messages:
		if !ok {
			t.Fatal("subscription closed, want a message")
		}
		return msg
	case <-time.After(10 * time.Second):
		t.Fatal("no message within 10s")
	}
	return nil
}

// messageRaw recovers the stored event a message carries.
func messageRaw(t testing.TB, msg *message.Message) eventstore.RawEvent {
	t.Helper()
	raw, err := eventstore.MessageRaw(msg)
	if err != nil {
		t.Fatalf("message %s: %v", msg.UUID, err)
	}
	return raw
}

// sameRaw reports whether a message's event is the stored row, but for
// the hash, which messages do not carry.
func sameRaw(got, want eventstore.RawEvent) bool {
	return got.Position == want.Position && got.StreamID == want.StreamID && got.StreamVersion == want.StreamVersion &&
		got.Type == want.Type && got.SchemaVersion == want.SchemaVersion &&
		bytes.Equal(got.Data, want.Data) && bytes.Equal(got.Metadata, want.Metadata) && got.RecordedAt.Equal(want.RecordedAt)
}

func TestSubscriberDeliversInOrderAfterStart(t *testing.T) {
	t.Parallel()
	const stored, live = 20, 6
	tests := []struct {
		name  string
		after int64
	}{
		{name: "from the start", after: 0},
		{name: "from the middle", after: 7},
		{name: "from the head", after: stored},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			store, _ := newStore(t)
			fillLog(t, store, stored)

			var topics []string
			sub, err := eventstore.NewSubscriber(store, eventstore.SubscriberConfig{
				StartAfter: func(_ context.Context, topic string) (int64, error) {
					topics = append(topics, topic)
					return tt.after, nil
				},
				BatchSize: 4, // several reads before the head
			})
			if err != nil {
				t.Fatal(err)
			}
			defer sub.Close()
			messages, err := sub.Subscribe(t.Context(), "audit")
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(topics, []string{"audit"}) {
				t.Errorf("StartAfter asked for topics %v, want [audit]", topics)
			}

			want := tt.after
			expect := func(upTo int64) {
				t.Helper()
				rows, err := store.ReadRaw(t.Context(), want, int(upTo-want), "")
				if err != nil {
					t.Fatal(err)
				}
				for _, row := range rows {
					msg := receive(t, messages)
					got := messageRaw(t, msg)
					msg.Ack()
					if !sameRaw(got, row) {
						t.Fatalf("got %+v, want %+v", got, row)
					}
					want = got.Position
				}
				if want != upTo {
					t.Fatalf("delivered up to %d, want %d", want, upTo)
				}
			}
			expect(stored)
			fillLog(t, store, live) // while subscribed
			expect(stored + live)

			select {
			case msg := <-messages:
				t.Errorf("got message at %s past the head, want none", msg.Metadata.Get(eventstore.MetaPosition))
			case <-time.After(100 * time.Millisecond):
			}
			if err := sub.Close(); err != nil {
				t.Fatal(err)
			}
			if _, open := <-messages; open {
				t.Error("subscription still open after Close")
			}
		})
	}
}

func TestSubscriberWaitsForAckAndRedeliversNack(t *testing.T) {
	t.Parallel()
	store, _ := newStore(t)
	fillLog(t, store, 3)
	sub, err := eventstore.NewSubscriber(store, eventstore.SubscriberConfig{
		StartAfter: func(context.Context, string) (int64, error) { return 0, nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	messages, err := sub.Subscribe(t.Context(), "mailer")
	if err != nil {
		t.Fatal(err)
	}

	first := receive(t, messages)
	select {
	case msg := <-messages:
		t.Fatalf("got position %s before the first was acked, want nothing", msg.Metadata.Get(eventstore.MetaPosition))
	case <-time.After(200 * time.Millisecond):
	}
	first.Nack()
	again := receive(t, messages)
	if got := messageRaw(t, again).Position; got != 1 {
		t.Fatalf("after a nack: got position %d, want 1 again", got)
	}
	again.Ack()
	if got := messageRaw(t, receive(t, messages)).Position; got != 2 {
		t.Errorf("after the ack: got position %d, want 2", got)
	}
}

func TestNewSubscriberNeedsStartAfter(t *testing.T) {
	t.Parallel()
	store, _ := newStore(t)
	if _, err := eventstore.NewSubscriber(store, eventstore.SubscriberConfig{}); err == nil {
		t.Error("got no error without StartAfter, want one")
	}
}

// TestRouterHandlesEveryEventOnce runs a consumer under the router every
// consumer of the log uses: a handler that fails or panics on one event
// still ends with every event handled once, in order.
func TestRouterHandlesEveryEventOnce(t *testing.T) {
	t.Parallel()
	const events, troubled = 12, 5
	tests := []struct {
		name     string
		failures int  // deliveries of the troubled event that fail
		panics   bool // fail by panicking rather than returning an error
	}{
		{name: "error three times", failures: 3},
		{name: "error past the router's own retries", failures: 8},
		{name: "panic once", failures: 1, panics: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			store, _ := newStore(t)
			fillLog(t, store, events)

			sub, err := eventstore.NewSubscriber(store, eventstore.SubscriberConfig{
				StartAfter: func(context.Context, string) (int64, error) { return 0, nil },
			})
			if err != nil {
				t.Fatal(err)
			}
			defer sub.Close()
			router, err := projections.NewRouter(slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}

			var mu sync.Mutex
			attempts := map[int64]int{}
			var handled []int64
			done := make(chan struct{})
			router.AddConsumerHandler("counter", "counter", sub, func(msg *message.Message) error {
				raw, err := eventstore.MessageRaw(msg)
				if err != nil {
					return err
				}
				mu.Lock()
				defer mu.Unlock()
				attempts[raw.Position]++
				if raw.Position == troubled && attempts[raw.Position] <= tt.failures {
					if tt.panics {
						panic("projection bug")
					}
					return errors.New("database unavailable")
				}
				handled = append(handled, raw.Position)
				if raw.Position == events {
					close(done)
				}
				return nil
			})

			ctx, cancel := context.WithCancel(t.Context())
			stopped := make(chan error, 1)
			go func() { stopped <- router.Run(ctx) }()
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				t.Error("the last event was not handled within 20s")
			}
			cancel()
			if err := <-stopped; err != nil {
				t.Errorf("router: got error %v, want none", err)
			}

			mu.Lock()
			defer mu.Unlock()
			want := make([]int64, events)
			for i := range want {
				want[i] = int64(i + 1)
			}
			if !slices.Equal(handled, want) {
				t.Errorf("handled positions: got %v, want %v", handled, want)
			}
			for pos, n := range attempts {
				wantN := 1
				if pos == troubled {
					wantN = tt.failures + 1
				}
				if n != wantN {
					t.Errorf("position %d: got %d deliveries, want %d", pos, n, wantN)
				}
			}
		})
	}
}
