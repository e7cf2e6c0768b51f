package domain

import (
	"fmt"
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"time"
)

// The sections' schemas. Each field's JSON name is its name in errors and
// diffs ("providers.jellyfin.serverUrl"); the environment variable it
// replaces is in its comment.

// ProvidersConfig is who may sign in, and how each sign-in reaches its source.
type ProvidersConfig struct {
	MediaServer string               `json:"mediaServer"` // MEDIA_SERVER: "", "plex", "jellyfin", "emby"
	Login       []string             `json:"login"`       // LOGIN_PROVIDERS, in the order the login page shows them
	Plex        PlexSettings         `json:"plex"`
	Jellyfin    MediaBrowserSettings `json:"jellyfin"`
	Emby        MediaBrowserSettings `json:"emby"`
	GitHub      OAuthSettings        `json:"github"`
	Google      OAuthSettings        `json:"google"`
	OIDC        OIDCSettings         `json:"oidc"`
}

// PlexSettings are the PLEX_* variables.
type PlexSettings struct {
	ServerMachineID string `json:"serverMachineId"`
	ServerName      string `json:"serverName"`
	OwnerToken      Secret `json:"ownerToken"`
	APIURL          string `json:"apiUrl"` // "": https://plex.tv
	AppURL          string `json:"appUrl"` // "": https://app.plex.tv
}

// MediaBrowserSettings are the JELLYFIN_* or EMBY_* variables.
type MediaBrowserSettings struct {
	ServerURL    string `json:"serverUrl"`
	APIKey       Secret `json:"apiKey"`
	AdminIsAdmin bool   `json:"adminIsAdmin"`
}

// OAuthSettings are the GITHUB_* or GOOGLE_* variables.
type OAuthSettings struct {
	ClientID     string   `json:"clientId"`
	ClientSecret Secret   `json:"clientSecret"`
	AuthURL      string   `json:"authUrl"`           // "": the provider's
	TokenURL     string   `json:"tokenUrl"`          // "": the provider's
	APIURL       string   `json:"apiUrl"`            // GitHub's API; "": github.com's
	Issuer       string   `json:"issuer,omitempty"`  // Google's ID-token issuer; "": Google's
	JWKSURL      string   `json:"jwksUrl,omitempty"` // where Google publishes its signing keys; "": Google's
	Allowed      []string `json:"allowed"`           // *_ALLOWED: emails and @domains given access
}

// OIDCSettings are the OIDC_UPSTREAM_* variables.
type OIDCSettings struct {
	Issuer       string   `json:"issuer"`
	ClientID     string   `json:"clientId"`
	ClientSecret Secret   `json:"clientSecret"`
	Scopes       []string `json:"scopes"`
	Name         string   `json:"name"` // the button's name
	Allowed      []string `json:"allowed"`
}

// KnownProviders are the names ProvidersConfig.Login may list.
var KnownProviders = []string{"local", "plex", "jellyfin", "emby", "github", "google", "oidc"}

// Has reports whether provider is one of the sign-ins offered.
func (c ProvidersConfig) Has(provider string) bool { return slices.Contains(c.Login, provider) }

func (c *ProvidersConfig) Secrets() map[string]*Secret {
	return map[string]*Secret{
		"providers.plex.ownerToken":     &c.Plex.OwnerToken,
		"providers.jellyfin.apiKey":     &c.Jellyfin.APIKey,
		"providers.emby.apiKey":         &c.Emby.APIKey,
		"providers.github.clientSecret": &c.GitHub.ClientSecret,
		"providers.google.clientSecret": &c.Google.ClientSecret,
		"providers.oidc.clientSecret":   &c.OIDC.ClientSecret,
	}
}

func (c *ProvidersConfig) Validate() []FieldProblem {
	var v validator
	switch c.MediaServer {
	case "", "plex", "jellyfin", "emby":
	default:
		v.add("providers.mediaServer", "must be plex, jellyfin, emby or empty")
	}
	if len(c.Login) == 0 {
		v.add("providers.login", "must list at least one way to sign in")
	}
	for i, name := range c.Login {
		switch {
		case !slices.Contains(KnownProviders, name):
			v.add(fmt.Sprintf("providers.login[%d]", i), "must be one of "+strings.Join(KnownProviders, ", "))
		case slices.Index(c.Login, name) != i:
			v.add(fmt.Sprintf("providers.login[%d]", i), "lists "+name+" twice")
		}
	}
	if c.MediaServer != "" && !c.Has(c.MediaServer) {
		v.add("providers.login", "must include the media server ("+c.MediaServer+")")
	}
	p := c.Plex
	v.optionalURL("providers.plex.apiUrl", p.APIURL)
	v.optionalURL("providers.plex.appUrl", p.AppURL)
	v.maxLen("providers.plex.serverMachineId", p.ServerMachineID, 128)
	v.maxLen("providers.plex.serverName", p.ServerName, 256)
	if c.Has("plex") {
		switch {
		case p.ServerMachineID == "" && p.ServerName == "" && !p.OwnerToken.IsSet():
			v.add("providers.plex.serverMachineId", "is required with plex sign-in (or serverName with ownerToken, or ownerToken alone for owner-only access)")
		case p.ServerMachineID == "" && p.ServerName != "" && !p.OwnerToken.IsSet():
			v.add("providers.plex.ownerToken", "is required with serverName (a server name alone can be copied by anyone who owns a server)")
		}
	}
	for _, mb := range []struct {
		name string
		s    MediaBrowserSettings
	}{{"jellyfin", c.Jellyfin}, {"emby", c.Emby}} {
		field := "providers." + mb.name + ".serverUrl"
		if c.Has(mb.name) && mb.s.ServerURL == "" {
			v.add(field, "is required with "+mb.name+" sign-in")
		}
		v.optionalURL(field, mb.s.ServerURL)
	}
	for _, o := range []struct {
		name string
		s    OAuthSettings
	}{{"github", c.GitHub}, {"google", c.Google}} {
		prefix := "providers." + o.name + "."
		if c.Has(o.name) {
			v.required(prefix+"clientId", o.s.ClientID, o.name+" sign-in")
			if !o.s.ClientSecret.IsSet() {
				v.add(prefix+"clientSecret", "is required with "+o.name+" sign-in")
			}
		}
		v.maxLen(prefix+"clientId", o.s.ClientID, 256)
		v.optionalURL(prefix+"authUrl", o.s.AuthURL)
		v.optionalURL(prefix+"tokenUrl", o.s.TokenURL)
		v.optionalURL(prefix+"apiUrl", o.s.APIURL)
		v.optionalURL(prefix+"issuer", o.s.Issuer)
		v.optionalURL(prefix+"jwksUrl", o.s.JWKSURL)
		v.allowList(prefix+"allowed", o.s.Allowed)
	}
	o := c.OIDC
	if c.Has("oidc") {
		v.required("providers.oidc.issuer", o.Issuer, "oidc sign-in")
		v.required("providers.oidc.clientId", o.ClientID, "oidc sign-in")
		if !o.ClientSecret.IsSet() {
			v.add("providers.oidc.clientSecret", "is required with oidc sign-in")
		}
	}
	v.optionalURL("providers.oidc.issuer", o.Issuer)
	v.maxLen("providers.oidc.clientId", o.ClientID, 256)
	v.maxLen("providers.oidc.name", o.Name, 64)
	for i, s := range o.Scopes {
		if s == "" || strings.ContainsAny(s, " ,\"\\") || len(s) > 128 {
			v.add(fmt.Sprintf("providers.oidc.scopes[%d]", i), "must be one scope name, like email")
		}
	}
	v.allowList("providers.oidc.allowed", o.Allowed)
	return v.problems
}

// SecurityConfig holds the session and access settings that can change at run time.
type SecurityConfig struct {
	SessionTTL string `json:"sessionTtl"` // SESSION_TTL: an authorized user's session, "24h"
}

// SessionLifetime is SessionTTL as a duration (the document is valid).
func (c SecurityConfig) SessionLifetime() time.Duration {
	d, _ := time.ParseDuration(c.SessionTTL)
	return d
}

func (c *SecurityConfig) Secrets() map[string]*Secret { return nil }

func (c *SecurityConfig) Validate() []FieldProblem {
	var v validator
	if d, err := time.ParseDuration(c.SessionTTL); err != nil || d < 5*time.Minute || d > 30*24*time.Hour {
		v.add("security.sessionTtl", "must be a duration between 5m and 720h, like 24h")
	}
	return v.problems
}

// MFAConfig is TOTP as a second factor.
type MFAConfig struct {
	Enable  bool   `json:"enable"`  // MFA_ENABLE: offer it
	Enforce bool   `json:"enforce"` // MFA_ENFORCE: require it
	Issuer  string `json:"issuer"`  // MFA_ISSUER: the name authenticator apps show
}

func (c *MFAConfig) Secrets() map[string]*Secret { return nil }

func (c *MFAConfig) Validate() []FieldProblem {
	var v validator
	if c.Enforce && !c.Enable {
		v.add("mfa.enforce", "needs mfa.enable")
	}
	v.required("mfa.issuer", c.Issuer, "two-factor authentication")
	v.maxLen("mfa.issuer", c.Issuer, 64)
	if strings.Contains(c.Issuer, ":") {
		v.add("mfa.issuer", "must not contain a colon (authenticator apps split on it)")
	}
	return v.problems
}

// SMTPConfig is the mail server invites and test mail go through.
type SMTPConfig struct {
	Host     string `json:"host"` // "": no mail is sent
	Port     int    `json:"port"`
	Username string `json:"username"`
	Password Secret `json:"password"`
	From     string `json:"from"`
	Security string `json:"security"` // "none", "ssl" (implicit TLS) or "starttls"
}

func (c *SMTPConfig) Secrets() map[string]*Secret {
	return map[string]*Secret{"smtp.password": &c.Password}
}

func (c *SMTPConfig) Validate() []FieldProblem {
	var v validator
	switch c.Security {
	case "none", "ssl", "starttls":
	default:
		v.add("smtp.security", "must be none, ssl or starttls")
	}
	if c.Port < 1 || c.Port > 65535 {
		v.add("smtp.port", "must be between 1 and 65535")
	}
	v.maxLen("smtp.host", c.Host, 253)
	v.maxLen("smtp.username", c.Username, 256)
	if strings.ContainsAny(c.Host, " /:@") {
		v.add("smtp.host", "must be a host name or address, without a port or scheme")
	}
	if c.Host != "" {
		v.required("smtp.from", c.From, "a mail server")
	}
	if c.From != "" {
		if a, err := mail.ParseAddress(c.From); err != nil || strings.ContainsAny(c.From, "\r\n") || a.Address == "" {
			v.add("smtp.from", "must be an address like AuthPortal <auth@example.com>")
		}
	}
	if c.Password.IsSet() && c.Username == "" {
		v.add("smtp.username", "is required with a password")
	}
	return v.problems
}

// BackupsConfig is the backup schedule.
type BackupsConfig struct {
	Schedule  string   `json:"schedule"`  // "off", "hourly", "daily", "weekly"
	Sections  []string `json:"sections"`  // which sections a scheduled backup holds
	Retention int      `json:"retention"` // scheduled backups kept; older ones are deleted
}

func (c *BackupsConfig) Secrets() map[string]*Secret { return nil }

func (c *BackupsConfig) Validate() []FieldProblem {
	var v validator
	switch c.Schedule {
	case "off", "hourly", "daily", "weekly":
	default:
		v.add("backups.schedule", "must be off, hourly, daily or weekly")
	}
	if len(c.Sections) == 0 {
		v.add("backups.sections", "must name at least one section")
	}
	for i, s := range c.Sections {
		switch {
		case !KnownSection(s):
			v.add(fmt.Sprintf("backups.sections[%d]", i), "must be one of "+strings.Join(Sections, ", "))
		case slices.Index(c.Sections, s) != i:
			v.add(fmt.Sprintf("backups.sections[%d]", i), "names "+s+" twice")
		}
	}
	if c.Retention < 1 || c.Retention > 1000 {
		v.add("backups.retention", "must be between 1 and 1000")
	}
	return v.problems
}

// validator collects problems.
type validator struct{ problems []FieldProblem }

func (v *validator) add(field, reason string) {
	v.problems = append(v.problems, FieldProblem{field, reason})
}

func (v *validator) required(field, value, with string) {
	if strings.TrimSpace(value) == "" {
		v.add(field, "is required with "+with)
	}
}

func (v *validator) maxLen(field, value string, n int) {
	if len(value) > n {
		v.add(field, fmt.Sprintf("must be at most %d characters", n))
	}
}

func (v *validator) optionalURL(field, value string) {
	if value == "" {
		return
	}
	u, err := url.Parse(value)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || len(value) > 2048 {
		v.add(field, "must be an absolute http(s) URL, like https://media.example.com")
	}
}

func (v *validator) allowList(field string, list []string) {
	for i, entry := range list {
		at := strings.LastIndexByte(entry, '@')
		domain := entry[at+1:]
		if at < 0 || domain == "" || strings.ContainsAny(entry, " \t<>\",") || strings.Count(entry, "@") > 1 ||
			entry != strings.ToLower(entry) || (!strings.Contains(domain, ".") && domain != "localhost") || len(entry) > 254 {
			v.add(fmt.Sprintf("%s[%d]", field, i), "must be a lower-case email address or @domain")
		}
	}
}
