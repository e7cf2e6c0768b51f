package main

import (
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
	// Several problems are reported together.
	_, err := LoadConfig(envOf(map[string]string{"LOG_LEVEL": "loud", "LISTEN_ADDR": "x"}))
	if err == nil || !strings.Contains(err.Error(), "LOG_LEVEL") || !strings.Contains(err.Error(), "LISTEN_ADDR") {
		t.Errorf("want both problems, got %v", err)
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
