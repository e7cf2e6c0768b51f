package main

import (
	"slices"
	"strings"
	"time"

	"github.com/authportal/authportal/providers/mediabrowser"
	"github.com/authportal/authportal/providers/plex"
)

// Providers is which sign-in doors are open and how each reaches its
// identity source. MEDIA_SERVER picks the primary button; LOGIN_PROVIDERS
// (default: that provider plus local) opens more.
type Providers struct {
	Primary  string   // MEDIA_SERVER: "plex", "jellyfin", "emby", or "" for local accounts only
	Enabled  []string // LOGIN_PROVIDERS, in the order the login page shows them
	Plex     plex.Config
	PlexAuth plex.AuthConfig
	Jellyfin mediabrowser.Config
	Emby     mediabrowser.Config
	// RecheckEvery is how often the media servers are asked again whether
	// the friends linked to them still have access (MEDIA_RECHECK_INTERVAL).
	RecheckEvery time.Duration
	Upstream     UpstreamConfig // github, google, oidc (config_upstream.go)
}

// Has reports whether provider is enabled.
func (p Providers) Has(provider string) bool { return slices.Contains(p.Enabled, provider) }

// knownProviders are the names LOGIN_PROVIDERS may list.
var knownProviders = []string{"local", "plex", "jellyfin", "emby", "github", "google", "oidc"}

// loadProvidersConfig: the sign-in providers and their sources.
func loadProvidersConfig(e env, c *Config) {
	p := &c.Providers
	p.Primary = strings.ToLower(e.str("MEDIA_SERVER", ""))
	switch p.Primary {
	case "", "plex", "jellyfin", "emby":
	case "none", "local":
		p.Primary = ""
	default:
		e.bad("MEDIA_SERVER", "must be plex, jellyfin or emby, got %q", p.Primary)
		p.Primary = ""
	}
	if list := splitList(strings.ToLower(e.getenv("LOGIN_PROVIDERS"))); len(list) > 0 {
		for _, name := range list {
			switch {
			case slices.Contains(p.Enabled, name):
			case slices.Contains(knownProviders, name):
				p.Enabled = append(p.Enabled, name)
			default:
				e.bad("LOGIN_PROVIDERS", "unknown provider %q (use %s)", name, strings.Join(knownProviders, ", "))
			}
		}
		if p.Primary != "" && !p.Has(p.Primary) {
			p.Enabled = append([]string{p.Primary}, p.Enabled...)
		}
	} else {
		if p.Primary != "" {
			p.Enabled = append(p.Enabled, p.Primary)
		}
		p.Enabled = append(p.Enabled, "local")
	}

	if p.Has("plex") {
		p.Plex = plex.Config{APIURL: e.str("PLEX_API_URL", plex.DefaultAPIURL), AppURL: e.str("PLEX_APP_URL", plex.DefaultAppURL),
			Product: e.str("PLEX_PRODUCT", "AuthPortal"), Version: version, Device: "Web"}
		p.PlexAuth = plex.AuthConfig{ServerMachineID: e.str("PLEX_SERVER_MACHINE_ID", ""), ServerName: e.str("PLEX_SERVER_NAME", ""),
			OwnerToken: e.str("PLEX_OWNER_TOKEN", "")}
		if err := p.PlexAuth.Validate(); err != nil {
			e.bad("PLEX_SERVER_MACHINE_ID", "%s", strings.TrimPrefix(err.Error(), "plex: "))
		}
	}
	p.RecheckEvery = 15 * time.Minute
	if v := e.str("MEDIA_RECHECK_INTERVAL", ""); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Second || d > 24*time.Hour {
			e.bad("MEDIA_RECHECK_INTERVAL", "must be a duration between 1s and 24h, got %q", v)
		} else {
			p.RecheckEvery = d
		}
	}
	for _, mb := range []struct {
		flavor mediabrowser.Flavor
		prefix string
		into   *mediabrowser.Config
	}{{mediabrowser.Jellyfin, "JELLYFIN", &p.Jellyfin}, {mediabrowser.Emby, "EMBY", &p.Emby}} {
		if !p.Has(string(mb.flavor)) {
			continue
		}
		*mb.into = mediabrowser.Config{
			Flavor: mb.flavor, ServerURL: e.str(mb.prefix+"_SERVER_URL", ""), APIKey: e.str(mb.prefix+"_API_KEY", ""),
			AppName: e.str(mb.prefix+"_APP_NAME", "AuthPortal"), AppVersion: e.str(mb.prefix+"_APP_VERSION", version),
			DeviceName: "AuthPortal", AdminIsAdmin: e.boolean(mb.prefix+"_ADMIN_IS_ADMIN", false),
		}
		if mb.into.ServerURL == "" {
			e.bad(mb.prefix+"_SERVER_URL", "is required with %s sign-in, e.g. https://%s.example.com", mb.flavor, mb.flavor)
		}
	}
	loadUpstreamConfig(e, p)
}
