package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadConfigDefaults(t *testing.T) {
	c, err := LoadConfig(envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.ListenAddr != ":8089" || c.DataDir != "./data" || c.BaseURL.String() != "http://localhost:8089" ||
		!c.MFAEnable || c.MFAEnforce || c.SecureCookies() || c.HSTS() || c.SessionSecret != nil || c.DataKey != nil {
		t.Errorf("defaults = %+v", c)
	}
}

func TestLoadConfigRefusesBadValues(t *testing.T) {
	valid := map[string]string{
		"APP_BASE_URL":   "https://auth.example.com",
		"SESSION_SECRET": strings.Repeat("s", 32),
		"DATA_KEY":       "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
	}
	if _, err := LoadConfig(envOf(valid)); err != nil {
		t.Fatalf("valid baseline refused: %v", err)
	}
	tests := []struct {
		name, key, value string
	}{
		{"short session secret", "SESSION_SECRET", "too-short"},
		{"legacy session secret", "SESSION_SECRET", legacySessionSecret},
		{"data key not base64", "DATA_KEY", "not base64!"},
		{"data key wrong length", "DATA_KEY", "c2hvcnQ="},
		{"base URL without scheme", "APP_BASE_URL", "auth.example.com"},
		{"base URL ftp", "APP_BASE_URL", "ftp://auth.example.com"},
		{"listen address", "LISTEN_ADDR", "8089"},
		{"boolean", "MFA_ENFORCE", "sometimes"},
		{"proxy CIDR", "TRUSTED_PROXY_CIDRS", "10.0.0.0/8, nonsense"},
		{"log level", "LOG_LEVEL", "loud"},
		{"time zone", "APP_TIMEZONE", "Mars/Olympus"},
		{"session TTL", "SESSION_TTL", "1s"},
		{"request email", "UNAUTH_REQUEST_EMAIL", "a@b.c?bcc=x@y.z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range valid {
				env[k] = v
			}
			env[tt.key] = tt.value
			_, err := LoadConfig(envOf(env))
			if err == nil {
				t.Fatalf("%s=%q accepted", tt.key, tt.value)
			}
			if !strings.HasPrefix(err.Error(), tt.key+":") || strings.Count(err.Error(), "\n") != 0 {
				t.Errorf("error %q should be one line starting with %s:", err, tt.key)
			}
			if tt.key == "SESSION_SECRET" && strings.Contains(err.Error(), "too-short") {
				t.Error("the error repeats the secret")
			}
		})
	}
	// Every problem in every section is reported together, one line per
	// variable, whatever section found it.
	all := map[string]string{}
	for _, tt := range tests {
		all[tt.key] = tt.value
	}
	_, err := LoadConfig(envOf(all))
	if err == nil {
		t.Fatal("every variable wrong at once was accepted")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(all) {
		t.Errorf("got %d lines for %d bad variables:\n%v", len(lines), len(all), err)
	}
	for key := range all {
		n := 0
		for _, line := range lines {
			if strings.HasPrefix(line, key+":") {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s has %d lines, want 1:\n%v", key, n, err)
		}
	}
	// Two problems with one variable share its line.
	_, err = LoadConfig(envOf(map[string]string{"TRUSTED_PROXY_CIDRS": "bad-one, 10.0.0.0/8, bad-two"}))
	if err == nil || strings.Count(err.Error(), "\n") != 0 || !strings.Contains(err.Error(), `"bad-one"`) || !strings.Contains(err.Error(), `"bad-two"`) {
		t.Errorf("two bad proxy entries: got %v, want one line naming both", err)
	}
}

// Every variable each section reads still reaches the configuration.
func TestLoadConfigReadsEverySection(t *testing.T) {
	c, err := LoadConfig(envOf(map[string]string{
		"APP_BASE_URL": "https://auth.example.com/portal/", "LISTEN_ADDR": "127.0.0.1:9000", "DATA_DIR": "/srv/ap",
		"DATABASE_URL": "postgres://db/ap", "APP_TIMEZONE": "Europe/Berlin",
		"SESSION_SECRET": strings.Repeat("s", 32), "DATA_KEY": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
		"SESSION_COOKIE_DOMAIN": "example.com", "FORCE_SECURE_COOKIE": "1", "FORCE_HSTS": "true", "SESSION_TTL": "2h",
		"MFA_ENABLE": "1", "MFA_ENFORCE": "1", "MFA_ISSUER": "Home",
		"TRUSTED_PROXY_CIDRS": "10.0.0.0/8 192.168.1.1", "ADMIN_BOOTSTRAP_USERS": "ada:ada@example.com,bob",
		"LOG_LEVEL":            "debug",
		"LOGIN_EXTRA_LINK_URL": "https://example.com/help", "LOGIN_EXTRA_LINK_TEXT": "Help",
		"UNAUTH_REQUEST_EMAIL": "admin@example.com", "UNAUTH_REQUEST_SUBJECT": "Let me in",
	}))
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"APP_BASE_URL", c.BaseURL.String(), "https://auth.example.com/portal"},
		{"LISTEN_ADDR", c.ListenAddr, "127.0.0.1:9000"},
		{"DATA_DIR", c.DataDir, "/srv/ap"},
		{"DATABASE_URL", c.DatabaseURL, "postgres://db/ap"},
		{"APP_TIMEZONE", c.Location.String(), "Europe/Berlin"},
		{"SESSION_SECRET", len(c.SessionSecret), 32},
		{"DATA_KEY", string(c.DataKey), "0123456789abcdef0123456789abcdef"},
		{"SESSION_COOKIE_DOMAIN", c.SessionCookieDomain, "example.com"},
		{"FORCE_SECURE_COOKIE", c.ForceSecureCookie, true},
		{"FORCE_HSTS", c.ForceHSTS, true},
		{"SESSION_TTL", c.SessionTTL.String(), "2h0m0s"},
		{"MFA_ENABLE", c.MFAEnable, true},
		{"MFA_ENFORCE", c.MFAEnforce, true},
		{"MFA_ISSUER", c.MFAIssuer, "Home"},
		{"TRUSTED_PROXY_CIDRS", fmt.Sprint(c.TrustedProxies), "[10.0.0.0/8 192.168.1.1/32]"},
		{"ADMIN_BOOTSTRAP_USERS", fmt.Sprint(c.AdminBootstrapUsers), "[ada bob]"},
		{"LOG_LEVEL", c.LogLevel, slog.LevelDebug},
		{"LOGIN_EXTRA_LINK_URL", c.LoginExtraLinkURL, "https://example.com/help"},
		{"LOGIN_EXTRA_LINK_TEXT", c.LoginExtraLinkText, "Help"},
		{"UNAUTH_REQUEST_EMAIL", c.UnauthRequestEmail, "admin@example.com"},
		{"UNAUTH_REQUEST_SUBJECT", c.UnauthRequestSubj, "Let me in"},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s: got %v, want %v", ch.name, ch.got, ch.want)
		}
	}
}

func TestGeneratedSecretsAreKeptPrivateAndReused(t *testing.T) {
	dir := t.TempDir()
	c, err := LoadConfig(envOf(map[string]string{"DATA_DIR": dir}))
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := ensureSecrets(&c, logger); err != nil {
		t.Fatal(err)
	}
	if len(c.SessionSecret) < 32 || len(c.DataKey) != 32 {
		t.Fatalf("generated secret %d bytes, key %d bytes", len(c.SessionSecret), len(c.DataKey))
	}
	for _, name := range []string{"session_secret", "data_key"} {
		fi, err := os.Stat(filepath.Join(dir, "secrets", name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", name, fi.Mode().Perm())
		}
	}
	again, err := LoadConfig(envOf(map[string]string{"DATA_DIR": dir}))
	if err != nil {
		t.Fatal(err)
	}
	if err := ensureSecrets(&again, logger); err != nil {
		t.Fatal(err)
	}
	if string(again.SessionSecret) != string(c.SessionSecret) || string(again.DataKey) != string(c.DataKey) {
		t.Error("a second start generated new secrets instead of reading the kept ones")
	}
}

func FuzzLoadConfig(f *testing.F) {
	f.Add("https://auth.example.com", ":8089", "10.0.0.0/8", "1", "info", "admin:admin@example.com", "24h")
	f.Add("http://[::1]:80", "[::1]:0", "::1", "false", "debug", "", "5m")
	f.Fuzz(func(t *testing.T, base, listen, cidrs, enforce, level, admins, ttl string) {
		env := map[string]string{
			"APP_BASE_URL": base, "LISTEN_ADDR": listen, "TRUSTED_PROXY_CIDRS": cidrs,
			"MFA_ENFORCE": enforce, "LOG_LEVEL": level, "ADMIN_BOOTSTRAP_USERS": admins, "SESSION_TTL": ttl,
		}
		c, err := LoadConfig(envOf(env))
		if err != nil {
			return
		}
		// Whatever is accepted is usable.
		if c.BaseURL == nil || c.BaseURL.Host == "" || (c.BaseURL.Scheme != "http" && c.BaseURL.Scheme != "https") {
			t.Errorf("accepted base URL %q", base)
		}
		if c.Location == nil || c.SessionTTL <= 0 {
			t.Errorf("accepted config is incomplete: %+v", c)
		}
	})
}
