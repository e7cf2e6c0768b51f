package http

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"
	"time"

	"github.com/authportal/authportal/commands"
	"github.com/authportal/authportal/domain"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

// oidcDiscovery is the provider's metadata (OpenID Connect Discovery 1.0,
// RFC 8414), listing only what is implemented.
func (s *Server) oidcDiscovery(w http.ResponseWriter, r *http.Request) {
	iss := s.issuer()
	base := strings.TrimSuffix(s.config.BaseURL.String(), "/")
	doc := map[string]any{
		"issuer":                                iss,
		"authorization_endpoint":                base + "/oidc/authorize",
		"token_endpoint":                        base + "/oidc/token",
		"userinfo_endpoint":                     base + "/oidc/userinfo",
		"jwks_uri":                              base + "/oidc/jwks.json",
		"revocation_endpoint":                   base + "/oidc/revoke",
		"introspection_endpoint":                base + "/oidc/introspect",
		"end_session_endpoint":                  base + "/oidc/logout",
		"response_types_supported":              []string{"code"},
		"response_modes_supported":              []string{"query"},
		"grant_types_supported":                 []string{"authorization_code", "refresh_token"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"scopes_supported":                      domain.KnownScopes,
		"claims_supported": []string{"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "amr", "at_hash", "sid", "azp",
			"preferred_username", "name", "email", "email_verified", "groups"},
		"token_endpoint_auth_methods_supported":          []string{"client_secret_basic", "client_secret_post", "none"},
		"revocation_endpoint_auth_methods_supported":     []string{"client_secret_basic", "client_secret_post", "none"},
		"introspection_endpoint_auth_methods_supported":  []string{"client_secret_basic", "client_secret_post"},
		"code_challenge_methods_supported":               []string{"S256"},
		"prompt_values_supported":                        []string{"none", "login", "consent", "select_account"},
		"claims_parameter_supported":                     false,
		"request_parameter_supported":                    false,
		"request_uri_parameter_supported":                false,
		"authorization_response_iss_parameter_supported": true,
	}
	w.Header().Set("Access-Control-Allow-Origin", "*") // public metadata, read by browser apps too
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("Content-Type", "application/json")
	writeJSONBody(w, r, doc)
}

// oidcJWKS publishes the public signing keys: the one that signs, one that
// will (published before it signs), and old ones while tokens they signed
// may still be checked.
func (s *Server) oidcJWKS(w http.ResponseWriter, r *http.Request) {
	keys, err := s.deps.OIDC.Keys.Published(r.Context(), idTokenTTL)
	if err != nil {
		s.deps.Logger.ErrorContext(r.Context(), "oidc: signing keys", "err", err)
		writeProblem(w, r, problemUnavailable, "The server is busy. Try again in a moment.")
		return
	}
	set := jwk.NewSet()
	for _, k := range keys {
		pub, err := publicJWK(k)
		if err == nil {
			err = set.AddKey(pub)
		}
		if err != nil {
			s.deps.Logger.ErrorContext(r.Context(), "oidc: publish key", "kid", k.KeyID, "err", err)
			writeProblem(w, r, problemInternal, "Something went wrong.")
			return
		}
	}
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Header().Set("Cache-Control", "public, max-age=60") // well under the rotation's publish delay
	w.Header().Set("Content-Type", "application/json")
	writeJSONBody(w, r, set)
}

func publicJWK(k commands.SigningKey) (jwk.Key, error) {
	pub, err := jwk.Import(&k.Private.PublicKey)
	if err != nil {
		return nil, err
	}
	for name, v := range map[string]any{jwk.KeyIDKey: k.KeyID, jwk.AlgorithmKey: jwa.RS256(), jwk.KeyUsageKey: "sig"} {
		if err := pub.Set(name, v); err != nil {
			return nil, err
		}
	}
	return pub, nil
}

// idTokenClaims are the claims of one ID token.
type idTokenClaims struct {
	grant    domain.Grant
	access   string // the access token issued with it, for at_hash
	user     map[string]any
	issuedAt time.Time
}

// signIDToken signs an ID token (RS256) with the active key. Claim names
// are fixed here, never taken from input (GHSA-4cf7-xm37-g63h).
func (s *Server) signIDToken(r *http.Request, c idTokenClaims) (string, error) {
	key, err := s.deps.OIDC.Keys.Signing(r.Context())
	if err != nil {
		return "", err
	}
	priv, err := jwk.Import(key.Private)
	if err != nil {
		return "", err
	}
	if err := priv.Set(jwk.KeyIDKey, key.KeyID); err != nil {
		return "", err
	}
	g := c.grant
	b := jwt.NewBuilder().Issuer(s.issuer()).Subject(g.UserID).Audience([]string{g.ClientID}).
		IssuedAt(c.issuedAt).Expiration(c.issuedAt.Add(idTokenTTL)).
		Claim("auth_time", g.AuthTime.Unix()).Claim("azp", g.ClientID).Claim("sid", g.SessionID).
		Claim("amr", g.AMR).Claim("at_hash", atHash(c.access))
	if g.Nonce != "" {
		b = b.Claim("nonce", g.Nonce)
	}
	for _, name := range userClaimNames {
		if v, ok := c.user[name]; ok {
			b = b.Claim(name, v)
		}
	}
	tok, err := b.Build()
	if err != nil {
		return "", err
	}
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.RS256(), priv))
	if err != nil {
		return "", err
	}
	return string(signed), nil
}

// atHash is the left half of the SHA-256 of the access token (OIDC Core §3.1.3.6).
func atHash(access string) string {
	sum := sha256.Sum256([]byte(access))
	return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
}
