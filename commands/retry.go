package commands

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
)

// Load–decide–append rounds lost to concurrent writers are retried up to
// maxAttempts times, waiting a random time up to a doubling ceiling between
// rounds ("full jitter"), so that writers that collided once do not collide
// again in lockstep.
const (
	maxAttempts  = 8
	retryBackoff = 2 * time.Millisecond
	retryCeiling = 100 * time.Millisecond
)

// retry runs attempt until it does not fail with a version conflict: each
// round reloads its streams and decides again on what it finds.
func retry[T any](ctx context.Context, what string, attempt func() (T, error)) (T, error) {
	var zero T
	ceiling := retryBackoff
	for range maxAttempts {
		out, err := attempt()
		if !errors.Is(err, eventstore.ErrVersionConflict) {
			if err != nil {
				return zero, fmt.Errorf("%s: %w", what, err)
			}
			return out, nil
		}
		select {
		case <-ctx.Done():
			return zero, fmt.Errorf("%s: %w", what, context.Cause(ctx))
		case <-time.After(rand.N(ceiling) + time.Microsecond):
		}
		ceiling = min(2*ceiling, retryCeiling)
	}
	return zero, fmt.Errorf("%s: %w", what, ErrTooManyConflicts)
}

// changeUser is the load–decide–append loop of a command that changes one
// user's stream and nothing else: decide gets the user as it stands and
// returns the events to append (none: nothing to do).
func changeUser(ctx context.Context, store Store, what, userID string, meta domain.Metadata, decide func(domain.User) ([]domain.Event, error)) (Result, error) {
	return retry(ctx, what, func() (Result, error) {
		u, version, err := loadUser(ctx, store, userID)
		if err != nil {
			return Result{}, err
		}
		events, err := decide(u)
		if err != nil || len(events) == 0 {
			return Result{}, err
		}
		res, err := store.Append(ctx, meta, eventstore.Append{StreamID: domain.UserStream(u.ID), Expected: eventstore.Exactly(version), Events: events})
		if err != nil {
			return Result{}, fmt.Errorf("append user-%s: %w", u.ID, err)
		}
		return Result{Position: res.LastPosition}, nil
	})
}

// withUserEvents is the appends of a sign-in: the user's events first (a
// grant, a revocation of their other sessions), then the new session, so
// that in the log's order the session starts after any revocation it must
// survive. No user events, no append to the user's stream at all.
func withUserEvents(userID string, version int64, events []domain.Event, session domain.SessionStarted) []eventstore.Append {
	var appends []eventstore.Append
	if len(events) > 0 {
		appends = append(appends, eventstore.Append{StreamID: domain.UserStream(userID), Expected: eventstore.Exactly(version), Events: events})
	}
	return append(appends, eventstore.Append{StreamID: domain.SessionStream(session.SessionID), Expected: eventstore.NoStream, Events: []domain.Event{session}})
}

// snapshotEvery is how many events past its snapshot a user's stream may
// grow before loading it takes a new one.
const snapshotEvery = 32

// loadUser folds a user's stream from its snapshot on: a user's stream grows
// with every MFA sign-in (the used time step), and no sign-in may read a
// stream whose length grows with its history.
func loadUser(ctx context.Context, store Store, userID string) (domain.User, int64, error) {
	stream := domain.UserStream(userID)
	var u domain.User
	var from int64
	snap, ok, err := store.LoadSnapshot(ctx, stream)
	if err != nil {
		return domain.User{}, 0, err
	}
	if ok && snap.Schema == domain.UserSnapshotSchema {
		if su, err := domain.UserFromSnapshot(snap.Data); err == nil {
			u, from = su, snap.Version
		} // else: unreadable, so fold the whole stream and take a good one
	}
	events, version, err := store.LoadAfter(ctx, stream, from)
	if err != nil {
		return domain.User{}, 0, err
	}
	for _, e := range events {
		u.Apply(e)
	}
	if !u.Exists() {
		return u, 0, domain.ErrUserNotFound
	}
	if len(events) >= snapshotEvery {
		if data, err := domain.SnapshotUser(u); err == nil {
			store.SaveSnapshot(ctx, stream, eventstore.Snapshot{Version: version, Schema: domain.UserSnapshotSchema, Data: data})
		}
	}
	return u, version, nil
}

// loadSession folds a session's stream.
func loadSession(ctx context.Context, store Store, sessionID string) (domain.Session, int64, error) {
	events, version, err := store.Load(ctx, domain.SessionStream(sessionID))
	if err != nil {
		return domain.Session{}, 0, err
	}
	s := domain.FoldSession(events)
	if s.ID == "" {
		return s, 0, domain.ErrSessionNotFound
	}
	return s, version, nil
}

// loadLiveSession loads a session and its user, and checks the session may act.
func loadLiveSession(ctx context.Context, store Store, sessionID string, now time.Time) (liveSession, error) {
	s, sv, err := loadSession(ctx, store, sessionID)
	if err != nil {
		return liveSession{}, err
	}
	u, uv, err := loadUser(ctx, store, s.UserID)
	if err != nil {
		return liveSession{}, err
	}
	if err := s.Live(u, now); err != nil {
		return liveSession{}, err
	}
	return liveSession{session: s, sessionVersion: sv, user: u, userVersion: uv}, nil
}

type liveSession struct {
	session        domain.Session
	sessionVersion int64
	user           domain.User
	userVersion    int64
}
