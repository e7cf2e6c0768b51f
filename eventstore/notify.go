package eventstore

import (
	"context"
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

// Listen holds a LISTEN on the log's channel and wakes this process's readers
// when any node appends. It returns when ctx ends. A lost connection (a
// restarted database) is retried with backoff; after each reconnect readers
// are woken anyway, since notifications sent meanwhile are gone.
func (s *Store) Listen(ctx context.Context) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := s.listenOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		s.logger.Warn("event notifications lost; reconnecting", "err", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

func (s *Store) listenOnce(ctx context.Context) error {
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
