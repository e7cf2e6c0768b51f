package workers

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"log/slog"
	"net/url"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/authportal/authportal/commands"
	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/wneessen/go-mail"
)

// The invite mailer turns invite.created (and resend requests) into mail.
//
// It reads the log through eventstore.Subscriber from a checkpoint of its
// own (worker_checkpoints), on one node at a time (an advisory lock held
// on a connection of its own), and talks to the SMTP server with no
// transaction open. Each attempt is three steps:
//
//  1. append invite.email_sending {attempt, messageId} (the intent),
//  2. send, with that Message-ID,
//  3. append invite.email_sent, or invite.email_failed {reason, attempt,
//     retryAt|final}.
//
// A crash before 1 leaves the checkpoint before the invite's event: the
// next leader handles it again. A crash between 1 and 3 leaves an intent
// without an outcome: whether the server got the mail cannot be known, so
// the next leader sends the same attempt again, with the same Message-ID,
// and records its outcome. A mail is therefore never forgotten; sent twice
// at worst in that window, as the same message (same Message-ID), which
// mail stores and clients treat as one. Failed attempts are retried with
// doubling backoff up to MaxAttempts; then the invite shows as failed and
// an admin may resend.

//go:embed templates/invite.txt templates/invite.html
var mailTemplates embed.FS

var (
	inviteText = texttemplate.Must(texttemplate.ParseFS(mailTemplates, "templates/invite.txt"))
	inviteHTML = htmltemplate.Must(htmltemplate.ParseFS(mailTemplates, "templates/invite.html"))
)

// mailStarter records an attempt's intent (commands.StartInviteMailHandler).
type mailStarter interface {
	Handle(ctx context.Context, cmd commands.StartInviteMail) (commands.InviteMail, error)
}

// mailRecorder records an attempt's outcome (commands.RecordInviteMailHandler).
type mailRecorder interface {
	Handle(ctx context.Context, cmd commands.RecordInviteMail) (domain.Event, commands.Result, error)
}

// owedMail lists invites whose mail is due (queries.Reader).
type owedMail interface {
	InvitesOwingMail(ctx context.Context, now time.Time, limit int) ([]string, error)
}

// InviteMailerConfig configures an InviteMailer.
type InviteMailerConfig struct {
	Pool     *pgxpool.Pool     // required
	Store    *eventstore.Store // required
	Owed     owedMail          // required
	Start    mailStarter       // required
	Record   mailRecorder      // required
	Settings MailSettings      // required
	Sender   MailSender        // default SMTPSender{}
	BaseURL  *url.URL          // required: the invite link's origin (APP_BASE_URL)
	SiteName string            // in the subject and body; default the base URL's host
	Logger   *slog.Logger      // required
	Now      func() time.Time  // required
	// MaxAttempts is how many attempts a round gets. Default 5.
	MaxAttempts int
	// Backoff is the wait after the first failure, doubling after each
	// (capped at MaxBackoff). Default 30s; MaxBackoff default 30m.
	Backoff, MaxBackoff time.Duration
	// Tick is how often due retries are looked for, and how often a node
	// without the lock tries to take it. Default 5s.
	Tick time.Duration
}

// InviteMailer sends invite mail. See the comment at the top of this file.
type InviteMailer struct {
	c InviteMailerConfig
}

// NewInviteMailer checks config.
func NewInviteMailer(c InviteMailerConfig) (*InviteMailer, error) {
	if c.Pool == nil || c.Store == nil || c.Owed == nil || c.Start == nil || c.Record == nil || c.Settings == nil ||
		c.BaseURL == nil || c.Logger == nil || c.Now == nil {
		return nil, errors.New("workers: invite mailer: missing dependency")
	}
	if c.Sender == nil {
		c.Sender = SMTPSender{}
	}
	if c.SiteName == "" {
		c.SiteName = c.BaseURL.Host
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = 5
	}
	if c.Backoff == 0 {
		c.Backoff = 30 * time.Second
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = 30 * time.Minute
	}
	if c.Tick == 0 {
		c.Tick = 5 * time.Second
	}
	return &InviteMailer{c: c}, nil
}

// InviteMailerName is the mailer's checkpoint and the topic it reads.
const InviteMailerName = "invite-mailer"

// inviteMailerLock is the advisory lock of the node that mails.
const inviteMailerLock = 0x4150_696d // "APim"

// Run mails on whichever node holds the lock, until ctx ends.
func (m *InviteMailer) Run(ctx context.Context) {
	for ctx.Err() == nil {
		err := m.lead(ctx)
		if err != nil && ctx.Err() == nil && !errors.Is(err, errStandby) {
			m.c.Logger.Warn("invite mailer stopped; will resume", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(m.c.Tick):
		}
	}
}

var errStandby = errors.New("another node mails")

// lead takes the lock and mails until ctx ends or the lock's connection dies.
func (m *InviteMailer) lead(ctx context.Context) error {
	pooled, err := m.c.Pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// Closing the connection, not returning it, is what releases the lock.
	lockConn := pooled.Hijack()
	defer lockConn.Close(context.WithoutCancel(ctx))
	var leader bool
	if err := lockConn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, int64(inviteMailerLock)).Scan(&leader); err != nil {
		return fmt.Errorf("take invite mailer lock: %w", err)
	}
	if !leader {
		return errStandby
	}
	return m.follow(ctx, lockConn)
}

func (m *InviteMailer) follow(ctx context.Context, lockConn *pgx.Conn) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if _, err := m.c.Pool.Exec(ctx, `INSERT INTO worker_checkpoints (name) VALUES ($1) ON CONFLICT DO NOTHING`, InviteMailerName); err != nil {
		return fmt.Errorf("invite mailer checkpoint: %w", err)
	}
	sub, err := eventstore.NewSubscriber(m.c.Store, eventstore.SubscriberConfig{
		StartAfter: func(ctx context.Context, _ string) (int64, error) {
			var pos int64
			err := m.c.Pool.QueryRow(ctx, `SELECT position FROM worker_checkpoints WHERE name = $1`, InviteMailerName).Scan(&pos)
			return pos, err
		},
	})
	if err != nil {
		return err
	}
	defer sub.Close()
	messages, err := sub.Subscribe(ctx, InviteMailerName)
	if err != nil {
		return err
	}
	tick := time.NewTicker(m.c.Tick)
	defer tick.Stop()
	var seen, saved int64
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case msg, ok := <-messages:
			if !ok {
				return ctx.Err()
			}
			raw, err := eventstore.MessageRaw(msg)
			if err == nil && strings.HasPrefix(raw.StreamID, "invite-") {
				err = m.Deliver(ctx, strings.TrimPrefix(raw.StreamID, "invite-"))
				if err == nil {
					err = m.save(ctx, raw.Position)
					saved = raw.Position
				}
			}
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				m.c.Logger.Warn("invite mailer: event not handled; will be redelivered", "position", raw.Position, "err", err)
				msg.Nack()
				continue
			}
			seen = raw.Position
			msg.Ack()
		case <-tick.C:
			if err := lockConn.Ping(ctx); err != nil {
				return fmt.Errorf("invite mailer lock connection lost: %w", err)
			}
			if seen > saved {
				// Other events only move the checkpoint now and then:
				// redelivering them after a crash costs nothing.
				if err := m.save(ctx, seen); err == nil {
					saved = seen
				}
			}
			m.retryDue(ctx)
		}
	}
}

func (m *InviteMailer) save(ctx context.Context, pos int64) error {
	_, err := m.c.Pool.Exec(ctx, `UPDATE worker_checkpoints SET position = greatest(position, $2), updated_at = now() WHERE name = $1`,
		InviteMailerName, pos)
	if err != nil {
		return fmt.Errorf("invite mailer checkpoint: %w", err)
	}
	return nil
}

// retryDue makes the attempts whose backoff is over.
func (m *InviteMailer) retryDue(ctx context.Context) {
	ids, err := m.c.Owed.InvitesOwingMail(ctx, m.c.Now(), 50)
	if err != nil {
		m.c.Logger.Warn("invite mailer: list owed mail", "err", err)
		return
	}
	for _, id := range ids {
		if err := m.Deliver(ctx, id); err != nil && ctx.Err() == nil {
			m.c.Logger.Warn("invite mailer: retry", "invite_id", id, "err", err)
		}
	}
}

var systemMeta = domain.Metadata{Actor: "system", ActorKind: domain.ActorSystem, CorrelationID: InviteMailerName}

// Deliver makes the invite's next attempt if one is owed now (or resumes
// one a crash interrupted), and records its outcome. Nothing owed is nil.
func (m *InviteMailer) Deliver(ctx context.Context, inviteID string) error {
	settings, err := m.c.Settings.SMTP(ctx)
	if err != nil {
		return fmt.Errorf("smtp settings: %w", err)
	}
	if !settings.Configured() {
		m.c.Logger.Debug("invite mail waits: SMTP is not configured", "invite_id", inviteID)
		return nil // stays pending; retryDue looks again once it is
	}
	host := m.c.BaseURL.Hostname()
	att, err := m.c.Start.Handle(ctx, commands.StartInviteMail{InviteID: inviteID, Meta: systemMeta,
		MessageID: func(n int) string { return fmt.Sprintf("invite-%s-%d@%s", inviteID, n, host) }})
	if errors.Is(err, domain.ErrInviteNotFound) || errors.Is(err, commands.ErrUnseal) {
		m.c.Logger.Error("invite mail cannot be sent", "invite_id", inviteID, "err", err)
		return nil // nothing a retry would change
	}
	if err != nil || !att.Owed {
		return err
	}
	if att.Resumed {
		m.c.Logger.Warn("invite mail: an attempt was interrupted; sending it again with the same Message-ID",
			"invite_id", inviteID, "attempt", att.Attempt)
	}
	msg, err := m.message(settings, att)
	sendErr := err
	if err == nil {
		sendErr = m.c.Sender.Send(ctx, settings, msg)
	}
	if ctx.Err() != nil {
		return ctx.Err() // stopping: the intent stays, the next leader resumes it
	}
	reason := ""
	if sendErr != nil {
		reason = mailFailure(sendErr)
	}
	retryAt := m.c.Now().Add(m.backoff(att.Invite.RoundAttempts))
	outcome, _, err := m.c.Record.Handle(ctx, commands.RecordInviteMail{InviteID: inviteID, Attempt: att.Attempt, MessageID: att.MessageID,
		Error: reason, Permanent: sendErr != nil && permanentFailure(sendErr), MaxAttempts: m.c.MaxAttempts, RetryAt: retryAt, Meta: systemMeta})
	if err != nil {
		return fmt.Errorf("record invite mail: %w", err)
	}
	switch o := outcome.(type) {
	case domain.InviteEmailSent:
		m.c.Logger.Info("invite mail sent", "invite_id", inviteID, "attempt", o.Attempt)
	case domain.InviteEmailFailed:
		m.c.Logger.Warn("invite mail failed", "invite_id", inviteID, "attempt", o.Attempt, "final", o.Final, "reason", o.Reason)
	}
	return nil
}

// backoff is the wait after the n-th failed attempt of a round.
func (m *InviteMailer) backoff(n int) time.Duration {
	d := m.c.Backoff
	for i := 1; i < n && d < m.c.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, m.c.MaxBackoff)
}

// mailFailure is what a failed attempt records: the server's answer or the
// network error, short, on one line. It never holds the link (the message
// is not part of any error go-mail returns).
func mailFailure(err error) string {
	s := strings.Join(strings.Fields(err.Error()), " ")
	if len(s) > 300 {
		s = s[:300]
	}
	return s
}

type inviteMailData struct {
	Site, Inviter, Link, Expires string
	Uses                         int
}

// InviteMailPreview is the invite mail as it would go out, with a sample link.
type InviteMailPreview struct {
	Subject, Text, HTML string
}

// Preview renders the invite mail for an example invite made now (ttl:
// INVITE_TTL), for the admin to look at before anyone receives it.
func (m *InviteMailer) Preview(ttl time.Duration) (InviteMailPreview, error) {
	subject, text, html, err := m.render("EXAMPLE-TOKEN", m.c.Now().Add(ttl), 1)
	return InviteMailPreview{Subject: subject, Text: text, HTML: html}, err
}

// render fills the embedded templates: plain text and HTML.
func (m *InviteMailer) render(token string, expires time.Time, uses int) (subject, text, html string, err error) {
	data := inviteMailData{
		Site: m.c.SiteName, Inviter: "An administrator", Link: m.c.BaseURL.JoinPath("invite", token).String(),
		Expires: expires.UTC().Format("Monday 2 January 2006, 15:04 MST"), Uses: uses,
	}
	var tb, hb bytes.Buffer
	if err := inviteText.Execute(&tb, data); err != nil {
		return "", "", "", fmt.Errorf("invite mail text: %w", err)
	}
	if err := inviteHTML.Execute(&hb, data); err != nil {
		return "", "", "", fmt.Errorf("invite mail html: %w", err)
	}
	return "Your invitation to " + m.c.SiteName, tb.String(), hb.String(), nil
}

// message builds the invite mail with the attempt's Message-ID.
func (m *InviteMailer) message(s SMTPSettings, att commands.InviteMail) (*mail.Msg, error) {
	subject, text, html, err := m.render(att.Token, att.Invite.Created.ExpiresAt, att.Invite.Created.MaxUses)
	if err != nil {
		return nil, err
	}
	msg := mail.NewMsg()
	if err := msg.From(s.From); err != nil {
		return nil, fmt.Errorf("SMTP from address: %w", err)
	}
	if err := msg.To(att.Email); err != nil {
		return nil, fmt.Errorf("invite address: %w", err)
	}
	msg.Subject(subject)
	msg.SetMessageIDWithValue(att.MessageID)
	msg.SetDateWithValue(m.c.Now())
	msg.SetBodyString(mail.TypeTextPlain, text)
	msg.AddAlternativeString(mail.TypeTextHTML, html)
	return msg, nil
}
