package main

import (
	"net/mail"
	"strconv"
	"time"

	"github.com/authportal/authportal/workers"
)

// InviteConfig is how invites are made and mailed. The SMTP_* variables
// seed version 1 of the smtp configuration section; the mailer reads the
// section in force (sectionMailSettings in invites_wiring.go).
type InviteConfig struct {
	TTL         time.Duration        // INVITE_TTL
	MaxAttempts int                  // INVITE_MAIL_ATTEMPTS: per round, before the invite shows as failed
	SMTP        workers.SMTPSettings // SMTP_HOST, SMTP_PORT, SMTP_USERNAME, SMTP_PASSWORD, SMTP_FROM, SMTP_SECURITY
}

// loadInviteConfig: invites and the SMTP server their mail goes through.
func loadInviteConfig(e env, c *Config) {
	c.Invites.TTL = 48 * time.Hour
	if v := e.str("INVITE_TTL", ""); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 5*time.Minute || d > 90*24*time.Hour {
			e.bad("INVITE_TTL", "must be a duration between 5m and 2160h, got %q", v)
		} else {
			c.Invites.TTL = d
		}
	}
	c.Invites.MaxAttempts = 5
	if v := e.str("INVITE_MAIL_ATTEMPTS", ""); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 20 {
			e.bad("INVITE_MAIL_ATTEMPTS", "must be a number from 1 to 20, got %q", v)
		} else {
			c.Invites.MaxAttempts = n
		}
	}
	s := &c.Invites.SMTP
	s.Host = e.str("SMTP_HOST", "")
	s.Username = e.str("SMTP_USERNAME", "")
	s.Password = e.getenv("SMTP_PASSWORD")
	s.From = e.str("SMTP_FROM", "")
	s.Security = e.str("SMTP_SECURITY", "starttls")
	switch s.Security {
	case "none", "ssl", "starttls":
	default:
		e.bad("SMTP_SECURITY", "must be none, ssl or starttls, got %q", s.Security)
	}
	if v := e.str("SMTP_PORT", ""); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || p < 1 || p > 65535 {
			e.bad("SMTP_PORT", "must be a port number, got %q", v)
		} else {
			s.Port = p
		}
	}
	if s.Host != "" {
		if s.From == "" {
			e.bad("SMTP_FROM", "is required with SMTP_HOST: the address invites come from")
		} else if a, err := mail.ParseAddress(s.From); err != nil || a.Address == "" {
			e.bad("SMTP_FROM", "must be an address like portal@example.com or \"Portal <portal@example.com>\"")
		}
	}
	if s.Password != "" && s.Username == "" {
		e.bad("SMTP_USERNAME", "is required with SMTP_PASSWORD")
	}
}
