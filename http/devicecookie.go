package http

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"
	"time"

	"github.com/authportal/authportal/commands"
)

// The device cookie marks a browser that has signed in as a user before
// (OWASP's "device cookies" against account lockout): failed sign-ins from it
// spend a budget of its own, so a flood of wrong passwords from elsewhere
// never locks its owner out. It is "<device id>.<username>.<mac>", the MAC an
// HMAC-SHA256 under a key derived from SESSION_SECRET; it grants nothing by
// itself.
const (
	deviceCookie    = "authportal_device"
	deviceCookieTTL = 365 * 24 * time.Hour
)

type deviceCodec struct {
	key []byte
}

func newDeviceCodec(sessionKey []byte) deviceCodec {
	m := hmac.New(sha256.New, sessionKey)
	m.Write([]byte("authportal device cookie v1"))
	return deviceCodec{key: m.Sum(nil)}
}

func (c deviceCodec) mac(id, username string) string {
	m := hmac.New(sha256.New, c.key)
	m.Write([]byte(id))
	m.Write([]byte{0})
	m.Write([]byte(username))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// decode returns the device a cookie value names, or the zero Device for a
// missing, malformed or forged one.
func (c deviceCodec) decode(value string) commands.Device {
	if len(value) > 256 {
		return commands.Device{}
	}
	id, rest, ok := strings.Cut(value, ".")
	if !ok {
		return commands.Device{}
	}
	i := strings.LastIndexByte(rest, '.')
	if i < 0 {
		return commands.Device{}
	}
	username, mac := rest[:i], rest[i+1:]
	if id == "" || !hmac.Equal([]byte(mac), []byte(c.mac(id, username))) {
		return commands.Device{}
	}
	return commands.Device{ID: id, Username: username}
}

// issue returns the cookie for username: this browser's device id is kept
// when it already had one, so its budget does not reset by signing in.
func (c deviceCodec) issue(jar cookieJar, current commands.Device, username string) http.Cookie {
	id := current.ID
	if id == "" {
		id = rand.Text()
	}
	return http.Cookie{
		Name: deviceCookie, Value: id + "." + username + "." + c.mac(id, username), Path: "/api/auth",
		MaxAge: int(deviceCookieTTL.Seconds()), HttpOnly: true, Secure: jar.secure, SameSite: http.SameSiteStrictMode,
	}
}
