package domain_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/authportal/authportal/domain"
)

func TestNormalizeHost(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"app.example.com", "app.example.com"},
		{"  App.Example.COM  ", "app.example.com"},
		{"app.example.com.", "app.example.com"},
		{"*.example.com", "*.example.com"},
		{"*.Example.com.", "*.example.com"},
		{"bücher.example", "xn--bcher-kva.example"},
		{"*.BÜCHER.example", "*.xn--bcher-kva.example"},
		{"xn--bcher-kva.example", "xn--bcher-kva.example"},
		{"localhost", "localhost"},
		{"192.168.1.10", "192.168.1.10"},
	}
	for _, tt := range tests {
		got, err := domain.NormalizeHost(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("NormalizeHost(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}

	bad := []struct{ in, says string }{
		{"", "empty"},
		{"   ", "empty"},
		{"https://app.example.com", "scheme"},
		{"app.example.com/path", "scheme or path"},
		{"app.example.com:8443", "port"},
		{"user@app.example.com", "scheme or path"},
		{"a.*.example.com", "wildcard"},
		{"*example.com", "wildcard"},
		{"*.com", "two parts"},
		{"*", "wildcard"},
		{"app_1.example.com", "letters, digits and hyphens"},
		{"app..example.com", "1 to 63"},
		{"-app.example.com", "letters, digits and hyphens"},
		{"app example.com", "letters, digits and hyphens"},
		{strings.Repeat("a", 64) + ".example.com", "1 to 63"},
		{strings.Repeat("abcdefghi.", 26) + "com", "253"},
	}
	for _, tt := range bad {
		got, err := domain.NormalizeHost(tt.in)
		if !errors.Is(err, domain.ErrHostName) {
			t.Errorf("NormalizeHost(%q) = %q, %v; want ErrHostName", tt.in, got, err)
			continue
		}
		if !strings.Contains(err.Error(), tt.says) {
			t.Errorf("NormalizeHost(%q) error %q does not say %q", tt.in, err, tt.says)
		}
	}
}

func TestRequestHost(t *testing.T) {
	tests := []struct{ in, want string }{
		{"app.example.com", "app.example.com"},
		{"APP.Example.com", "app.example.com"},
		{"app.example.com:8443", "app.example.com"},
		{"app.example.com.", "app.example.com"},
		{"App.Example.com.:443", "app.example.com"},
		{"bücher.example", "xn--bcher-kva.example"},
		{"[::1]:8080", "[::1]"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := domain.RequestHost(tt.in); got != tt.want {
			t.Errorf("RequestHost(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { domain.RequestHost("app.example.com:443") }); n != 0 {
		t.Errorf("RequestHost of a lower-case host allocates %v times, want 0", n)
	}
}
