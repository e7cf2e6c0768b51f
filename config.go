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
}

// legacySessionSecret is the seed code's published default; a deployment
// still using it has a secret everyone knows.
const legacySessionSecret = "dev-insecure-change-me"

// LoadConfig reads the configuration through getenv. It reports every
// problem at once, one line each, naming the variable.
func LoadConfig(getenv func(string) string) (Config, error) {
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{name}, args...)...))
	}
	get := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	boolean := func(name string, def bool) bool {
		v := get(name, "")
		if v == "" {
			return def
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			bad(name, "must be true or false (1/0), got %q", v)
		}
		return b
	}

	c := Config{
		ListenAddr:          get("LISTEN_ADDR", ":8089"),
		DataDir:             get("DATA_DIR", "./data"),
		DatabaseURL:         get("DATABASE_URL", ""),
		SessionCookieDomain: get("SESSION_COOKIE_DOMAIN", ""),
		MFAEnable:           boolean("MFA_ENABLE", true),
		MFAEnforce:          boolean("MFA_ENFORCE", false),
		MFAIssuer:           get("MFA_ISSUER", "AuthPortal"),
		ForceSecureCookie:   boolean("FORCE_SECURE_COOKIE", false),
		ForceHSTS:           boolean("FORCE_HSTS", false),
		LoginExtraLinkURL:   get("LOGIN_EXTRA_LINK_URL", ""),
		LoginExtraLinkText:  get("LOGIN_EXTRA_LINK_TEXT", ""),
		UnauthRequestEmail:  get("UNAUTH_REQUEST_EMAIL", ""),
		UnauthRequestSubj:   get("UNAUTH_REQUEST_SUBJECT", "Access request"),
	}

	base, err := url.Parse(get("APP_BASE_URL", "http://localhost:8089"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" || base.User != nil || base.RawQuery != "" || base.Fragment != "" {
		bad("APP_BASE_URL", "must be an absolute http(s) URL like https://auth.example.com")
	} else {
		base.Path = strings.TrimSuffix(base.Path, "/")
		c.BaseURL = base
	}
	if _, port, err := net.SplitHostPort(c.ListenAddr); err != nil || !validPort(port) {
		bad("LISTEN_ADDR", "must be host:port or :port, got %q", c.ListenAddr)
	}
	if c.MFAEnforce && !c.MFAEnable {
		bad("MFA_ENFORCE", "needs MFA_ENABLE=1")
	}

	if v := getenv("SESSION_SECRET"); v != "" {
		switch {
		case v == legacySessionSecret:
			bad("SESSION_SECRET", "is the published default %q; set a random value (openssl rand -base64 48) or unset it to have one generated", legacySessionSecret)
		case len(v) < 32:
			bad("SESSION_SECRET", "is %d bytes; it must be at least 32 (openssl rand -base64 48)", len(v))
		default:
			c.SessionSecret = []byte(v)
		}
	}
	if v := strings.TrimSpace(getenv("DATA_KEY")); v != "" {
		key, err := decodeKey(v)
		if err != nil {
			bad("DATA_KEY", "must be base64 of exactly 32 bytes (openssl rand -base64 32)")
		} else {
			c.DataKey = key
		}
	}

	c.SessionTTL = 24 * time.Hour
	if v := get("SESSION_TTL", ""); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 5*time.Minute || d > 30*24*time.Hour {
			bad("SESSION_TTL", "must be a duration between 5m and 720h, got %q", v)
		} else {
			c.SessionTTL = d
		}
	}

	for _, raw := range splitList(getenv("TRUSTED_PROXY_CIDRS")) {
		p, err := netip.ParsePrefix(raw)
		if err != nil {
			addr, aerr := netip.ParseAddr(raw)
			if aerr != nil {
				bad("TRUSTED_PROXY_CIDRS", "%q is not a CIDR like 10.0.0.0/8 or an address", raw)
				continue
			}
			p = netip.PrefixFrom(addr, addr.BitLen())
		}
		c.TrustedProxies = append(c.TrustedProxies, p.Masked())
	}
	// ADMIN_BOOTSTRAP_USERS keeps the seed's "username:email" pairs; only
	// the username matters here.
	for _, raw := range splitList(getenv("ADMIN_BOOTSTRAP_USERS")) {
		name, _, _ := strings.Cut(raw, ":")
		if name = strings.TrimSpace(name); name != "" {
			c.AdminBootstrapUsers = append(c.AdminBootstrapUsers, name)
		}
	}

	switch strings.ToLower(get("LOG_LEVEL", "info")) {
	case "debug":
		c.LogLevel = slog.LevelDebug
	case "info":
		c.LogLevel = slog.LevelInfo
	case "warn", "warning":
		c.LogLevel = slog.LevelWarn
	case "error":
		c.LogLevel = slog.LevelError
	default:
		bad("LOG_LEVEL", "must be debug, info, warn or error")
	}

	c.Location = time.UTC
	if v := get("APP_TIMEZONE", ""); v != "" {
		loc, err := time.LoadLocation(v)
		if err != nil {
			bad("APP_TIMEZONE", "unknown time zone %q (use an IANA name like Europe/Berlin)", v)
		} else {
			c.Location = loc
		}
	}
	if v := c.LoginExtraLinkURL; v != "" {
		if u, err := url.Parse(v); err != nil || (u.Scheme != "https" && u.Scheme != "http") {
			bad("LOGIN_EXTRA_LINK_URL", "must be an http(s) URL")
		}
	}
	if v := c.UnauthRequestEmail; v != "" && (strings.ContainsAny(v, "?&\r\n ") || !strings.Contains(v, "@")) {
		bad("UNAUTH_REQUEST_EMAIL", "must be a plain address like admin@example.com")
	}
	return c, errors.Join(errs...)
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
