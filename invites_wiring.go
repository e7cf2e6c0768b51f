package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"

	"github.com/authportal/authportal/commands"
	apihttp "github.com/authportal/authportal/http"
	"github.com/authportal/authportal/projections"
	"github.com/authportal/authportal/workers"
)

// wireInvites builds the invite commands, the accept page's handler and
// the mailer.
func (a *app) wireInvites(c Config, hasher commands.PasswordHasher, sealer *commands.Sealer, policy commands.PolicySource) error {
	a.invites = apihttp.Invites{
		Create: commands.NewCreateInviteHandler(a.store, sealer, newID, rand.Text, a.now, c.Invites.TTL).WithProvisioning(liveProvisioners{a.checkers}),
		Revoke: commands.NewRevokeInviteHandler(a.store, a.now),
		Resend: commands.NewResendInviteHandler(a.store, a.now),
		List:   a.reader,
		Accept: commands.NewAcceptInviteHandler(a.store, a.reader, hasher, sealer, a.budgets, newID, a.now, policy, a.logger).
			WithProvisioning(liveProvisioners{a.checkers}),
	}
	mailer, err := workers.NewInviteMailer(workers.InviteMailerConfig{
		Pool: a.db.pool, Store: a.store, Owed: a.reader,
		Start: commands.NewStartInviteMailHandler(a.store, sealer, a.now), Record: commands.NewRecordInviteMailHandler(a.store),
		Resets:   commands.NewResetMailHandler(a.store, sealer, a.now), // password reset mail (mail_wiring.go)
		Settings: sectionMailSettings{model: a.runtime.model, sealer: sealer, start: workers.StaticMailSettings(c.Invites.SMTP)}, BaseURL: c.BaseURL, Logger: a.logger, Now: a.now,
		MaxAttempts: c.Invites.MaxAttempts,
	})
	if err != nil {
		return err
	}
	a.mailer = mailer
	a.invites.Preview = invitePreview{mailer: mailer, ttl: c.Invites.TTL}
	a.invites.Provisioning = liveProvisioners{a.checkers}
	return nil
}

// invitePreview adapts the mailer's preview to the web layer, which does
// not import workers.
type invitePreview struct {
	mailer *workers.InviteMailer
	ttl    time.Duration
}

func (p invitePreview) PreviewInvite() (subject, text, html string, err error) {
	v, err := p.mailer.Preview(p.ttl)
	return v.Subject, v.Text, v.HTML, err
}

// sectionMailSettings are the SMTP settings of the smtp configuration
// section in force now (SMTP_* seed its version 1; the console edits later
// ones), read at every send so a saved section takes effect on every node
// without a restart. Before the section has a version, the variables serve.
type sectionMailSettings struct {
	model  *projections.Config
	sealer *commands.Sealer
	start  workers.StaticMailSettings
}

func (s sectionMailSettings) SMTP(ctx context.Context) (workers.SMTPSettings, error) {
	c, ok := s.model.SMTP()
	if !ok {
		return s.start.SMTP(ctx)
	}
	password, err := s.sealer.OpenConfigSecret("smtp.password", c.Password)
	if err != nil {
		return workers.SMTPSettings{}, fmt.Errorf("smtp section: %w", err)
	}
	return workers.SMTPSettings{Host: c.Host, Port: c.Port, Username: c.Username, Password: password, From: c.From,
		Security: c.Security, TLS: s.start.TLS}, nil
}
