package http

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/authportal/authportal/commands"
	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/throttle"
)

// Password reset by email for local accounts: GET/POST /password/forgot
// asks for a link (the answer is the same whether or not an account
// matched), GET/POST /password/reset/{token} sets the new password. The
// token is in the path because that is what the mail links to; the page is
// never sent as a referrer.

// PasswordResets are what password reset needs. The zero value turns it off.
type PasswordResets struct {
	Candidates resetCandidates  // queries.Reader
	Request    resetRequester   // commands.RequestPasswordResetHandler
	Reset      passwordResetter // commands.ResetPasswordHandler
	MailReady  mailReadiness    // whether SMTP is configured now (the login page's link)
}

// resetCandidates finds the local accounts a "forgot" names (queries.Reader).
type resetCandidates interface {
	LocalAccountsFor(ctx context.Context, who string) ([]string, error)
}

// resetRequester records a reset for the mailer (commands.RequestPasswordResetHandler).
type resetRequester interface {
	Handle(ctx context.Context, cmd commands.RequestPasswordReset) error
}

// passwordResetter checks and uses a reset link (commands.ResetPasswordHandler).
type passwordResetter interface {
	CheckReset(ctx context.Context, token string) (domain.PasswordReset, error)
	Handle(ctx context.Context, cmd commands.ResetPassword) (commands.Result, error)
}

// mailReadiness tells whether mail can go out now.
type mailReadiness interface {
	MailConfigured(ctx context.Context) bool
}

// resetPostLimit is each address's budget of new passwords set with links:
// links are unguessable, this only bounds argon2id work.
var resetPostLimit = throttle.Limit{Every: 12 * time.Second, Burst: 5}

type passwordResetPageData struct {
	pageData
	Action string
	Who    string
	Error  string
	Asked  bool   // the forgot form was sent: the same answer for everyone
	Gone   string // why the link cannot be used
	Done   bool   // the password was changed
	MinLen int
}

func (s *Server) resetsOn() bool {
	p := s.deps.PasswordResets
	return p.Request != nil && p.Reset != nil && p.Candidates != nil && p.MailReady != nil
}

func (s *Server) forgotPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, "password_forgot.html", passwordResetPageData{pageData: s.pageData(r, "Forgot your password?")})
}

func (s *Server) forgotPost(w http.ResponseWriter, r *http.Request) {
	d := passwordResetPageData{pageData: s.pageData(r, "Forgot your password?")}
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	if err := r.ParseForm(); err != nil {
		d.Error = "That form could not be read. Try again."
		s.renderStatus(w, r, http.StatusBadRequest, "password_forgot.html", d)
		return
	}
	if !s.deps.PasswordResets.MailReady.MailConfigured(r.Context()) {
		d.Error = "Password reset by email is not available here: no mail server is configured. Ask an administrator."
		s.renderStatus(w, r, http.StatusServiceUnavailable, "password_forgot.html", d)
		return
	}
	d.Who = strings.TrimSpace(r.PostForm.Get("who"))
	if d.Who == "" || len(d.Who) > 254 {
		d.Error = "Enter your username or your email address."
		s.renderStatus(w, r, http.StatusUnprocessableEntity, "password_forgot.html", d)
		return
	}
	ids, err := s.deps.PasswordResets.Candidates.LocalAccountsFor(r.Context(), d.Who)
	if err == nil {
		err = s.deps.PasswordResets.Request.Handle(r.Context(), commands.RequestPasswordReset{Who: d.Who, Candidates: ids, Meta: eventMeta(r.Context())})
	}
	if err != nil {
		m := problemFor(r.Context(), s.deps.Logger, err)
		d.Error = m.Detail
		s.renderStatus(w, r, m.Status, "password_forgot.html", d)
		return
	}
	d.Asked = true
	s.render(w, r, "password_forgot.html", d)
}

func (s *Server) resetPageData(r *http.Request, token string) passwordResetPageData {
	return passwordResetPageData{pageData: s.pageData(r, "Choose a new password"), Action: "/password/reset/" + token, MinLen: commands.MinPasswordLen}
}

func (s *Server) resetPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Referrer-Policy", "no-referrer")
	token := r.PathValue("token")
	d := s.resetPageData(r, token)
	if _, err := s.deps.PasswordResets.Reset.CheckReset(r.Context(), token); err != nil {
		s.resetFailed(w, r, d, err)
		return
	}
	s.render(w, r, "password_reset.html", d)
}

func (s *Server) resetPost(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Referrer-Policy", "no-referrer")
	token := r.PathValue("token")
	d := s.resetPageData(r, token)
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	if err := r.ParseForm(); err != nil {
		d.Error = "That form could not be read. Try again."
		s.renderStatus(w, r, http.StatusBadRequest, "password_reset.html", d)
		return
	}
	password := r.PostForm.Get("password")
	switch {
	case password == "":
		d.Error = "Choose a new password."
	case password != r.PostForm.Get("password2"):
		d.Error = "The two passwords differ. Type the same password twice."
	}
	if d.Error != "" {
		s.renderStatus(w, r, http.StatusUnprocessableEntity, "password_reset.html", d)
		return
	}
	budget, err := s.takeAddressBudget(r, "/password/reset", resetPostLimit)
	if err != nil {
		s.resetFailed(w, r, d, errors.Join(commands.ErrUnavailable, err))
		return
	}
	if !budget.Allowed {
		s.resetFailed(w, r, d, &commands.RateLimitedError{RetryAfter: budget.RetryAfter})
		return
	}
	if _, err := s.deps.PasswordResets.Reset.Handle(r.Context(), commands.ResetPassword{Token: token, Password: password, Meta: eventMeta(r.Context())}); err != nil {
		s.resetFailed(w, r, d, err)
		return
	}
	d.Done = true
	s.render(w, r, "password_reset.html", d)
}

// resetFailed shows why a reset did not work: on the form when the person
// can fix it, on a plain page when the link is spent.
func (s *Server) resetFailed(w http.ResponseWriter, r *http.Request, d passwordResetPageData, err error) {
	var invalid *domain.InvalidInputError
	var limited *commands.RateLimitedError
	status := http.StatusGone
	switch {
	case errors.Is(err, domain.ErrResetNotFound):
		d.Gone, status = "This link is not valid. Check that you opened the whole link from the mail.", http.StatusNotFound
	case errors.Is(err, domain.ErrResetExpired):
		d.Gone = "This link has expired: links work for an hour."
	case errors.Is(err, domain.ErrResetUsed):
		d.Gone = "This link was already used: each works once."
	case errors.As(err, &invalid) && invalid.Field == "password":
		d.Error, status = "Your password must be "+invalid.Reason+".", http.StatusUnprocessableEntity
	case errors.As(err, &limited):
		m, retryAfter := tooManyAttempts(limited.RetryAfter)
		w.Header().Set("Retry-After", retryAfter)
		d.Error, status = m.Detail, http.StatusTooManyRequests
	default:
		m := problemFor(r.Context(), s.deps.Logger, err)
		d.Error, status = m.Detail, m.Status
	}
	s.renderStatus(w, r, status, "password_reset.html", d)
}
