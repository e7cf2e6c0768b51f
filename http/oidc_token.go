package http

import (
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/authportal/authportal/commands"
	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/projections"
	"github.com/authportal/authportal/throttle"
)

// tokenError is an error of the token, revocation and introspection
// endpoints (RFC 6749 §5.2).
type tokenError struct {
	status      int
	code        string
	description string
	basic       bool // client authentication was tried with HTTP Basic: 401 names the scheme
}

func (s *Server) writeTokenError(w http.ResponseWriter, r *http.Request, e tokenError) {
	if e.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="authportal", charset="UTF-8"`)
	}
	body := map[string]string{"error": e.code}
	if e.description != "" {
		body["error_description"] = e.description
	}
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, r, e.status, body)
}

// Budgets of the client-authenticated endpoints: client secrets, codes and
// refresh tokens are guessable things, and each check costs a bcrypt. Per
// address and per client id, shared by every node.
var (
	oidcAddressLimit = throttle.Limit{Every: 500 * time.Millisecond, Burst: 30}
	oidcClientLimit  = throttle.Limit{Every: 500 * time.Millisecond, Burst: 60}
)

// oidcFormBytes bounds the form of the token, revocation and introspection endpoints.
const oidcFormBytes = 16 << 10

// authenticateClient reads the form and the client's credentials
// (client_secret_basic, client_secret_post, or none for a public client),
// spends from the budgets, and checks them. A failure writes no event.
func (s *Server) authenticateClient(w http.ResponseWriter, r *http.Request) (domain.Client, *tokenError) {
	r.Body = http.MaxBytesReader(w, r.Body, oidcFormBytes)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		return domain.Client{}, &tokenError{http.StatusBadRequest, "invalid_request", "the body must be application/x-www-form-urlencoded", false}
	}
	if err := r.ParseForm(); err != nil {
		return domain.Client{}, &tokenError{http.StatusBadRequest, "invalid_request", "the body is not a valid form", false}
	}
	for _, vs := range r.PostForm {
		if len(vs) > 1 {
			return domain.Client{}, &tokenError{http.StatusBadRequest, "invalid_request", "a parameter is repeated", false}
		}
	}
	id, secret, basic := r.BasicAuth()
	presented := basic
	if basic {
		// RFC 6749 §2.3.1: both are form-urlencoded inside Basic.
		var err1, err2 error
		id, err1 = url.QueryUnescape(id)
		secret, err2 = url.QueryUnescape(secret)
		if err1 != nil || err2 != nil || r.PostForm.Has("client_secret") {
			return domain.Client{}, &tokenError{http.StatusBadRequest, "invalid_request", "send the client credentials one way only", false}
		}
		if formID := r.PostForm.Get("client_id"); formID != "" && formID != id {
			return domain.Client{}, &tokenError{http.StatusBadRequest, "invalid_request", "client_id does not match the credentials", false}
		}
	} else {
		id = r.PostForm.Get("client_id")
		secret, presented = r.PostForm.Get("client_secret"), r.PostForm.Has("client_secret")
	}
	if id == "" {
		return domain.Client{}, &tokenError{http.StatusUnauthorized, "invalid_client", "client authentication is required", basic}
	}
	now := s.deps.Now()
	for _, b := range []struct {
		scope, id string
		limit     throttle.Limit
	}{
		{"oidc-address", throttle.AddressKey(metaFrom(r.Context()).ClientIP), oidcAddressLimit},
		{"oidc-client", id, oidcClientLimit},
	} {
		d, err := s.deps.Budgets.Take(r.Context(), b.scope, b.id, b.limit, now)
		if err != nil {
			s.deps.Logger.WarnContext(r.Context(), "rate limit unavailable", "err", err)
			return domain.Client{}, &tokenError{http.StatusServiceUnavailable, "temporarily_unavailable", "try again in a moment", false}
		}
		if !d.Allowed {
			w.Header().Set("Retry-After", retryAfterHeader(d.RetryAfter))
			return domain.Client{}, &tokenError{http.StatusTooManyRequests, "slow_down", "too many requests; try again later", false}
		}
	}
	c, err := s.deps.OIDC.Clients.Authenticate(r.Context(), id, secret, presented)
	switch {
	case errors.Is(err, commands.ErrInvalidCredentials):
		s.deps.Logger.InfoContext(r.Context(), "oidc: client authentication failed", "request_id", metaFrom(r.Context()).RequestID)
		return domain.Client{}, &tokenError{http.StatusUnauthorized, "invalid_client", "client authentication failed", basic}
	case err != nil:
		s.deps.Logger.WarnContext(r.Context(), "oidc: client authentication", "err", err)
		return domain.Client{}, &tokenError{http.StatusServiceUnavailable, "temporarily_unavailable", "try again in a moment", false}
	}
	return c, nil
}

func retryAfterHeader(d time.Duration) string {
	_, v := tooManyAttempts(d)
	return v
}

// pkceVerifier is RFC 7636 §4.1: 43 to 128 unreserved characters.
var pkceVerifier = regexp.MustCompile(`^[A-Za-z0-9._~-]{43,128}$`)

// oidcToken is POST /oidc/token: authorization_code (PKCE, single use) and
// refresh_token (rotated on every use).
func (s *Server) oidcToken(w http.ResponseWriter, r *http.Request) {
	c, terr := s.authenticateClient(w, r)
	if terr != nil {
		s.writeTokenError(w, r, *terr)
		return
	}
	f := r.PostForm
	var toks commands.Tokens
	var err error
	switch f.Get("grant_type") {
	case "authorization_code":
		if f.Get("code") == "" || f.Get("redirect_uri") == "" {
			s.writeTokenError(w, r, tokenError{http.StatusBadRequest, "invalid_request", "code and redirect_uri are required", false})
			return
		}
		if !pkceVerifier.MatchString(f.Get("code_verifier")) {
			s.writeTokenError(w, r, tokenError{http.StatusBadRequest, "invalid_grant", "a valid code_verifier is required", false})
			return
		}
		toks, err = s.deps.OIDC.Grants.Redeem(r.Context(), commands.RedeemCode{Code: f.Get("code"), ClientID: c.ID,
			RedirectURI: f.Get("redirect_uri"), Verifier: f.Get("code_verifier"), Meta: s.clientMeta(r, c)})
	case "refresh_token":
		if f.Get("refresh_token") == "" {
			s.writeTokenError(w, r, tokenError{http.StatusBadRequest, "invalid_request", "refresh_token is required", false})
			return
		}
		toks, err = s.deps.OIDC.Grants.Refresh(r.Context(), commands.RefreshTokens{Refresh: f.Get("refresh_token"), ClientID: c.ID, Meta: s.clientMeta(r, c)})
	case "":
		s.writeTokenError(w, r, tokenError{http.StatusBadRequest, "invalid_request", "grant_type is required", false})
		return
	default:
		s.writeTokenError(w, r, tokenError{http.StatusBadRequest, "unsupported_grant_type", "", false})
		return
	}
	switch {
	case errors.Is(err, domain.ErrGrantInvalid), errors.Is(err, domain.ErrCodeReplayed), errors.Is(err, domain.ErrRefreshReused):
		if !errors.Is(err, domain.ErrGrantInvalid) {
			s.deps.Logger.WarnContext(r.Context(), "oidc: replayed grant revoked", "client_id", c.ID, "err", err)
			// The revocation must hold everywhere before anyone is told.
			if err := s.deps.OIDC.Tokens.WaitFor(r.Context(), projections.OIDCTokensName, toks.Position, freshnessWait); err != nil {
				s.deps.Logger.WarnContext(r.Context(), "oidc: wait for revocation", "err", err)
			}
		}
		s.writeTokenError(w, r, tokenError{http.StatusBadRequest, "invalid_grant", "the code or refresh token is not valid", false})
		return
	case err != nil:
		s.deps.Logger.WarnContext(r.Context(), "oidc: token", "err", err)
		s.writeTokenError(w, r, tokenError{http.StatusServiceUnavailable, "temporarily_unavailable", "try again in a moment", false})
		return
	}
	// The user must still be authorized and the session still stand: if
	// not, what was just issued is revoked before anyone sees it.
	g := toks.Grant
	// This node's model must have seen the grant's events (and so the
	// session's start, and any end before them) before it judges: the code
	// may come from a sign-in on another node a moment ago.
	if err := s.awaitModel(r.Context(), toks.Position); err != nil {
		s.deps.Logger.WarnContext(r.Context(), "oidc: access model behind", "err", err)
		s.writeTokenError(w, r, tokenError{http.StatusServiceUnavailable, "temporarily_unavailable", "try again in a moment", false})
		return
	}
	u, live := s.liveUser(g.SessionID, g.UserID, g.Epoch)
	if !live {
		if _, err := s.deps.OIDC.Grants.Revoke(r.Context(), commands.RevokeGrant{GrantID: g.ID, ClientID: c.ID, Reason: "session_ended",
			Meta: s.clientMeta(r, c)}); err != nil {
			s.deps.Logger.WarnContext(r.Context(), "oidc: revoke grant of an ended session", "err", err)
		}
		s.writeTokenError(w, r, tokenError{http.StatusBadRequest, "invalid_grant", "the sign-in this grant belongs to has ended", false})
		return
	}
	now := s.deps.Now()
	idToken, err := s.signIDToken(r, idTokenClaims{grant: g, access: toks.Access, user: userClaims(u, g.Scopes), issuedAt: now})
	if err == nil {
		// Userinfo on any node must find the token the moment the client has it.
		err = s.deps.OIDC.Tokens.WaitFor(r.Context(), projections.OIDCTokensName, toks.Position, freshnessWait)
	}
	if err != nil {
		s.deps.Logger.WarnContext(r.Context(), "oidc: finish token response", "err", err)
		s.writeTokenError(w, r, tokenError{http.StatusServiceUnavailable, "temporarily_unavailable", "try again in a moment", false})
		return
	}
	body := map[string]any{
		"access_token": toks.Access, "token_type": "Bearer", "expires_in": int(toks.AccessExpiresAt.Sub(now).Seconds()),
		"id_token": idToken, "scope": strings.Join(g.Scopes, " "),
	}
	if toks.Refresh != "" {
		body["refresh_token"] = toks.Refresh
	}
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, r, http.StatusOK, body)
}

// liveUser asks the access model whether a grant's session still stands and
// its user is authorized, and returns the user.
func (s *Server) liveUser(sessionID, userID string, epoch int64) (userView, bool) {
	u, err := s.deps.Access.CheckSession(sessionID, userID, epoch, s.deps.Now())
	if err != nil || !u.Authorized() {
		return userView{}, false
	}
	return userView{ID: u.ID, Username: u.Username, Email: u.Email, Admin: u.Admin}, true
}

// clientMeta is the event metadata of what a client does at the token endpoint.
func (s *Server) clientMeta(r *http.Request, c domain.Client) domain.Metadata {
	md := eventMeta(r.Context())
	md.Actor, md.ActorKind = "client:"+c.ID, domain.ActorSystem
	return md
}

// userView is what the claims say of a user.
type userView struct {
	ID, Username, Email string
	Admin               bool
}

// userClaimNames are the user claims an ID token or userinfo may carry.
var userClaimNames = []string{"preferred_username", "name", "email", "email_verified", "groups"}

// userClaims are a user's claims for the scopes granted (OIDC Core §5.4).
func userClaims(u userView, scopes []string) map[string]any {
	out := map[string]any{}
	for _, sc := range scopes {
		switch sc {
		case domain.ScopeProfile:
			out["preferred_username"], out["name"] = u.Username, u.Username
		case domain.ScopeEmail:
			if u.Email != "" {
				// The portal never sent this address a link to prove it.
				out["email"], out["email_verified"] = u.Email, false
			}
		case domain.ScopeGroups:
			groups := []string{"users"}
			if u.Admin {
				groups = append(groups, "admins")
			}
			out["groups"] = groups
		}
	}
	return out
}
