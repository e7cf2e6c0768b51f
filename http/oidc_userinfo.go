package http

import (
	"errors"
	"net/http"
	"strings"

	"github.com/authportal/authportal/commands"
	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/queries"
)

// bearerToken reads an RFC 6750 bearer token from the Authorization header.
func bearerToken(r *http.Request) string {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || len(token) > 200 {
		return ""
	}
	return strings.TrimSpace(token)
}

// activeToken looks an access token up and checks it still stands: not
// expired, not revoked, its session live and its user authorized, as this
// node's access model says now.
func (s *Server) activeToken(r *http.Request, token string) (queries.AccessToken, userView, bool, error) {
	if token == "" {
		return queries.AccessToken{}, userView{}, false, nil
	}
	t, err := s.deps.OIDC.Tokens.AccessToken(r.Context(), commands.Digest(token))
	if errors.Is(err, queries.ErrNotFound) {
		return queries.AccessToken{}, userView{}, false, nil
	}
	if err != nil {
		return queries.AccessToken{}, userView{}, false, err
	}
	if t.Revoked || !s.deps.Now().Before(t.ExpiresAt) {
		return t, userView{}, false, nil
	}
	// The model must have seen the token's issue, after its session's start.
	if err := s.awaitModel(r.Context(), t.Position); err != nil {
		return t, userView{}, false, err
	}
	// A deleted client's tokens end with it.
	if _, err := s.deps.OIDC.Clients.Client(r.Context(), t.ClientID); errors.Is(err, domain.ErrClientNotFound) {
		return t, userView{}, false, nil
	} else if err != nil {
		return t, userView{}, false, err
	}
	u, live := s.liveUser(t.SessionID, t.UserID, t.Epoch)
	return t, u, live, nil
}

// oidcUserinfo is GET|POST /oidc/userinfo: the user's claims for the
// scopes of the bearer token.
func (s *Server) oidcUserinfo(w http.ResponseWriter, r *http.Request) {
	t, u, ok, err := s.activeToken(r, bearerToken(r))
	if err != nil {
		s.deps.Logger.WarnContext(r.Context(), "oidc: userinfo", "err", err)
		writeJSON(w, r, http.StatusServiceUnavailable, map[string]string{"error": "temporarily_unavailable"})
		return
	}
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		writeJSON(w, r, http.StatusUnauthorized, map[string]string{"error": "invalid_token"})
		return
	}
	claims := userClaims(u, t.Scopes)
	claims["sub"] = t.UserID
	writeJSON(w, r, http.StatusOK, claims)
}

// oidcRevoke is POST /oidc/revoke (RFC 7009): a refresh or access token of
// the authenticated client ends, with every token of its grant. Whatever
// the token, the answer is 200.
func (s *Server) oidcRevoke(w http.ResponseWriter, r *http.Request) {
	c, terr := s.authenticateClient(w, r)
	if terr != nil {
		s.writeTokenError(w, r, *terr)
		return
	}
	token := r.PostForm.Get("token")
	if token == "" {
		s.writeTokenError(w, r, tokenError{http.StatusBadRequest, "invalid_request", "token is required", false})
		return
	}
	grantID, err := s.deps.OIDC.Grants.RefreshGrant(r.Context(), token)
	if err == nil && grantID == "" {
		var t queries.AccessToken
		t, err = s.deps.OIDC.Tokens.AccessToken(r.Context(), commands.Digest(token))
		if errors.Is(err, queries.ErrNotFound) {
			err = nil
		}
		grantID = t.GrantID
	}
	if err == nil && grantID != "" {
		var res commands.Result
		res, err = s.deps.OIDC.Grants.Revoke(r.Context(), commands.RevokeGrant{GrantID: grantID, ClientID: c.ID, Reason: "revoked", Meta: s.clientMeta(r, c)})
		if err == nil && res.Position > 0 {
			err = s.deps.OIDC.Tokens.WaitFor(r.Context(), "oidc_tokens", res.Position, freshnessWait)
		}
	}
	if err != nil {
		s.deps.Logger.WarnContext(r.Context(), "oidc: revoke", "err", err)
		s.writeTokenError(w, r, tokenError{http.StatusServiceUnavailable, "temporarily_unavailable", "try again in a moment", false})
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
}

// oidcIntrospect is POST /oidc/introspect (RFC 7662) for confidential
// clients. A client learns only about its own tokens: anyone else's is
// inactive to it.
func (s *Server) oidcIntrospect(w http.ResponseWriter, r *http.Request) {
	c, terr := s.authenticateClient(w, r)
	if terr != nil {
		s.writeTokenError(w, r, *terr)
		return
	}
	if c.Public {
		s.writeTokenError(w, r, tokenError{http.StatusUnauthorized, "invalid_client", "introspection needs a confidential client", false})
		return
	}
	token := r.PostForm.Get("token")
	inactive := map[string]any{"active": false}
	// A refresh token first: it names its grant.
	if grantID, err := s.deps.OIDC.Grants.RefreshGrant(r.Context(), token); err != nil {
		s.introspectFailed(w, r, err)
		return
	} else if grantID != "" {
		g, err := s.deps.OIDC.Grants.Grant(r.Context(), grantID)
		if err != nil {
			s.introspectFailed(w, r, err)
			return
		}
		_, live := s.liveUser(g.SessionID, g.UserID, g.Epoch)
		if g.ClientID != c.ID || g.Revoked || g.RefreshDigest != commands.Digest(token) || !s.deps.Now().Before(g.RefreshExpiresAt) || !live {
			writeJSON(w, r, http.StatusOK, inactive)
			return
		}
		writeJSON(w, r, http.StatusOK, map[string]any{"active": true, "token_type": "refresh_token", "client_id": g.ClientID,
			"sub": g.UserID, "scope": strings.Join(g.Scopes, " "), "exp": g.RefreshExpiresAt.Unix(), "iss": s.issuer(), "sid": g.SessionID})
		return
	}
	t, u, ok, err := s.activeToken(r, token)
	if err != nil {
		s.introspectFailed(w, r, err)
		return
	}
	if !ok || t.ClientID != c.ID {
		writeJSON(w, r, http.StatusOK, inactive)
		return
	}
	writeJSON(w, r, http.StatusOK, map[string]any{"active": true, "token_type": "Bearer", "client_id": t.ClientID, "sub": t.UserID,
		"username": u.Username, "scope": strings.Join(t.Scopes, " "), "exp": t.ExpiresAt.Unix(), "iat": t.IssuedAt.Unix(),
		"iss": s.issuer(), "aud": t.ClientID, "sid": t.SessionID})
}

func (s *Server) introspectFailed(w http.ResponseWriter, r *http.Request, err error) {
	s.deps.Logger.WarnContext(r.Context(), "oidc: introspect", "err", err)
	s.writeTokenError(w, r, tokenError{http.StatusServiceUnavailable, "temporarily_unavailable", "try again in a moment", false})
}
