package mediabrowser_test

import (
	"strings"
	"testing"
	"time"

	"github.com/authportal/authportal/providers/mediabrowser"
)

func TestConfigValidate(t *testing.T) {
	valid := config(mediabrowser.Jellyfin, "https://jellyfin.example.com")
	if err := valid.Validate(); err != nil {
		t.Fatalf("valid config: %v", err)
	}
	tests := []struct {
		name   string
		mutate func(*mediabrowser.Config)
		want   string // a word the error must name
	}{
		{"unknown flavor", func(c *mediabrowser.Config) { c.Flavor = "plex" }, "Flavor"},
		{"no server", func(c *mediabrowser.Config) { c.ServerURL = "" }, "ServerURL"},
		{"relative server", func(c *mediabrowser.Config) { c.ServerURL = "jellyfin.example.com" }, "ServerURL"},
		{"ftp server", func(c *mediabrowser.Config) { c.ServerURL = "ftp://jellyfin.example.com" }, "ServerURL"},
		{"server with query", func(c *mediabrowser.Config) { c.ServerURL = "https://j.example.com/?a=b" }, "ServerURL"},
		{"server with user info", func(c *mediabrowser.Config) { c.ServerURL = "https://u:p@j.example.com" }, "ServerURL"},
		{"no app name", func(c *mediabrowser.Config) { c.AppName = "" }, "AppName"},
		{"no app version", func(c *mediabrowser.Config) { c.AppVersion = "" }, "AppVersion"},
		{"no device name", func(c *mediabrowser.Config) { c.DeviceName = "" }, "DeviceName"},
		{"no device id", func(c *mediabrowser.Config) { c.DeviceID = "" }, "DeviceID"},
		{"quote in app name", func(c *mediabrowser.Config) { c.AppName = `Auth"Portal` }, "AppName"},
		{"comma in device name", func(c *mediabrowser.Config) { c.DeviceName = "a, Token=x" }, "DeviceName"},
		{"line break in API key", func(c *mediabrowser.Config) { c.APIKey = "abc\r\nX: y" }, "APIKey"},
		{"negative timeout", func(c *mediabrowser.Config) { c.Timeout = -time.Second }, "Timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid
			tt.mutate(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate = %v, want an error naming %s", err, tt.want)
			}
			if _, err := mediabrowser.NewClient(c, nil); err == nil {
				t.Error("NewClient accepted an invalid config")
			}
		})
	}
}

func TestDeviceIDFrom(t *testing.T) {
	const url = "https://jellyfin.example.com"
	a := mediabrowser.DeviceIDFrom([]byte("secret one"), mediabrowser.Jellyfin, url)
	if b := mediabrowser.DeviceIDFrom([]byte("secret one"), mediabrowser.Jellyfin, url+"/"); a != b {
		t.Errorf("same secret and server gave %q and %q", a, b)
	}
	others := map[string]string{
		"other secret": mediabrowser.DeviceIDFrom([]byte("secret two"), mediabrowser.Jellyfin, url),
		"other flavor": mediabrowser.DeviceIDFrom([]byte("secret one"), mediabrowser.Emby, url),
		"other server": mediabrowser.DeviceIDFrom([]byte("secret one"), mediabrowser.Jellyfin, "https://other.example.com"),
	}
	for name, id := range others {
		if id == a {
			t.Errorf("%s gave the same device id %q", name, id)
		}
	}
	if strings.Contains(a, "secret") {
		t.Errorf("device id %q shows the secret", a)
	}
	if err := (mediabrowser.Config{Flavor: mediabrowser.Jellyfin, ServerURL: url, AppName: "a", AppVersion: "1", DeviceName: "d", DeviceID: a}).Validate(); err != nil {
		t.Errorf("derived device id is not valid in a Config: %v", err)
	}
}
