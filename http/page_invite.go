package http

import (
	"errors"
	"net/http"
	"strings"

	"github.com/authportal/authportal/commands"
	"github.com/authportal/authportal/domain"
)

// The accept page of an invite: GET /invite/{token} shows the form (or a
// plain page saying why the invite cannot be used), POST creates the
// account and signs it in. The token is in the path because that is what
// the mail links to; the page is never cached or sent as a referrer.

type invitePageData struct {
	pageData
	Action      string
	Email       string
	InviteAdmin bool
	Username    string
	DisplayName string
	Error       string
	Gone        string // why the invite cannot be used; the form is not shown
	Media       string // "Jellyfin" or "Emby" when accepting also creates that account
	MinLen      int
}

// maxInviteToken bounds what is looked up: tokens are 26 characters.
const maxInviteToken = 64

func (s *Server) invitePageData(r *http.Request, token string) invitePageData {
	return invitePageData{pageData: s.pageData(r, "Accept your invite"), Action: "/invite/" + token, MinLen: commands.MinPasswordLen}
}

func (s *Server) invitePage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Referrer-Policy", "no-referrer")
	token := r.PathValue("token")
	d := s.invitePageData(r, token)
	if len(token) > maxInviteToken {
		d.Gone = inviteGoneWords(domain.ErrInviteNotFound)
		s.renderStatus(w, r, http.StatusNotFound, "invite.html", d)
		return
	}
	inv, err := s.deps.Invites.Accept.CheckInvite(r.Context(), token)
	if err != nil {
		s.inviteGone(w, r, d, err)
		return
	}
	d.Email, d.InviteAdmin, d.Media = inv.Created.Email, inv.Created.Role == domain.RoleAdmin, mediaServerName(inv.Created.Provision)
	s.render(w, r, "invite.html", d)
}

func (s *Server) acceptInvite(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Referrer-Policy", "no-referrer")
	token := r.PathValue("token")
	d := s.invitePageData(r, token)
	d.Media = s.inviteMedia(r, token) // the form shown again says it too
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	if err := r.ParseForm(); err != nil || len(token) > maxInviteToken {
		d.Error = "That form could not be read. Try again."
		s.renderStatus(w, r, http.StatusBadRequest, "invite.html", d)
		return
	}
	f := r.PostForm
	d.Username, d.DisplayName = strings.TrimSpace(f.Get("username")), strings.TrimSpace(f.Get("display_name"))
	password := f.Get("password")
	switch {
	case d.Username == "" || password == "":
		d.Error = "Choose a username and a password."
	case password != f.Get("password2"):
		d.Error = "The two passwords differ. Type the same password twice."
	case len(password) > 1024 || len(d.Username) > 256 || len(d.DisplayName) > 256:
		d.Error = "That is too long. Usernames are at most 64 characters, passwords at most 1024 bytes."
	}
	if d.Error != "" {
		s.renderStatus(w, r, http.StatusUnprocessableEntity, "invite.html", d)
		return
	}
	res, err := s.deps.Invites.Accept.Handle(r.Context(), commands.AcceptInvite{Token: token, Username: d.Username,
		DisplayName: d.DisplayName, Password: password, Meta: eventMeta(r.Context())})
	if err != nil {
		s.acceptFailed(w, r, d, err)
		return
	}
	cookies, err := s.sessionCookies(res.Session, res.Position)
	if err != nil {
		s.acceptFailed(w, r, d, err)
		return
	}
	for _, c := range cookies {
		http.SetCookie(w, &c)
	}
	next := "/home"
	if res.Session.Kind == domain.SessionMFAEnroll {
		next = "/mfa/enroll"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// acceptFailed shows why an accept did not work: on the form when the
// person can fix it, on a plain page when the invite is gone.
func (s *Server) acceptFailed(w http.ResponseWriter, r *http.Request, d invitePageData, err error) {
	var invalid *domain.InvalidInputError
	var limited *commands.RateLimitedError
	switch {
	case errors.Is(err, domain.ErrUsernameTaken):
		d.Error = "That username is taken. Choose another."
		s.renderStatus(w, r, http.StatusConflict, "invite.html", d)
	case errors.Is(err, commands.ErrMediaNameTaken), errors.Is(err, commands.ErrProvisionUnavailable):
		s.provisionFailed(w, r, d, err)
	case errors.As(err, &invalid) && invalid.Field == "password":
		d.Error = "Your password must be " + invalid.Reason + "."
		s.renderStatus(w, r, http.StatusUnprocessableEntity, "invite.html", d)
	case errors.As(err, &invalid):
		d.Error = invalidInputWords(invalid)
		s.renderStatus(w, r, http.StatusUnprocessableEntity, "invite.html", d)
	case errors.As(err, &limited):
		m, retryAfter := tooManyAttempts(limited.RetryAfter)
		w.Header().Set("Retry-After", retryAfter)
		d.Error = m.Detail
		s.renderStatus(w, r, http.StatusTooManyRequests, "invite.html", d)
	case errors.Is(err, domain.ErrInviteNotFound), errors.Is(err, domain.ErrInviteExpired), errors.Is(err, domain.ErrInviteRevoked), errors.Is(err, domain.ErrInviteUsed):
		s.inviteGone(w, r, d, err)
	default:
		m := problemFor(r.Context(), s.deps.Logger, err)
		d.Error = m.Detail
		s.renderStatus(w, r, m.Status, "invite.html", d)
	}
}

func (s *Server) inviteGone(w http.ResponseWriter, r *http.Request, d invitePageData, err error) {
	d.Gone = inviteGoneWords(err)
	if d.Gone == "" {
		m := problemFor(r.Context(), s.deps.Logger, err)
		d.Gone = m.Detail
		s.renderStatus(w, r, m.Status, "invite.html", d)
		return
	}
	status := http.StatusGone
	if errors.Is(err, domain.ErrInviteNotFound) {
		status = http.StatusNotFound
	}
	s.renderStatus(w, r, status, "invite.html", d)
}

// inviteGoneWords says why an invite cannot be used, "" for other errors.
func inviteGoneWords(err error) string {
	switch {
	case errors.Is(err, domain.ErrInviteNotFound):
		return "This invite link is not valid. Check that you opened the whole link from the mail."
	case errors.Is(err, domain.ErrInviteExpired):
		return "This invite has expired."
	case errors.Is(err, domain.ErrInviteRevoked):
		return "This invite was withdrawn."
	case errors.Is(err, domain.ErrInviteUsed):
		return "This invite was already used."
	}
	return ""
}
