// Package oauthfake holds what the GitHub and Google fakes share: an
// authorization endpoint that grants codes to the signed-in test account,
// code and token bookkeeping with PKCE S256 checks, seeded failures and a
// record of requests received. It is test support, never product code.
package oauthfake

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"sync"
	"testing"
)

// Request is one request a fake received.
type Request struct {
	Method        string
	Path          string
	Authorization string // the Authorization header as sent
	Accept        string
	Form          url.Values // POST form, or the query of a GET
}

// Grant is what an authorization code or access token stands for.
type Grant struct {
	Account     string // key of the seeded account
	Scope       string
	RedirectURI string
	Challenge   string // code_challenge, S256
	ClientID    string
}

// Core is the shared state of a fake; the embedding fake locks Mu around
// its own fields too.
type Core struct {
	Mu       sync.Mutex
	T        testing.TB
	Requests []Request
	// SignedIn is the account the fake's authorization page grants codes
	// to, as if that user had signed in and consented.
	SignedIn string
	// Fail maps a path to a status the fake answers instead of the real
	// thing (500, 503).
	Fail map[string]int
	// Block lists paths whose handler blocks until the client gives up or
	// the test ends (a slow provider).
	Block  map[string]bool
	codes  map[string]*Grant // unused codes
	tokens map[string]*Grant
}

// NewCore returns an empty Core for t.
func NewCore(t testing.TB) *Core {
	return &Core{T: t, Fail: map[string]int{}, Block: map[string]bool{}, codes: map[string]*Grant{}, tokens: map[string]*Grant{}}
}

// Record notes r and applies seeded failures; it reports false when the
// handler must stop (a failure was written or the block ended).
func (c *Core) Record(w http.ResponseWriter, r *http.Request) bool {
	_ = r.ParseForm()
	c.Mu.Lock()
	c.Requests = append(c.Requests, Request{
		Method: r.Method, Path: r.URL.Path,
		Authorization: r.Header.Get("Authorization"), Accept: r.Header.Get("Accept"),
		Form: r.Form,
	})
	status, block := c.Fail[r.URL.Path], c.Block[r.URL.Path]
	c.Mu.Unlock()
	if block {
		select {
		case <-r.Context().Done():
		case <-c.T.Context().Done():
		}
		return false
	}
	if status != 0 {
		http.Error(w, http.StatusText(status), status)
		return false
	}
	return true
}

// RequestsTo returns the recorded requests for path.
func (c *Core) RequestsTo(path string) []Request {
	c.Mu.Lock()
	defer c.Mu.Unlock()
	var out []Request
	for _, r := range c.Requests {
		if r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

// Authorize is the authorization endpoint: it grants a code to SignedIn
// and redirects to redirect_uri with code and state, or answers 400 when
// the request is malformed (no PKCE S256, wrong client).
func (c *Core) Authorize(w http.ResponseWriter, r *http.Request, clientID string) {
	if !c.Record(w, r) {
		return
	}
	q := r.URL.Query()
	if q.Get("client_id") != clientID || q.Get("redirect_uri") == "" || q.Get("response_type") != "code" {
		http.Error(w, "bad authorization request", http.StatusBadRequest)
		return
	}
	if q.Get("code_challenge") == "" || q.Get("code_challenge_method") != "S256" {
		http.Error(w, "PKCE S256 required by this fake", http.StatusBadRequest)
		return
	}
	c.Mu.Lock()
	account := c.SignedIn
	code := Random()
	c.codes[code] = &Grant{Account: account, Scope: q.Get("scope"), RedirectURI: q.Get("redirect_uri"), Challenge: q.Get("code_challenge"), ClientID: clientID}
	c.Mu.Unlock()
	u, err := url.Parse(q.Get("redirect_uri"))
	if err != nil {
		http.Error(w, "bad redirect_uri", http.StatusBadRequest)
		return
	}
	v := u.Query()
	if account == "" {
		v.Set("error", "access_denied")
	} else {
		v.Set("code", code)
	}
	v.Set("state", q.Get("state"))
	u.RawQuery = v.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// Redeem takes a code once: it checks client credentials, redirect_uri
// and the PKCE verifier, and on success returns a new access token. The
// string result is the OAuth error code when it fails.
func (c *Core) Redeem(form url.Values, clientID, clientSecret string) (token string, g *Grant, oauthErr string) {
	if form.Get("client_id") != clientID || form.Get("client_secret") != clientSecret {
		return "", nil, "invalid_client"
	}
	c.Mu.Lock()
	defer c.Mu.Unlock()
	g, ok := c.codes[form.Get("code")]
	delete(c.codes, form.Get("code")) // single use, even when the rest fails
	if !ok || g.Account == "" {
		return "", nil, "invalid_grant"
	}
	if form.Get("redirect_uri") != g.RedirectURI {
		return "", nil, "redirect_uri_mismatch"
	}
	sum := sha256.Sum256([]byte(form.Get("code_verifier")))
	if base64.RawURLEncoding.EncodeToString(sum[:]) != g.Challenge {
		return "", nil, "invalid_grant"
	}
	token = Random()
	c.tokens[token] = g
	return token, g, ""
}

// Bearer returns the grant of the access token in r's Authorization
// header ("Bearer X", or GitHub's "token X"), or nil.
func (c *Core) Bearer(r *http.Request) *Grant {
	h := r.Header.Get("Authorization")
	var tok string
	for _, p := range []string{"Bearer ", "bearer ", "token "} {
		if len(h) > len(p) && h[:len(p)] == p {
			tok = h[len(p):]
		}
	}
	c.Mu.Lock()
	defer c.Mu.Unlock()
	return c.tokens[tok]
}

// Random returns a random token-like string.
func Random() string {
	b := make([]byte, 20)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// FailWith makes path answer status from now on (0 clears it).
func (c *Core) FailWith(path string, status int) {
	c.Mu.Lock()
	defer c.Mu.Unlock()
	c.Fail[path] = status
}

// BlockPath makes path hang until the client gives up or the test ends.
func (c *Core) BlockPath(path string) {
	c.Mu.Lock()
	defer c.Mu.Unlock()
	c.Block[path] = true
}

// SignIn sets the account the authorization page grants codes to.
func (c *Core) SignIn(account string) {
	c.Mu.Lock()
	defer c.Mu.Unlock()
	c.SignedIn = account
}
