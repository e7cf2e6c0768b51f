package main

import (
	"github.com/authportal/authportal/commands"
	"github.com/authportal/authportal/workers"
)

// wireMailTools builds what else goes out through the smtp section besides
// invites: the console's test mail.
func (a *app) wireMailTools(c Config, sealer *commands.Sealer) {
	settings := sectionMailSettings{model: a.runtime.model, sealer: sealer, start: workers.StaticMailSettings(c.Invites.SMTP)}
	a.smtpTest = workers.TestMailer{Settings: settings, SiteName: c.BaseURL.Host, Logger: a.logger, Now: a.now}
}
