package http

import (
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/queries"
)

// whoamiAs asks /whoami with the given session cookie.
func whoamiAs(e *testEnv, name, value string) reply {
	e.t.Helper()
	return e.get("/whoami", jar(name, value))
}

// TestSessionCookieResolution: a cookie stands only while the access model
// says its session does; everything else is an anonymous request.
func TestSessionCookieResolution(t *testing.T) {
	tests := []struct {
		name    string
		user    func(*queries.AccessUser)
		claims  func(*SessionClaims)
		model   func(*fakeAccess)
		kind    domain.SessionKind
		wantWho bool
	}{
		{name: "valid full session", wantWho: true},
		{name: "unknown user", claims: func(c *SessionClaims) { c.UserID = "U-nobody" }},
		{name: "sessions revoked since (epoch moved)", user: func(u *queries.AccessUser) { u.Epoch = 2 }, claims: func(c *SessionClaims) { c.Epoch = 1 }},
		{name: "user disabled", user: func(u *queries.AccessUser) { u.Disabled = true }},
		{name: "session ended", model: func(a *fakeAccess) { delete(a.live, "S0001") }},
		{name: "expired", claims: func(c *SessionClaims) { c.IssuedAt, c.ExpiresAt = testNow.Add(-2*time.Hour), testNow.Add(-time.Second) }},
		{name: "pending challenge in the session cookie", kind: domain.SessionMFAChallenge},
		{name: "pending enrollment in the session cookie", kind: domain.SessionMFAEnroll},
		{name: "position beyond the log's head", claims: func(c *SessionClaims) { c.Position = 11 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			u := e.addUser("U1")
			if tt.user != nil {
				tt.user(&u)
				e.access.put(u)
			}
			kind := tt.kind
			if kind == "" {
				kind = domain.SessionFull
			}
			_, value := e.cookie("U1", kind, func(c *SessionClaims) {
				c.Epoch = 1
				if tt.claims != nil {
					tt.claims(c)
				}
			})
			if tt.model != nil {
				e.access.set(tt.model)
			}
			// Sent as the full session cookie, whatever its kind.
			res := whoamiAs(e, sessionCookie, value)
			if res.status != http.StatusOK {
				t.Fatalf("status %d: %s", res.status, res.body)
			}
			who := res.json(t)
			if got := who["authenticated"] == true; got != tt.wantWho {
				t.Fatalf("authenticated = %v, want %t (%v)", who["authenticated"], tt.wantWho, who)
			}
			if tt.wantWho && (who["userId"] != "U1" || who["username"] != "user-U1" || who["authorized"] != true) {
				t.Errorf("whoami %v", who)
			}
			me := e.get("/me", jar(sessionCookie, value))
			if tt.wantWho != (me.status == http.StatusOK) {
				t.Errorf("/me: status %d", me.status)
			}
			if !tt.wantWho && me.problem(t) != problemType(problemUnauthenticated) {
				t.Errorf("/me: problem %s, want unauthenticated", me.problem(t))
			}
		})
	}
}

// A cookie from a session this node's model has not reached yet (written
// through another node) waits for the model rather than being refused.
func TestSessionAheadOfTheModelWaitsForIt(t *testing.T) {
	e := newTestEnv(t)
	e.addUser("U1")
	e.access.set(func(a *fakeAccess) { a.position = 3 })
	_, value := e.cookie("U1", domain.SessionFull, func(c *SessionClaims) { c.Position = 7 })
	if who := whoamiAs(e, sessionCookie, value).json(t); who["authenticated"] != true {
		t.Errorf("whoami %v, want the session once the model caught up", who)
	}
	if got := e.access.waited(); !slices.Equal(got, []int64{7}) {
		t.Errorf("waited for %v, want [7]", got)
	}
}

// When the model cannot catch up, or the head cannot be read, the answer
// is 503: never a stale "not signed in".
func TestSessionCheckUnavailable(t *testing.T) {
	tests := []struct {
		name  string
		setup func(*testEnv)
	}{
		{"model does not catch up", func(e *testEnv) { e.access.set(func(a *fakeAccess) { a.position, a.catchUp = 3, false }) }},
		{"head unreadable", func(e *testEnv) {
			e.access.set(func(a *fakeAccess) { a.position = 3 })
			e.head.err = errors.New("connection refused")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			e.addUser("U1")
			tt.setup(e)
			_, value := e.cookie("U1", domain.SessionFull, func(c *SessionClaims) { c.Position = 7 })
			res := whoamiAs(e, sessionCookie, value)
			if res.status != http.StatusServiceUnavailable || res.problem(t) != problemType(problemUnavailable) {
				t.Errorf("got %d %s, want 503 unavailable", res.status, res.body)
			}
		})
	}
}

func TestWhoamiAnonymous(t *testing.T) {
	e := newTestEnv(t)
	for _, value := range []string{"", "not-a-jwt"} {
		res := whoamiAs(e, sessionCookie, value)
		who := res.json(t)
		if res.status != http.StatusOK || who["authenticated"] != false || who["userId"] != nil || who["session"] != nil {
			t.Errorf("cookie %q: %d %v, want anonymous", value, res.status, who)
		}
	}
}

func TestWhoamiTellsTheSession(t *testing.T) {
	e := newTestEnv(t)
	e.addUser("U1", func(u *queries.AccessUser) { u.Admin, u.AccessGranted, u.MFAEnabled = true, false, true })
	_, value := e.cookie("U1", domain.SessionFull, func(c *SessionClaims) { c.MFA = true })
	who := whoamiAs(e, sessionCookie, value).json(t)
	s, _ := who["session"].(map[string]any)
	if who["admin"] != true || who["authorized"] != true || who["mfaEnabled"] != true || who["email"] != "U1@example.com" ||
		s == nil || s["kind"] != "full" || s["mfa"] != true || s["expiresAt"] != testNow.Add(time.Hour).Format(time.RFC3339) {
		t.Errorf("whoami %v", who)
	}
}
