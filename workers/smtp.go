package workers

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"time"

	"github.com/wneessen/go-mail"
)

// SMTPSettings are the smtp configuration section: where mail goes out.
type SMTPSettings struct {
	Host     string
	Port     int // 0: 587 for starttls, 465 for ssl, 25 for none
	Username string
	Password string // in clear here only; sealed wherever it is stored
	From     string
	Security string      // "starttls" (default), "ssl" or "none"
	TLS      *tls.Config // nil: the system's roots, checked against Host
}

// Configured reports whether mail can be sent at all.
func (s SMTPSettings) Configured() bool { return s.Host != "" && s.From != "" }

// MailSettings gives the SMTP settings in force now. The versioned config
// store's smtp section implements it; until then, StaticMailSettings.
type MailSettings interface {
	SMTP(ctx context.Context) (SMTPSettings, error)
}

// StaticMailSettings are settings fixed at start (SMTP_* variables).
type StaticMailSettings SMTPSettings

// SMTP implements MailSettings.
func (s StaticMailSettings) SMTP(context.Context) (SMTPSettings, error) { return SMTPSettings(s), nil }

// MailSender hands one message to an SMTP server.
type MailSender interface {
	Send(ctx context.Context, s SMTPSettings, msg *mail.Msg) error
}

// SMTPSender sends with go-mail. go-mail insists on TLS unless told
// otherwise; the policy here follows the settings' security, and "none"
// is the only way to send in clear.
type SMTPSender struct {
	Timeout time.Duration // per message; default 30s
}

// Send implements MailSender.
func (c SMTPSender) Send(ctx context.Context, s SMTPSettings, msg *mail.Msg) error {
	timeout := c.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	opts := []mail.Option{mail.WithTimeout(timeout), mail.WithHELO("localhost")}
	tlsConfig := s.TLS
	if tlsConfig == nil {
		tlsConfig = &tls.Config{ServerName: s.Host, MinVersion: tls.VersionTLS12}
	}
	port := s.Port
	switch s.Security {
	case "ssl":
		opts = append(opts, mail.WithSSL(), mail.WithTLSConfig(tlsConfig))
		port = cmpOr(port, 465)
	case "none":
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
		port = cmpOr(port, 25)
	case "", "starttls":
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory), mail.WithTLSConfig(tlsConfig))
		port = cmpOr(port, 587)
	default:
		return fmt.Errorf("smtp security %q: want none, ssl or starttls", s.Security)
	}
	opts = append(opts, mail.WithPort(port))
	if s.Username != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthPlain), mail.WithUsername(s.Username), mail.WithPassword(s.Password))
	}
	client, err := mail.NewClient(s.Host, opts...)
	if err != nil {
		return fmt.Errorf("smtp client: %w", err)
	}
	return client.DialAndSendWithContext(ctx, msg)
}

func cmpOr(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// permanentFailure reports whether the server refused the message for
// good (the mailbox does not exist or is not accepted here): trying again
// would only be refused again. Everything else (network, 4xx, an
// authentication problem an admin will fix) is retried.
func permanentFailure(err error) bool {
	var se *mail.SendError
	if !errors.As(err, &se) {
		return false
	}
	switch se.ErrorCode() {
	case 550, 551, 553:
		return true
	}
	return false
}
