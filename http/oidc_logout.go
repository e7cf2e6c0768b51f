package http

import (
	"net/http"
	"net/url"
	"slices"

	"github.com/authportal/authportal/commands"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

type logoutData struct {
	pageData
	Client   string
	ClientID string
	Redirect string
	State    string
}

// oidcLogout is GET /oidc/logout, RP-initiated logout: the app names
// itself (id_token_hint, or client_id) and may ask to be sent back to one
// of its registered post_logout_redirect_uris. The user confirms on a page
// (a POST, so no other site signs anyone out with a link).
func (s *Server) oidcLogout(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	clientID := q.Get("client_id")
	if hint := q.Get("id_token_hint"); hint != "" {
		aud, ok := s.hintAudience(r, hint)
		if !ok || (clientID != "" && clientID != aud) {
			s.oidcErrorPage(w, r, http.StatusBadRequest, "The app sent a sign-out request this portal cannot check.", nil)
			return
		}
		clientID = aud
	}
	d := logoutData{pageData: s.pageData(r, "Sign out"), State: q.Get("state")}
	if clientID != "" {
		c, err := s.deps.OIDC.Clients.Client(r.Context(), clientID)
		if err != nil {
			s.oidcErrorPage(w, r, http.StatusBadRequest, "The app that sent you here is not registered with this portal.", nil)
			return
		}
		d.Client, d.ClientID = c.Name, c.ID
		if uri := q.Get("post_logout_redirect_uri"); uri != "" {
			if !c.HasPostLogoutRedirectURI(uri) {
				s.oidcErrorPage(w, r, http.StatusBadRequest, "The app asked to send you back to an address it has not registered.", nil)
				return
			}
			d.Redirect = uri
		}
	} else if q.Get("post_logout_redirect_uri") != "" {
		s.oidcErrorPage(w, r, http.StatusBadRequest, "The app did not say who it is, so this portal will not send you back to it.", nil)
		return
	}
	if len(d.State) > 1000 {
		d.State = ""
	}
	w.Header().Set("Cache-Control", "no-store")
	allowFormRedirect(w, d.Redirect)
	s.render(w, r, "oidc_logout.html", d)
}

// oidcLogoutConfirm ends the session and sends the user back to the app
// when it registered where.
func (s *Server) oidcLogoutConfirm(w http.ResponseWriter, r *http.Request) {
	redirect := "/"
	if id, uri := r.PostFormValue("client_id"), r.PostFormValue("post_logout_redirect_uri"); id != "" && uri != "" {
		c, err := s.deps.OIDC.Clients.Client(r.Context(), id)
		if err != nil || !c.HasPostLogoutRedirectURI(uri) {
			s.oidcErrorPage(w, r, http.StatusBadRequest, "The app asked to send you back to an address it has not registered.", nil)
			return
		}
		redirect = withQuery(uri, url.Values{"state": {r.PostFormValue("state")}})
	}
	if p := principal(r.Context()); p != nil {
		res, err := s.deps.Logout.Handle(r.Context(), commands.Logout{SessionID: p.SessionID, Meta: eventMeta(r.Context())})
		if err == nil {
			err = s.awaitModel(r.Context(), res.Position)
		}
		if err != nil {
			writeErrorModel(w, r, problemFor(r.Context(), s.deps.Logger, err))
			return
		}
	}
	for _, name := range []string{sessionCookie, pendingCookie} {
		c := s.jar.expire(name)
		http.SetCookie(w, &c)
	}
	http.Redirect(w, r, redirect, http.StatusSeeOther)
}

// hintAudience checks an id_token_hint's signature and issuer against this
// provider's published keys (an expired hint is fine: OIDC RP-Initiated
// Logout §2) and returns its client.
func (s *Server) hintAudience(r *http.Request, hint string) (string, bool) {
	if len(hint) > 8192 {
		return "", false
	}
	keys, err := s.deps.OIDC.Keys.Published(r.Context(), idTokenTTL)
	if err != nil {
		return "", false
	}
	set := jwk.NewSet()
	for _, k := range keys {
		pub, err := publicJWK(k)
		if err != nil || set.AddKey(pub) != nil {
			return "", false
		}
	}
	// The signature is checked; the times are not (validation off).
	tok, err := jwt.Parse([]byte(hint), jwt.WithKeySet(set), jwt.WithValidate(false))
	if err != nil {
		return "", false
	}
	if iss, ok := tok.Issuer(); !ok || iss != s.issuer() {
		return "", false
	}
	aud, ok := tok.Audience()
	if !ok || len(aud) != 1 || slices.Contains(aud, "") {
		return "", false
	}
	return aud[0], true
}
