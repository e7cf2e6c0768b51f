package workers

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/authportal/authportal/commands"
	"github.com/authportal/authportal/domain"
	"github.com/wneessen/go-mail"
)

// Password reset mail goes through the invite mailer, by the same three
// steps (intent, send, outcome) and the same retries. Resets have no read
// model to list those owing mail; instead the mailer keeps them in memory
// and never moves its checkpoint past the request of one still owed, so a
// new leader reads them again from the log. A reset lives an hour, so the
// checkpoint lags at most that.

//go:embed templates/reset.txt templates/reset.html
var resetTemplates embed.FS

var (
	resetText = texttemplate.Must(texttemplate.ParseFS(resetTemplates, "templates/reset.txt"))
	resetHTML = htmltemplate.Must(htmltemplate.ParseFS(resetTemplates, "templates/reset.html"))
)

// resetMail records the reset mail's attempts (commands.ResetMailHandler).
type resetMail interface {
	Start(ctx context.Context, stream string, messageID func(int) string, meta domain.Metadata) (commands.ResetMail, error)
	Record(ctx context.Context, stream string, attempt int, messageID, sendErr string, permanent bool,
		maxAttempts int, retryAt time.Time, meta domain.Metadata) (domain.Event, error)
}

// deliverReset makes the reset's next attempt if one is owed now, and
// reports whether mail is still owed afterwards (a retry is due later).
func (m *InviteMailer) deliverReset(ctx context.Context, stream string) (owed bool, err error) {
	settings, err := m.c.Settings.SMTP(ctx)
	if err != nil {
		return true, fmt.Errorf("smtp settings: %w", err)
	}
	if !settings.Configured() {
		return true, nil
	}
	key := strings.TrimPrefix(stream, "pwreset-")
	key = key[:min(len(key), 16)]
	host := m.c.BaseURL.Hostname()
	att, err := m.c.Resets.Start(ctx, stream, func(n int) string { return fmt.Sprintf("pwreset-%s-%d@%s", key, n, host) }, systemMeta)
	if errors.Is(err, commands.ErrUnseal) {
		m.c.Logger.Error("reset mail cannot be sent", "stream", stream, "err", err)
		return false, nil
	}
	if err != nil {
		return true, err
	}
	if !att.Owed {
		return att.Reset.MailOwed(m.c.Now()), nil // not due yet, or nothing more to do
	}
	msg, err := m.resetMessage(settings, att)
	sendErr := err
	if err == nil {
		sendErr = m.c.Sender.Send(ctx, settings, msg)
	}
	if ctx.Err() != nil {
		return true, ctx.Err()
	}
	reason := ""
	if sendErr != nil {
		reason = mailFailure(sendErr)
	}
	outcome, err := m.c.Resets.Record(ctx, stream, att.Attempt, att.MessageID, reason, sendErr != nil && permanentFailure(sendErr),
		m.c.MaxAttempts, m.c.Now().Add(m.backoff(att.Attempt)), systemMeta)
	if err != nil {
		return true, fmt.Errorf("record reset mail: %w", err)
	}
	switch o := outcome.(type) {
	case domain.PasswordResetEmailSent:
		m.c.Logger.Info("reset mail sent", "user_id", att.Reset.Requested.UserID, "attempt", o.Attempt)
		return false, nil
	case domain.PasswordResetEmailFailed:
		m.c.Logger.Warn("reset mail failed", "user_id", att.Reset.Requested.UserID, "attempt", o.Attempt, "final", o.Final, "reason", o.Reason)
		return !o.Final, nil
	}
	return true, nil
}

type resetMailData struct {
	Site, Link, Expires string
}

func (m *InviteMailer) resetMessage(s SMTPSettings, att commands.ResetMail) (*mail.Msg, error) {
	data := resetMailData{Site: m.c.SiteName, Link: m.c.BaseURL.JoinPath("password", "reset", att.Token).String(),
		Expires: att.Reset.Requested.ExpiresAt.UTC().Format("Monday 2 January 2006, 15:04 MST")}
	var tb, hb bytes.Buffer
	if err := resetText.Execute(&tb, data); err != nil {
		return nil, fmt.Errorf("reset mail text: %w", err)
	}
	if err := resetHTML.Execute(&hb, data); err != nil {
		return nil, fmt.Errorf("reset mail html: %w", err)
	}
	msg := mail.NewMsg()
	if err := msg.From(s.From); err != nil {
		return nil, fmt.Errorf("SMTP from address: %w", err)
	}
	if err := msg.To(att.Email); err != nil {
		return nil, fmt.Errorf("reset address: %w", err)
	}
	msg.Subject("Reset your password at " + m.c.SiteName)
	msg.SetMessageIDWithValue(att.MessageID)
	msg.SetDateWithValue(m.c.Now())
	msg.SetBodyString(mail.TypeTextPlain, tb.String())
	msg.AddAlternativeString(mail.TypeTextHTML, hb.String())
	return msg, nil
}

// owedResets are the resets whose mail is still owed, by stream, with the
// position of their request: the checkpoint stays before the earliest.
type owedResets map[string]owedReset

type owedReset struct {
	position int64
	seen     time.Time // once a link has expired, its mail is owed no more
}

// cap is the furthest the checkpoint may move to, given pos.
func (o owedResets) cap(pos int64) int64 {
	for _, r := range o {
		pos = min(pos, r.position-1)
	}
	return pos
}

// retryOwed tries the owed resets again and forgets those done or
// expired (also while SMTP is not configured, so that the checkpoint does
// not wait on them for ever).
func (m *InviteMailer) retryOwed(ctx context.Context, owed owedResets) {
	for stream, r := range owed {
		if m.c.Now().Sub(r.seen) > domain.PasswordResetTTL {
			delete(owed, stream)
			continue
		}
		still, err := m.deliverReset(ctx, stream)
		if err != nil && ctx.Err() == nil {
			m.c.Logger.Warn("reset mailer: retry", "stream", stream, "err", err)
		}
		if !still {
			delete(owed, stream)
		}
	}
}
