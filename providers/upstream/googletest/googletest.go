// Package googletest is a fake Google for tests, in the manner of
// net/http/httptest: [NewServer] starts an httptest.Server speaking Google's
// OAuth 2.0 / OpenID Connect web server flow: /o/oauth2/v2/auth; /token
// answering JSON with an access token and an ID token (RS256, signed with a
// key the fake publishes at /oauth2/v3/certs, iss https://accounts.google.com,
// aud the client id, the authorization request's nonce), 400
// {"error":"invalid_grant"} for a bad, used or unverified code, 401
// {"error":"invalid_client"} for bad client credentials. Seed accounts with
// AddAccount, choose who is signed in with SignIn, forge ID tokens with
// EditIDToken and SignWithUnpublishedKey, seed failures with FailWith,
// BlockPath and SetDown, and read Requests.
package googletest

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/authportal/authportal/providers/upstream/internal/oauthfake"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
)

// Paths the fake serves, for FailWith, BlockPath and RequestsTo.
const (
	PathAuthorize = "/o/oauth2/v2/auth"
	PathToken     = "/token"
	PathCerts     = "/oauth2/v3/certs"
)

// Issuer is what the fake's ID tokens name as "iss", as Google's do.
const Issuer = "https://accounts.google.com"

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
	key, unpublished       jwk.Key // signing keys; only key is in the JWKS
	public                 jwk.Set
	forge                  bool                        // sign with unpublished
	edit                   func(claims map[string]any) // applied to each ID token's claims
}

// NewServer starts a fake Google with client credentials
// "google-client.apps.googleusercontent.com" / "google-secret", closed when
// the test ends.
func NewServer(t testing.TB) *Server {
	t.Helper()
	s := &Server{Core: oauthfake.NewCore(t), ClientID: "google-client.apps.googleusercontent.com", ClientSecret: "google-secret", accounts: map[string]Account{}}
	s.key, s.unpublished = newKey(t), newKey(t)
	pub, err := jwk.PublicKeyOf(s.key)
	if err != nil {
		t.Fatal(err)
	}
	s.public = jwk.NewSet()
	if err := s.public.AddKey(pub); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+PathAuthorize, func(w http.ResponseWriter, r *http.Request) { s.Authorize(w, r, s.ClientID) })
	mux.HandleFunc("POST "+PathToken, s.token)
	mux.HandleFunc("GET "+PathCerts, s.certs)
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

// newKey returns an RS256 signing key. Both of a fake's keys get the same
// key id, so a forged token names the published key.
func newKey(t testing.TB) jwk.Key {
	t.Helper()
	raw, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	k, err := jwk.Import(raw)
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]any{jwk.KeyIDKey: "fake-google-1", jwk.AlgorithmKey: jwa.RS256(), jwk.KeyUsageKey: "sig"} {
		if err := k.Set(name, v); err != nil {
			t.Fatal(err)
		}
	}
	return k
}

// AddAccount seeds a, keyed by its Sub (the name SignIn takes).
func (s *Server) AddAccount(a Account) {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	s.accounts[a.Sub] = a
}

// EditIDToken has f change the claims of every ID token issued from now
// on, before it is signed (a wrong audience, a past expiry, another
// nonce); nil stops it.
func (s *Server) EditIDToken(f func(claims map[string]any)) {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	s.edit = f
}

// SignWithUnpublishedKey makes ID tokens be signed (true) with a key the
// fake does not publish, under the published key's id: a forgery.
func (s *Server) SignWithUnpublishedKey(forge bool) {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	s.forge = forge
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if !s.Record(w, r) {
		return
	}
	if r.PostForm.Get("grant_type") != "authorization_code" {
		oauthfake.WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type", "error_description": "Invalid grant_type: " + r.PostForm.Get("grant_type")})
		return
	}
	tok, g, oauthErr := s.Redeem(r.PostForm, s.ClientID, s.ClientSecret)
	switch oauthErr {
	case "":
		idToken, err := s.idToken(g)
		if err != nil {
			http.Error(w, "fake: cannot sign an ID token: "+err.Error(), http.StatusInternalServerError)
			return
		}
		oauthfake.WriteJSON(w, http.StatusOK, map[string]any{
			"access_token": tok, "expires_in": 3599, "token_type": "Bearer", "scope": g.Scope, "id_token": idToken,
		})
	case "invalid_client":
		oauthfake.WriteJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client", "error_description": "Unauthorized"})
	case "redirect_uri_mismatch":
		oauthfake.WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "redirect_uri_mismatch", "error_description": "Bad Request"})
	default:
		oauthfake.WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant", "error_description": "Bad Request"})
	}
}

// idToken signs the ID token of grant g, with the claims Google puts in
// one for the openid, email and profile scopes.
func (s *Server) idToken(g *oauthfake.Grant) (string, error) {
	s.Mu.Lock()
	a, key, edit := s.accounts[g.Account], s.key, s.edit
	if s.forge {
		key = s.unpublished
	}
	s.Mu.Unlock()
	now := time.Now()
	claims := map[string]any{
		"iss": Issuer, "azp": g.ClientID, "aud": g.ClientID, "sub": a.Sub,
		"email": a.Email, "email_verified": a.EmailVerified, "name": a.Name, "picture": a.Picture,
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}
	if g.Nonce != "" {
		claims["nonce"] = g.Nonce
	}
	if edit != nil {
		edit(claims)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	signed, err := jws.Sign(payload, jws.WithKey(jwa.RS256(), key))
	return string(signed), err
}

// certs publishes the signing key, as https://www.googleapis.com/oauth2/v3/certs.
func (s *Server) certs(w http.ResponseWriter, r *http.Request) {
	if !s.Record(w, r) {
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=300")
	oauthfake.WriteJSON(w, http.StatusOK, s.public)
}
