package http

import (
	"net/http"
	"slices"
	"testing"

	"github.com/authportal/authportal/commands"
	"github.com/authportal/authportal/domain"
)

func TestLogoutEndsTheSessionAndClearsBothCookies(t *testing.T) {
	tests := []struct {
		name       string
		accept     string
		wantStatus int
	}{
		{"browser form", "text/html", http.StatusSeeOther},
		{"script", "application/json", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			e.addUser("U1")
			e.logout.do = func(commands.Logout) (commands.Result, error) { return commands.Result{Position: 20}, nil }
			_, value := e.cookie("U1", domain.SessionFull)
			res := e.send(req{method: http.MethodPost, path: "/logout", header: http.Header{"Accept": {tt.accept}},
				cookies: []*http.Cookie{jar(sessionCookie, value)}})
			if res.status != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", res.status, tt.wantStatus, res.body)
			}
			if tt.wantStatus == http.StatusSeeOther && res.header.Get("Location") != "/" {
				t.Errorf("Location %q, want /", res.header.Get("Location"))
			}
			if tt.wantStatus == http.StatusOK {
				if body := res.json(t); body["ok"] != true {
					t.Errorf("body %v", body)
				}
			}
			calls := e.logout.received()
			if len(calls) != 1 || calls[0].SessionID != "S0001" || calls[0].Meta.Actor != "U1" {
				t.Errorf("logout commands %+v, want one for S0001 by U1", calls)
			}
			// The next request must find the session's end in the model.
			if got := e.access.waited(); !slices.Contains(got, 20) {
				t.Errorf("waited for %v, want the logout's position 20", got)
			}
			for _, name := range []string{sessionCookie, pendingCookie} {
				if c := res.setCookie(name); c == nil || c.MaxAge >= 0 || c.Value != "" {
					t.Errorf("cookie %s not cleared: %v", name, c)
				}
			}
		})
	}
}

func TestLogoutWithoutASessionOnlyClearsCookies(t *testing.T) {
	e := newTestEnv(t)
	res := e.post("/logout", nil)
	if res.status != http.StatusSeeOther || res.setCookie(sessionCookie) == nil {
		t.Errorf("status %d, cookies %v", res.status, res.header.Values("Set-Cookie"))
	}
	if n := len(e.logout.received()); n != 0 {
		t.Errorf("logout command ran %d times without a session", n)
	}
}

func TestLogoutFailures(t *testing.T) {
	tests := []struct {
		name  string
		setup func(*testEnv)
	}{
		{"log unreachable", func(e *testEnv) {
			e.logout.do = func(commands.Logout) (commands.Result, error) { return commands.Result{}, commands.ErrUnavailable }
		}},
		// The session ended in the log but this node's model never saw it:
		// the old cookie would still work, so the logout did not happen yet.
		{"model does not catch up", func(e *testEnv) {
			e.logout.do = func(commands.Logout) (commands.Result, error) { return commands.Result{Position: 20}, nil }
			e.access.set(func(a *fakeAccess) { a.catchUp = false })
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			e.addUser("U1")
			tt.setup(e)
			_, value := e.cookie("U1", domain.SessionFull)
			res := e.post("/logout", nil, jar(sessionCookie, value))
			if res.status != http.StatusServiceUnavailable || res.problem(t) != problemType(problemUnavailable) {
				t.Errorf("got %d %s, want 503 unavailable", res.status, res.body)
			}
			if c := res.setCookie(sessionCookie); c != nil {
				t.Errorf("cookies cleared although the session still stands: %v", c)
			}
		})
	}
}
