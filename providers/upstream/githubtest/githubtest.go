// Package githubtest is a fake GitHub for tests, in the manner of
// net/http/httptest: [NewServer] starts an httptest.Server speaking GitHub's
// OAuth web flow (/login/oauth/authorize, /login/oauth/access_token
// answering form-encoded or JSON per Accept, errors in a 200 answer as
// GitHub does) and REST API (/user, /user/emails, 401 "Bad credentials").
// Seed accounts with AddAccount, choose who is signed in with SignIn, seed
// failures with FailWith, BlockPath and SetDown, and read Requests.
package githubtest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/authportal/authportal/providers/upstream/internal/oauthfake"
)

// Paths the fake serves, for FailWith, BlockPath and RequestsTo.
const (
	PathAuthorize = "/login/oauth/authorize"
	PathToken     = "/login/oauth/access_token"
	PathUser      = "/user"
	PathEmails    = "/user/emails"
)

// Email is one entry of /user/emails.
type Email struct {
	Email      string `json:"email"`
	Primary    bool   `json:"primary"`
	Verified   bool   `json:"verified"`
	Visibility string `json:"visibility"`
}

// Account is a seeded GitHub user.
type Account struct {
	ID        int64
	Login     string
	Name      string
	AvatarURL string
	// PublicEmail is the profile's public email in /user, which GitHub does
	// not vouch for.
	PublicEmail string
	Emails      []Email
}

// Server is the fake. Its URL serves both github.com and api.github.com
// paths.
type Server struct {
	*httptest.Server
	*oauthfake.Core
	ClientID, ClientSecret string
	accounts               map[string]Account
}

// NewServer starts a fake GitHub with client credentials "gh-client" /
// "gh-secret", closed when the test ends.
func NewServer(t testing.TB) *Server {
	s := &Server{Core: oauthfake.NewCore(t), ClientID: "gh-client", ClientSecret: "gh-secret", accounts: map[string]Account{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+PathAuthorize, func(w http.ResponseWriter, r *http.Request) { s.Authorize(w, r, s.ClientID) })
	mux.HandleFunc("POST "+PathToken, s.token)
	mux.HandleFunc("GET "+PathUser, s.user)
	mux.HandleFunc("GET "+PathEmails, s.emails)
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

// AddAccount seeds a, keyed by its Login (the name SignIn takes).
func (s *Server) AddAccount(a Account) {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	s.accounts[a.Login] = a
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if !s.Record(w, r) {
		return
	}
	tok, g, oauthErr := s.Redeem(r.PostForm, s.ClientID, s.ClientSecret)
	v := url.Values{}
	if oauthErr != "" {
		// GitHub answers 200 with an error member.
		switch oauthErr {
		case "invalid_client":
			oauthErr = "incorrect_client_credentials"
		case "invalid_grant":
			oauthErr = "bad_verification_code"
		}
		v.Set("error", oauthErr)
		v.Set("error_description", "The code passed is incorrect or expired.")
		v.Set("error_uri", "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/")
	} else {
		v.Set("access_token", tok)
		v.Set("scope", strings.ReplaceAll(g.Scope, " ", ","))
		v.Set("token_type", "bearer")
	}
	if strings.Contains(r.Header.Get("Accept"), "application/json") {
		m := map[string]string{}
		for k := range v {
			m[k] = v.Get(k)
		}
		oauthfake.WriteJSON(w, http.StatusOK, m)
		return
	}
	w.Header().Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	if _, err := io.WriteString(w, v.Encode()); err != nil {
		return // the client went away: there is no one to tell
	}
}

func (s *Server) account(w http.ResponseWriter, r *http.Request) (Account, *oauthfake.Grant, bool) {
	g := s.Bearer(r)
	s.Mu.Lock()
	var a Account
	ok := g != nil
	if ok {
		a, ok = s.accounts[g.Account]
	}
	s.Mu.Unlock()
	if !ok {
		oauthfake.WriteJSON(w, http.StatusUnauthorized, map[string]string{
			"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401",
		})
	}
	return a, g, ok
}

func (s *Server) user(w http.ResponseWriter, r *http.Request) {
	if !s.Record(w, r) {
		return
	}
	a, _, ok := s.account(w, r)
	if !ok {
		return
	}
	var email *string
	if a.PublicEmail != "" {
		email = &a.PublicEmail
	}
	oauthfake.WriteJSON(w, http.StatusOK, map[string]any{
		"login": a.Login, "id": a.ID, "node_id": "U_fake", "avatar_url": a.AvatarURL,
		"type": "User", "site_admin": false, "name": a.Name, "email": email,
	})
}

func (s *Server) emails(w http.ResponseWriter, r *http.Request) {
	if !s.Record(w, r) {
		return
	}
	a, g, ok := s.account(w, r)
	if !ok {
		return
	}
	scopes := strings.FieldsFunc(g.Scope, func(r rune) bool { return r == ' ' || r == ',' })
	if !slices.Contains(scopes, "user:email") && !slices.Contains(scopes, "user") {
		oauthfake.WriteJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found", "documentation_url": "https://docs.github.com/rest", "status": "404"})
		return
	}
	emails := a.Emails
	if emails == nil {
		emails = []Email{}
	}
	oauthfake.WriteJSON(w, http.StatusOK, emails)
}
