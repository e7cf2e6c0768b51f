package http

import (
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/authportal/authportal/domain"
)

func TestSafeNext(t *testing.T) {
	s := &Server{config: Config{BaseURL: &url.URL{Scheme: "https", Host: "auth.example.com"}, CookieDomain: ".example.com"},
		deps: Deps{Forward: &fakeForward{hosts: map[string]domain.ProtectedHost{
			"jellyseerr.media.test": {ID: "h1", Host: "jellyseerr.media.test", ForwardAuth: true},
			"*.apps.test":           {ID: "h2", Host: "*.apps.test", ForwardAuth: true},
		}}}}
	tests := []struct {
		name, next, want string
	}{
		{"local path", "/home", "/home"},
		{"local path with query", "/apps?x=1", "/apps?x=1"},
		{"empty", "", "/fallback"},
		{"protocol-relative", "//evil.example/x", "/fallback"},
		{"backslash trick", "/\\evil.example", "/fallback"},
		{"absolute URL elsewhere", "https://evil.example/", "/fallback"},
		{"javascript", "javascript:alert(1)", "/fallback"},
		{"javascript naming a protected host", "javascript://jellyseerr.media.test/%0aalert(1)", "/fallback"},
		{"data", "data:text/html,<script>alert(1)</script>", "/fallback"},
		{"relative", "home", "/fallback"},
		{"header injection", "/a\r\nSet-Cookie: x=1", "/fallback"},
		{"userinfo in a path", "/@evil.example", "/@evil.example"},
		{"too long", "/" + strings.Repeat("a", maxNext), "/fallback"},

		{"this site, absolute", "https://auth.example.com/account", "https://auth.example.com/account"},
		{"protected host", "https://jellyseerr.media.test/requests?page=2", "https://jellyseerr.media.test/requests?page=2"},
		{"protected host over http, with a port", "http://jellyseerr.media.test:8080/", "http://jellyseerr.media.test:8080/"},
		{"protected host in capitals", "HTTPS://JellySeerr.Media.Test/x", "https://JellySeerr.Media.Test/x"},
		{"under a protected wildcard", "https://sonarr.apps.test/", "https://sonarr.apps.test/"},
		{"the wildcard's own parent", "https://apps.test/", "/fallback"},
		{"inside the cookie domain", "https://wiki.example.com/page", "https://wiki.example.com/page"},
		{"the cookie domain itself", "https://example.com/", "https://example.com/"},
		{"cookie-domain look-alike suffix", "https://example.com.evil.com/", "/fallback"},
		{"cookie-domain look-alike prefix", "https://evilexample.com/", "/fallback"},
		{"protected host as a suffix", "https://jellyseerr.media.test.evil.com/", "/fallback"},
		{"protected host in the user info", "https://jellyseerr.media.test@evil.com/", "/fallback"},
		{"protected host in the user info, with a password", "https://a:b@jellyseerr.media.test/", "/fallback"},
		{"protected host after a fragment", "https://evil.com#@jellyseerr.media.test", "/fallback"},
		{"backslash before the at", "https://jellyseerr.media.test\\@evil.com/", "/fallback"},
		{"backslashes for slashes", "https:\\\\jellyseerr.media.test", "/fallback"},
		{"scheme without slashes", "https:jellyseerr.media.test", "/fallback"},
		{"scheme and one slash", "https:/jellyseerr.media.test", "/fallback"},
		{"tab in the scheme", "ht\ttps://evil.com", "/fallback"},
		{"leading space", " https://jellyseerr.media.test/", "/fallback"},
		{"percent-encoded host", "https://jellyseerr%2emedia.test/", "/fallback"},
		{"unicode look-alike host", "https://jellyseerr.mediа.test/", "/fallback"},
		{"ftp", "ftp://jellyseerr.media.test/", "/fallback"},
		{"protocol-relative protected host", "//jellyseerr.media.test/", "/fallback"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := s.safeNext(tt.next, "/fallback"); got != tt.want {
				t.Errorf("safeNext(%q) = %q, want %q", tt.next, got, tt.want)
			}
		})
	}
	// Without forward auth and a cookie domain, only this site.
	bare := &Server{config: Config{BaseURL: &url.URL{Scheme: "https", Host: "auth.example.com"}}}
	for _, next := range []string{"https://jellyseerr.media.test/", "https://wiki.example.com/"} {
		if got := bare.safeNext(next, "/fallback"); got != "/fallback" {
			t.Errorf("without forward auth: safeNext(%q) = %q, want /fallback", next, got)
		}
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
