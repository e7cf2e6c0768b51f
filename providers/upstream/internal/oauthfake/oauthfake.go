// Package oauthfake holds what the GitHub and Google fakes and the test OP
// share: seeded failures ([Faults]), an authorization endpoint that grants
// codes to the signed-in test account, code and token bookkeeping with
// PKCE S256 checks, a record of requests received, and JSON answers. It is
// test support, never product code.
package oauthfake

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
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
	Nonce       string // the authorization request's nonce, for an ID token
}

// Core is the shared state of a fake; the embedding fake locks Mu around
// its own fields too.
type Core struct {
	*Faults
	Mu       sync.Mutex
	Requests []Request
	// SignedIn is the account the fake's authorization page grants codes
	// to, as if that user had signed in and consented.
	SignedIn string
	codes    map[string]*Grant // unused codes
	tokens   map[string]*Grant
}

// NewCore returns an empty Core for t.
func NewCore(t testing.TB) *Core {
	return &Core{Faults: NewFaults(t.Context().Done()), codes: map[string]*Grant{}, tokens: map[string]*Grant{}}
}

// Record notes r and applies seeded faults; it reports false when the
// handler must stop (a fault or an unreadable form was answered).
func (c *Core) Record(w http.ResponseWriter, r *http.Request) bool {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "unreadable form", http.StatusBadRequest)
		return false
	}
	c.Mu.Lock()
	c.Requests = append(c.Requests, Request{
		Method: r.Method, Path: r.URL.Path,
		Authorization: r.Header.Get("Authorization"), Accept: r.Header.Get("Accept"),
		Form: r.Form,
	})
	c.Mu.Unlock()
	return !c.Apply(w, r)
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
	u, err := url.Parse(q.Get("redirect_uri"))
	if err != nil {
		http.Error(w, "bad redirect_uri", http.StatusBadRequest)
		return
	}
	c.Mu.Lock()
	account := c.SignedIn
	code := rand.Text()
	c.codes[code] = &Grant{Account: account, Scope: q.Get("scope"), RedirectURI: q.Get("redirect_uri"),
		Challenge: q.Get("code_challenge"), ClientID: clientID, Nonce: q.Get("nonce")}
	c.Mu.Unlock()
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
	token = rand.Text()
	c.tokens[token] = g
	return token, g, ""
}

// Bearer returns the grant of the access token in r's Authorization
// header ("Bearer X", or GitHub's "token X"), or nil.
func (c *Core) Bearer(r *http.Request) *Grant {
	h := r.Header.Get("Authorization")
	var tok string
	for _, p := range []string{"Bearer ", "bearer ", "token "} {
		if t, ok := strings.CutPrefix(h, p); ok && t != "" {
			tok = t
		}
	}
	c.Mu.Lock()
	defer c.Mu.Unlock()
	return c.tokens[tok]
}

// SignIn sets the account the authorization page grants codes to.
func (c *Core) SignIn(account string) {
	c.Mu.Lock()
	defer c.Mu.Unlock()
	c.SignedIn = account
}

// WriteJSON answers status with v as JSON, as the real providers do.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "fake: cannot encode its answer: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	// A failed write means the client went away: there is no one to tell.
	if _, err := w.Write(body); err != nil {
		return
	}
}
