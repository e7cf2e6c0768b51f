package http

import (
	"net/http/httptest"
	"testing"

	"github.com/authportal/authportal/domain"
)

// A rebuilt server takes the sessions the one it replaces issued (its keys
// come from the same Config), and serves with the changed settings.
func TestRebuildKeepsSessionsAndTakesNewSettings(t *testing.T) {
	e := newTestEnv(t)
	e.addUser("u1")
	name, value := e.cookie("u1", domain.SessionFull)
	if got := e.get("/mfa/enroll/status", jar(name, value)).json(t); got["enforced"] != false {
		t.Fatalf("status before = %v, want not enforced", got)
	}

	next, err := e.srv.Rebuild(func(c *Config, _ *Deps) { c.MFAEnforce = true })
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(next)
	defer ts.Close()
	e.url = ts.URL
	who := e.get("/whoami", jar(name, value)).json(t)
	if who["authenticated"] != true || who["userId"] != "u1" {
		t.Errorf("whoami on the rebuilt server = %v, want the old server's session", who)
	}
	if got := e.get("/mfa/enroll/status", jar(name, value)).json(t); got["enforced"] != true {
		t.Errorf("status on the rebuilt server = %v, want enforced", got)
	}
}
