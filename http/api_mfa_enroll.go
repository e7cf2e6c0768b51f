package http

import (
	"context"
	"encoding/base64"
	"net/http"

	"github.com/authportal/authportal/commands"
	"github.com/authportal/authportal/domain"
	"github.com/danielgtaylor/huma/v2"
)

// enrollSession is the session allowed to enroll: the pending enrollment
// session MFA_ENFORCE hands out, else a full one. A pending-challenge
// session is refused: a password alone must never replace an authenticator.
func (s *Server) enrollSession(ctx context.Context, pending string) (*Principal, *huma.ErrorModel) {
	if p, err := s.resolve(ctx, pending); err == nil {
		if p.Kind != domain.SessionMFAEnroll {
			return nil, problemWrongSession.err("Answer the two-factor challenge first.")
		}
		return p, nil
	}
	if p := principal(ctx); p != nil {
		return p, nil
	}
	return nil, problemUnauthenticated.err("Sign in first.")
}

type mfaStatusOutput struct {
	Body struct {
		Enabled                bool   `json:"enabled"`
		State                  string `json:"state" enum:"none,pending,enabled"`
		Enforced               bool   `json:"enforced" doc:"Users must enroll before they get a full session"`
		SessionKind            string `json:"sessionKind"`
		RecoveryCodesRemaining int    `json:"recoveryCodesRemaining"`
	}
}

// pendingInput carries the pending-MFA cookie.
type pendingInput struct {
	Pending string `cookie:"authportal_mfa" doc:"Pending-MFA session"`
}

func (s *Server) mfaEnrollStatus(ctx context.Context, in *pendingInput) (*mfaStatusOutput, error) {
	p, problem := s.enrollSession(ctx, in.Pending)
	if problem != nil {
		return nil, problem
	}
	out := &mfaStatusOutput{}
	b := &out.Body
	b.Enabled, b.Enforced, b.SessionKind, b.RecoveryCodesRemaining = p.User.MFAEnabled, s.config.MFAEnforce, string(p.Kind), p.User.RecoveryCodes
	switch {
	case p.User.MFAEnabled:
		b.State = "enabled"
	case p.User.MFAPending:
		b.State = "pending"
	default:
		b.State = "none"
	}
	return out, nil
}

type mfaStartInput struct {
	Pending string `cookie:"authportal_mfa" doc:"Pending-MFA session"`
	Body    *struct {
		Password string `json:"password,omitempty" maxLength:"4096" doc:"The account's password, when the answer was reauth-required: a session whose sign-in is more than a few minutes old must confirm it before setting up an authenticator"`
	}
}

type mfaStartOutput struct {
	Body struct {
		Secret   string `json:"secret" doc:"Base32 secret, for typing into an authenticator by hand"`
		QRCode   string `json:"qrCode" doc:"data: URI of a PNG QR code drawn by this server"`
		Replaced bool   `json:"replaced" doc:"An earlier set-up that was never finished was replaced: codes from it no longer work"`
	}
}

func (s *Server) mfaEnrollStart(ctx context.Context, in *mfaStartInput) (*mfaStartOutput, error) {
	p, problem := s.enrollSession(ctx, in.Pending)
	if problem != nil {
		return nil, problem
	}
	cmd := commands.StartTOTPEnrollment{SessionID: p.SessionID, Meta: eventMeta(ctx)}
	if in.Body != nil {
		if err := checkPasswordBytes(in.Body.Password); err != nil {
			return nil, err
		}
		cmd.Password = in.Body.Password
	}
	res, err := s.deps.StartTOTP.Handle(ctx, cmd)
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	// The status the page reads next comes from the access model.
	if err := s.awaitModel(ctx, res.Position); err != nil {
		return nil, problemFor(ctx, s.deps.Logger, err)
	}
	out := &mfaStartOutput{}
	out.Body.Secret, out.Body.Replaced = res.Secret, res.Replaced
	out.Body.QRCode = "data:image/png;base64," + base64.StdEncoding.EncodeToString(res.QRCode)
	return out, nil
}

type codeInput struct {
	Pending string `cookie:"authportal_mfa" doc:"Pending-MFA session"`
	Body    struct {
		Code string `json:"code" minLength:"6" maxLength:"32" doc:"6-digit TOTP code, or a recovery code"`
		Next string `json:"next,omitempty" maxLength:"2048" doc:"Where to continue: a path on this site, or a URL on a protected host (rd)"`
	}
}

type mfaVerifyOutput struct {
	SetCookie []http.Cookie `header:"Set-Cookie"`
	Body      struct {
		OK            bool     `json:"ok"`
		RecoveryCodes []string `json:"recoveryCodes" doc:"Single-use codes, shown this once"`
		Redirect      string   `json:"redirect"`
	}
}

func (s *Server) mfaEnrollVerify(ctx context.Context, in *codeInput) (*mfaVerifyOutput, error) {
	p, problem := s.enrollSession(ctx, in.Pending)
	if problem != nil {
		return nil, problem
	}
	res, err := s.deps.VerifyTOTP.Handle(ctx, commands.VerifyTOTPEnrollment{SessionID: p.SessionID, Code: in.Body.Code, Meta: eventMeta(ctx)})
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	if err := s.awaitModel(ctx, res.Position); err != nil {
		return nil, problemFor(ctx, s.deps.Logger, err)
	}
	out := &mfaVerifyOutput{}
	out.Body.OK, out.Body.RecoveryCodes, out.Body.Redirect = true, res.RecoveryCodes, s.safeNext(in.Body.Next, "/home")
	// Enabling TOTP ended every session of the user's; this browser goes on
	// in the successor.
	if out.SetCookie, err = s.sessionCookies(res.Session, res.Position); err != nil {
		return nil, problemFor(ctx, s.deps.Logger, err)
	}
	return out, nil
}
