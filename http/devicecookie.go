package http

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/authportal/authportal/commands"
)

// The device cookie marks a browser that has signed in as a user before
// (OWASP's "device cookies" against account lockout): failed sign-ins from it
// spend a budget of its own, so a flood of wrong passwords from elsewhere
// never locks its owner out. Its value is "<device id>.<password
// generation>.<username>.<mac>", the MAC an HMAC-SHA256 under a key derived
// from SESSION_SECRET; it grants nothing by itself, and a password change
// makes it a stranger's again (the command compares the generation).
//
// Over https it is "__Host-authportal_device" (Secure, Path=/, no Domain), so
// a sibling subdomain cannot plant one; and since a browser may still send
// several cookies of one name, every one is read and each that verifies is
// passed on.
const (
	deviceCookie       = "authportal_device"
	deviceCookieSecure = "__Host-authportal_device"
	deviceCookieTTL    = 365 * 24 * time.Hour
)

type deviceCodec struct {
	key []byte
}

func newDeviceCodec(sessionKey []byte) deviceCodec {
	m := hmac.New(sha256.New, sessionKey)
	m.Write([]byte("authportal device cookie v2"))
	return deviceCodec{key: m.Sum(nil)}
}

func (c deviceCodec) mac(id string, generation int, username string) string {
	m := hmac.New(sha256.New, c.key)
	m.Write([]byte(id))
	m.Write([]byte{0})
	m.Write([]byte(strconv.Itoa(generation)))
	m.Write([]byte{0})
	m.Write([]byte(username))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// decode returns the device a cookie value names, and false for a
// malformed or forged one.
func (c deviceCodec) decode(value string) (commands.Device, bool) {
	if len(value) > 256 {
		return commands.Device{}, false
	}
	id, rest, ok := strings.Cut(value, ".")
	if !ok {
		return commands.Device{}, false
	}
	gen, rest, ok := strings.Cut(rest, ".")
	generation, err := strconv.Atoi(gen)
	i := strings.LastIndexByte(rest, '.')
	if !ok || err != nil || i < 0 || id == "" {
		return commands.Device{}, false
	}
	username, mac := rest[:i], rest[i+1:]
	if !hmac.Equal([]byte(mac), []byte(c.mac(id, generation, username))) {
		return commands.Device{}, false
	}
	return commands.Device{ID: id, Username: username, Generation: generation}, true
}

// devices returns every device cookie of r that verifies.
func (c deviceCodec) devices(r *http.Request) []commands.Device {
	var out []commands.Device
	for _, ck := range r.Cookies() {
		if ck.Name != deviceCookie && ck.Name != deviceCookieSecure {
			continue
		}
		if d, ok := c.decode(ck.Value); ok {
			out = append(out, d)
		}
	}
	return out
}

// issue returns the cookie for username at the password's generation. The
// browser keeps its device id while it signs in as the same user; signing
// in as someone else gives it a new one, so that one person's guesses never
// spend another's device budget.
func (c deviceCodec) issue(jar cookieJar, known []commands.Device, username string, generation int) http.Cookie {
	id := ""
	for _, d := range known {
		if d.Username == username {
			id = d.ID
		}
	}
	if id == "" {
		id = rand.Text()
	}
	name := deviceCookie
	if jar.secure {
		name = deviceCookieSecure
	}
	return http.Cookie{
		Name: name, Value: id + "." + strconv.Itoa(generation) + "." + username + "." + c.mac(id, generation, username), Path: "/",
		MaxAge: int(deviceCookieTTL.Seconds()), HttpOnly: true, Secure: jar.secure, SameSite: http.SameSiteStrictMode,
	}
}
