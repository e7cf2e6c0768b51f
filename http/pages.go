package http

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"slices"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// pages renders the server-side HTML pages.
type pages struct {
	templates *template.Template
}

func newPages() (*pages, error) {
	t, err := template.ParseFS(templateFiles, "templates/*.html")
	if err != nil {
		return nil, err
	}
	return &pages{templates: t}, nil
}

// render writes a page, or a fixed error when the template fails: the page
// is rendered to a buffer first so a half-written page never goes out.
func (s *Server) render(w http.ResponseWriter, r *http.Request, name string, data any) {
	s.renderStatus(w, r, http.StatusOK, name, data)
}

func (s *Server) renderStatus(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	var buf bytes.Buffer
	if err := s.pages.templates.ExecuteTemplate(&buf, name, data); err != nil {
		s.deps.Logger.ErrorContext(r.Context(), "render page", "page", name, "err", err)
		http.Error(w, "Something went wrong.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if _, err := buf.WriteTo(w); err != nil {
		s.deps.Logger.DebugContext(r.Context(), "client went away", "err", err)
	}
}

// loginButton is an outside provider's button on the login page.
type loginButton struct {
	ID, Name string
	Primary  bool
}

type pageData struct {
	Title          string
	Buttons        []loginButton // outside providers, the primary first
	Logo           string        // the operator's logo, "" for none
	Theme          bool          // the operator's theme.css
	HomeText       template.HTML // the operator's home page text for this user
	LocalEnabled   bool          // the username and password form
	ForgotPassword bool          // the login page's "Forgot your password?" (SMTP is configured)
	User           *Principal
	Next           string
	ExtraLinkURL   string
	ExtraLinkText  string
	RequestMailto  string
	MFAEnabled     bool
	MFAEnforce     bool
	SessionExpires string
}

func (s *Server) pageData(r *http.Request, title string) pageData {
	d := pageData{
		Title: title, User: principal(r.Context()), Next: s.safeNext(returnParam(r), ""),
		ExtraLinkURL: s.config.ExtraLinkURL, ExtraLinkText: s.config.ExtraLinkText,
		MFAEnabled: s.config.MFAEnabled, MFAEnforce: s.config.MFAEnforce,
	}
	d.Logo, d.Theme = s.branding.logo(), s.branding.has("theme.css")
	if d.User != nil {
		name := "home-unauthorized.html"
		if d.User.Authorized() {
			name = "home-authorized.html"
		}
		d.HomeText = s.branding.fragment(name)
	}
	d.LocalEnabled = len(s.providers.Enabled) == 0 || slices.Contains(s.providers.Enabled, "local")
	for _, id := range s.providers.Enabled {
		if id == "local" {
			continue
		}
		b := loginButton{ID: id, Name: s.providerName(id), Primary: id == s.providers.Primary}
		if b.Primary {
			d.Buttons = append([]loginButton{b}, d.Buttons...)
		} else {
			d.Buttons = append(d.Buttons, b)
		}
	}
	if s.config.RequestEmail != "" {
		q := url.Values{"subject": {s.config.RequestSubject}}
		d.RequestMailto = "mailto:" + s.config.RequestEmail + "?" + q.Encode()
	}
	if d.User != nil {
		d.SessionExpires = d.User.ExpiresAt.In(s.config.Location).Format("2006-01-02 15:04 MST")
	}
	return d
}

func (s *Server) registerPages(mux *http.ServeMux) {
	static, err := fs.Sub(staticFiles, "static")
	if err != nil {
		panic(err) // the embed directive above guarantees the folder
	}
	mux.Handle("GET /static/", s.staticFiles(static))
	mux.HandleFunc("/", s.notFoundOn(mux))
	mux.HandleFunc("GET /{$}", s.loginPage)
	mux.HandleFunc("GET /login", s.loginPage)
	mux.HandleFunc("GET /home", s.homePage)
	mux.HandleFunc("GET /mfa/enroll", s.mfaEnrollPage)
	mux.HandleFunc("GET /mfa/challenge", s.mfaChallengePage)
	mux.HandleFunc("POST /logout", s.logout)
	mux.HandleFunc("GET /branding/{file}", s.serveBranding)
	mux.HandleFunc("GET /account", s.accountPage)
	mux.HandleFunc("POST /account/sessions/revoke-all", s.revokeAllSessions)
	mux.HandleFunc("POST /account/password", s.changePassword)
	mux.HandleFunc("POST /account/link/{provider}", s.startLink)
	mux.HandleFunc("POST /account/unlink/{provider}", s.unlink)
	mux.HandleFunc("POST /account/recovery-codes", s.renewCodes)
	mux.HandleFunc("POST /account/sessions/{id}/revoke", s.revokeSession)
	mux.HandleFunc("GET /auth/forward", s.authForwardPage)
	mux.HandleFunc("POST /auth/forward", s.authForwardPost)
	mux.HandleFunc("GET /auth/poll", s.authPoll)
	mux.HandleFunc("GET /auth/{provider}", s.upstreamStart)
	mux.HandleFunc("GET /auth/{provider}/callback", s.upstreamCallback)
	mux.HandleFunc("GET /docs", s.docsPage)
	mux.HandleFunc("GET /admin", s.adminPage)
	if s.deps.Invites.Accept != nil {
		mux.HandleFunc("GET /invite/{token}", s.invitePage)
		mux.HandleFunc("POST /invite/{token}", s.acceptInvite)
	}
	if s.resetsOn() {
		mux.HandleFunc("GET /password/forgot", s.forgotPage)
		mux.HandleFunc("POST /password/forgot", s.forgotPost)
		mux.HandleFunc("GET /password/reset/{token}", s.resetPage)
		mux.HandleFunc("POST /password/reset/{token}", s.resetPost)
	}
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	if principal(r.Context()) != nil {
		http.Redirect(w, r, s.safeNext(returnParam(r), "/home"), http.StatusSeeOther)
		return
	}
	d := s.pageData(r, "Sign in")
	d.ForgotPassword = s.resetsOn() && d.LocalEnabled && s.deps.PasswordResets.MailReady.MailConfigured(r.Context())
	s.render(w, r, "login.html", d)
}

func (s *Server) homePage(w http.ResponseWriter, r *http.Request) {
	if principal(r.Context()) == nil {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	s.render(w, r, "home.html", s.pageData(r, "Home"))
}

// pendingValue is the pending-MFA cookie's value, "" without one.
func pendingValue(r *http.Request) string {
	if c, err := r.Cookie(pendingCookie); err == nil {
		return c.Value
	}
	return ""
}

func (s *Server) mfaEnrollPage(w http.ResponseWriter, r *http.Request) {
	p, problem := s.enrollSession(r.Context(), pendingValue(r))
	switch {
	case problem != nil && problem.Status == http.StatusForbidden: // a challenge is owed first
		http.Redirect(w, r, "/mfa/challenge", http.StatusSeeOther)
		return
	case problem != nil:
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	d := s.pageData(r, "Set up two-factor authentication")
	d.User = p
	s.render(w, r, "mfa_enroll.html", d)
}

func (s *Server) mfaChallengePage(w http.ResponseWriter, r *http.Request) {
	if _, problem := s.challengeSession(r.Context(), pendingValue(r)); problem != nil {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	s.render(w, r, "mfa_challenge.html", s.pageData(r, "Two-factor authentication"))
}

func (s *Server) docsPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, "docs.html", s.pageData(r, "API"))
}
