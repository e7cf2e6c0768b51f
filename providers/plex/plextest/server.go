// Package plextest is a fake plex.tv for tests, in the manner of
// net/http/httptest: an httptest.Server speaking plex.tv's v2 JSON wire
// format (PINs, the current user, resources, the errors body), seeded with
// accounts and servers, able to fail on demand, and recording every request.
package plextest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Account is a plex.tv account the fake knows, signed in by Token.
type Account struct {
	ID       int64
	UUID     string
	Username string
	Email    string
	Title    string
	Token    string
}

// MediaServer is a Plex Media Server registered to its owner's account.
type MediaServer struct {
	Name      string
	MachineID string // the clientIdentifier in resources
	OwnerID   int64
}

// Request is one request the fake received.
type Request struct {
	Method string
	Path   string
	Query  url.Values
	Header http.Header
	Form   url.Values // the parsed form body of a POST
}

// Param returns the X-Plex-* value name as plex.tv reads it: from the
// header, else the query, else the form.
func (r Request) Param(name string) string {
	if v := r.Header.Get(name); v != "" {
		return v
	}
	if v := r.Query.Get(name); v != "" {
		return v
	}
	return r.Form.Get(name)
}

type pin struct {
	id        int64
	code      string
	clientID  string
	product   string
	createdAt time.Time
	expiresAt time.Time
	token     string // "" until claimed
	expired   bool
}

// Server is the fake plex.tv. Its methods are safe for concurrent use.
type Server struct {
	*httptest.Server

	// Now is the fake's clock, for PIN times; time.Now when nil.
	Now func() time.Time
	// PINLifetime is how long a PIN lives; 15 minutes when zero.
	PINLifetime time.Duration

	mu       sync.Mutex
	accounts map[string]*Account // by token
	servers  []MediaServer
	shares   map[string]map[int64]bool // machine id -> account ids
	pins     map[int64]*pin
	nextPIN  int64
	fail     int    // status to answer every API request with; 0 = none
	hang     bool   // block every API request until the test ends
	appUser  string // token of the account signed in to the auth page
	requests []Request

	release chan struct{}
}

// FirstPINID is the id of the first PIN the fake hands out: past 2^53, so a
// client that decodes ids through float64 gets them wrong.
const FirstPINID int64 = 1<<53 + 1

// NewServer starts a fake plex.tv, closed when the test ends. Point
// plex.Config.APIURL (and AppURL, for the optional auth page) at its URL.
func NewServer(t testing.TB) *Server {
	t.Helper()
	s, stop := Start()
	t.Cleanup(stop)
	return s
}

// Start starts a fake plex.tv outside a test, for a program that serves it
// (the browser tests' fakes). stop frees hanging handlers and closes the
// server; calling it again does nothing.
func Start() (s *Server, stop func()) {
	s = &Server{
		accounts: map[string]*Account{},
		shares:   map[string]map[int64]bool{},
		pins:     map[int64]*pin{},
		nextPIN:  FirstPINID,
		release:  make(chan struct{}),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v2/pins", s.createPIN)
	mux.HandleFunc("GET /api/v2/pins/{id}", s.getPIN)
	mux.HandleFunc("GET /api/v2/user", s.user)
	mux.HandleFunc("GET /api/v2/resources", s.resources)
	mux.HandleFunc("GET /auth", s.authPage)
	mux.HandleFunc("POST /auth/claim", s.authClaim)
	s.Server = httptest.NewServer(s.wrap(mux))
	var once sync.Once
	return s, func() {
		once.Do(func() {
			close(s.release) // let hanging handlers return, or Close would wait for them
			s.Server.Close()
		})
	}
}

// AddAccount seeds an account; its Token signs it in.
func (s *Server) AddAccount(a Account) {
	s.mu.Lock()
	defer s.mu.Unlock()
	acct := a
	s.accounts[a.Token] = &acct
}

// RevokeToken makes token unknown, as when the user signs out everywhere.
func (s *Server) RevokeToken(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.accounts, token)
}

// AddServer registers a media server owned by its OwnerID.
func (s *Server) AddServer(m MediaServer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.servers = append(s.servers, m)
}

// Share shares the server with machineID with the account accountID.
func (s *Server) Share(machineID string, accountID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shares[machineID] == nil {
		s.shares[machineID] = map[int64]bool{}
	}
	s.shares[machineID][accountID] = true
}

// Unshare removes a share made by Share.
func (s *Server) Unshare(machineID string, accountID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.shares[machineID], accountID)
}

// Claim approves PIN pinID for the account signed in by token, as the user
// does in the auth app.
func (s *Server) Claim(pinID int64, token string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.pins[pinID]
	if !ok || s.expiredLocked(p) {
		return fmt.Errorf("plextest: no live pin %d", pinID)
	}
	if _, ok := s.accounts[token]; !ok {
		return fmt.Errorf("plextest: unknown token")
	}
	p.token = token
	return nil
}

// Expire makes PIN pinID expired.
func (s *Server) Expire(pinID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.pins[pinID]; ok {
		p.expired = true
	}
}

// Fail makes every API request answer status (with plex.tv's errors body)
// until Fail(0).
func (s *Server) Fail(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = status
}

// Hang makes every API request block until the client gives up or the test
// ends (on), or answer normally again (off).
func (s *Server) Hang(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hang = on
}

// Requests returns the requests received so far, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// RequestsTo returns the requests received for method and path.
func (s *Server) RequestsTo(method, path string) []Request {
	var out []Request
	for _, r := range s.Requests() {
		if r.Method == method && r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

// wrap records each request, then applies the configured failures to the
// API paths.
func (s *Server) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone()}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
			if err := r.ParseForm(); err == nil {
				rec.Form = r.PostForm
			}
		}
		s.mu.Lock()
		s.requests = append(s.requests, rec)
		fail, hang := s.fail, s.hang
		s.mu.Unlock()

		if strings.HasPrefix(r.URL.Path, "/api/") {
			if hang {
				select {
				case <-r.Context().Done():
				case <-s.release:
				}
				return
			}
			if fail != 0 {
				writeError(w, fail, 0, http.StatusText(fail))
				return
			}
			if rec.Param("X-Plex-Client-Identifier") == "" {
				writeError(w, http.StatusBadRequest, 1000, "X-Plex-Client-Identifier is missing")
				return
			}
			if !strings.Contains(r.Header.Get("Accept"), "application/json") {
				// plex.tv answers XML unless asked for JSON.
				w.Header().Set("Content-Type", "application/xml")
				fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><error code="1000" message="fake plex.tv speaks JSON only"/>`)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Server) expiredLocked(p *pin) bool {
	return p.expired || !s.now().Before(p.expiresAt)
}

// token returns the X-Plex-Token of r, from header or query.
func token(r *http.Request) string {
	if v := r.Header.Get("X-Plex-Token"); v != "" {
		return v
	}
	return r.URL.Query().Get("X-Plex-Token")
}

func param(r *http.Request, name string) string {
	if v := r.Header.Get(name); v != "" {
		return v
	}
	return r.FormValue(name)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError writes plex.tv v2's errors body.
func writeError(w http.ResponseWriter, status, code int, msg string) {
	writeJSON(w, status, map[string]any{
		"errors": []map[string]any{{"code": code, "message": msg, "status": status}},
	})
}

func unauthenticated(w http.ResponseWriter) {
	writeError(w, http.StatusUnauthorized, 1001, "User could not be authenticated")
}

func (s *Server) accountFor(r *http.Request) (Account, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[token(r)]
	if !ok || token(r) == "" {
		return Account{}, false
	}
	return *a, true
}

// parseID parses a positive decimal id, as the fake's routes do.
func parseID(s string) (int64, bool) {
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil && id > 0
}
