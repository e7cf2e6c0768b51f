package main

import (
	"strings"
	"testing"
	"time"
)

func TestInviteConfigDefaultsAndSMTP(t *testing.T) {
	c, err := LoadConfig(envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Invites.TTL != 48*time.Hour || c.Invites.MaxAttempts != 5 || c.Invites.SMTP.Configured() || c.Invites.SMTP.Security != "starttls" {
		t.Errorf("defaults: %+v", c.Invites)
	}
	c, err = LoadConfig(envOf(map[string]string{"INVITE_TTL": "72h", "SMTP_HOST": "mail.example.com", "SMTP_PORT": "2525",
		"SMTP_USERNAME": "portal", "SMTP_PASSWORD": " spaced secret ", "SMTP_FROM": "Portal <portal@example.com>", "SMTP_SECURITY": "ssl"}))
	if err != nil {
		t.Fatal(err)
	}
	s := c.Invites.SMTP
	if c.Invites.TTL != 72*time.Hour || s.Host != "mail.example.com" || s.Port != 2525 || s.Password != " spaced secret " || s.Security != "ssl" {
		t.Errorf("read: %+v", c.Invites)
	}
}

func TestInviteConfigRefusesBadValuesNamingTheVariable(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"ttl", map[string]string{"INVITE_TTL": "forever"}, "INVITE_TTL:"},
		{"ttl too short", map[string]string{"INVITE_TTL": "1m"}, "INVITE_TTL:"},
		{"attempts", map[string]string{"INVITE_MAIL_ATTEMPTS": "0"}, "INVITE_MAIL_ATTEMPTS:"},
		{"security", map[string]string{"SMTP_SECURITY": "tls"}, "SMTP_SECURITY:"},
		{"port", map[string]string{"SMTP_PORT": "70000"}, "SMTP_PORT:"},
		{"host without from", map[string]string{"SMTP_HOST": "mail.example.com"}, "SMTP_FROM:"},
		{"bad from", map[string]string{"SMTP_HOST": "mail.example.com", "SMTP_FROM": "not an address"}, "SMTP_FROM:"},
		{"password without user", map[string]string{"SMTP_PASSWORD": "x"}, "SMTP_USERNAME:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadConfig(envOf(tt.env))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want a line starting %q", err, tt.want)
			}
		})
	}
}
