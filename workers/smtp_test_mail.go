package workers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/wneessen/go-mail"
)

// TestMailer sends the admin console's "send test mail": one short message
// through the smtp section in force, so an admin sees at once what the
// server answers instead of waiting for an invite to fail. It writes no
// event: it changes nothing anyone decides from (the budget that bounds it
// lives in the throttle table, the send is in the mail server's own log).
type TestMailer struct {
	Settings MailSettings     // required
	Sender   MailSender       // default SMTPSender{} with a 20s timeout
	SiteName string           // in the subject
	Logger   *slog.Logger     // required
	Now      func() time.Time // required
}

// SendTestMail sends the test message to to. ok tells whether the server
// accepted it; answer is then the server's reply, else what went wrong in
// plain words (never the password). err is for failures of this process
// only (the section cannot be read).
func (t TestMailer) SendTestMail(ctx context.Context, to string) (ok bool, answer string, err error) {
	s, err := t.Settings.SMTP(ctx)
	if err != nil {
		return false, "", fmt.Errorf("test mail: %w", err)
	}
	if !s.Configured() {
		return false, "No mail server is configured: set the smtp section's host and from address first.", nil
	}
	sender := t.Sender
	if sender == nil {
		// An admin waits for this answer; a server that never answers
		// should not hold the page for go-mail's default.
		sender = SMTPSender{Timeout: 20 * time.Second}
	}
	msg := mail.NewMsg()
	if err := msg.From(s.From); err != nil {
		return false, "The smtp section's from address is not valid: " + hidePassword(err.Error(), s.Password), nil
	}
	if err := msg.To(to); err != nil {
		return false, "That address is not valid.", nil
	}
	site := t.SiteName
	if site == "" {
		site = "AuthPortal"
	}
	msg.Subject("Test mail from " + site)
	msg.SetDateWithValue(t.Now())
	msg.SetBodyString(mail.TypeTextPlain, "This is a test message from "+site+
		". If you can read it, the portal can send invites and password resets.\n")
	if err := sender.Send(ctx, s, msg); err != nil {
		reason := hidePassword(testMailFailure(err), s.Password)
		t.Logger.InfoContext(ctx, "test mail failed", "host", s.Host, "reason", reason)
		return false, reason, nil
	}
	reply := strings.TrimSpace(msg.ServerResponse())
	if reply == "" {
		reply = "accepted"
	}
	t.Logger.InfoContext(ctx, "test mail sent", "host", s.Host, "answer", reply)
	return true, "The mail server accepted the message: " + reply, nil
}

// testMailFailure says in plain words where sending stopped, then the
// server's or network's own words.
func testMailFailure(err error) string {
	detail := mailFailure(err)
	var se *mail.SendError
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "The mail server did not answer in time: " + detail
	case strings.Contains(err.Error(), "SMTP AUTH"):
		return "The mail server did not accept the username and password: " + detail
	case strings.Contains(err.Error(), "STARTTLS"):
		return "The mail server does not offer STARTTLS; choose another security setting: " + detail
	case strings.HasPrefix(err.Error(), "dial failed"):
		return "The mail server could not be reached or refused the connection: " + detail
	case errors.As(err, &se):
		return "The mail server refused the message: " + detail
	case strings.HasPrefix(err.Error(), "smtp security"):
		return "The smtp section's security setting is not valid: " + detail
	}
	return "Sending failed: " + detail
}

// hidePassword keeps the password out of an answer in case a server or
// library ever echoes it.
func hidePassword(s, password string) string {
	if password == "" {
		return s
	}
	return strings.ReplaceAll(s, password, "(password)")
}
