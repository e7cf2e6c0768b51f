package main

import (
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Config is AuthPortal's start-up configuration, read from the environment
// with the variable names AuthPortal users already have.
type Config struct {
	BaseURL             *url.URL // APP_BASE_URL
	ListenAddr          string   // LISTEN_ADDR
	DataDir             string   // DATA_DIR
	DatabaseURL         string   // DATABASE_URL; empty: the embedded cluster under DATA_DIR
	SessionSecret       []byte   // SESSION_SECRET; empty: generated into DATA_DIR
	DataKey             []byte   // DATA_KEY (base64 of 32 bytes); empty: generated into DATA_DIR
	SessionCookieDomain string   // SESSION_COOKIE_DOMAIN
	SessionTTL          time.Duration
	MFAEnable           bool
	MFAEnforce          bool
	MFAIssuer           string
	ForceSecureCookie   bool
	ForceHSTS           bool
	TrustedProxies      []netip.Prefix
	AdminBootstrapUsers []string
	LogLevel            slog.Level
	Location            *time.Location // APP_TIMEZONE
	LoginExtraLinkURL   string
	LoginExtraLinkText  string
	UnauthRequestEmail  string
	UnauthRequestSubj   string
	Providers           Providers // MEDIA_SERVER, LOGIN_PROVIDERS and each provider's variables
	// ForwardAuthDefaultAllow is FORWARD_AUTH_DEFAULT=authenticated: a host
	// that matches no protected host lets any authorized user through.
	ForwardAuthDefaultAllow bool
	BackupDir               string             // BACKUP_DIR; default DATA_DIR/backups
	Invites                 InviteConfig       // INVITE_TTL, INVITE_MAIL_ATTEMPTS, SMTP_*
	OIDC                    OIDCProviderConfig // OIDC_ISSUER, OIDC_SIGNING_KEY_PATH, OIDC_SIGNING_KEY (config_oidc.go)
}

// legacySessionSecret is the seed code's published default; a deployment
// still using it has a secret everyone knows.
const legacySessionSecret = "dev-insecure-change-me"

// LoadConfig reads the configuration through getenv, section by section
// (configSections). It reports every problem at once, one line per
// variable, naming it.
func LoadConfig(getenv func(string) string) (Config, error) {
	e := env{getenv: getenv, problems: &problems{}}
	var c Config
	for _, load := range configSections {
		load(e, &c)
	}
	return c, e.problems.err()
}

// configSections load the configuration in order; a section may read what
// an earlier one set. A new provider adds its own loader here.
var configSections = []func(env, *Config){
	loadCoreConfig,
	loadSecretsConfig,
	loadSessionConfig,
	loadMFAConfig,
	loadNetworkConfig,
	loadLoggingConfig,
	loadLoginPageConfig,
	loadProvidersConfig,
	loadForwardAuthConfig,
	loadBackupConfig,
	loadInviteConfig,
	loadOIDCConfig,
}

// problems collects what is wrong with the configuration, in the order
// found, as one line per variable.
type problems struct {
	order []string
	lines map[string][]string
}

// add records a problem with variable name.
func (p *problems) add(name, format string, args ...any) {
	if p.lines == nil {
		p.lines = map[string][]string{}
	}
	if _, seen := p.lines[name]; !seen {
		p.order = append(p.order, name)
	}
	p.lines[name] = append(p.lines[name], fmt.Sprintf(format, args...))
}

// err is every problem, one line per variable, or nil.
func (p *problems) err() error {
	var errs []error
	for _, name := range p.order {
		errs = append(errs, fmt.Errorf("%s: %s", name, strings.Join(p.lines[name], "; ")))
	}
	return errors.Join(errs...)
}

// env reads variables and reports malformed ones to its collector.
type env struct {
	getenv   func(string) string
	problems *problems
}

// bad records a problem with variable name.
func (e env) bad(name, format string, args ...any) { e.problems.add(name, format, args...) }

// str is the variable trimmed, or def when it is empty.
func (e env) str(name, def string) string {
	if v := strings.TrimSpace(e.getenv(name)); v != "" {
		return v
	}
	return def
}

// boolean is the variable as true or false (1/0), or def when it is empty.
func (e env) boolean(name string, def bool) bool {
	v := e.str(name, "")
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		e.bad(name, "must be true or false (1/0), got %q", v)
	}
	return b
}

// loadCoreConfig: where the portal is reached, listens and keeps its data.
func loadCoreConfig(e env, c *Config) {
	c.ListenAddr = e.str("LISTEN_ADDR", ":8089")
	c.DataDir = e.str("DATA_DIR", "./data")
	c.DatabaseURL = e.str("DATABASE_URL", "")
	base, err := url.Parse(e.str("APP_BASE_URL", "http://localhost:8089"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" || base.User != nil || base.RawQuery != "" || base.Fragment != "" {
		e.bad("APP_BASE_URL", "must be an absolute http(s) URL like https://auth.example.com")
	} else {
		base.Path = strings.TrimSuffix(base.Path, "/")
		c.BaseURL = base
	}
	if _, port, err := net.SplitHostPort(c.ListenAddr); err != nil || !validPort(port) {
		e.bad("LISTEN_ADDR", "must be host:port or :port, got %q", c.ListenAddr)
	}
	c.Location = time.UTC
	if v := e.str("APP_TIMEZONE", ""); v != "" {
		loc, err := time.LoadLocation(v)
		if err != nil {
			e.bad("APP_TIMEZONE", "unknown time zone %q (use an IANA name like Europe/Berlin)", v)
		} else {
			c.Location = loc
		}
	}
}

// loadSecretsConfig: SESSION_SECRET and DATA_KEY; empty ones are generated
// into DATA_DIR later (ensureSecrets). Errors never repeat the value.
func loadSecretsConfig(e env, c *Config) {
	if v := e.getenv("SESSION_SECRET"); v != "" {
		switch {
		case v == legacySessionSecret:
			e.bad("SESSION_SECRET", "is the published default %q; set a random value (openssl rand -base64 48) or unset it to have one generated", legacySessionSecret)
		case len(v) < 32:
			e.bad("SESSION_SECRET", "is %d bytes; it must be at least 32 (openssl rand -base64 48)", len(v))
		default:
			c.SessionSecret = []byte(v)
		}
	}
	if v := strings.TrimSpace(e.getenv("DATA_KEY")); v != "" {
		key, err := decodeKey(v)
		if err != nil {
			e.bad("DATA_KEY", "must be base64 of exactly 32 bytes (openssl rand -base64 32)")
		} else {
			c.DataKey = key
		}
	}
}

// loadSessionConfig: the session cookie and how long a session lasts.
func loadSessionConfig(e env, c *Config) {
	c.SessionCookieDomain = e.str("SESSION_COOKIE_DOMAIN", "")
	c.ForceSecureCookie = e.boolean("FORCE_SECURE_COOKIE", false)
	c.ForceHSTS = e.boolean("FORCE_HSTS", false)
	c.SessionTTL = 24 * time.Hour
	if v := e.str("SESSION_TTL", ""); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 5*time.Minute || d > 30*24*time.Hour {
			e.bad("SESSION_TTL", "must be a duration between 5m and 720h, got %q", v)
		} else {
			c.SessionTTL = d
		}
	}
}

// loadMFAConfig: TOTP as a second factor.
func loadMFAConfig(e env, c *Config) {
	c.MFAEnable = e.boolean("MFA_ENABLE", true)
	c.MFAEnforce = e.boolean("MFA_ENFORCE", false)
	c.MFAIssuer = e.str("MFA_ISSUER", "AuthPortal")
	if c.MFAEnforce && !c.MFAEnable {
		e.bad("MFA_ENFORCE", "needs MFA_ENABLE=1")
	}
}

// loadNetworkConfig: which peers may name the client's address, and who is
// made admin at sign-in.
func loadNetworkConfig(e env, c *Config) {
	for _, raw := range splitList(e.getenv("TRUSTED_PROXY_CIDRS")) {
		p, err := netip.ParsePrefix(raw)
		if err != nil {
			addr, aerr := netip.ParseAddr(raw)
			if aerr != nil {
				e.bad("TRUSTED_PROXY_CIDRS", "%q is not a CIDR like 10.0.0.0/8 or an address", raw)
				continue
			}
			p = netip.PrefixFrom(addr, addr.BitLen())
		}
		c.TrustedProxies = append(c.TrustedProxies, p.Masked())
	}
	// ADMIN_BOOTSTRAP_USERS keeps the seed's "username:email" pairs; only
	// the username matters here.
	for _, raw := range splitList(e.getenv("ADMIN_BOOTSTRAP_USERS")) {
		name, _, _ := strings.Cut(raw, ":")
		if name = strings.TrimSpace(name); name != "" {
			c.AdminBootstrapUsers = append(c.AdminBootstrapUsers, name)
		}
	}
}

// loadLoggingConfig: LOG_LEVEL.
func loadLoggingConfig(e env, c *Config) {
	switch strings.ToLower(e.str("LOG_LEVEL", "info")) {
	case "debug":
		c.LogLevel = slog.LevelDebug
	case "info":
		c.LogLevel = slog.LevelInfo
	case "warn", "warning":
		c.LogLevel = slog.LevelWarn
	case "error":
		c.LogLevel = slog.LevelError
	default:
		e.bad("LOG_LEVEL", "must be debug, info, warn or error")
	}
}

// loadLoginPageConfig: the extra link and access-request address on the
// login and restricted pages.
func loadLoginPageConfig(e env, c *Config) {
	c.LoginExtraLinkURL = e.str("LOGIN_EXTRA_LINK_URL", "")
	c.LoginExtraLinkText = e.str("LOGIN_EXTRA_LINK_TEXT", "")
	c.UnauthRequestEmail = e.str("UNAUTH_REQUEST_EMAIL", "")
	c.UnauthRequestSubj = e.str("UNAUTH_REQUEST_SUBJECT", "Access request")
	if v := c.LoginExtraLinkURL; v != "" {
		if u, err := url.Parse(v); err != nil || (u.Scheme != "https" && u.Scheme != "http") {
			e.bad("LOGIN_EXTRA_LINK_URL", "must be an http(s) URL")
		}
	}
	if v := c.UnauthRequestEmail; v != "" && (strings.ContainsAny(v, "?&\r\n ") || !strings.Contains(v, "@")) {
		e.bad("UNAUTH_REQUEST_EMAIL", "must be a plain address like admin@example.com")
	}
}

// SecureCookies reports whether cookies get the Secure flag.
func (c Config) SecureCookies() bool { return c.BaseURL.Scheme == "https" || c.ForceSecureCookie }

// HSTS reports whether responses carry Strict-Transport-Security.
func (c Config) HSTS() bool { return c.BaseURL.Scheme == "https" || c.ForceHSTS }

func splitList(v string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' }) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func decodeKey(v string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if key, err := enc.DecodeString(v); err == nil && len(key) == 32 {
			return key, nil
		}
	}
	return nil, errors.New("not base64 of 32 bytes")
}

func validPort(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && n >= 0 && n <= 65535
}
