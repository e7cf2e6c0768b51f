// Package googletest is a fake Google for tests, in the manner of
// net/http/httptest: [NewServer] starts an httptest.Server speaking Google's
// OAuth 2.0 web server flow (/o/oauth2/v2/auth; /token answering JSON, 400
// {"error":"invalid_grant"} for a bad, used or unverified code, 401
// {"error":"invalid_client"} for bad client credentials) and the OpenID
// Connect userinfo endpoint (/v1/userinfo with a Bearer token; 401 when it
// is not valid). The token answer carries no id_token: the client reads
// userinfo. Seed accounts with AddAccount, choose who is signed in with
// SignIn, seed failures with FailWith and BlockPath, and read Requests.
package googletest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/authportal/authportal/providers/upstream/internal/oauthfake"
)

// Paths the fake serves, for FailWith, BlockPath and RequestsTo.
const (
	PathAuthorize = "/o/oauth2/v2/auth"
	PathToken     = "/token"
	PathUserinfo  = "/v1/userinfo"
)

// Account is a seeded Google user.
type Account struct {
	Sub           string
	Email         string
	EmailVerified bool
	Name          string
	Picture       string
}

// Server is the fake.
type Server struct {
	*httptest.Server
	*oauthfake.Core
	ClientID, ClientSecret string
	accounts               map[string]Account
}

// NewServer starts a fake Google with client credentials
// "google-client.apps.googleusercontent.com" / "google-secret", closed when
// the test ends.
func NewServer(t testing.TB) *Server {
	s := &Server{Core: oauthfake.NewCore(t), ClientID: "google-client.apps.googleusercontent.com", ClientSecret: "google-secret", accounts: map[string]Account{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+PathAuthorize, func(w http.ResponseWriter, r *http.Request) { s.Authorize(w, r, s.ClientID) })
	mux.HandleFunc("POST "+PathToken, s.token)
	mux.HandleFunc("GET "+PathUserinfo, s.userinfo)
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

// AddAccount seeds a, keyed by its Sub (the name SignIn takes).
func (s *Server) AddAccount(a Account) {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	s.accounts[a.Sub] = a
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if !s.Record(w, r) {
		return
	}
	if r.PostForm.Get("grant_type") != "authorization_code" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type", "error_description": "Invalid grant_type: " + r.PostForm.Get("grant_type")})
		return
	}
	tok, g, oauthErr := s.Redeem(r.PostForm, s.ClientID, s.ClientSecret)
	switch oauthErr {
	case "":
		writeJSON(w, http.StatusOK, map[string]any{
			"access_token": tok, "expires_in": 3599, "token_type": "Bearer", "scope": g.Scope,
		})
	case "invalid_client":
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client", "error_description": "Unauthorized"})
	case "redirect_uri_mismatch":
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "redirect_uri_mismatch", "error_description": "Bad Request"})
	default:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant", "error_description": "Bad Request"})
	}
}

func (s *Server) userinfo(w http.ResponseWriter, r *http.Request) {
	if !s.Record(w, r) {
		return
	}
	g := s.Bearer(r)
	s.Mu.Lock()
	var a Account
	ok := g != nil
	if ok {
		a, ok = s.accounts[g.Account]
	}
	s.Mu.Unlock()
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="https://accounts.google.com/", error="invalid_token"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_request", "error_description": "Invalid Credentials"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"sub": a.Sub, "name": a.Name, "picture": a.Picture,
		"email": a.Email, "email_verified": a.EmailVerified,
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
