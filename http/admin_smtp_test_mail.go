package http

import (
	"context"
	"net/http"
	"net/mail"
	"time"

	"github.com/authportal/authportal/throttle"
	"github.com/danielgtaylor/huma/v2"
)

// smtpTestMailer sends the SMTP tab's test mail through the smtp section in
// force (workers.TestMailer). ok and answer are the outcome an admin reads;
// err only when this process failed.
type smtpTestMailer interface {
	SendTestMail(ctx context.Context, to string) (ok bool, answer string, err error)
}

// testMailLimit is each admin's budget of test mails: enough to fix a
// setting and try again, too little to make the portal a mail cannon.
var testMailLimit = throttle.Limit{Every: 20 * time.Second, Burst: 5}

type smtpTestMailInput struct {
	Body struct {
		To string `json:"to" minLength:"3" maxLength:"254" doc:"Address to send the test message to"`
	}
}

type smtpTestMailOutput struct {
	Body struct {
		OK     bool   `json:"ok" doc:"Whether the mail server accepted the message"`
		Answer string `json:"answer" doc:"The mail server's reply, or what went wrong, in plain words"`
	}
}

// registerSMTPTestMailAPI registers POST /api/admin/config/smtp/test (adminAPIs).
func (s *Server) registerSMTPTestMailAPI(api huma.API) {
	huma.Register(api, huma.Operation{
		OperationID: "admin-smtp-test-mail", Method: http.MethodPost, Path: "/api/admin/config/smtp/test", Tags: []string{adminTag},
		Summary:     "Send a test mail with the smtp section in force",
		Description: "Answers with the mail server's reply, or what went wrong. Writes no event.",
		Errors:      []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusUnprocessableEntity, http.StatusTooManyRequests},
	}, s.smtpTestMail)
}

func (s *Server) smtpTestMail(ctx context.Context, in *smtpTestMailInput) (*smtpTestMailOutput, error) {
	p, err := requireAdmin(ctx)
	if err != nil {
		return nil, err
	}
	addr, err := mail.ParseAddress(in.Body.To)
	if err != nil || addr.Name != "" {
		return nil, problemInvalidInput.err("Enter a plain email address, like name@example.com.")
	}
	d, err := s.deps.Budgets.Take(ctx, "smtp-test-mail", p.UserID, testMailLimit, s.deps.Now())
	if err != nil {
		s.deps.Logger.WarnContext(ctx, "rate limit unavailable", "err", err)
		return nil, problemUnavailable.err("The server is busy. Try again in a moment.")
	}
	if !d.Allowed {
		return nil, rateLimited(d.RetryAfter)
	}
	ok, answer, err := s.deps.SMTPTest.SendTestMail(ctx, addr.Address)
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	out := &smtpTestMailOutput{}
	out.Body.OK, out.Body.Answer = ok, answer
	return out, nil
}
