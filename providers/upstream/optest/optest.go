// Package optest is a real OpenID provider for tests, in the manner of
// net/http/httptest: [NewServer] starts zitadel/oidc's op package (with its
// example storage, users and login page) on an httptest.Server. It is for
// tests of code that signs in through a generic OIDC upstream; the
// portal never imports it outside tests.
package optest

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
)

// Client credentials the OP knows, and the example users' password.
const (
	ClientID     = "web"
	ClientSecret = "web-secret"
	Password     = "verysecure"
)

// Server is the OP. Its Issuer is its URL. Until [Server.Register] is
// called every request answers 503, as an issuer not up yet.
type Server struct {
	*httptest.Server
	Issuer string

	handler atomic.Pointer[http.Handler]
	mu      sync.Mutex
	down    bool
	hits    map[string]int
}

// NewServer starts an OP, closed when the test ends. Call Register with
// the client's redirect URI before signing in.
func NewServer(t testing.TB) *Server {
	t.Helper()
	s := &Server{hits: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	s.Issuer = s.URL
	return s
}

// Register sets up the OP's storage with client ClientID / ClientSecret,
// allowed to redirect to redirectURIs, and the example users (Username
// and "test-user2", email verified). Call it once, before the first sign-in.
func (s *Server) Register(redirectURIs ...string) {
	st := storage.NewStorageWithClients(storage.NewUserStore(s.Issuer), map[string]*storage.Client{
		ClientID: storage.WebClient(ClientID, ClientSecret, redirectURIs...),
	})
	h := http.Handler(exampleop.SetupServer(s.Issuer, st, slog.New(slog.NewTextHandler(io.Discard, nil)), false))
	s.handler.Store(&h)
}

// SetDown makes every request answer 503 (true) or be served (false).
func (s *Server) SetDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
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
	down := s.down
	s.mu.Unlock()
	h := s.handler.Load()
	if down || h == nil {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	(*h).ServeHTTP(w, r)
}

// Username is the example store's first user, named after the issuer host.
// Its email is "test-user@zitadel.ch", verified.
func (s *Server) Username() string {
	u, _ := url.Parse(s.Issuer)
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
