package http

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/authportal/authportal/commands"
	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/providers"
)

// Linking another provider's account to the signed-in user: the account
// page's button starts the provider's usual sign-in with a link intent, a
// signed cookie bound to this session, and the sign-in that finishes it
// links the account instead of signing anyone in. The user proves they hold
// the account by signing in with it; nothing is ever linked by a matching
// name or email.

// identityLinker links an outside account to a user (commands.LinkIdentityHandler).
type identityLinker interface {
	Handle(ctx context.Context, cmd commands.LinkIdentity) (commands.Result, error)
}

const (
	linkCookie = "authportal_link"
	linkTTL    = 10 * time.Minute
)

// linkCookieFor is the link intent for provider, bound to sessionID.
func (s *Server) linkCookieFor(provider, sessionID string, now time.Time) http.Cookie {
	payload := provider + "." + sessionID + "." + strconv.FormatInt(now.Add(linkTTL).Unix(), 10)
	return http.Cookie{Name: linkCookie, Value: payload + "." + s.linkMAC(payload), Path: "/auth", MaxAge: int(linkTTL.Seconds()),
		HttpOnly: true, Secure: s.jar.secure, SameSite: http.SameSiteLaxMode}
}

func (s *Server) linkMAC(payload string) string {
	m := hmac.New(sha256.New, s.pins.key)
	m.Write([]byte("link intent\x00" + payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// linkIntent reports whether r carries a fresh link intent for provider,
// made by the session r is signed in with.
func (s *Server) linkIntent(r *http.Request, provider string) bool {
	p := principal(r.Context())
	c, err := r.Cookie(linkCookie)
	if p == nil || err != nil || len(c.Value) > 300 {
		return false
	}
	i := strings.LastIndexByte(c.Value, '.')
	if i < 0 || !hmac.Equal([]byte(c.Value[i+1:]), []byte(s.linkMAC(c.Value[:i]))) {
		return false
	}
	parts := strings.Split(c.Value[:i], ".")
	if len(parts) != 3 || parts[0] != provider || parts[1] != p.SessionID {
		return false
	}
	exp, err := strconv.ParseInt(parts[2], 10, 64)
	return err == nil && s.deps.Now().Before(time.Unix(exp, 0))
}

// startLink begins linking a provider's account: POST, so another site
// cannot start it.
func (s *Server) startLink(w http.ResponseWriter, r *http.Request) {
	p := principal(r.Context())
	provider := r.PathValue("provider")
	if p == nil || s.deps.Link == nil || provider == "local" || !slices.Contains(s.providers.Enabled, provider) {
		http.Redirect(w, r, "/account", http.StatusSeeOther)
		return
	}
	intent := s.linkCookieFor(provider, p.SessionID, s.deps.Now())
	http.SetCookie(w, &intent)
	if provider != "plex" {
		http.Redirect(w, r, "/auth/forward?"+provider+"=1", http.StatusSeeOther)
		return
	}
	pinID, authURL, err := s.providers.Plex.Start(r.Context())
	if err != nil {
		_, message := s.providerProblem(r.Context(), provider, errors.Join(err, providers.ErrUnavailable))
		s.renderAccount(w, r, http.StatusServiceUnavailable, "", message)
		return
	}
	pin := s.pins.cookie(s.jar, pinID, "", s.deps.Now())
	http.SetCookie(w, &pin)
	http.Redirect(w, r, authURL, http.StatusSeeOther)
}

// linkWith links the account authenticate vouches for to the signed-in
// user, and returns where to go next.
func (s *Server) linkWith(w http.ResponseWriter, r *http.Request, provider, accountKey string,
	authenticate func(context.Context) (providers.Identity, error)) (string, error) {
	ctx := r.Context()
	res, err := s.deps.Link.Handle(ctx, commands.LinkIdentity{UserID: principal(ctx).UserID,
		SignIn: commands.SignInExternal{Provider: provider, AccountKey: accountKey, Authenticate: authenticate, Meta: eventMeta(ctx)}})
	expired := http.Cookie{Name: linkCookie, Path: "/auth", MaxAge: -1, HttpOnly: true, Secure: s.jar.secure, SameSite: http.SameSiteLaxMode}
	switch {
	case errors.Is(err, domain.ErrIdentityTaken):
		http.SetCookie(w, &expired)
		return "/account?done=link-taken", nil
	case errors.Is(err, domain.ErrProviderAlreadyLinked):
		http.SetCookie(w, &expired)
		return "/account?done=link-exists", nil
	case err != nil:
		return "", err
	}
	http.SetCookie(w, &expired)
	// at: the account page waits for its lists to show the new link.
	return "/account?done=linked&at=" + strconv.FormatInt(res.Position, 10), nil
}

// identityUnlinker unlinks one of a user's outside accounts
// (commands.UnlinkIdentityHandler).
type identityUnlinker interface {
	Handle(ctx context.Context, cmd commands.UnlinkIdentity) (commands.Result, error)
}

// unlink removes one of the signed-in user's outside accounts, unless it is
// their only way in.
func (s *Server) unlink(w http.ResponseWriter, r *http.Request) {
	p := principal(r.Context())
	if p == nil || s.deps.Unlink == nil {
		http.Redirect(w, r, "/account", http.StatusSeeOther)
		return
	}
	ctx := r.Context()
	res, err := s.deps.Unlink.Handle(ctx, commands.UnlinkIdentity{UserID: p.UserID, Provider: r.PathValue("provider"), Meta: eventMeta(ctx)})
	switch {
	case errors.Is(err, domain.ErrLastWayIn):
		http.Redirect(w, r, "/account?done=last-way-in", http.StatusSeeOther)
	case errors.Is(err, domain.ErrIdentityNotLinked):
		http.Redirect(w, r, "/account", http.StatusSeeOther)
	case err != nil:
		writeErrorModel(w, r, problemFor(ctx, s.deps.Logger, err))
	default:
		http.Redirect(w, r, "/account?done=unlinked&at="+strconv.FormatInt(res.Position, 10), http.StatusSeeOther)
	}
}
