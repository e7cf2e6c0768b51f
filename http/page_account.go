package http

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/authportal/authportal/commands"
	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/projections"
	"github.com/authportal/authportal/queries"
)

// sessionLister lists a user's signed-in devices (queries.Reader).
type sessionLister interface {
	UserSessions(ctx context.Context, userID string, now time.Time) ([]queries.UserSession, error)
	UserIdentities(ctx context.Context, userID string) ([]queries.LinkedIdentity, error)
	WaitFor(ctx context.Context, projection string, position int64, timeout time.Duration) error
}

// sessionsRevoker ends every session of a user (commands.RevokeSessionsHandler).
type sessionsRevoker interface {
	Handle(ctx context.Context, cmd commands.RevokeSessions) (commands.Result, error)
}

// codesRenewer makes a user new recovery codes (commands.RenewRecoveryCodesHandler).
type codesRenewer interface {
	Handle(ctx context.Context, cmd commands.RenewRecoveryCodes) (commands.RenewRecoveryCodesResult, error)
}

// passwordChanger changes a signed-in user's own password
// (commands.ChangeOwnPasswordHandler).
type passwordChanger interface {
	Handle(ctx context.Context, cmd commands.ChangeOwnPassword) (commands.ChangeOwnPasswordResult, error)
}

// accountPage is the signed-in user's own page: the devices signed in as
// them, each of which they can sign out, or all at once, and their password.
type accountPage struct {
	pageData
	Sessions      []accountSession
	Identities    []accountIdentity
	Linkable      []loginButton // enabled providers the user has no account of yet
	CanUnlink     bool
	MFAEnabled    bool     // the user has an authenticator
	CodesLeft     int      // unspent recovery codes
	NewCodes      []string // just made: shown this once
	CodesError    string   // why new codes were not made
	Notice        string
	LocalPassword bool   // a local account: the password can be changed here
	PasswordError string // why the last change did not go through
}

type accountIdentity struct{ ID, Provider, Username string }

type accountSession struct {
	ID, Provider, Device, Address, Started string
	Current                                bool
}

func (s *Server) accountPage(w http.ResponseWriter, r *http.Request) {
	notice := map[string]string{"revoked": "That device is signed out.",
		"password":    "Your password is changed. Every other device is signed out.",
		"linked":      "The account is linked: you can sign in with it from now on.",
		"link-taken":  "That account is already linked to another user here, so it was not linked to you.",
		"link-exists": "You already have an account of that kind linked.",
		"unlinked":    "The account is unlinked: it no longer signs you in.",
		"last-way-in": "That is your only way to sign in, so it stays linked.",
	}[r.URL.Query().Get("done")]
	s.renderAccount(w, r, http.StatusOK, notice, "")
}

// renderAccount shows the account page with a notice, or with why a
// password change did not go through.
func (s *Server) renderAccount(w http.ResponseWriter, r *http.Request, status int, notice, passwordError string) {
	s.renderAccountWith(w, r, status, func(d *accountPage) { d.Notice, d.PasswordError = notice, passwordError })
}

// renderAccountWith shows the account page after set fills in what the
// request at hand has to say.
func (s *Server) renderAccountWith(w http.ResponseWriter, r *http.Request, status int, set func(*accountPage)) {
	p := principal(r.Context())
	if p == nil {
		http.Redirect(w, r, "/?next=/account", http.StatusSeeOther)
		return
	}
	if s.deps.Sessions == nil {
		s.notFound(w, r)
		return
	}
	ctx := r.Context()
	// The lists are read models: let them reach this session's own start
	// first, so the device in hand and the account it came with are on
	// them. Late is shown as it is.
	// A change made just before (?at=, a log position) is waited for too.
	position := p.Position
	if at, err := strconv.ParseInt(r.URL.Query().Get("at"), 10, 64); err == nil && at > position {
		position = at
	}
	for _, name := range []string{projections.SessionsName, projections.IdentitiesName} {
		if err := s.deps.Sessions.WaitFor(ctx, name, position, freshnessWait); err != nil {
			s.deps.Logger.DebugContext(ctx, "account page: read model behind", "projection", name, "err", err)
		}
	}
	list, err := s.deps.Sessions.UserSessions(ctx, p.UserID, s.deps.Now())
	if err != nil {
		m := problemFor(ctx, s.deps.Logger, err)
		http.Error(w, m.Detail, m.Status)
		return
	}
	d := accountPage{pageData: s.pageData(r, "Your account"),
		LocalPassword: p.User.Provider == "local" && s.deps.ChangePassword != nil, CanUnlink: s.deps.Unlink != nil,
		MFAEnabled: p.User.MFAEnabled && s.deps.RenewCodes != nil, CodesLeft: p.User.RecoveryCodes}
	identities, err := s.deps.Sessions.UserIdentities(ctx, p.UserID)
	if err != nil {
		m := problemFor(ctx, s.deps.Logger, err)
		http.Error(w, m.Detail, m.Status)
		return
	}
	linked := map[string]bool{p.User.Provider: true}
	for _, li := range identities {
		linked[li.Provider] = true
		d.Identities = append(d.Identities, accountIdentity{ID: li.Provider, Provider: providerLabel(li.Provider), Username: li.Username})
	}
	if s.deps.Link != nil {
		for _, b := range d.Buttons {
			if !linked[b.ID] {
				d.Linkable = append(d.Linkable, b)
			}
		}
	}
	for _, us := range list {
		d.Sessions = append(d.Sessions, accountSession{
			ID: us.ID, Provider: providerLabel(us.Provider), Device: deviceLabel(us.UserAgent), Address: us.ClientIP,
			Started: us.StartedAt.In(s.config.Location).Format("2 Jan 2006 15:04"), Current: us.ID == p.SessionID,
		})
	}
	set(&d)
	s.renderStatus(w, r, status, "account.html", d)
}

// renewCodes makes the user a fresh set of recovery codes, after their
// password (or, without one, a code from their app) proved it is them, and
// shows them this once.
func (s *Server) renewCodes(w http.ResponseWriter, r *http.Request) {
	p := principal(r.Context())
	if p == nil || s.deps.RenewCodes == nil {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	if err := r.ParseForm(); err != nil {
		s.renderAccountWith(w, r, http.StatusBadRequest, func(d *accountPage) { d.CodesError = "That form could not be read. Try again." })
		return
	}
	ctx := r.Context()
	res, err := s.deps.RenewCodes.Handle(ctx, commands.RenewRecoveryCodes{SessionID: p.SessionID,
		Password: r.PostForm.Get("password"), Code: r.PostForm.Get("code"), Meta: eventMeta(ctx)})
	if err == nil {
		err = s.awaitModel(ctx, res.Position)
	}
	if err != nil {
		status, words := s.stepUpProblem(ctx, err)
		s.renderAccountWith(w, r, status, func(d *accountPage) { d.CodesError = words })
		return
	}
	s.renderAccountWith(w, r, http.StatusOK, func(d *accountPage) {
		d.NewCodes, d.CodesLeft = res.RecoveryCodes, len(res.RecoveryCodes)
	})
}

// stepUpProblem says in plain words why a proof of identity on the account
// page did not pass.
func (s *Server) stepUpProblem(ctx context.Context, err error) (int, string) {
	var limited *commands.RateLimitedError
	switch {
	case errors.As(err, &limited):
		m, _ := tooManyAttempts(limited.RetryAfter)
		return http.StatusTooManyRequests, m.Detail
	case errors.Is(err, commands.ErrInvalidCredentials):
		return http.StatusUnauthorized, "Your password is not right."
	case errors.Is(err, domain.ErrCodeInvalid), errors.Is(err, domain.ErrCodeReused):
		return http.StatusUnauthorized, "That code is not right. Enter the one your app shows now."
	case errors.Is(err, domain.ErrReauthRequired):
		return http.StatusUnprocessableEntity, "Enter your password (or a code from your app) to confirm it is you."
	}
	m := problemFor(ctx, s.deps.Logger, err)
	return m.Status, m.Detail
}

// changePassword changes the signed-in user's own password; this browser
// goes on in a new session, every other one is signed out.
func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) {
	p := principal(r.Context())
	if p == nil || s.deps.ChangePassword == nil {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		s.renderAccount(w, r, http.StatusBadRequest, "", "That form could not be read. Try again.")
		return
	}
	current, next := r.PostForm.Get("current"), r.PostForm.Get("new")
	if next != r.PostForm.Get("confirm") {
		s.renderAccount(w, r, http.StatusUnprocessableEntity, "", "The new password and its confirmation differ.")
		return
	}
	ctx := r.Context()
	res, err := s.deps.ChangePassword.Handle(ctx, commands.ChangeOwnPassword{SessionID: p.SessionID, Current: current, New: next, Meta: eventMeta(ctx)})
	var cookies []http.Cookie
	if err == nil {
		cookies, err = s.sessionCookies(res.Session, res.Position)
	}
	if err != nil {
		var limited *commands.RateLimitedError
		var invalid *domain.InvalidInputError
		switch {
		case errors.As(err, &limited):
			status, words := s.stepUpProblem(ctx, err)
			s.renderAccount(w, r, status, "", words)
		case errors.Is(err, commands.ErrInvalidCredentials):
			s.renderAccount(w, r, http.StatusUnauthorized, "", "Your current password is not right.")
		case errors.As(err, &invalid):
			s.renderAccount(w, r, http.StatusUnprocessableEntity, "", "The new password must be "+invalid.Reason+".")
		default:
			writeErrorModel(w, r, problemFor(ctx, s.deps.Logger, err))
		}
		return
	}
	for _, c := range cookies {
		http.SetCookie(w, &c)
	}
	http.Redirect(w, r, "/account?done=password", http.StatusSeeOther)
}

// revokeSession signs one of the user's own devices out.
func (s *Server) revokeSession(w http.ResponseWriter, r *http.Request) {
	p := principal(r.Context())
	if p == nil {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	ctx := r.Context()
	res, err := s.deps.Logout.Handle(ctx, commands.Logout{SessionID: r.PathValue("id"), OwnerID: p.UserID, Meta: eventMeta(ctx)})
	if err == nil {
		err = s.awaitModel(ctx, res.Position)
	}
	if err != nil {
		writeErrorModel(w, r, problemFor(ctx, s.deps.Logger, err))
		return
	}
	if r.PathValue("id") == p.SessionID {
		s.clearSessionCookies(w)
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	// The account page waits for this position, so the device it lists is
	// gone (the access model above is not the list it reads).
	http.Redirect(w, r, "/account?done=revoked&at="+strconv.FormatInt(res.Position, 10), http.StatusSeeOther)
}

// revokeAllSessions signs the user out everywhere, this browser included.
func (s *Server) revokeAllSessions(w http.ResponseWriter, r *http.Request) {
	p := principal(r.Context())
	if p == nil || s.deps.RevokeAll == nil {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	ctx := r.Context()
	res, err := s.deps.RevokeAll.Handle(ctx, commands.RevokeSessions{UserID: p.UserID, Meta: eventMeta(ctx)})
	if err == nil {
		err = s.awaitModel(ctx, res.Position)
	}
	if err != nil {
		writeErrorModel(w, r, problemFor(ctx, s.deps.Logger, err))
		return
	}
	s.clearSessionCookies(w)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// clearSessionCookies expires both session cookies in the browser.
func (s *Server) clearSessionCookies(w http.ResponseWriter) {
	for _, name := range []string{sessionCookie, pendingCookie} {
		c := s.jar.expire(name)
		http.SetCookie(w, &c)
	}
}

func providerLabel(provider string) string {
	if name, ok := providerNames[provider]; ok && provider != "local" {
		return name
	}
	return "Password"
}
