package main

import (
	"path/filepath"
	"strings"
	"time"

	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/projections"
	"github.com/authportal/authportal/workers"
)

// The runtime configuration sections (providers, security, mfa, smtp,
// backups) live in the log; the environment gives each its version 1 on
// the first start (seedDocuments), and later versions win over it.

// loadBackupConfig: BACKUP_DIR.
func loadBackupConfig(e env, c *Config) {
	c.BackupDir = e.str("BACKUP_DIR", "")
	if c.BackupDir == "" {
		c.BackupDir = filepath.Join(c.DataDir, "backups")
	}
}

// seedDocuments are the sections as the environment sets them, secrets in
// clear (the seed seals them).
func seedDocuments(c Config) map[string]domain.ConfigDocument {
	p := c.Providers
	u := p.Upstream
	secret := func(v string) domain.Secret { return domain.Secret{Plain: v} }
	providers := &domain.ProvidersConfig{
		MediaServer: p.Primary, Login: p.Enabled,
		Jellyfin: domain.MediaBrowserSettings{ServerURL: p.Jellyfin.ServerURL, APIKey: secret(p.Jellyfin.APIKey), AdminIsAdmin: p.Jellyfin.AdminIsAdmin},
		Emby:     domain.MediaBrowserSettings{ServerURL: p.Emby.ServerURL, APIKey: secret(p.Emby.APIKey), AdminIsAdmin: p.Emby.AdminIsAdmin},
		GitHub: domain.OAuthSettings{ClientID: u.GitHub.ClientID, ClientSecret: secret(u.GitHub.ClientSecret), AuthURL: u.GitHub.AuthURL,
			TokenURL: u.GitHub.TokenURL, APIURL: u.GitHub.APIURL, Allowed: u.Allowed["github"].entries()},
		Google: domain.OAuthSettings{ClientID: u.Google.ClientID, ClientSecret: secret(u.Google.ClientSecret), AuthURL: u.Google.AuthURL,
			TokenURL: u.Google.TokenURL, Issuer: u.Google.Issuer, JWKSURL: u.Google.JWKSURL, Allowed: u.Allowed["google"].entries()},
		OIDC: domain.OIDCSettings{Issuer: u.OIDC.Issuer, ClientID: u.OIDC.ClientID, ClientSecret: secret(u.OIDC.ClientSecret),
			Scopes: u.OIDC.Scopes, Name: u.OIDCName, Allowed: u.Allowed["oidc"].entries()},
	}
	if p.Has("plex") {
		providers.Plex = domain.PlexSettings{ServerMachineID: p.PlexAuth.ServerMachineID, ServerName: p.PlexAuth.ServerName,
			OwnerToken: secret(p.PlexAuth.OwnerToken), APIURL: p.Plex.APIURL, AppURL: p.Plex.AppURL}
	}
	return map[string]domain.ConfigDocument{
		domain.SectionProviders: providers,
		domain.SectionSecurity:  &domain.SecurityConfig{SessionTTL: shortDuration(c.SessionTTL)},
		domain.SectionMFA:       &domain.MFAConfig{Enable: c.MFAEnable, Enforce: c.MFAEnforce, Issuer: c.MFAIssuer},
		domain.SectionSMTP:      smtpSeed(c.Invites.SMTP),
		domain.SectionBackups:   &domain.BackupsConfig{Schedule: "off", Sections: domain.Sections, Retention: 14},
	}
}

// entries is the list as its variable spells it: emails and @domains.
func (a AllowList) entries() []string {
	out := append([]string(nil), a.Emails...)
	for _, d := range a.Domains {
		out = append(out, "@"+d)
	}
	return out
}

// shortDuration writes 24h rather than 24h0m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// livePolicy is the session policy as the mfa and security sections set it
// now, on top of the start-up one (which also stands while a section has
// no version, as in a CLI command that does not follow the log).
type livePolicy struct {
	base   domain.SessionPolicy
	config *projections.Config
}

func (l livePolicy) Policy() domain.SessionPolicy {
	p := l.base
	if m, ok := l.config.MFA(); ok {
		p.MFAEnabled, p.MFAEnforce = m.Enable, m.Enforce
	}
	if s, ok := l.config.Security(); ok {
		if ttl := s.SessionLifetime(); ttl > 0 {
			p.FullTTL = ttl
		}
	}
	return p
}

// issuer is the name authenticator apps show for new enrollments: the mfa
// section's, or def (MFA_ISSUER) while it has none.
func (l livePolicy) issuer(def string) func() string {
	return func() string {
		if m, ok := l.config.MFA(); ok && m.Issuer != "" {
			return m.Issuer
		}
		return def
	}
}

// smtpSeed is version 1 of the smtp section: the SMTP_* variables.
func smtpSeed(s workers.SMTPSettings) *domain.SMTPConfig {
	security := s.Security
	if security == "" {
		security = "starttls"
	}
	port := s.Port
	if port == 0 {
		port = map[string]int{"ssl": 465, "none": 25, "starttls": 587}[security]
	}
	return &domain.SMTPConfig{Host: s.Host, Port: port, Username: s.Username,
		Password: domain.Secret{Plain: s.Password}, From: s.From, Security: security}
}
