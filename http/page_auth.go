package http

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"

	"github.com/authportal/authportal/providers"
	"github.com/danielgtaylor/huma/v2"
)

// The outside sign-in flows. The login page opens a popup on click and asks
// POST /auth/start-web where to send it: Plex's approval page for a fresh
// PIN, or /auth/forward?jellyfin=1 (emby=1) for the media server's own
// username and password. /auth/forward finishes either, and its last page
// tells the opener (postMessage, same origin only) or, in a full page
// without an opener, goes on itself. For Plex the opener also asks
// GET /auth/poll, since Plex's pages cut the popup off from its opener.
// For GitHub, Google and an OIDC upstream, start-web answers /auth/{provider}
// (page_auth_upstream.go), which sends the popup on to the upstream.

type startWebInput struct {
	Body struct {
		Provider string `json:"provider" enum:"plex,jellyfin,emby,github,google,oidc" doc:"Which provider to sign in with"`
		Next     string `json:"next,omitempty" maxLength:"2048" doc:"Where to go after a Plex sign-in made in the whole page because the popup was blocked (a path on this site; anything else is ignored)"`
	}
}

type startWebOutput struct {
	SetCookie []http.Cookie `header:"Set-Cookie"`
	Body      struct {
		AuthURL string `json:"authUrl" doc:"Where the popup (or, when popups are blocked, the page) goes next"`
	}
}

func (s *Server) startWeb(ctx context.Context, in *startWebInput) (*startWebOutput, error) {
	provider := in.Body.Provider
	if !slices.Contains(s.providers.Enabled, provider) {
		return nil, problemInvalidInput.err(s.providerName(provider) + " sign-in is not enabled here.")
	}
	out := &startWebOutput{}
	if s.providers.Redirects[provider] != nil {
		out.Body.AuthURL = "/auth/" + provider // it makes the flow cookie and redirects (page_auth_upstream.go)
		return out, nil
	}
	if provider != "plex" {
		out.Body.AuthURL = "/auth/forward?" + provider + "=1"
		return out, nil
	}
	pinID, authURL, err := s.providers.Plex.Start(ctx)
	if err != nil {
		_, message := s.providerProblem(ctx, provider, errors.Join(err, providers.ErrUnavailable))
		return nil, problemUnavailable.err(message)
	}
	out.SetCookie = []http.Cookie{s.pins.cookie(s.jar, pinID, s.safeNext(in.Body.Next, ""), s.deps.Now())}
	out.Body.AuthURL = authURL
	return out, nil
}

// authPage is what the /auth/forward pages show.
type authPage struct {
	pageData
	Provider     string // "jellyfin", "emby", "plex"
	ProviderName string
	Error        string
	Username     string // kept in the form after a refusal; never the password
	Done         bool   // signed in: tell the opener, or go on
	Redirect     string
	Waiting      bool // Plex has not confirmed the PIN yet
}

func (s *Server) authPageData(r *http.Request, provider string) authPage {
	name := s.providerName(provider)
	return authPage{pageData: s.pageData(r, "Sign in with "+name), Provider: provider, ProviderName: name}
}

// passwordProvider is the media server a /auth/forward request names
// (?jellyfin=1 or ?emby=1), "" for Plex.
func (s *Server) passwordProvider(r *http.Request) string {
	for name := range s.providers.Passwords {
		if r.URL.Query().Get(name) == "1" {
			return name
		}
	}
	return ""
}

func (s *Server) authForwardPage(w http.ResponseWriter, r *http.Request) {
	if provider := s.passwordProvider(r); provider != "" {
		s.render(w, r, "auth_form.html", s.authPageData(r, provider))
		return
	}
	if s.providers.Plex == nil {
		s.notFound(w, r)
		return
	}
	d := s.authPageData(r, "plex")
	redirect, waiting, err := s.finishPlex(w, r)
	status := http.StatusOK
	switch {
	case err != nil:
		status, d.Error = s.providerProblem(r.Context(), "plex", err)
	case waiting:
		d.Waiting = true
	default:
		d.Done, d.Redirect = true, redirect
	}
	s.renderStatus(w, r, status, "auth_done.html", d)
}

// finishPlex completes the PIN this browser is waiting for, if Plex has
// approved it.
func (s *Server) finishPlex(w http.ResponseWriter, r *http.Request) (redirect string, waiting bool, err error) {
	pinID, next, ok := s.pins.pin(r, s.deps.Now())
	if !ok {
		return "", false, errPINMissing
	}
	var pending bool
	redirect, err = s.signInWith(w, r, "plex", "", func(ctx context.Context) (providers.Identity, error) {
		id, err := s.providers.Plex.Finish(ctx, pinID)
		pending = errors.Is(err, providers.ErrPending)
		return id, err
	})
	if pending {
		return "", true, nil
	}
	expired := http.Cookie{Name: pinCookie, Path: "/auth", MaxAge: -1, HttpOnly: true, Secure: s.jar.secure, SameSite: http.SameSiteLaxMode}
	http.SetCookie(w, &expired)
	if err == nil && next != "" {
		redirect = nextAfterSignIn(redirect, next)
	}
	return redirect, false, err
}

// errPINMissing: this browser started no Plex sign-in, or it expired.
var errPINMissing = errors.New("no plex sign-in in progress")

func (s *Server) authForwardPost(w http.ResponseWriter, r *http.Request) {
	provider := s.passwordProvider(r)
	flow := s.providers.Passwords[provider]
	if flow == nil {
		s.notFound(w, r)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	d := s.authPageData(r, provider)
	if err := r.ParseForm(); err != nil {
		d.Error = "That form could not be read. Try again."
		s.renderStatus(w, r, http.StatusBadRequest, "auth_form.html", d)
		return
	}
	username, password := r.PostForm.Get("username"), r.PostForm.Get("password")
	d.Username = username
	if username == "" || password == "" || len(username) > 256 || len(password) > 1024 {
		d.Error = "Enter your " + d.ProviderName + " username and password."
		s.renderStatus(w, r, http.StatusUnprocessableEntity, "auth_form.html", d)
		return
	}
	redirect, err := s.signInWith(w, r, provider, username, func(ctx context.Context) (providers.Identity, error) {
		return flow.Authenticate(ctx, username, password)
	})
	if err != nil {
		status, message := s.providerProblem(r.Context(), provider, err)
		d.Error = message
		s.renderStatus(w, r, status, "auth_form.html", d)
		return
	}
	d.Done, d.Redirect = true, nextAfterSignIn(redirect, d.Next) // a full page brings the login page's next
	s.render(w, r, "auth_done.html", d)
}

// pollAnswer is GET /auth/poll's body.
type pollAnswer struct {
	Status   string `json:"status"` // "pending": Plex has not confirmed yet; "ok": signed in; "error"; "none": nothing in progress
	Redirect string `json:"redirect,omitempty"`
	Message  string `json:"message,omitempty"` // why it did not work, in plain words
}

// authPoll lets the login page learn how its Plex sign-in went, and
// finishes it when Plex has approved the PIN. It is a plain handler: it
// sets the session cookies of the sign-in it finishes.
func (s *Server) authPoll(w http.ResponseWriter, r *http.Request) {
	var out pollAnswer
	redirect, waiting, err := s.finishPlex(w, r)
	switch {
	case errors.Is(err, errPINMissing) && principal(r.Context()) != nil:
		out.Status, out.Redirect = "ok", "/home"
	case errors.Is(err, errPINMissing):
		out.Status = "none"
	case err != nil:
		out.Status = "error"
		_, out.Message = s.providerProblem(r.Context(), "plex", err)
	case waiting:
		out.Status = "pending"
	default:
		out.Status, out.Redirect = "ok", redirect
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if err := json.NewEncoder(w).Encode(out); err != nil {
		s.deps.Logger.DebugContext(r.Context(), "client went away", "err", err)
	}
}

func registerAuthOperations(api huma.API, s *Server) {
	huma.Register(api, huma.Operation{
		OperationID: "auth-start-web", Method: http.MethodPost, Path: "/auth/start-web", Tags: []string{"auth"},
		Summary: "Start signing in with an outside provider",
		Errors:  []int{http.StatusUnprocessableEntity, http.StatusServiceUnavailable},
	}, s.startWeb)
}
