package http

import (
	"context"
	"net/http"
	"net/url"

	"github.com/authportal/authportal/commands"
	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/providers/local"
	"github.com/danielgtaylor/huma/v2"
)

type loginInput struct {
	Body struct {
		Username string `json:"username" maxLength:"256" doc:"Username (case-insensitive)"`
		Password string `json:"password" maxLength:"4096" doc:"Password, at most 1024 bytes"`
		Next     string `json:"next,omitempty" maxLength:"2048" doc:"Where to continue after sign-in: a path on this site, or a URL on a protected host (rd)"`
	}
}

type loginOutput struct {
	SetCookie []http.Cookie `header:"Set-Cookie"`
	Body      struct {
		OK          bool   `json:"ok"`
		MFARequired bool   `json:"mfaRequired" doc:"A second factor is owed (challenge or enrollment) before the session is full"`
		Redirect    string `json:"redirect" doc:"Where the browser should go next"`
	}
}

func (s *Server) login(ctx context.Context, in *loginInput) (*loginOutput, error) {
	if err := checkPasswordBytes(in.Body.Password); err != nil {
		return nil, err
	}
	devices := metaFrom(ctx).Devices
	res, err := s.deps.Login.Handle(ctx, commands.Login{Username: in.Body.Username, Password: in.Body.Password, Devices: devices, Meta: eventMeta(ctx)})
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	cookies, err := s.sessionCookies(res.Session, res.Position)
	if err != nil {
		return nil, problemFor(ctx, s.deps.Logger, err)
	}
	out := &loginOutput{SetCookie: append(cookies, s.device.issue(s.jar, devices, res.Username, res.PasswordGeneration))}
	out.Body.OK = true
	next := s.safeNext(in.Body.Next, "")
	switch res.Session.Kind {
	case domain.SessionMFAChallenge:
		out.Body.MFARequired, out.Body.Redirect = true, withNext("/mfa/challenge", next)
	case domain.SessionMFAEnroll:
		out.Body.MFARequired, out.Body.Redirect = true, withNext("/mfa/enroll", next)
	default:
		out.Body.Redirect = s.safeNext(next, "/home")
	}
	return out, nil
}

// withNext carries the post-sign-in destination through the MFA pages.
func withNext(path, next string) string {
	if next == "" {
		return path
	}
	return path + "?next=" + url.QueryEscape(next)
}

// passwordTooLong is the one wording of the byte cap, whether huma's length
// check or checkPasswordBytes caught it.
const passwordTooLong = "Passwords are at most 1024 bytes long."

// checkPasswordBytes caps a password by bytes, which is what the hasher
// takes (huma's maxLength counts characters, and three-byte characters
// would pass it three times over). It is checked before any account is
// looked up, so the refusal says nothing of one.
func checkPasswordBytes(password string) error {
	if len(password) <= local.MaxPasswordLen {
		return nil
	}
	m := problemInvalidInput.err(passwordTooLong)
	m.Errors = []*huma.ErrorDetail{{Message: passwordTooLong, Location: "body.password"}}
	return m
}
