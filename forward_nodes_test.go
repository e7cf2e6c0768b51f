package main

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/providers/mediabrowser/mbtest"
)

// verifyOn asks node ts's verify endpoint, as Caddy would, about
// http://app.test/ for the holder of the session cookie.
func verifyOn(t *testing.T, ts *testServer, cookie string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, ts.URL+"/api/auth/verify", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header = http.Header{"X-Forwarded-Method": {"GET"}, "X-Forwarded-Proto": {"http"}, "X-Forwarded-Host": {"app.test"},
		"X-Forwarded-Uri": {"/"}, "Cookie": {"authportal_session=" + cookie}}
	client := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	res.Body.Close()
	return res.StatusCode
}

// awaitVerify asks ts's verify until it answers want (polling, with a
// generous deadline: this checks that the change arrives, not how fast),
// and returns how long that took from since.
func awaitVerify(t *testing.T, ts *testServer, cookie string, want func(int) bool, what string, since time.Time) time.Duration {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		status := verifyOn(t, ts, cookie)
		if want(status) {
			return time.Since(since)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: the other node's verify still answers %d", what, status)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func is(status int) func(int) bool  { return func(s int) bool { return s == status } }
func not(status int) func(int) bool { return func(s int) bool { return s != status } }

// TestForwardAuthChangesReachOtherNodes: two nodes on one database. A
// permission change, a logout, a revocation and a lost media access made
// through one node (or the CLI) take effect at the other node's verify,
// which reads only its own in-memory model. The delays are logged, not
// asserted (run with -v to see them).
func TestForwardAuthChangesReachOtherNodes(t *testing.T) {
	t.Parallel()
	jf := mbtest.NewJellyfin(t)
	jf.AddUser(mbtest.User{ID: "jf-friend", Name: "jelly", Password: "jelly pass"})
	env := map[string]string{"APP_BASE_URL": "http://auth.example.test", "MEDIA_SERVER": "jellyfin", "LOGIN_PROVIDERS": "jellyfin,local",
		"JELLYFIN_SERVER_URL": jf.URL, "JELLYFIN_API_KEY": mbtest.APIKey, "MEDIA_RECHECK_INTERVAL": "1s"}
	one := startServer(t, env)
	other := startServer(t, sharedKeys(t, one, env))
	nina := one.addUser(t, "nina", "correct horse battery", false)
	admin := newForwardAdmin(t, one)
	admin.addHost("app.test")

	signIn := func() (*browser, string) {
		b := one.browser(t)
		b.login("nina", "correct horse battery", http.StatusOK)
		return b, b.cookie("/", "authportal_session")
	}
	b, cookie := signIn()
	// Signed in on one node a moment ago: the other waits for its model to
	// reach the session's start instead of refusing it.
	if status := verifyOn(t, other, cookie); status != http.StatusOK {
		t.Fatalf("a fresh session on the other node: %d, want 200", status)
	}

	start := time.Now()
	admin.permit(nina, domain.DenyAll)
	t.Logf("permission narrowed (deny_all): the other node's verify said 403 after %v", awaitVerify(t, other, cookie, is(http.StatusForbidden), "deny_all", start))
	start = time.Now()
	admin.permit(nina, domain.AllowAll)
	t.Logf("permission widened (allow_all): 200 after %v", awaitVerify(t, other, cookie, is(http.StatusOK), "allow_all", start))

	start = time.Now()
	if res := b.post("/logout", nil); res.Status >= 400 {
		t.Fatalf("logout: %d %s", res.Status, res.Body)
	}
	t.Logf("logout on the first node: the other's verify sent to the login page after %v",
		awaitVerify(t, other, cookie, is(http.StatusFound), "logout", start))

	_, cookie = signIn()
	start = time.Now()
	if _, err := one.cli(t, "", "user", "sessions", "revoke", "--username", "nina"); err != nil {
		t.Fatal(err)
	}
	t.Logf("sessions revoked (CLI): login page after %v", awaitVerify(t, other, cookie, is(http.StatusFound), "revoke", start))

	friend := one.browser(t)
	if res := friend.postForm("/auth/forward?jellyfin=1", url.Values{"username": {"jelly"}, "password": {"jelly pass"}}); res.Status != http.StatusOK {
		t.Fatalf("Jellyfin sign-in: %d %s", res.Status, res.Body)
	}
	jellyCookie := friend.cookie("/", "authportal_session")
	if status := verifyOn(t, other, jellyCookie); status != http.StatusOK {
		t.Fatalf("Jellyfin friend on the other node: %d, want 200", status)
	}
	jf.DeleteUser("jf-friend")
	// The re-check runs every second; the delay that counts is from the
	// revocation's entry in the log.
	deadline := time.Now().Add(15 * time.Second)
	for countEvents(t, one, `event_type = 'user.media_access_revoked'`) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the media re-check never revoked the friend's access")
		}
		time.Sleep(2 * time.Millisecond)
	}
	start = time.Now()
	t.Logf("media access lost: the other node's verify stopped letting the friend in %v after the revocation was seen in the log",
		awaitVerify(t, other, jellyCookie, not(http.StatusOK), "media access lost", start))
}
