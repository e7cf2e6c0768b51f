package http

import (
	"context"
	"net/http"

	"github.com/authportal/authportal/commands"
	"github.com/authportal/authportal/domain"
	"github.com/danielgtaylor/huma/v2"
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
	p, problem := s.challengeSession(ctx, in.Pending)
	if problem != nil {
		return nil, problem
	}
	res, err := s.deps.AnswerMFA.Handle(ctx, commands.AnswerMFAChallenge{SessionID: p.SessionID, Code: in.Body.Code, Meta: eventMeta(ctx)})
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	if err := s.awaitModel(ctx, res.Position); err != nil {
		return nil, problemFor(ctx, s.deps.Logger, err)
	}
	out := &mfaChallengeOutput{}
	if out.SetCookie, err = s.sessionCookies(res.Session, res.Position); err != nil {
		return nil, problemFor(ctx, s.deps.Logger, err)
	}
	out.Body.OK, out.Body.Redirect, out.Body.RecoveryCodesLeft = true, s.safeNext(in.Body.Next, "/home"), res.RecoveryCodesLeft
	return out, nil
}

// challengeSession is the pending session that owes a challenge, the only
// one that may answer it.
func (s *Server) challengeSession(ctx context.Context, pending string) (*Principal, *huma.ErrorModel) {
	p, err := s.resolve(ctx, pending)
	if err != nil {
		return nil, problemUnauthenticated.err("Sign in first.")
	}
	if p.Kind != domain.SessionMFAChallenge {
		return nil, problemWrongSession.err("This session has no challenge to answer.")
	}
	return p, nil
}
