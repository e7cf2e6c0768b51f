package mediabrowser

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Flavor names which MediaBrowser server the client talks to.
type Flavor string

const (
	Jellyfin Flavor = "jellyfin"
	Emby     Flavor = "emby"
)

// DefaultTimeout bounds every call to the media server when Config.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// Config describes the media server and how the portal presents itself to it.
type Config struct {
	Flavor Flavor
	// ServerURL is the server's base URL, e.g. "https://jellyfin.example.com".
	// For Emby the client adds the "/emby" prefix unless the URL already ends with it.
	ServerURL string
	// AppName, AppVersion and DeviceName name the portal in the server's
	// device and session lists.
	AppName    string
	AppVersion string
	DeviceName string
	// DeviceID must stay the same across sign-ins and restarts, so the server
	// keeps one device (and token) per user instead of one per login. Build it
	// with DeviceIDFrom.
	DeviceID string
	// APIKey, when set, is used to read users' policies (IsDisabled,
	// IsAdministrator) and by CheckAccess.
	APIKey string
	// AdminIsAdmin makes a server administrator a portal admin (Identity.Admin).
	AdminIsAdmin bool
	// Timeout bounds each call to the server; DefaultTimeout when zero.
	Timeout time.Duration
}

// DeviceIDFrom derives a stable device id from a secret the caller keeps
// (for example SESSION_SECRET) and the server it is for: the same inputs
// always give the same id, and the id reveals nothing of the secret.
func DeviceIDFrom(secret []byte, flavor Flavor, serverURL string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("authportal/mediabrowser/device-id\x00"))
	m.Write([]byte(flavor))
	m.Write([]byte{0})
	m.Write([]byte(strings.TrimRight(serverURL, "/")))
	return "authportal-" + hex.EncodeToString(m.Sum(nil)[:16])
}

// Validate reports the first thing wrong with c, naming the field.
func (c Config) Validate() error {
	switch c.Flavor {
	case Jellyfin, Emby:
	default:
		return fmt.Errorf("mediabrowser: Flavor must be %q or %q, got %q", Jellyfin, Emby, c.Flavor)
	}
	if c.ServerURL == "" {
		return errors.New("mediabrowser: ServerURL is required")
	}
	u, err := url.Parse(c.ServerURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("mediabrowser: ServerURL must be an absolute http or https URL")
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return errors.New("mediabrowser: ServerURL must not carry a query, fragment or user info")
	}
	for _, f := range []struct{ name, v string }{
		{"AppName", c.AppName}, {"AppVersion", c.AppVersion}, {"DeviceName", c.DeviceName}, {"DeviceID", c.DeviceID},
	} {
		name, v := f.name, f.v
		if v == "" {
			return fmt.Errorf("mediabrowser: %s is required", name)
		}
		// The values go quoted into the Authorization header.
		if strings.ContainsAny(v, "\",\r\n") {
			return fmt.Errorf("mediabrowser: %s must not contain quotes, commas or line breaks", name)
		}
	}
	if strings.ContainsAny(c.APIKey, "\",\r\n ") {
		return errors.New("mediabrowser: APIKey must not contain quotes, commas, spaces or line breaks")
	}
	if c.Timeout < 0 {
		return errors.New("mediabrowser: Timeout must not be negative")
	}
	return nil
}
