package http

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/authportal/authportal/commands"
)

func TestDeviceCookies(t *testing.T) {
	c := newDeviceCodec([]byte("0123456789abcdef0123456789abcdef"))
	jar := cookieJar{}
	first := c.issue(jar, nil, "alice", 0)
	d, ok := c.decode(first.Value)
	if !ok || d.Username != "alice" || d.Generation != 0 || d.ID == "" {
		t.Fatalf("decode of an issued cookie: %+v, %v", d, ok)
	}
	if again, _ := c.decode(c.issue(jar, []commands.Device{d}, "alice", 1).Value); again.ID != d.ID || again.Generation != 1 {
		t.Errorf("signing in again as alice: got %+v, want the same device id at generation 1", again)
	}
	if other, _ := c.decode(c.issue(jar, []commands.Device{d}, "bob", 0).Value); other.ID == d.ID {
		t.Error("signing in as bob kept alice's device id: one person's guesses would spend the other's budget")
	}
	for name, value := range map[string]string{
		"another name":       strings.Replace(first.Value, ".alice.", ".mallory.", 1),
		"another generation": strings.Replace(first.Value, ".0.", ".7.", 1),
		"no mac":             first.Value[:strings.LastIndexByte(first.Value, '.')],
		"garbage":            "x.y",
	} {
		if d, ok := c.decode(value); ok {
			t.Errorf("%s: decoded %+v, want refused", name, d)
		}
	}
	if secure := c.issue(cookieJar{secure: true}, nil, "alice", 0); secure.Name != "__Host-authportal_device" || !secure.Secure || secure.Path != "/" || secure.Domain != "" {
		t.Errorf("over https: %+v, want a __Host- cookie (Secure, Path=/, no Domain)", secure)
	}

	// Every cookie of the name is read: a planted one sent alongside does
	// not hide the real one.
	r := httptest.NewRequest("POST", "/api/auth/login", nil)
	r.Header.Set("Cookie", "authportal_device="+first.Value+"; authportal_device=planted.0.alice.junk")
	if got := c.devices(r); len(got) != 1 || got[0].ID != d.ID {
		t.Errorf("devices with a planted cookie beside the real one: %+v", got)
	}
}
