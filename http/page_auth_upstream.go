package http

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"time"

	"github.com/authportal/authportal/commands"
	"github.com/authportal/authportal/providers"
	"github.com/authportal/authportal/providers/upstream"
	"github.com/authportal/authportal/throttle"
)

// Sign-in through an outside OAuth 2.0 / OpenID Connect account (GitHub,
// Google, a generic OIDC upstream). GET /auth/{provider} makes a fresh
// state, nonce and PKCE verifier, keeps them in one sealed cookie scoped to
// /auth/{provider} for ten minutes, and redirects to the upstream. The
// upstream sends the browser back to GET /auth/{provider}/callback, which
// refuses a missing, expired or foreign cookie and a state that differs
// (constant time), deletes the cookie before asking the upstream (one use),
// and signs in through the shared SignInExternal command. Its last page is
// auth_done.html, as for the media servers: in the login page's popup it
// tells the opener, in a full page it goes on. A full page (the popup was
// blocked) brings the login page's next as GET /auth/{provider}?next=...:
// it rides in the flow cookie and the callback sends the browser there,
// through the second factor when one is owed.
//
// Both pages are GETs, outside the POST limits of withRateLimit, and each
// costs the portal something an anonymous client chooses: a start may make
// the portal discover an issuer, a callback calls the upstream's token
// endpoint and writes a sign-in. Each has its own per-address budget,
// shared by every upstream (upstreamLimits).

// RedirectFlow is an upstream's browser redirect sign-in
// (upstream.Upstream, with the portal's access decision applied).
type RedirectFlow interface {
	AuthURL(ctx context.Context, state, nonce, verifier string) (string, error)
	Finish(ctx context.Context, code, verifier, nonce string) (providers.Identity, error)
}

// The flow cookie: what one attempt must find again at the callback.
const (
	flowCookie = "authportal_oauth"
	flowTTL    = 10 * time.Minute
)

type flowValues struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Expires  int64  `json:"e"`
	Next     string `json:"x,omitempty"` // the login page's next, checked by safeNext
}

// upstreamLimits are the per-address budgets of the upstream pages, by
// the scope they are kept under: bursts of 10, then one every 6 s (10 a
// minute). A person signing in spends one of each.
var upstreamLimits = map[string]throttle.Limit{
	"/auth/{provider}":          {Every: 6 * time.Second, Burst: 10},
	"/auth/{provider}/callback": {Every: 6 * time.Second, Burst: 10},
}

// flowCodec seals flow cookies (AES-256-GCM, the provider as additional
// data): the browser can neither read the verifier and nonce nor move a
// cookie from one provider to another.
type flowCodec struct{ aead cipher.AEAD }

func newFlowCodec(sessionKey []byte) flowCodec {
	return flowCodec{aead: derivedAEAD(sessionKey, "authportal upstream flow cookie v1")}
}

// derivedAEAD is AES-256-GCM under a key derived from the session key for
// one purpose (label), so that what one codec sealed no other opens.
func derivedAEAD(sessionKey []byte, label string) cipher.AEAD {
	m := hmac.New(sha256.New, sessionKey)
	m.Write([]byte(label))
	block, err := aes.NewCipher(m.Sum(nil))
	if err != nil {
		panic(err) // a 32-byte key always makes a cipher
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return aead
}

func (c flowCodec) cookie(jar cookieJar, provider string, v flowValues) (http.Cookie, error) {
	plain, err := json.Marshal(v)
	if err != nil {
		return http.Cookie{}, err
	}
	nonce := make([]byte, c.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return http.Cookie{}, err
	}
	sealed := c.aead.Seal(nonce, nonce, plain, []byte(provider))
	return http.Cookie{Name: flowCookie, Value: base64.RawURLEncoding.EncodeToString(sealed), Path: "/auth/" + provider,
		MaxAge: int(flowTTL.Seconds()), HttpOnly: true, Secure: jar.secure, SameSite: http.SameSiteLaxMode}, nil
}

func expiredFlowCookie(jar cookieJar, provider string) http.Cookie {
	return http.Cookie{Name: flowCookie, Path: "/auth/" + provider, MaxAge: -1, HttpOnly: true, Secure: jar.secure, SameSite: http.SameSiteLaxMode}
}

// open returns the values of the request's flow cookie for provider, if it
// is there, sealed by this portal for provider, and fresh.
func (c flowCodec) open(r *http.Request, provider string, now time.Time) (flowValues, bool) {
	ck, err := r.Cookie(flowCookie)
	if err != nil || len(ck.Value) > 1024 {
		return flowValues{}, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(ck.Value)
	if err != nil || len(raw) < c.aead.NonceSize() {
		return flowValues{}, false
	}
	plain, err := c.aead.Open(nil, raw[:c.aead.NonceSize()], raw[c.aead.NonceSize():], []byte(provider))
	if err != nil {
		return flowValues{}, false
	}
	var v flowValues
	if json.Unmarshal(plain, &v) != nil || v.State == "" || v.Nonce == "" || v.Verifier == "" || !now.Before(time.Unix(v.Expires, 0)) {
		return flowValues{}, false
	}
	return v, true
}

// oauthErrorCode is what an upstream's error= may look like to be named
// on the page or in the log (RFC 6749 codes are of this form).
var oauthErrorCode = regexp.MustCompile(`^[a-z_]{1,64}$`)

// upstreamBudget spends a token of the request's address from the budget
// of the page (scope); when it cannot, it answers the page with 429 and
// Retry-After, or 503 when the budgets cannot be read (failing open would
// let a database hiccup lift the limit), and reports false.
func (s *Server) upstreamBudget(w http.ResponseWriter, r *http.Request, scope, provider string) bool {
	d, err := s.takeAddressBudget(r, scope, upstreamLimits[scope])
	if err == nil && d.Allowed {
		return true
	}
	page := s.authPageData(r, provider)
	if err != nil {
		s.deps.Logger.WarnContext(r.Context(), "rate limit unavailable", "err", err)
		page.Error = "The server is busy. Try again in a moment."
		s.renderStatus(w, r, http.StatusServiceUnavailable, "auth_done.html", page)
		return false
	}
	m, retryAfter := tooManyAttempts(d.RetryAfter)
	w.Header().Set("Retry-After", retryAfter)
	page.Error = m.Detail
	s.renderStatus(w, r, http.StatusTooManyRequests, "auth_done.html", page)
	return false
}

// upstreamStart: GET /auth/{provider}.
func (s *Server) upstreamStart(w http.ResponseWriter, r *http.Request) {
	provider := r.PathValue("provider")
	flow := s.providers.Redirects[provider]
	if flow == nil {
		s.notFound(w, r)
		return
	}
	if !s.upstreamBudget(w, r, "/auth/{provider}", provider) {
		return
	}
	v := flowValues{State: upstream.NewState(), Nonce: upstream.NewNonce(), Verifier: upstream.NewVerifier(),
		Expires: s.deps.Now().Add(flowTTL).Unix(), Next: s.safeNext(r.URL.Query().Get("next"), "")}
	authURL, err := flow.AuthURL(r.Context(), v.State, v.Nonce, v.Verifier)
	if err != nil {
		d := s.authPageData(r, provider)
		var status int
		status, d.Error = s.providerProblem(r.Context(), provider, errors.Join(err, providers.ErrUnavailable))
		s.deps.Logger.WarnContext(r.Context(), "sign-in provider unavailable", "provider", provider, "err", err)
		s.renderStatus(w, r, status, "auth_done.html", d)
		return
	}
	ck, err := s.flows.cookie(s.jar, provider, v)
	if err != nil {
		writeErrorModel(w, r, problemFor(r.Context(), s.deps.Logger, err))
		return
	}
	http.SetCookie(w, &ck)
	http.Redirect(w, r, authURL, http.StatusFound)
}

// upstreamCallback: GET /auth/{provider}/callback.
func (s *Server) upstreamCallback(w http.ResponseWriter, r *http.Request) {
	provider := r.PathValue("provider")
	flow := s.providers.Redirects[provider]
	if flow == nil {
		s.notFound(w, r)
		return
	}
	if !s.upstreamBudget(w, r, "/auth/{provider}/callback", provider) {
		return
	}
	ctx := r.Context()
	d := s.authPageData(r, provider)
	fail := func(status int, message string) {
		d.Error = message
		s.renderStatus(w, r, status, "auth_done.html", d)
	}
	kept, ok := s.flows.open(r, provider, s.deps.Now())
	if _, err := r.Cookie(flowCookie); err == nil {
		gone := expiredFlowCookie(s.jar, provider) // one use, whatever happens next
		http.SetCookie(w, &gone)
	}
	q := r.URL.Query()
	if !ok {
		fail(http.StatusBadRequest, "This sign-in was not started in this browser, or it took longer than 10 minutes. Start again from the sign-in page.")
		return
	}
	if !upstream.StateEqual(q.Get("state"), kept.State) {
		fail(http.StatusBadRequest, "This sign-in does not match the one started in this browser. Start again from the sign-in page.")
		return
	}
	name := d.ProviderName
	if code := q.Get("error"); code != "" {
		if !oauthErrorCode.MatchString(code) {
			code = "unknown"
		}
		s.deps.Logger.InfoContext(ctx, "sign-in failed", "client_ip", metaFrom(ctx).ClientIP, "provider", provider,
			"reason", "upstream_error", "error", code)
		switch code {
		case "access_denied":
			fail(http.StatusUnauthorized, name+" did not let you sign in: the request was declined. Start again from the sign-in page if that was a mistake.")
		case "temporarily_unavailable", "server_error":
			status, message := s.providerProblem(ctx, provider, providers.ErrUnavailable)
			fail(status, message)
		default:
			fail(http.StatusBadGateway, name+" could not sign you in (it answered \""+code+"\"). Ask the administrator to check the "+name+" settings.")
		}
		return
	}
	code := q.Get("code")
	if code == "" || len(code) > 4096 {
		fail(http.StatusBadRequest, name+" sent no usable sign-in answer. Start again from the sign-in page.")
		return
	}
	redirect, err := s.signInWith(w, r, provider, "", func(ctx context.Context) (providers.Identity, error) {
		return flow.Finish(ctx, code, kept.Verifier, kept.Nonce)
	})
	if errors.Is(err, commands.ErrInvalidCredentials) {
		fail(http.StatusUnauthorized, name+" did not accept that sign-in. Start again from the sign-in page.")
		return
	}
	if err != nil {
		status, message := s.providerProblem(ctx, provider, err)
		fail(status, message)
		return
	}
	d.Done, d.Redirect = true, nextAfterSignIn(redirect, kept.Next)
	s.render(w, r, "auth_done.html", d)
}
