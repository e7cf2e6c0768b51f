package main

import (
	"context"
	"crypto/rand"
	"time"

	"github.com/authportal/authportal/commands"
	apihttp "github.com/authportal/authportal/http"
	"github.com/authportal/authportal/workers"
)

// resetAnswerFloor is the least time a "forgot your password" takes, so
// that its timing does not tell whether an account matched.
const resetAnswerFloor = 250 * time.Millisecond

// wireMailTools builds what else goes out through the smtp section besides
// invites: the console's test mail and password reset (whose mail the
// invite mailer sends, see wireInvites).
func (a *app) wireMailTools(c Config, hasher commands.PasswordHasher, sealer *commands.Sealer) {
	settings := sectionMailSettings{model: a.runtime.model, sealer: sealer, start: workers.StaticMailSettings(c.Invites.SMTP)}
	a.smtpTest = workers.TestMailer{Settings: settings, SiteName: c.BaseURL.Host, Logger: a.logger, Now: a.now}
	a.resets = apihttp.PasswordResets{
		Candidates: a.reader,
		Request:    commands.NewRequestPasswordResetHandler(a.store, sealer, a.budgets, rand.Text, a.now, resetAnswerFloor),
		Reset:      commands.NewResetPasswordHandler(a.store, hasher, sealer, a.now),
		MailReady:  mailReady{settings},
	}
}

// mailReady tells the login page whether to offer "Forgot your password?".
type mailReady struct{ settings workers.MailSettings }

func (m mailReady) MailConfigured(ctx context.Context) bool {
	s, err := m.settings.SMTP(ctx)
	return err == nil && s.Configured()
}
