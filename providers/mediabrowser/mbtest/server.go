package mbtest

import (
	"compress/gzip"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// APIKey is the API key every fake server accepts.
const APIKey = "mbtest-api-key-0123456789abcdef"

// User is an account on the fake server.
type User struct {
	ID              string // generated when empty
	Name            string
	Password        string
	IsAdministrator bool
	IsDisabled      bool
	// LoginAttemptsBeforeLockout disables the user after that many failed
	// attempts in a row (Jellyfin only; 0 means never).
	LoginAttemptsBeforeLockout int
	InvalidLoginAttemptCount   int
	// The library access a POST /Users/{id}/Policy set; PolicySet is false
	// until one did (a new user sees every library).
	PolicySet        bool
	EnableAllFolders bool
	EnabledFolders   []string
}

// Request is one request the fake received.
type Request struct {
	Method string
	Path   string // as received, including any /emby prefix
	Header http.Header
	// Auth holds the pairs parsed from the authorization header the server
	// read, keys as sent (Client, Device, DeviceId, Version, Token).
	Auth map[string]string
	// Username is the Username of an AuthenticateByName body.
	Username string
	Gzipped  bool // the answer was gzip-compressed
}

// Server is a fake Jellyfin or Emby server.
type Server struct {
	*httptest.Server
	Flavor string // "jellyfin" or "emby"

	mu       sync.Mutex
	users    map[string]*User // by id
	tokens   map[string]token
	requests []Request
	status   int // when non-zero, every request is answered with it
	body     []byte
	ctype    string
	slow     bool // when true, every request blocks until the test ends
	legacy   bool // Jellyfin: accept X-Emby-Authorization, X-Emby-Token, api_key
	before   func(Request)
	release  chan struct{}
}

type token struct{ userID, deviceID string }

// NewJellyfin starts a fake Jellyfin server, closed when the test ends. Like
// Jellyfin 12 (EnableLegacyAuthorization off by default), it answers 400 to
// requests carrying X-Emby-Authorization, X-Emby-Token or ?api_key; see
// SetLegacyAuthorization.
func NewJellyfin(t testing.TB) *Server { return newServer(t, "jellyfin") }

// NewEmby starts a fake Emby server, closed when the test ends. It serves the
// API under /emby and at the root, reads Authorization or
// X-Emby-Authorization, and gzips answers when the client accepts gzip.
func NewEmby(t testing.TB) *Server { return newServer(t, "emby") }

func newServer(t testing.TB, flavor string) *Server {
	t.Helper()
	s, stop := Start(flavor)
	t.Cleanup(stop)
	return s
}

// Start starts a fake server of flavor ("jellyfin" or "emby") outside a
// test, for a program that serves it (the browser tests' fakes). stop frees
// blocked handlers and closes the server; calling it again does nothing.
func Start(flavor string) (s *Server, stop func()) {
	if flavor != "jellyfin" && flavor != "emby" {
		panic("mbtest: unknown flavor " + flavor)
	}
	s = &Server{
		Flavor:  flavor,
		users:   map[string]*User{},
		tokens:  map[string]token{},
		legacy:  flavor == "emby",
		release: make(chan struct{}),
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	var once sync.Once
	return s, func() {
		once.Do(func() {
			close(s.release) // first, so that Close need not wait for blocked handlers
			s.Server.Close()
		})
	}
}

// AddUser seeds a user and returns it with its id.
func (s *Server) AddUser(u User) User {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u.ID == "" {
		u.ID = randomHex(16)
	}
	s.users[u.ID] = &u
	return u
}

// User returns the current state of the user with id.
func (s *Server) User(id string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[id]
	if !ok {
		return User{}, false
	}
	return *u, true
}

// UpdateUser changes the user with id in place (disable, make admin, ...).
func (s *Server) UpdateUser(id string, f func(*User)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u, ok := s.users[id]; ok {
		f(u)
	}
}

// DeleteUser removes the user and revokes their tokens, as the servers do.
func (s *Server) DeleteUser(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.users, id)
	for k, tok := range s.tokens {
		if tok.userID == id {
			delete(s.tokens, k)
		}
	}
}

// TokenValid reports whether the server accepts tok as a user's token.
func (s *Server) TokenValid(tok string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.tokens[tok]
	return ok
}

// Fail makes every request answer status with a text/plain body (0 stops).
func (s *Server) Fail(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status, s.ctype, s.body = status, "", nil
}

// Answer makes every request answer status with contentType and body (for
// oversized or malformed answers); Emby still gzips when the client accepts
// it. Fail(0) stops it.
func (s *Server) Answer(status int, contentType string, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status, s.ctype, s.body = status, contentType, body
}

// Slow makes every request block until the client gives up or the test ends.
func (s *Server) Slow() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.slow = true
}

// Down closes the server: connections are refused from now on.
func (s *Server) Down() { s.Server.Close() }

// SetLegacyAuthorization sets Jellyfin's EnableLegacyAuthorization.
func (s *Server) SetLegacyAuthorization(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.legacy = on
}

// BeforeServe registers f to run, without the server's lock, on each request
// after it is recorded and before it is served: a hook for races such as an
// admin disabling a user between two calls of one sign-in.
func (s *Server) BeforeServe(f func(Request)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.before = f
}

// Requests returns a copy of every request received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// AuthenticateRequests returns the AuthenticateByName requests received.
func (s *Server) AuthenticateRequests() []Request {
	var out []Request
	for _, r := range s.Requests() {
		if strings.EqualFold(apiPath(s.Flavor, r.Path), "/users/authenticatebyname") {
			out = append(out, r)
		}
	}
	return out
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// apiPath strips Emby's /emby prefix.
func apiPath(flavor, p string) string {
	if flavor == "emby" && len(p) >= 5 && strings.EqualFold(p[:5], "/emby") && (len(p) == 5 || p[5] == '/') {
		return p[5:]
	}
	return p
}

// answer writes a response, gzipped for Emby when the client accepts it.
type answer struct {
	w      http.ResponseWriter
	r      *http.Request
	flavor string
	gz     bool
}

func (a *answer) write(status int, contentType string, body []byte) {
	h := a.w.Header()
	h.Set("Content-Type", contentType)
	if a.gz {
		h.Set("Content-Encoding", "gzip")
		h.Del("Content-Length")
		a.w.WriteHeader(status)
		zw := gzip.NewWriter(a.w)
		zw.Write(body)
		zw.Close()
		return
	}
	a.w.WriteHeader(status)
	a.w.Write(body)
}

func (a *answer) text(status int, msg string) {
	a.write(status, "text/plain; charset=utf-8", []byte(msg))
}

func (a *answer) json(v any) {
	b, _ := json.Marshal(v)
	a.write(http.StatusOK, "application/json; charset=utf-8", b)
}

// parseAuthorization splits a `MediaBrowser k="v", ...` or `Emby ...` header
// value into its pairs, as the servers do: scheme case-insensitive, pairs
// comma-separated, quotes stripped. ok is false for another scheme.
func parseAuthorization(v string) (map[string]string, bool) {
	scheme, rest, _ := strings.Cut(strings.TrimSpace(v), " ")
	if !strings.EqualFold(scheme, "MediaBrowser") && !strings.EqualFold(scheme, "Emby") {
		return nil, false
	}
	pairs := map[string]string{}
	for _, p := range strings.Split(rest, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok {
			continue
		}
		pairs[strings.TrimSpace(k)] = strings.Trim(strings.TrimSpace(val), `"`)
	}
	return pairs, true
}

// pair reads key from pairs case-insensitively.
func pair(pairs map[string]string, key string) string {
	for k, v := range pairs {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return ""
}
