package main

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestLoginStartsASessionThatWhoamiSees(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	id := ts.addUser(t, "Alice", "correct horse battery", true)
	b := ts.browser(t)

	res := b.login("ALICE", "correct horse battery", http.StatusOK)
	body := res.JSON(t)
	if body["ok"] != true || body["mfaRequired"] != false || body["redirect"] != "/home" {
		t.Errorf("login body = %v, want ok, no MFA, redirect /home", body)
	}
	var session *http.Cookie
	for _, c := range (&http.Response{Header: res.Header}).Cookies() {
		if c.Name == "authportal_session" && c.Value != "" {
			session = c
		}
	}
	if session == nil {
		t.Fatalf("no session cookie in %v", res.Header["Set-Cookie"])
	}
	if !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.Path != "/" || session.Secure {
		t.Errorf("cookie = %+v, want HttpOnly, SameSite=Lax, Path=/, not Secure on http", session)
	}
	if got := time.Duration(session.MaxAge) * time.Second; got != 24*time.Hour {
		t.Errorf("cookie Max-Age = %v, want 24h", got)
	}

	who := b.get("/whoami").JSON(t)
	if who["authenticated"] != true || who["userId"] != id || who["username"] != "alice" || who["admin"] != true || who["authorized"] != true {
		t.Errorf("whoami = %v", who)
	}
	s, _ := who["session"].(map[string]any)
	if s["kind"] != "full" || s["issuedAt"] != "2026-11-23T12:00:00Z" || s["expiresAt"] != "2026-11-24T12:00:00Z" {
		t.Errorf("whoami session = %v", s)
	}
	me := b.get("/me").JSON(t)
	if me["username"] != "alice" || me["uuid"] != id {
		t.Errorf("/me = %v", me)
	}
	if res := b.get("/"); res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/home" {
		t.Errorf("GET / with a session: %d %q, want 303 /home", res.Status, res.Header.Get("Location"))
	}
	if res := b.get("/home"); res.Status != http.StatusOK || !strings.Contains(string(res.Body), "Welcome, alice") {
		t.Errorf("GET /home: %d, want 200 with a welcome", res.Status)
	}
}

func TestFailedLoginsLookTheSameAndAreRecorded(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	ts.addUser(t, "bob", "correct horse battery", false)

	wrong := ts.browser(t).login("bob", "not his password", http.StatusUnauthorized)
	unknown := ts.browser(t).login("nobody", "not his password", http.StatusUnauthorized)
	if string(wrong.Body) != string(unknown.Body) {
		t.Errorf("wrong password body %s differs from unknown user body %s", wrong.Body, unknown.Body)
	}
	if got := wrong.problemType(t); got != "urn:authportal:problem:invalid-credentials" {
		t.Errorf("problem type = %q", got)
	}
	if c := wrong.Header.Get("Set-Cookie"); c != "" {
		t.Errorf("failed login set a cookie: %s", c)
	}
	out, err := ts.cli(t, "", "audit", "export")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"reason":"bad_password"`, `"username":"bob"`} {
		if !strings.Contains(out, want) {
			t.Errorf("audit export lacks %s", want)
		}
	}
	// What was typed as a username is kept only when it named an account:
	// people type passwords into that box.
	for _, never := range []string{"not his password", "nobody"} {
		if strings.Contains(out, never) {
			t.Errorf("%q reached the log", never)
		}
	}
	// Bytes the log cannot store (jsonb refuses NUL) still get the plain answer.
	odd := ts.browser(t).login("bob\x00\u202e", "not his password", http.StatusUnauthorized)
	if string(odd.Body) != string(wrong.Body) {
		t.Errorf("odd username: %s", odd.Body)
	}
}

func TestLoginRateLimit(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	b := ts.browser(t)
	for i := range 5 {
		if res := b.post("/api/auth/login", map[string]string{"username": "x", "password": "yyyyyyyy"}); res.Status != http.StatusUnauthorized {
			t.Fatalf("attempt %d: status %d, want 401", i+1, res.Status)
		}
	}
	res := b.post("/api/auth/login", map[string]string{"username": "x", "password": "yyyyyyyy"})
	if res.Status != http.StatusTooManyRequests || res.problemType(t) != "urn:authportal:problem:rate-limited" {
		t.Fatalf("6th attempt: %d %s, want 429 rate-limited", res.Status, res.Body)
	}
	if res.Header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	// Another client address would have its own bucket; the same one refills.
	ts.clock.Advance(6 * time.Second)
	if res := b.post("/api/auth/login", map[string]string{"username": "x", "password": "yyyyyyyy"}); res.Status != http.StatusUnauthorized {
		t.Errorf("after refill: status %d, want 401", res.Status)
	}
}

func TestLogoutEndsTheSessionAndRefusesTheOldCookie(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	ts.addUser(t, "carol", "correct horse battery", false)
	b := ts.browser(t)
	b.login("carol", "correct horse battery", http.StatusOK)
	old := b.cookie("/", "authportal_session")

	res := b.post("/logout", nil)
	if res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/" {
		t.Fatalf("logout: %d %q, want 303 /", res.Status, res.Header.Get("Location"))
	}
	if who := b.get("/whoami").JSON(t); who["authenticated"] != false {
		t.Errorf("whoami after logout = %v", who)
	}
	replay := ts.browser(t)
	if res := replay.do(http.MethodGet, "/me", nil, http.Header{"Cookie": {"authportal_session=" + old}}); res.Status != http.StatusUnauthorized {
		t.Errorf("replayed cookie: /me %d, want 401", res.Status)
	}
}

func TestCrossOriginPostsAreRefused(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	ts.addUser(t, "dave", "correct horse battery", false)
	b := ts.browser(t)
	b.login("dave", "correct horse battery", http.StatusOK)

	tests := []struct {
		name   string
		path   string
		header http.Header
	}{
		{"login from another origin", "/api/auth/login", http.Header{"Origin": {"https://evil.example"}}},
		{"logout from another site", "/logout", http.Header{"Sec-Fetch-Site": {"cross-site"}}},
		{"mfa start from another origin", "/mfa/enroll/start", http.Header{"Origin": {"https://evil.example"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := b.do(http.MethodPost, tt.path, map[string]string{"username": "dave", "password": "correct horse battery"}, tt.header)
			if res.Status != http.StatusForbidden || res.problemType(t) != "urn:authportal:problem:cross-origin" {
				t.Errorf("status %d %s, want 403 cross-origin", res.Status, res.Body)
			}
		})
	}
	if who := b.get("/whoami").JSON(t); who["authenticated"] != true {
		t.Error("a refused cross-site logout ended the session")
	}
	same := b.do(http.MethodPost, "/logout", nil, http.Header{"Origin": {ts.URL}, "Accept": {"application/json"}})
	if same.Status != http.StatusOK {
		t.Errorf("same-origin logout: %d, want 200", same.Status)
	}
}

func TestAdminChangeRevokesSessions(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	ts.addUser(t, "erin", "correct horse battery", false)
	b := ts.browser(t)
	b.login("erin", "correct horse battery", http.StatusOK)
	if who := b.get("/whoami").JSON(t); who["admin"] != false {
		t.Fatalf("whoami = %v, want not admin", who)
	}
	if _, err := ts.cli(t, "", "user", "admin", "--username", "erin"); err != nil {
		t.Fatal(err)
	}
	// The change reaches this node's access model through the log; poll
	// until it does (bounded), then the old session must be gone.
	deadline := time.Now().Add(5 * time.Second)
	for b.get("/me").Status != http.StatusUnauthorized {
		if time.Now().After(deadline) {
			t.Fatal("session survived an admin change")
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.login("erin", "correct horse battery", http.StatusOK)
	if who := b.get("/whoami").JSON(t); who["admin"] != true {
		t.Errorf("whoami after re-login = %v, want admin", who)
	}
}

func TestBootstrapAdminAndCookieScope(t *testing.T) {
	t.Parallel()
	ts := startServer(t, map[string]string{
		"ADMIN_BOOTSTRAP_USERS": "frank:frank@example.com",
		"APP_BASE_URL":          "https://auth.example.com",
		"SESSION_COOKIE_DOMAIN": "example.com",
	})
	ts.addUser(t, "frank", "correct horse battery", false)
	b := ts.browser(t)
	res := b.do(http.MethodPost, "/api/auth/login", map[string]string{"username": "frank", "password": "correct horse battery"}, nil)
	if res.Status != http.StatusOK {
		t.Fatalf("login: %d %s", res.Status, res.Body)
	}
	set := res.Header.Get("Set-Cookie")
	for _, want := range []string{"Domain=example.com", "Secure", "HttpOnly", "SameSite=Lax"} {
		if !strings.Contains(set, want) {
			t.Errorf("Set-Cookie %q lacks %s", set, want)
		}
	}
	if hsts := res.Header.Get("Strict-Transport-Security"); !strings.Contains(hsts, "max-age=31536000") {
		t.Errorf("HSTS = %q on an https base URL", hsts)
	}
	out, err := ts.cli(t, "", "audit", "export", "--stream", "user-"+strings.TrimSpace(mustUserID(t, ts, "frank")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, `"reason":"bootstrap"`) {
		t.Errorf("no bootstrap admin grant in frank's stream:\n%s", out)
	}
}

func mustUserID(t *testing.T, ts *testServer, name string) string {
	t.Helper()
	out, err := ts.cli(t, "", "audit", "export", "--stream", "username-"+name)
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(out, `"userId":"`)
	id, _, ok2 := strings.Cut(rest, `"`)
	if !ok || !ok2 {
		t.Fatalf("no claim for %s: %s", name, out)
	}
	return id
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	res := ts.browser(t).get("/")
	want := map[string]string{
		"X-Frame-Options":         "DENY",
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "strict-origin-when-cross-origin",
		"Content-Security-Policy": "default-src 'none'; script-src 'self'",
	}
	for h, v := range want {
		if got := res.Header.Get(h); !strings.HasPrefix(got, v) {
			t.Errorf("%s = %q, want %q...", h, got, v)
		}
	}
	if got := res.Header.Get("Strict-Transport-Security"); got != "" {
		t.Errorf("HSTS on plain http without FORCE_HSTS: %q", got)
	}
	if res.Header.Get("X-Request-Id") == "" {
		t.Error("no X-Request-Id")
	}
}

// A cookie signed with the right secret but naming a position this log never
// reached (a database started afresh) is simply not a session: no waiting,
// no 503, the login page works.
func TestCookieFromAnotherLogIsIgnored(t *testing.T) {
	t.Parallel()
	secret := strings.Repeat("k", 40)
	first := startServer(t, map[string]string{"SESSION_SECRET": secret, "APP_BASE_URL": "http://auth.example.test"})
	first.addUser(t, "rita", "correct horse battery", false)
	b := first.browser(t)
	b.login("rita", "correct horse battery", http.StatusOK)
	cookie := b.cookie("/", "authportal_session")

	// A fresh log: its head is behind the position the cookie names.
	second := startServer(t, map[string]string{"SESSION_SECRET": secret, "APP_BASE_URL": "http://auth.example.test"})
	other := second.browser(t)
	res := other.do(http.MethodGet, "/whoami", nil, http.Header{"Cookie": {"authportal_session=" + cookie}})
	if res.Status != http.StatusOK || res.JSON(t)["authenticated"] != false {
		t.Errorf("whoami with a foreign cookie: %d %s, want 200 unauthenticated (not a wait ending in 503)", res.Status, res.Body)
	}
}
