package http

import (
	"context"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/authportal/authportal/commands"
	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/queries"
)

// OIDC is what the OpenID Connect provider needs (oidc_*.go). A nil
// Deps.OIDC leaves the provider off.
type OIDC struct {
	Issuer  string // OIDC_ISSUER, else APP_BASE_URL
	Clients oidcClients
	Grants  oidcGrants
	Keys    oidcKeys
	Tokens  oidcTokens
	Admin   clientAdmin // the admin API and its list; nil: no admin API
}

// oidcClients reads and authenticates clients (commands.Clients).
type oidcClients interface {
	Client(ctx context.Context, id string) (domain.Client, error)
	Authenticate(ctx context.Context, id, secret string, presented bool) (domain.Client, error)
}

// oidcGrants issues, redeems, refreshes and revokes grants (commands.GrantsHandler).
type oidcGrants interface {
	IssueCode(ctx context.Context, cmd commands.IssueCode) (commands.IssueCodeResult, error)
	Consented(ctx context.Context, userID, clientID string, scopes []string) (bool, error)
	Redeem(ctx context.Context, cmd commands.RedeemCode) (commands.Tokens, error)
	Refresh(ctx context.Context, cmd commands.RefreshTokens) (commands.Tokens, error)
	Revoke(ctx context.Context, cmd commands.RevokeGrant) (commands.Result, error)
	RefreshGrant(ctx context.Context, token string) (string, error)
	Grant(ctx context.Context, id string) (domain.Grant, error)
	Session(ctx context.Context, id string) (domain.Session, error)
}

// oidcKeys holds the signing keys (commands.KeyRing).
type oidcKeys interface {
	Signing(ctx context.Context) (commands.SigningKey, error)
	Published(ctx context.Context, keep time.Duration) ([]commands.SigningKey, error)
}

// oidcTokens reads the access-token read model (queries.Reader).
type oidcTokens interface {
	AccessToken(ctx context.Context, digest string) (queries.AccessToken, error)
	WaitFor(ctx context.Context, projection string, position int64, timeout time.Duration) error
}

// idTokenTTL is the lifetime of an ID token, and so how long a retired
// signing key stays in the JWKS.
const idTokenTTL = commands.AccessTTL

func (s *Server) registerOIDC(mux *http.ServeMux) {
	if s.deps.OIDC == nil {
		return
	}
	mux.HandleFunc("GET /.well-known/openid-configuration", s.oidcDiscovery)
	mux.HandleFunc("GET /.well-known/oauth-authorization-server", s.oidcDiscovery)
	mux.HandleFunc("GET /oidc/jwks.json", s.oidcJWKS)
	mux.HandleFunc("GET /oidc/authorize", s.oidcAuthorize)
	mux.HandleFunc("POST /oidc/authorize/decision", s.oidcDecision)
	mux.HandleFunc("POST /oidc/authorize/reauth", s.oidcReauth)
	mux.HandleFunc("POST /oidc/token", s.oidcToken)
	mux.HandleFunc("GET /oidc/userinfo", s.oidcUserinfo)
	mux.HandleFunc("POST /oidc/userinfo", s.oidcUserinfo)
	mux.HandleFunc("POST /oidc/revoke", s.oidcRevoke)
	mux.HandleFunc("POST /oidc/introspect", s.oidcIntrospect)
	mux.HandleFunc("GET /oidc/logout", s.oidcLogout)
	mux.HandleFunc("POST /oidc/logout", s.oidcLogoutConfirm)
}

// oidcBypassCSRF lists the endpoints that relying parties call from their
// servers (or a browser app on another origin): they are authenticated by
// client credentials or a bearer token, never by the session cookie, so
// the same-origin check has nothing to protect there.
var oidcBypassCSRF = []string{"POST /oidc/token", "POST /oidc/revoke", "POST /oidc/introspect", "POST /oidc/userinfo"}

func (s *Server) issuer() string { return s.deps.OIDC.Issuer }

// writeJSON answers a JSON document that must not be cached (tokens,
// userinfo).
func writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		slog.DebugContext(r.Context(), "client went away", "err", err)
	}
}

// pendingRequest is an authorization request waiting on the consent page.
// It travels sealed in the page's form, bound to the session that saw it,
// and its id becomes the grant's: the grant stream can be created once, so
// the same form cannot be answered twice.
type pendingRequest struct {
	ID          string    `json:"id"`
	ClientID    string    `json:"c"`
	RedirectURI string    `json:"r"`
	Scopes      []string  `json:"s"`
	State       string    `json:"st,omitempty"`
	Nonce       string    `json:"n,omitempty"`
	Challenge   string    `json:"pk"`
	ExpiresAt   time.Time `json:"e"`
}

// pendingTTL is how long the consent page may stay open.
const pendingTTL = 10 * time.Minute

type pendingCodec struct{ aead cipher.AEAD }

func newPendingCodec(sessionKey []byte) pendingCodec {
	return pendingCodec{aead: derivedAEAD(sessionKey, "authportal oidc pending request v1")}
}

func (c pendingCodec) seal(p pendingRequest, sessionID string) (string, error) {
	plain, err := json.Marshal(p)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, c.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(c.aead.Seal(nonce, nonce, plain, []byte(sessionID))), nil
}

func (c pendingCodec) open(value, sessionID string, now time.Time) (pendingRequest, bool) {
	if len(value) > 8192 {
		return pendingRequest{}, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(value)
	if err != nil || len(raw) < c.aead.NonceSize() {
		return pendingRequest{}, false
	}
	plain, err := c.aead.Open(nil, raw[:c.aead.NonceSize()], raw[c.aead.NonceSize():], []byte(sessionID))
	if err != nil {
		return pendingRequest{}, false
	}
	var p pendingRequest
	if err := json.Unmarshal(plain, &p); err != nil || !now.Before(p.ExpiresAt) {
		return pendingRequest{}, false
	}
	return p, true
}

// withQuery returns base with params added to its query (RFC 6749 §3.1.2:
// a redirect URI's own query is kept).
func withQuery(base string, params url.Values) string {
	u, err := url.Parse(base)
	if err != nil {
		return base
	}
	q := u.Query()
	for k, vs := range params {
		for _, v := range vs {
			if v != "" {
				q.Add(k, v)
			}
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}

func writeJSONBody(w http.ResponseWriter, r *http.Request, v any) {
	if err := json.NewEncoder(w).Encode(v); err != nil {
		slog.DebugContext(r.Context(), "client went away", "err", err)
	}
}

// cspOrigin accepts an origin plain enough to name in a policy.
var cspOrigin = regexp.MustCompile(`^https?://[A-Za-z0-9.:\[\]-]+$`)

// allowFormRedirect lets this page's form end in a redirect to target's
// origin: browsers hold a form's submission, redirects included, to the
// page's form-action, and the consent and sign-out forms end at the app.
func allowFormRedirect(w http.ResponseWriter, target string) {
	u, err := url.Parse(target)
	if err != nil || target == "" {
		return
	}
	o := u.Scheme + "://" + u.Host
	if !cspOrigin.MatchString(o) {
		return
	}
	w.Header().Set("Content-Security-Policy", strings.Replace(contentSecurityPolicy, "form-action 'self'", "form-action 'self' "+o, 1))
}
