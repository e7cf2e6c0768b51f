package http

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/authportal/authportal/commands"
	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/providers"
)

// PINFlow is a provider's sign-in by PIN (Plex): Start makes a PIN and the
// URL of the provider's page the user approves it on; Finish returns the
// identity once the PIN is approved, providers.ErrPending before.
type PINFlow interface {
	Start(ctx context.Context) (pinID int64, authURL string, err error)
	Finish(ctx context.Context, pinID int64) (providers.Identity, error)
}

// PasswordFlow is a provider's sign-in by username and password, checked
// by the provider itself (Jellyfin, Emby).
type PasswordFlow interface {
	Authenticate(ctx context.Context, username, password string) (providers.Identity, error)
}

// externalSigner is the one sign-in command of every outside provider
// (commands.SignInExternalHandler).
type externalSigner interface {
	Handle(ctx context.Context, cmd commands.SignInExternal) (commands.LoginResult, error)
}

// Providers are the outside sign-in doors the server opens.
type Providers struct {
	Enabled   []string // LOGIN_PROVIDERS, in the order the login page shows them
	Primary   string   // MEDIA_SERVER: the first, most prominent button
	Plex      PINFlow
	Passwords map[string]PasswordFlow // "jellyfin", "emby"
	Redirects map[string]RedirectFlow // "github", "google", "oidc"
	Names     map[string]string       // how the pages name a provider, over providerNames (OIDC_UPSTREAM_NAME)
	SignIn    externalSigner
}

// providerNames are how the pages name each provider.
var providerNames = map[string]string{"plex": "Plex", "jellyfin": "Jellyfin", "emby": "Emby", "local": "a local account",
	"github": "GitHub", "google": "Google", "oidc": "single sign-on"}

// providerName is how the pages name provider.
func (s *Server) providerName(provider string) string {
	if name := s.providers.Names[provider]; name != "" {
		return name
	}
	return providerNames[provider]
}

// The PIN cookie carries the Plex PIN this browser is waiting for, signed,
// for 15 minutes; it is read only under /auth.
const (
	pinCookie = "authportal_plex_pin"
	pinTTL    = 15 * time.Minute
)

type pinCodec struct{ key []byte }

func newPINCodec(sessionKey []byte) pinCodec {
	m := hmac.New(sha256.New, sessionKey)
	m.Write([]byte("authportal plex pin cookie v1"))
	return pinCodec{key: m.Sum(nil)}
}

func (c pinCodec) mac(payload string) string {
	m := hmac.New(sha256.New, c.key)
	m.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (c pinCodec) cookie(jar cookieJar, pinID int64, next string, now time.Time) http.Cookie {
	payload := strconv.FormatInt(pinID, 10) + "." + strconv.FormatInt(now.Add(pinTTL).Unix(), 10) + "." +
		base64.RawURLEncoding.EncodeToString([]byte(next))
	return http.Cookie{Name: pinCookie, Value: payload + "." + c.mac(payload), Path: "/auth", MaxAge: int(pinTTL.Seconds()),
		HttpOnly: true, Secure: jar.secure, SameSite: http.SameSiteLaxMode}
}

// pin returns the PIN a request's cookie names, if it is signed and fresh,
// and the login page's next that came with it (a full-page sign-in, whose
// return from Plex's pages carries nothing of its own).
func (c pinCodec) pin(r *http.Request, now time.Time) (pinID int64, next string, ok bool) {
	ck, err := r.Cookie(pinCookie)
	if err != nil || len(ck.Value) > 3000 {
		return 0, "", false
	}
	i := strings.LastIndexByte(ck.Value, '.')
	if i < 0 || !hmac.Equal([]byte(ck.Value[i+1:]), []byte(c.mac(ck.Value[:i]))) {
		return 0, "", false
	}
	parts := strings.Split(ck.Value[:i], ".")
	if len(parts) != 3 {
		return 0, "", false
	}
	pinID, err1 := strconv.ParseInt(parts[0], 10, 64)
	expires, err2 := strconv.ParseInt(parts[1], 10, 64)
	rawNext, err3 := base64.RawURLEncoding.DecodeString(parts[2])
	if err1 != nil || err2 != nil || err3 != nil || !now.Before(time.Unix(expires, 0)) {
		return 0, "", false
	}
	return pinID, string(rawNext), true
}

// afterSignIn is where a browser goes once a provider signed it in: the
// second factor first when one is owed.
func afterSignIn(s domain.SessionStarted) string {
	switch s.Kind {
	case domain.SessionMFAChallenge:
		return "/mfa/challenge"
	case domain.SessionMFAEnroll:
		return "/mfa/enroll"
	}
	return "/home"
}

// nextAfterSignIn is where a browser a provider signed in goes when the
// login page gave it next (already checked by safeNext): there instead of
// home, or through the second factor, which honours next in turn. A
// redirect that carries its own query (back to the account page after a
// link) is kept as it is.
func nextAfterSignIn(redirect, next string) string {
	switch {
	case next == "" || strings.Contains(redirect, "?"):
		return redirect
	case redirect == "/home":
		return next
	}
	return withNext(redirect, next)
}

// signInWith runs the shared sign-in command for provider and, when it
// succeeds, sets the session cookies and returns where to go next. A
// signed-in browser that started linking this provider's account from its
// account page links it instead (page_link.go).
func (s *Server) signInWith(w http.ResponseWriter, r *http.Request, provider, accountKey string,
	authenticate func(context.Context) (providers.Identity, error)) (string, error) {
	if s.deps.Link != nil && s.linkIntent(r, provider) {
		return s.linkWith(w, r, provider, accountKey, authenticate)
	}
	ctx := r.Context()
	res, err := s.providers.SignIn.Handle(ctx, commands.SignInExternal{Provider: provider, AccountKey: accountKey,
		Authenticate: authenticate, Meta: eventMeta(ctx)})
	if err != nil {
		return "", err
	}
	cookies, err := s.sessionCookies(res.Session, res.Position)
	if err != nil {
		return "", err
	}
	for _, c := range cookies {
		http.SetCookie(w, &c)
	}
	return afterSignIn(res.Session), nil
}

// providerProblem says in plain words why an outside sign-in did not work,
// the same words whatever the provider refused.
func (s *Server) providerProblem(ctx context.Context, provider string, err error) (status int, message string) {
	var limited *commands.RateLimitedError
	switch {
	case errors.As(err, &limited):
		m, _ := tooManyAttempts(limited.RetryAfter)
		return http.StatusTooManyRequests, m.Detail
	case errors.Is(err, commands.ErrInvalidCredentials):
		return http.StatusUnauthorized, s.providerName(provider) + " did not accept that sign-in. Check the username and password and try again."
	case errors.Is(err, providers.ErrUnavailable):
		return http.StatusServiceUnavailable, s.providerName(provider) + " is not answering right now, so nobody can sign in with it. Try again in a few minutes."
	}
	m := problemFor(ctx, s.deps.Logger, err)
	return m.Status, m.Detail
}
