package oauthfake

import (
	"io"
	"net/http"
	"sync"
)

// Faults are the failures a fake is told to show: every path down, one
// path answering a status (500, 503), or one path hanging until the client
// gives up or the test ends (a slow provider).
type Faults struct {
	mu    sync.Mutex
	down  bool
	fail  map[string]int
	block map[string]bool
	done  <-chan struct{} // closed when the test ends
}

// NewFaults returns no faults yet, for a test whose end done signals.
func NewFaults(done <-chan struct{}) *Faults {
	return &Faults{fail: map[string]int{}, block: map[string]bool{}, done: done}
}

// SetDown makes every path answer 503 (true), or be served (false).
func (f *Faults) SetDown(down bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = down
}

// FailWith makes path answer status from now on (0 clears it).
func (f *Faults) FailWith(path string, status int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail[path] = status
}

// BlockPath makes path hang until the client gives up or the test ends.
func (f *Faults) BlockPath(path string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.block[path] = true
}

// Apply answers r with the fault seeded for its path, and reports whether
// it did (the handler must then stop).
func (f *Faults) Apply(w http.ResponseWriter, r *http.Request) bool {
	f.mu.Lock()
	down, status, block := f.down, f.fail[r.URL.Path], f.block[r.URL.Path]
	f.mu.Unlock()
	switch {
	case down:
		http.Error(w, "down", http.StatusServiceUnavailable)
	case block:
		// The body must be read first: until it is, the server does not
		// notice the client hanging up, and r.Context stays live. A body
		// that cannot be read means the client is gone already.
		if _, err := io.Copy(io.Discard, r.Body); err == nil {
			select {
			case <-r.Context().Done():
			case <-f.done:
			}
		}
	case status != 0:
		http.Error(w, http.StatusText(status), status)
	default:
		return false
	}
	return true
}
