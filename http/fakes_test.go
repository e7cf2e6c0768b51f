package http

import (
	"context"
	"fmt"
	"sync"

	"github.com/authportal/authportal/queries"
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

// fakeAccess is an access model held in maps. Its WaitFor behaves as the
// real one does when the model never catches up (an error wrapping the
// context's), unless catchUp is set: then a wait moves it to the position
// asked for, as a model following the log would.
type fakeAccess struct {
	mu       sync.Mutex
	users    map[string]queries.AccessUser
	ended    map[string]bool
	position int64
	catchUp  bool
	waits    []int64
}

func newFakeAccess() *fakeAccess {
	return &fakeAccess{users: map[string]queries.AccessUser{}, ended: map[string]bool{}, catchUp: true}
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
	return fmt.Errorf("fake access model at %d, waiting for %d: %w", a.position, pos, context.DeadlineExceeded)
}

func (a *fakeAccess) User(id string) (queries.AccessUser, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	u, ok := a.users[id]
	return u, ok
}

func (a *fakeAccess) SessionEnded(id string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.ended[id]
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
