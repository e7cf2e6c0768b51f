// Package optest is a real OpenID provider for tests, in the manner of
// net/http/httptest: [NewServer] starts zitadel/oidc's op package (with its
// example storage, users and login page) on an httptest.Server, behind a
// thin wrapper that can take it down, block or fail a path
// (oauthfake.Faults), and rewrite the id_token of token answers (to plant
// a forged or foreign token). It is for tests of code that signs in
// through a generic OIDC upstream; the portal never imports it outside
// tests.
package optest

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/authportal/authportal/providers/upstream/internal/oauthfake"
	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
)

// Client credentials the OP knows, and the example users' password.
const (
	ClientID      = "web"
	OtherClientID = "other" // a second client, for tokens issued to someone else
	ClientSecret  = "web-secret"
	Password      = "verysecure"
)

// Paths of the OP's endpoints, for FailWith, BlockPath and Hits.
const (
	PathDiscovery = "/.well-known/openid-configuration"
	PathToken     = "/oauth/token"
	PathKeys      = "/keys"
	PathUserinfo  = "/userinfo"
)

// Server is the OP. Its Issuer is its URL. Until [Server.Register] or
// [Server.Share] is called every request answers 503, as an issuer not up
// yet.
type Server struct {
	*httptest.Server
	*oauthfake.Faults
	Issuer string
	// Storage holds the OP's clients, users and signing key, once
	// registered.
	Storage *storage.Storage

	handler atomic.Pointer[http.Handler]
	mu      sync.Mutex
	hits    map[string]int
	rewrite func(string) string // applied to id_token in token answers
	idToks  []string            // id_tokens issued, before rewrite
}

// NewServer starts an OP, closed when the test ends. Call Register with
// the client's redirect URIs, or Share, before signing in.
func NewServer(t testing.TB) *Server {
	t.Helper()
	s := &Server{Faults: oauthfake.NewFaults(t.Context().Done()), hits: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	s.Issuer = s.URL
	return s
}

// Register sets up the OP's storage with clients ClientID and
// OtherClientID (secret ClientSecret), allowed to redirect to
// redirectURIs, and the example users (Username and "test-user2", email
// verified). Call it once, before the first sign-in.
func (s *Server) Register(redirectURIs ...string) {
	s.Share(storage.NewStorageWithClients(storage.NewUserStore(s.Issuer), map[string]*storage.Client{
		ClientID:      storage.WebClient(ClientID, ClientSecret, redirectURIs...),
		OtherClientID: storage.WebClient(OtherClientID, ClientSecret, redirectURIs...),
	}))
}

// Share makes this OP serve st: another OP's clients, users and signing
// key, under this OP's own issuer.
func (s *Server) Share(st *storage.Storage) {
	s.Storage = st
	h := http.Handler(exampleop.SetupServer(s.Issuer, st, slog.New(slog.DiscardHandler), false))
	s.handler.Store(&h)
}

// RewriteIDToken has f replace the id_token of every token answer from now
// on; nil stops it.
func (s *Server) RewriteIDToken(f func(idToken string) string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rewrite = f
}

// LastIDToken returns the last id_token the OP issued, as it issued it.
func (s *Server) LastIDToken(t testing.TB) string {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.idToks) == 0 {
		t.Fatal("the OP issued no id_token")
	}
	return s.idToks[len(s.idToks)-1]
}

// Hits returns how many requests path received.
func (s *Server) Hits(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.hits[r.URL.Path]++
	rewrite := s.rewrite
	s.mu.Unlock()
	if s.Apply(w, r) {
		return
	}
	h := s.handler.Load()
	if h == nil {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	if r.URL.Path != PathToken {
		(*h).ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	(*h).ServeHTTP(rec, r)
	body := rec.Body.Bytes()
	var m map[string]any
	if rec.Code == http.StatusOK && json.Unmarshal(body, &m) == nil {
		if raw, ok := m["id_token"].(string); ok {
			s.mu.Lock()
			s.idToks = append(s.idToks, raw)
			s.mu.Unlock()
			if rewrite != nil {
				m["id_token"] = rewrite(raw)
				oauthfake.WriteJSON(w, rec.Code, m)
				return
			}
		}
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	if _, err := w.Write(body); err != nil {
		return // the client went away: there is no one to tell
	}
}

// Username is the example store's first user, named after the issuer host.
// Its email is "test-user@zitadel.ch", verified.
func (s *Server) Username() string {
	u, err := url.Parse(s.Issuer)
	if err != nil {
		panic("optest: the issuer is the httptest URL, always readable: " + err.Error())
	}
	return "test-user@" + u.Hostname()
}

// SignIn plays the browser and the user at the OP: it opens authURL, is
// sent to the OP's login page, posts username's password, and follows the
// OP until it redirects to a URL starting with redirectPrefix, which it
// returns (the client's callback, with code and state).
func (s *Server) SignIn(t testing.TB, authURL, username, redirectPrefix string) *url.URL {
	t.Helper()
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := resp.Location()
	if err != nil {
		t.Fatalf("authorization answered %d, want a redirect to the login page", resp.StatusCode)
	}
	id := loc.Query().Get("authRequestID")
	if id == "" {
		t.Fatalf("login redirect %s has no authRequestID", loc)
	}
	form := url.Values{"id": {id}, "username": {username}, "password": {Password}}
	resp, err = noFollow.Post(s.Issuer+"/login/username", "application/x-www-form-urlencoded", bytes.NewBufferString(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for range 10 {
		loc, err = resp.Location()
		if err != nil {
			t.Fatalf("OP answered %d, want a redirect", resp.StatusCode)
		}
		loc = resp.Request.URL.ResolveReference(loc)
		if strings.HasPrefix(loc.String(), redirectPrefix) {
			return loc
		}
		if resp, err = noFollow.Get(loc.String()); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	t.Fatalf("the OP never redirected to %s", redirectPrefix)
	return nil
}
