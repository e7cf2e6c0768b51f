package http

import (
	"crypto/rand"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/authportal/authportal/commands"
	"github.com/authportal/authportal/domain"
)

// authorizeError is an error the authorize endpoint sends back to the
// client's redirect_uri (RFC 6749 §4.1.2.1), with iss (RFC 9207).
type authorizeError struct {
	code, description string
}

// pkceChallenge is an S256 challenge: base64url of 32 bytes.
var pkceChallenge = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

// authorizeRequest is a checked authorization request.
type authorizeRequest struct {
	client  domain.Client
	pending pendingRequest
	prompt  string
	maxAge  int // -1: not given
}

// oidcAuthorize is GET /oidc/authorize: authorization code flow only, PKCE
// S256 for every client. A request whose client or redirect_uri does not
// check out gets an error page and never a redirect.
func (s *Server) oidcAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	req, aerr, page := s.parseAuthorize(r, q)
	if page != "" {
		s.oidcErrorPage(w, r, http.StatusBadRequest, page, nil)
		return
	}
	if aerr != nil {
		s.authorizeRedirect(w, r, req, url.Values{"error": {aerr.code}, "error_description": {aerr.description}}, http.StatusFound)
		return
	}
	p := principal(r.Context())
	if p == nil {
		if req.prompt == "none" {
			s.authorizeRedirect(w, r, req, url.Values{"error": {"login_required"}}, http.StatusFound)
			return
		}
		http.Redirect(w, r, "/login?"+url.Values{"next": {r.URL.RequestURI()}}.Encode(), http.StatusFound)
		return
	}
	if !p.Authorized() {
		// Signed in, not let in: no code, whatever the client asks.
		s.authorizeRedirect(w, r, req, url.Values{"error": {"access_denied"}, "error_description": {"The user has no access to this app."}}, http.StatusFound)
		return
	}
	sess, err := s.deps.OIDC.Grants.Session(r.Context(), p.SessionID)
	if err != nil {
		s.oidcErrorPage(w, r, http.StatusServiceUnavailable, "The server is busy. Try again in a moment.", err)
		return
	}
	now := s.deps.Now()
	stale := req.maxAge >= 0 && (sess.AuthTime.IsZero() || now.Sub(sess.AuthTime) > time.Duration(req.maxAge)*time.Second)
	if req.prompt == "login" || stale {
		if req.prompt == "none" {
			s.authorizeRedirect(w, r, req, url.Values{"error": {"login_required"}}, http.StatusFound)
			return
		}
		s.renderReauth(w, r, req, q)
		return
	}
	consented := req.client.FirstParty
	if !consented && req.prompt != "consent" {
		if consented, err = s.deps.OIDC.Grants.Consented(r.Context(), p.UserID, req.client.ID, req.pending.Scopes); err != nil {
			s.oidcErrorPage(w, r, http.StatusServiceUnavailable, "The server is busy. Try again in a moment.", err)
			return
		}
	}
	if consented {
		s.issueCode(w, r, p, req.client, req.pending, sess, false, http.StatusFound)
		return
	}
	if req.prompt == "none" {
		s.authorizeRedirect(w, r, req, url.Values{"error": {"consent_required"}}, http.StatusFound)
		return
	}
	s.renderConsent(w, r, p, req)
}

// parseAuthorize checks the request. page, when set, is the error page's
// message: the client or its redirect_uri did not check out, so nothing may
// be sent there. Otherwise aerr, when set, goes back to the client.
func (s *Server) parseAuthorize(r *http.Request, q url.Values) (req authorizeRequest, aerr *authorizeError, page string) {
	req.maxAge = -1
	for _, name := range []string{"client_id", "redirect_uri", "response_type", "scope", "state", "nonce", "code_challenge", "code_challenge_method", "prompt", "max_age"} {
		if len(q[name]) > 1 {
			return req, nil, "The sign-in request repeats a parameter. Go back to the app and try again."
		}
	}
	c, err := s.deps.OIDC.Clients.Client(r.Context(), q.Get("client_id"))
	switch {
	case errors.Is(err, domain.ErrClientNotFound):
		return req, nil, "The app that sent you here is not registered with this portal."
	case err != nil:
		s.deps.Logger.WarnContext(r.Context(), "oidc: load client", "err", err)
		return req, nil, "The server is busy. Try again in a moment."
	case q.Get("redirect_uri") == "" || !c.HasRedirectURI(q.Get("redirect_uri")):
		return req, nil, "The app asked to send you back to an address it has not registered, so the sign-in stops here."
	}
	req.client = c
	req.pending = pendingRequest{ClientID: c.ID, RedirectURI: q.Get("redirect_uri"), State: q.Get("state"), Nonce: q.Get("nonce"),
		Challenge: q.Get("code_challenge")}
	bad := func(code, desc string) (authorizeRequest, *authorizeError, string) {
		return req, &authorizeError{code, desc}, ""
	}
	if len(req.pending.State) > 1000 || len(req.pending.Nonce) > 500 {
		return bad("invalid_request", "state or nonce is too long")
	}
	if q.Has("request") || q.Has("request_uri") {
		return bad("request_not_supported", "request objects are not supported")
	}
	if q.Get("response_type") != "code" {
		return bad("unsupported_response_type", "only the authorization code flow (response_type=code) is supported")
	}
	for _, sc := range strings.Fields(q.Get("scope")) {
		// Scopes this provider does not know, or this client may not have,
		// are left out (RFC 6749 §3.3); openid must remain.
		if slices.Contains(domain.KnownScopes, sc) && slices.Contains(c.Scopes, sc) && !slices.Contains(req.pending.Scopes, sc) {
			req.pending.Scopes = append(req.pending.Scopes, sc)
		}
	}
	if !slices.Contains(req.pending.Scopes, domain.ScopeOpenID) {
		return bad("invalid_scope", "the openid scope is required")
	}
	switch q.Get("code_challenge_method") {
	case "S256":
	case "":
		if q.Get("code_challenge") == "" {
			return bad("invalid_request", "PKCE is required: send code_challenge with code_challenge_method=S256")
		}
		return bad("invalid_request", "code_challenge_method must be S256")
	default:
		return bad("invalid_request", "code_challenge_method must be S256")
	}
	if !pkceChallenge.MatchString(req.pending.Challenge) {
		return bad("invalid_request", "code_challenge must be the base64url SHA-256 of the code verifier")
	}
	prompts := strings.Fields(q.Get("prompt"))
	for _, p := range prompts {
		switch p {
		case "none", "login", "consent", "select_account":
		default:
			return bad("invalid_request", "unknown prompt value")
		}
	}
	if slices.Contains(prompts, "none") && len(prompts) > 1 {
		return bad("invalid_request", "prompt=none cannot be combined with other values")
	}
	switch {
	case slices.Contains(prompts, "none"):
		req.prompt = "none"
	case slices.Contains(prompts, "login"):
		req.prompt = "login"
	case slices.Contains(prompts, "consent"):
		req.prompt = "consent"
	}
	if v := q.Get("max_age"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return bad("invalid_request", "max_age must be a number of seconds")
		}
		req.maxAge = n
	}
	return req, nil, ""
}

// authorizeRedirect sends the answer to the client's checked redirect_uri,
// with its state and the issuer (RFC 9207).
func (s *Server) authorizeRedirect(w http.ResponseWriter, r *http.Request, req authorizeRequest, params url.Values, status int) {
	params.Set("state", req.pending.State)
	params.Set("iss", s.issuer())
	http.Redirect(w, r, withQuery(req.pending.RedirectURI, params), status)
}

// issueCode records a code for the signed-in user and sends it to the client.
func (s *Server) issueCode(w http.ResponseWriter, r *http.Request, p *Principal, c domain.Client, pr pendingRequest, sess domain.Session, consented bool, status int) {
	if pr.ID == "" {
		pr.ID = newGrantRef()
	}
	res, err := s.deps.OIDC.Grants.IssueCode(r.Context(), commands.IssueCode{GrantID: pr.ID, ClientID: c.ID, RedirectURI: pr.RedirectURI,
		Scopes: pr.Scopes, Nonce: pr.Nonce, CodeChallenge: pr.Challenge, UserID: p.UserID, SessionID: p.SessionID, Epoch: p.Epoch,
		AuthTime: sess.AuthTime, AMR: amr(sess), Consented: consented, Meta: eventMeta(r.Context())})
	switch {
	case errors.Is(err, commands.ErrRequestUsed):
		s.oidcErrorPage(w, r, http.StatusConflict, "This sign-in request was already answered. Go back to the app and start again.", nil)
		return
	case err != nil:
		s.oidcErrorPage(w, r, http.StatusServiceUnavailable, "The server could not finish the sign-in. Try again in a moment.", err)
		return
	}
	s.authorizeRedirect(w, r, authorizeRequest{pending: pr}, url.Values{"code": {res.Code}}, status)
}

// amr says how the session's user authenticated (RFC 8176): a password
// (local, Jellyfin, Emby) or an outside account ("fed"), and a second factor.
func amr(sess domain.Session) []string {
	var out []string
	switch sess.Provider {
	case "local", "jellyfin", "emby":
		out = append(out, "pwd")
	default:
		out = append(out, "fed")
	}
	if sess.MFA {
		out = append(out, "otp", "mfa")
	}
	return out
}

// scopeWords says what a scope lets an app see, for the consent page.
var scopeWords = map[string]string{
	domain.ScopeOpenID:        "Know who you are on this portal",
	domain.ScopeProfile:       "See your username and display name",
	domain.ScopeEmail:         "See your email address",
	domain.ScopeGroups:        "See the groups you belong to",
	domain.ScopeOfflineAccess: "Stay signed in while you are away",
}

type consentData struct {
	pageData
	Client  string
	Scopes  []string
	Request string
}

func (s *Server) renderConsent(w http.ResponseWriter, r *http.Request, p *Principal, req authorizeRequest) {
	pr := req.pending
	pr.ID, pr.ExpiresAt = newGrantRef(), s.deps.Now().Add(pendingTTL)
	sealed, err := s.pending.seal(pr, p.SessionID)
	if err != nil {
		s.oidcErrorPage(w, r, http.StatusInternalServerError, "Something went wrong. Try again.", err)
		return
	}
	d := consentData{pageData: s.pageData(r, "Allow access"), Client: req.client.Name, Request: sealed}
	for _, sc := range pr.Scopes {
		d.Scopes = append(d.Scopes, scopeWords[sc])
	}
	w.Header().Set("Cache-Control", "no-store")
	allowFormRedirect(w, pr.RedirectURI)
	s.render(w, r, "oidc_consent.html", d)
}

// oidcDecision is POST /oidc/authorize/decision, the consent page's answer.
// The same-origin middleware guards it; the request it answers is the
// sealed one the page was given for this session, never the form's fields.
func (s *Server) oidcDecision(w http.ResponseWriter, r *http.Request) {
	p := principal(r.Context())
	if p == nil {
		s.oidcErrorPage(w, r, http.StatusUnauthorized, "Your session has ended. Go back to the app and sign in again.", nil)
		return
	}
	pr, ok := s.pending.open(r.PostFormValue("request"), p.SessionID, s.deps.Now())
	if !ok {
		s.oidcErrorPage(w, r, http.StatusBadRequest, "This page is too old. Go back to the app and start again.", nil)
		return
	}
	c, err := s.deps.OIDC.Clients.Client(r.Context(), pr.ClientID)
	if err != nil || !c.HasRedirectURI(pr.RedirectURI) {
		s.oidcErrorPage(w, r, http.StatusBadRequest, "The app that asked is no longer registered here.", nil)
		return
	}
	req := authorizeRequest{client: c, pending: pr}
	if r.PostFormValue("decision") != "allow" {
		s.authorizeRedirect(w, r, req, url.Values{"error": {"access_denied"}, "error_description": {"The user did not allow access."}}, http.StatusSeeOther)
		return
	}
	if !p.Authorized() {
		s.authorizeRedirect(w, r, req, url.Values{"error": {"access_denied"}, "error_description": {"The user has no access to this app."}}, http.StatusSeeOther)
		return
	}
	sess, err := s.deps.OIDC.Grants.Session(r.Context(), p.SessionID)
	if err != nil {
		s.oidcErrorPage(w, r, http.StatusServiceUnavailable, "The server is busy. Try again in a moment.", err)
		return
	}
	s.issueCode(w, r, p, c, pr, sess, true, http.StatusSeeOther)
}

type reauthData struct {
	pageData
	Client string
	Next   string
}

// renderReauth asks the user to sign in again (prompt=login, or a max_age
// their sign-in is older than). Signing out is a POST from this page, so
// no other site can sign anyone out through an authorize link.
func (s *Server) renderReauth(w http.ResponseWriter, r *http.Request, req authorizeRequest, q url.Values) {
	q = cloneValues(q)
	// After signing in again the request goes on: the new sign-in satisfies
	// both (max_age=0 would otherwise send the user round for ever).
	q.Del("prompt")
	q.Del("max_age")
	d := reauthData{pageData: s.pageData(r, "Sign in again"), Client: req.client.Name, Next: "/oidc/authorize?" + q.Encode()}
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, r, "oidc_reauth.html", d)
}

// oidcReauth ends the session and sends the user to sign in, then back to
// the authorization request.
func (s *Server) oidcReauth(w http.ResponseWriter, r *http.Request) {
	next := s.safeNext(r.PostFormValue("next"), "/")
	if !strings.HasPrefix(next, "/oidc/authorize?") {
		next = "/"
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
	c := s.jar.expire(sessionCookie)
	http.SetCookie(w, &c)
	http.Redirect(w, r, "/login?"+url.Values{"next": {next}}.Encode(), http.StatusSeeOther)
}

type oidcErrorData struct {
	pageData
	Message string
}

// oidcErrorPage tells the person what went wrong when nothing may be sent
// back to the app; the cause, if any, goes to the log only.
func (s *Server) oidcErrorPage(w http.ResponseWriter, r *http.Request, status int, message string, cause error) {
	if cause != nil {
		s.deps.Logger.WarnContext(r.Context(), "oidc: authorize failed", "request_id", metaFrom(r.Context()).RequestID, "err", cause)
	}
	w.Header().Set("Cache-Control", "no-store")
	s.renderStatus(w, r, status, "oidc_error.html", oidcErrorData{pageData: s.pageData(r, "Sign-in stopped"), Message: message})
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// newGrantRef is a fresh id for a pending request and the grant it becomes.
func newGrantRef() string { return rand.Text() }
