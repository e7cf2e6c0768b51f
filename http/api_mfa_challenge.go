package http

import (
	"context"
	"net/http"

	"github.com/authportal/authportal/commands"
	"github.com/authportal/authportal/domain"
)

type mfaChallengeOutput struct {
	SetCookie []http.Cookie `header:"Set-Cookie"`
	Body      struct {
		OK                bool   `json:"ok"`
		Redirect          string `json:"redirect"`
		RecoveryCodesLeft int    `json:"recoveryCodesLeft"`
	}
}

func (s *Server) mfaChallengeVerify(ctx context.Context, in *codeInput) (*mfaChallengeOutput, error) {
	p, err := s.resolve(ctx, in.Pending)
	if err != nil {
		return nil, problemUnauthenticated.err("Sign in first.")
	}
	if p.Kind != domain.SessionMFAChallenge {
		return nil, problemWrongSession.err("This session has no challenge to answer.")
	}
	// Per account as well as per IP: many addresses must not multiply the guesses.
	if ok, _ := s.mfaLimit.allow(p.UserID); !ok {
		return nil, problemRateLimited.err("Too many attempts. Wait a moment and try again.")
	}
	res, err := s.deps.AnswerMFA.Handle(ctx, commands.AnswerMFAChallenge{SessionID: p.SessionID, Code: in.Body.Code, Meta: eventMeta(ctx)})
	if err != nil {
		return nil, problemFor(ctx, s.deps.Logger, err)
	}
	out := &mfaChallengeOutput{}
	if out.SetCookie, err = s.sessionCookies(res.Session, res.Position); err != nil {
		return nil, problemFor(ctx, s.deps.Logger, err)
	}
	out.Body.OK, out.Body.Redirect, out.Body.RecoveryCodesLeft = true, safeNext(in.Body.Next, "/home"), res.RecoveryCodesLeft
	return out, nil
}
