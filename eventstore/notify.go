package eventstore

import (
	"context"
	"log/slog"
	"time"
)

// Wake returns a channel that receives (without blocking the sender, so at
// most one pending signal) whenever the head may have moved, and a function
// that stops the signals.
func (s *Store) Wake() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	s.mu.Lock()
	s.wakers[ch] = struct{}{}
	s.mu.Unlock()
	return ch, func() {
		s.mu.Lock()
		delete(s.wakers, ch)
		s.mu.Unlock()
	}
}

func (s *Store) headMoved() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for ch := range s.wakers {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// listenRetryMax caps the wait between attempts to get the notification
// connection back. It bounds how long readers on this node stay asleep after
// the database returns (the reconnect wakes them), so it is short: an attempt
// against a database that is down costs one refused connection.
const listenRetryMax = 500 * time.Millisecond

// Listen holds a LISTEN on the log's channel and wakes this process's readers
// when any node appends. It returns when ctx ends. A lost connection (a
// restarted database) is retried with backoff; after each reconnect readers
// are woken anyway, since notifications sent meanwhile are gone, and that
// wake also cuts short the backoff of readers that failed meanwhile.
func (s *Store) Listen(ctx context.Context) {
	backoff := 50 * time.Millisecond
	failures := 0
	for ctx.Err() == nil {
		err := s.listenOnce(ctx, func() {
			if failures > 0 {
				s.logger.Info("event notifications restored", "failed_attempts", failures)
			}
			failures, backoff = 0, 50*time.Millisecond
		})
		if ctx.Err() != nil {
			return
		}
		// One warning per outage; the attempts in between are debug news.
		level := slog.LevelDebug
		if failures == 0 {
			level = slog.LevelWarn
		}
		failures++
		s.logger.Log(ctx, level, "event notifications lost; reconnecting", "err", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, listenRetryMax)
	}
}

// listenOnce holds one LISTEN connection until it fails; connected runs once
// the LISTEN is in place.
func (s *Store) listenOnce(ctx context.Context, connected func()) error {
	pooled, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// The connection ends in LISTEN state; it never goes back to the pool.
	conn := pooled.Hijack()
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+NotifyChannel); err != nil {
		return err
	}
	connected()
	s.headMoved()
	for {
		// The payload is the new head; readers read the log from where they
		// are anyway, so the signal is all that matters.
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return err
		}
		s.headMoved()
	}
}
