package http

import (
	"context"
	"net/http"
	"time"

	"github.com/authportal/authportal/commands"
	"github.com/authportal/authportal/projections"
	"github.com/authportal/authportal/queries"
)

// sessionLister lists a user's signed-in devices (queries.Reader).
type sessionLister interface {
	UserSessions(ctx context.Context, userID string, now time.Time) ([]queries.UserSession, error)
	WaitFor(ctx context.Context, projection string, position int64, timeout time.Duration) error
}

// sessionsRevoker ends every session of a user (commands.RevokeSessionsHandler).
type sessionsRevoker interface {
	Handle(ctx context.Context, cmd commands.RevokeSessions) (commands.Result, error)
}

// accountPage is the signed-in user's own page: the devices signed in as
// them, each of which they can sign out, or all at once.
type accountPage struct {
	pageData
	Sessions []accountSession
	Notice   string
}

type accountSession struct {
	ID, Provider, Device, Address, Started string
	Current                                bool
}

func (s *Server) accountPage(w http.ResponseWriter, r *http.Request) {
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
	// The list is a read model: let it reach this session's own start first,
	// so the device in hand is on it. Late is shown as it is.
	if err := s.deps.Sessions.WaitFor(ctx, projections.SessionsName, p.Position, freshnessWait); err != nil {
		s.deps.Logger.DebugContext(ctx, "account page: sessions list behind", "err", err)
	}
	list, err := s.deps.Sessions.UserSessions(ctx, p.UserID, s.deps.Now())
	if err != nil {
		m := problemFor(ctx, s.deps.Logger, err)
		http.Error(w, m.Detail, m.Status)
		return
	}
	d := accountPage{pageData: s.pageData(r, "Your account")}
	for _, us := range list {
		d.Sessions = append(d.Sessions, accountSession{
			ID: us.ID, Provider: providerLabel(us.Provider), Device: deviceLabel(us.UserAgent), Address: us.ClientIP,
			Started: us.StartedAt.In(s.config.Location).Format("2 Jan 2006 15:04"), Current: us.ID == p.SessionID,
		})
	}
	switch r.URL.Query().Get("done") {
	case "revoked":
		d.Notice = "That device is signed out."
	}
	s.render(w, r, "account.html", d)
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
	http.Redirect(w, r, "/account?done=revoked", http.StatusSeeOther)
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
