package upstream_test

import (
	"bytes"
	"encoding/json"
	"io"
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

// testOP is a real OpenID provider (zitadel/oidc's op package with its
// example storage and login) on an httptest server, behind a thin wrapper
// that can take it down, block it, fail a path, or rewrite the id_token of
// token answers (to plant a forged or foreign token).
type testOP struct {
	*httptest.Server
	Issuer  string
	Storage *storage.Storage

	handler atomic.Pointer[http.Handler]
	mu      sync.Mutex
	down    bool                // every request answers 503
	block   map[string]bool     // path hangs until the client gives up or the test ends
	fail    map[string]int      // path answers this status
	rewrite func(string) string // applied to id_token in token answers
	idToks  []string            // id_tokens issued, before rewrite
	hits    map[string]int      // requests per path
	done    <-chan struct{}     // closed when the test ends
}

const (
	opClientID     = "web"
	opClientSecret = "web-secret"
	opOtherClient  = "other"
	opPassword     = "verysecure" // the example user store's
)

// startOP starts an OP with clients "web" and "other". When st is given the
// OP shares it (users, clients and signing key) with another OP.
func startOP(t *testing.T, st *storage.Storage) *testOP {
	t.Helper()
	op := &testOP{block: map[string]bool{}, fail: map[string]int{}, hits: map[string]int{}, done: t.Context().Done()}
	op.Server = httptest.NewServer(http.HandlerFunc(op.serve))
	t.Cleanup(op.Close)
	op.Issuer = op.URL
	if st == nil {
		st = storage.NewStorageWithClients(storage.NewUserStore(op.Issuer), map[string]*storage.Client{
			opClientID:    storage.WebClient(opClientID, opClientSecret, callback),
			opOtherClient: storage.WebClient(opOtherClient, opClientSecret, callback),
		})
	}
	op.Storage = st
	h := http.Handler(exampleop.SetupServer(op.Issuer, st, nil, false))
	op.handler.Store(&h)
	return op
}

func (op *testOP) serve(w http.ResponseWriter, r *http.Request) {
	op.mu.Lock()
	op.hits[r.URL.Path]++
	down, block, status, rewrite := op.down, op.block[r.URL.Path], op.fail[r.URL.Path], op.rewrite
	op.mu.Unlock()
	switch {
	case down:
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	case block:
		// Read the body first: until it is read the server does not
		// notice the client hanging up, and r.Context stays live.
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-op.done:
		}
		return
	case status != 0:
		http.Error(w, http.StatusText(status), status)
		return
	}
	h := *op.handler.Load()
	if r.URL.Path != "/oauth/token" {
		h.ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	body := rec.Body.Bytes()
	var m map[string]any
	if rec.Code == http.StatusOK && json.Unmarshal(body, &m) == nil {
		if raw, ok := m["id_token"].(string); ok {
			op.mu.Lock()
			op.idToks = append(op.idToks, raw)
			op.mu.Unlock()
			if rewrite != nil {
				m["id_token"] = rewrite(raw)
				body, _ = json.Marshal(m)
			}
		}
	}
	for k, v := range rec.Header() {
		if k != "Content-Length" {
			w.Header()[k] = v
		}
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(body)
}

func (op *testOP) set(f func(op *testOP)) {
	op.mu.Lock()
	defer op.mu.Unlock()
	f(op)
}

func (op *testOP) lastIDToken(t *testing.T) string {
	t.Helper()
	op.mu.Lock()
	defer op.mu.Unlock()
	if len(op.idToks) == 0 {
		t.Fatal("the OP issued no id_token")
	}
	return op.idToks[len(op.idToks)-1]
}

func (op *testOP) hitsTo(path string) int {
	op.mu.Lock()
	defer op.mu.Unlock()
	return op.hits[path]
}

// username is the example store's first user, named after the issuer host.
func (op *testOP) username() string {
	u, _ := url.Parse(op.Issuer)
	return "test-user@" + u.Hostname()
}

// signIn plays the browser and the user at the OP: it opens authURL, is
// sent to the OP's login page, posts the example user's password, and
// follows the OP back to the portal's callback, returning its query.
func (op *testOP) signIn(t *testing.T, authURL string) url.Values {
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
	form := url.Values{"id": {id}, "username": {op.username()}, "password": {opPassword}}
	resp, err = noFollow.Post(op.Issuer+"/login/username", "application/x-www-form-urlencoded", bytes.NewBufferString(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err = resp.Location()
	if err != nil {
		t.Fatalf("login answered %d, want a redirect", resp.StatusCode)
	}
	if !loc.IsAbs() {
		loc = resp.Request.URL.ResolveReference(loc)
	}
	return browse(t, loc.String(), callback, nil)
}

// tamperSignature changes one character in the middle of a JWS signature.
func tamperSignature(jws string) string {
	i := strings.LastIndexByte(jws, '.') + 10
	c := byte('A')
	if jws[i] == 'A' {
		c = 'B'
	}
	return jws[:i] + string(c) + jws[i+1:]
}
