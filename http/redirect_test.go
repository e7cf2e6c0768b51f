package http

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestSafeNext(t *testing.T) {
	tests := []struct {
		name, next, want string
	}{
		{"local path", "/home", "/home"},
		{"local path with query", "/apps?x=1", "/apps?x=1"},
		{"empty", "", "/fallback"},
		{"protocol-relative", "//evil.example/x", "/fallback"},
		{"backslash trick", "/\\evil.example", "/fallback"},
		{"absolute URL", "https://evil.example/", "/fallback"},
		{"javascript", "javascript:alert(1)", "/fallback"},
		{"relative", "home", "/fallback"},
		{"header injection", "/a\r\nSet-Cookie: x=1", "/fallback"},
		{"userinfo", "/@evil.example", "/@evil.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := safeNext(tt.next, "/fallback"); got != tt.want {
				t.Errorf("safeNext(%q) = %q, want %q", tt.next, got, tt.want)
			}
		})
	}
}

func TestClientIP(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	tests := []struct {
		name, remote, xff, realIP, want string
	}{
		{"direct client", "198.51.100.7:1234", "", "", "198.51.100.7"},
		{"untrusted peer cannot forge", "198.51.100.7:1234", "1.2.3.4", "", "198.51.100.7"},
		{"trusted proxy", "10.0.0.2:80", "203.0.113.9", "", "203.0.113.9"},
		{"client-supplied prefix ignored", "10.0.0.2:80", "1.2.3.4, 203.0.113.9", "", "203.0.113.9"},
		{"chain of trusted proxies", "10.0.0.2:80", "203.0.113.9, 10.0.0.5", "", "203.0.113.9"},
		{"garbage hop stops the walk", "10.0.0.2:80", "203.0.113.9, junk", "", "10.0.0.2"},
		{"X-Real-IP from a trusted proxy", "10.0.0.2:80", "", "203.0.113.10", "203.0.113.10"},
		{"IPv4-mapped peer", "[::ffff:198.51.100.7]:1", "", "", "198.51.100.7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.remote
			if tt.xff != "" {
				r.Header.Set("X-Forwarded-For", tt.xff)
			}
			if tt.realIP != "" {
				r.Header.Set("X-Real-Ip", tt.realIP)
			}
			if got := clientIP(r, trusted); got != tt.want {
				t.Errorf("clientIP = %q, want %q", got, tt.want)
			}
		})
	}
}
