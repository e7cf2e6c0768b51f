package http

import (
	"net/http"
	"testing"
)

func TestSecurityHeadersOnEveryAnswer(t *testing.T) {
	tests := []struct {
		name, method, path string
		hsts               bool
		wantCSP            string
	}{
		{"JSON operation", http.MethodGet, "/whoami", false, contentSecurityPolicy},
		{"page", http.MethodGet, "/login", true, contentSecurityPolicy},
		{"problem", http.MethodGet, "/me", true, contentSecurityPolicy},
		{"not found", http.MethodGet, "/no-such-page", false, contentSecurityPolicy},
		{"refused cross-origin", http.MethodPost, "/logout", false, contentSecurityPolicy},
		{"API docs", http.MethodGet, "/docs", false, docsContentSecurityPolicy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t, func(c *Config, _ *Deps) { c.HSTS = tt.hsts })
			r := req{method: tt.method, path: tt.path}
			if tt.method == http.MethodPost {
				r.header = http.Header{"Sec-Fetch-Site": {"cross-site"}}
			}
			h := e.send(r).header
			want := map[string]string{
				"X-Frame-Options":            "DENY",
				"X-Content-Type-Options":     "nosniff",
				"Referrer-Policy":            "strict-origin-when-cross-origin",
				"Cross-Origin-Opener-Policy": "same-origin",
				"Cache-Control":              "no-store",
				"Content-Security-Policy":    tt.wantCSP,
			}
			for k, v := range want {
				if got := h.Get(k); got != v {
					t.Errorf("%s: %q, want %q", k, got, v)
				}
			}
			if got := h.Get("Strict-Transport-Security"); (got != "") != tt.hsts {
				t.Errorf("Strict-Transport-Security %q with HSTS %t", got, tt.hsts)
			}
			if len(h.Get("X-Request-Id")) != 24 {
				t.Errorf("X-Request-Id %q", h.Get("X-Request-Id"))
			}
		})
	}
}
