package http

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/queries"
	"github.com/authportal/authportal/throttle"
)

// fakeCommand stands in for one command handler: it records every command
// it is given and answers with do. Any of loginer, logouter, totpStarter,
// totpVerifier and challengeAnswerer is one instance of it.
type fakeCommand[C, R any] struct {
	mu    sync.Mutex
	calls []C
	do    func(C) (R, error)
}

func (f *fakeCommand[C, R]) Handle(_ context.Context, cmd C) (R, error) {
	f.mu.Lock()
	f.calls = append(f.calls, cmd)
	do := f.do
	f.mu.Unlock()
	if do == nil {
		var zero R
		return zero, fmt.Errorf("fake: no answer set for %T", cmd)
	}
	return do(cmd)
}

// received returns the commands handled so far.
func (f *fakeCommand[C, R]) received() []C {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]C(nil), f.calls...)
}

// fakeAccess is an access model held in maps, deciding with the domain's
// own rule. Its WaitFor fails as the real one does when the model never
// catches up (queries.ErrModelBehind and the context's cause), unless
// catchUp is set: then a wait moves it to the position asked for, as a
// model following the log would.
type fakeAccess struct {
	mu       sync.Mutex
	users    map[string]queries.AccessUser
	live     map[string]time.Time // session id -> expiry, for sessions not ended
	position int64
	catchUp  bool
	waits    []int64
}

func newFakeAccess() *fakeAccess {
	return &fakeAccess{users: map[string]queries.AccessUser{}, live: map[string]time.Time{}, catchUp: true}
}

func (a *fakeAccess) Position() int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.position
}

func (a *fakeAccess) WaitFor(ctx context.Context, pos int64) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.waits = append(a.waits, pos)
	if a.position >= pos {
		return nil
	}
	if a.catchUp {
		a.position = pos
		return nil
	}
	return fmt.Errorf("%w: at %d, waiting for %d: %w", queries.ErrModelBehind, a.position, pos, context.DeadlineExceeded)
}

func (a *fakeAccess) CheckSession(sessionID, userID string, epoch int64, now time.Time) (queries.AccessUser, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	u, known := a.users[userID]
	exp, live := a.live[sessionID]
	if !known || !live {
		return queries.AccessUser{}, domain.ErrSessionNotFound
	}
	if err := domain.CheckSession(domain.SessionState{Epoch: epoch, ExpiresAt: exp}, u.Standing(), now); err != nil {
		return queries.AccessUser{}, err
	}
	return u, nil
}

// user is what the fake knows of a user, for the tests' own use.
func (a *fakeAccess) user(id string) queries.AccessUser {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.users[id]
}

func (a *fakeAccess) put(u queries.AccessUser) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.users[u.ID] = u
}

func (a *fakeAccess) set(f func(a *fakeAccess)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	f(a)
}

func (a *fakeAccess) waited() []int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]int64(nil), a.waits...)
}

// fakeBudgets is a token bucket per scope and key that never refills (the
// server under test reads a fixed clock).
type fakeBudgets struct {
	mu    sync.Mutex
	taken map[string]int
	err   error
}

func (b *fakeBudgets) Take(_ context.Context, scope, id string, l throttle.Limit, _ time.Time) (throttle.Decision, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return throttle.Decision{}, b.err
	}
	if b.taken == nil {
		b.taken = map[string]int{}
	}
	if b.taken[scope+"|"+id] >= l.Burst {
		return throttle.Decision{RetryAfter: l.Every}, nil
	}
	b.taken[scope+"|"+id]++
	return throttle.Decision{Allowed: true}, nil
}

// fakeHead is the log's head position, or an error reading it.
type fakeHead struct {
	mu   sync.Mutex
	head int64
	err  error
}

func (h *fakeHead) Head(context.Context) (int64, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.head, h.err
}

// fakeHealth answers the probes as told.
type fakeHealth struct {
	started bool
	ready   error
}

func (h fakeHealth) Started() bool                   { return h.started }
func (h fakeHealth) Ready(ctx context.Context) error { return h.ready }
