package main

import (
	"crypto/rand"
	"time"

	"github.com/authportal/authportal/commands"
	"github.com/authportal/authportal/domain"
	apihttp "github.com/authportal/authportal/http"
	"github.com/authportal/authportal/workers"
)

// wireInvites builds the invite commands, the accept page's handler and
// the mailer.
func (a *app) wireInvites(c Config, hasher commands.PasswordHasher, sealer *commands.Sealer, policy domain.SessionPolicy) error {
	a.invites = apihttp.Invites{
		Create: commands.NewCreateInviteHandler(a.store, sealer, newID, rand.Text, a.now, c.Invites.TTL),
		Revoke: commands.NewRevokeInviteHandler(a.store, a.now),
		Resend: commands.NewResendInviteHandler(a.store, a.now),
		List:   a.reader,
		Accept: commands.NewAcceptInviteHandler(a.store, a.reader, hasher, sealer, a.budgets, newID, a.now, policy, a.logger),
	}
	mailer, err := workers.NewInviteMailer(workers.InviteMailerConfig{
		Pool: a.db.pool, Store: a.store, Owed: a.reader,
		Start: commands.NewStartInviteMailHandler(a.store, sealer, a.now), Record: commands.NewRecordInviteMailHandler(a.store),
		Settings: workers.StaticMailSettings(c.Invites.SMTP), BaseURL: c.BaseURL, Logger: a.logger, Now: a.now,
		MaxAttempts: c.Invites.MaxAttempts,
	})
	if err != nil {
		return err
	}
	a.mailer = mailer
	a.invites.Preview = invitePreview{mailer: mailer, ttl: c.Invites.TTL}
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
