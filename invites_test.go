package main

import (
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// sink is a real SMTP server in the test process that keeps every message.
type sink struct {
	mu   sync.Mutex
	msgs []string
}

func (s *sink) NewSession(*smtp.Conn) (smtp.Session, error) { return &sinkSession{s: s}, nil }

func (s *sink) messages() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.msgs...)
}

type sinkSession struct{ s *sink }

func (*sinkSession) Mail(string, *smtp.MailOptions) error { return nil }
func (*sinkSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (*sinkSession) Reset()                               {}
func (*sinkSession) Logout() error                        { return nil }
func (ss *sinkSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	ss.s.msgs = append(ss.s.msgs, string(b))
	return nil
}

func startSink(t *testing.T) (*sink, int) {
	t.Helper()
	s := &sink{}
	srv := smtp.NewServer(s)
	srv.Domain = "localhost"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return s, ln.Addr().(*net.TCPAddr).Port
}

var inviteLink = regexp.MustCompile(`http://127\.0\.0\.1:\d+/invite/([A-Za-z0-9]+)`)

// waitForMail returns the invite token of the n-th message the sink holds.
func waitForMail(t *testing.T, s *sink, n int) string {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; {
		if msgs := s.messages(); len(msgs) >= n {
			m := inviteLink.FindStringSubmatch(msgs[n-1])
			if m == nil {
				t.Fatalf("no invite link in the mail:\n%s", msgs[n-1])
			}
			return m[1]
		}
		if time.Now().After(deadline) {
			t.Fatal("no invite mail arrived")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func acceptForm(username, password string) url.Values {
	return url.Values{"username": {username}, "display_name": {"A Friend"}, "password": {password}, "password2": {password}}
}

func TestInviteByEmailThenAcceptOverHTTP(t *testing.T) {
	t.Parallel()
	mails, port := startSink(t)
	ts := startServer(t, map[string]string{"SMTP_HOST": "127.0.0.1", "SMTP_PORT": strconv.Itoa(port),
		"SMTP_FROM": "portal@example.test", "SMTP_SECURITY": "none"})
	ts.addUser(t, "admin", "admin passphrase", true)
	admin := ts.browser(t)
	admin.login("admin", "admin passphrase", http.StatusOK)

	// Only an admin may invite.
	ts.addUser(t, "plain", "plain passphrase", false)
	plain := ts.browser(t)
	plain.login("plain", "plain passphrase", http.StatusOK)
	if res := plain.post("/api/users", map[string]any{"email": "x@example.test"}); res.Status != http.StatusForbidden {
		t.Errorf("a non-admin's invite: status %d, want 403", res.Status)
	}

	// The admin can look at the mail before anyone gets it; nobody else can.
	if res := plain.get("/api/admin/invites/preview"); res.Status != http.StatusForbidden {
		t.Errorf("a non-admin's preview: status %d, want 403", res.Status)
	}
	preview := admin.get("/api/admin/invites/preview")
	if p := preview.JSON(t); preview.Status != http.StatusOK || !strings.Contains(p["html"].(string), ts.URL+"/invite/EXAMPLE-TOKEN") ||
		!strings.Contains(p["text"].(string), ts.URL+"/invite/EXAMPLE-TOKEN") || !strings.Contains(p["subject"].(string), "invitation") {
		t.Errorf("preview: %d %s", preview.Status, preview.Body)
	}

	res := admin.post("/api/users", map[string]any{"email": "friend@example.test", "role": "user", "permission_mode": "allow_all", "permitted_hosts": []string{}})
	if res.Status != http.StatusCreated {
		t.Fatalf("POST /api/users: %d %s", res.Status, res.Body)
	}
	body := res.JSON(t)
	inviteID, _ := body["id"].(string)
	if inviteID == "" || body["state"] != "pending" || body["invite_url"] != nil {
		t.Errorf("answer: %s; want an id, state pending and no link", res.Body)
	}

	token := waitForMail(t, mails, 1)
	if strings.Contains(string(res.Body), token) {
		t.Error("the API answer contains the invite's secret")
	}

	friend := ts.browser(t)
	page := friend.get("/invite/" + token)
	if page.Status != http.StatusOK || !strings.Contains(string(page.Body), "friend@example.test") || !strings.Contains(string(page.Body), `id="invite-form"`) {
		t.Fatalf("accept page: %d\n%s", page.Status, page.Body)
	}
	// A username someone took meanwhile gets a plain message and the form again.
	ts.addUser(t, "taken", "some passphrase", false)
	if res := friend.post("/invite/"+token, acceptForm("Taken", "friend passphrase")); res.Status != http.StatusConflict || !strings.Contains(string(res.Body), "That username is taken") {
		t.Errorf("taken username: %d\n%s", res.Status, res.Body)
	}
	if res := friend.post("/invite/"+token, acceptForm("friend", "short")); res.Status != http.StatusUnprocessableEntity || !strings.Contains(string(res.Body), "at least 8 characters") {
		t.Errorf("weak password: %d\n%s", res.Status, res.Body)
	}
	res = friend.post("/invite/"+token, acceptForm("friend", "friend passphrase"))
	if res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/home" {
		t.Fatalf("accept: %d %s\n%s", res.Status, res.Header.Get("Location"), res.Body)
	}
	who := friend.get("/whoami").JSON(t)
	if who["username"] != "friend" || who["authorized"] != true {
		t.Errorf("whoami after accept: %v; want friend, authorized", who)
	}
	// The new account signs in with its password like any other.
	again := ts.browser(t)
	again.login("FRIEND", "friend passphrase", http.StatusOK)

	// The link is spent: a clear page, not a stack trace.
	other := ts.browser(t)
	if res := other.get("/invite/" + token); res.Status != http.StatusGone || !strings.Contains(string(res.Body), "already used") {
		t.Errorf("used invite: %d\n%s", res.Status, res.Body)
	}
	if res := other.post("/invite/"+token, acceptForm("second", "second passphrase")); res.Status != http.StatusGone {
		t.Errorf("reusing the link: %d, want 410", res.Status)
	}
	if res := other.get("/invite/nonsense"); res.Status != http.StatusNotFound || !strings.Contains(string(res.Body), "not valid") {
		t.Errorf("unknown token: %d", res.Status)
	}

	// The console lists it as accepted.
	deadline := time.Now().Add(10 * time.Second)
	for {
		list := admin.get("/api/admin/invites").JSON(t)
		invites, _ := list["invites"].([]any)
		if len(invites) == 1 && invites[0].(map[string]any)["state"] == "accepted" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("invite list: %v; want the invite, accepted", list)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestLinkInviteExpiresAndCanBeRevoked(t *testing.T) {
	t.Parallel()
	ts := startServer(t, map[string]string{"INVITE_TTL": "1h"})
	ts.addUser(t, "admin", "admin passphrase", true)
	admin := ts.browser(t)
	admin.login("admin", "admin passphrase", http.StatusOK)

	// The link is built on APP_BASE_URL, never on what the client says the host is.
	res := admin.do(http.MethodPost, "/api/admin/invites", map[string]any{"link": true, "max_uses": 2},
		http.Header{"X-Forwarded-Host": {"evil.example"}, "Forwarded": {"host=evil.example"}})
	if res.Status != http.StatusCreated {
		t.Fatalf("create link invite: %d %s", res.Status, res.Body)
	}
	link, _ := res.JSON(t)["invite_url"].(string)
	if !strings.HasPrefix(link, ts.URL+"/invite/") {
		t.Fatalf("invite_url %q, want a link on APP_BASE_URL", link)
	}
	path := strings.TrimPrefix(link, ts.URL)

	// A link carries the role and permissions it was made with, like a mail invite.
	narrowed := admin.post("/api/admin/invites", map[string]any{"link": true, "role": "admin", "permission_mode": "deny_all"})
	if body := narrowed.JSON(t); narrowed.Status != http.StatusCreated || body["role"] != "admin" || body["permission_mode"] != "deny_all" {
		t.Errorf("link invite with a role and a mode: %d %s", narrowed.Status, narrowed.Body)
	}

	revoked := admin.post("/api/admin/invites", map[string]any{"link": true})
	revokedID, _ := revoked.JSON(t)["id"].(string)
	revokedPath := strings.TrimPrefix(revoked.JSON(t)["invite_url"].(string), ts.URL)
	if res := admin.post("/api/admin/invites/"+revokedID+"/revoke", nil); res.Status != http.StatusOK {
		t.Fatalf("revoke: %d %s", res.Status, res.Body)
	}
	if res := ts.browser(t).get(revokedPath); res.Status != http.StatusGone || !strings.Contains(string(res.Body), "withdrawn") {
		t.Errorf("revoked invite: %d\n%s", res.Status, res.Body)
	}
	if res := admin.post("/api/admin/invites/"+revokedID+"/resend", nil); res.Status != http.StatusGone {
		t.Errorf("resend of a revoked invite: %d, want 410", res.Status)
	}

	first := ts.browser(t)
	if res := first.post(path, acceptForm("first", "first passphrase")); res.Status != http.StatusSeeOther {
		t.Fatalf("first use: %d\n%s", res.Status, res.Body)
	}
	ts.clock.Advance(time.Hour)
	if res := ts.browser(t).post(path, acceptForm("second", "second passphrase")); res.Status != http.StatusGone || !strings.Contains(string(res.Body), "expired") {
		t.Errorf("expired invite: %d\n%s", res.Status, res.Body)
	}
}

func TestAcceptedInviteEnrollsAnAuthenticatorFirstWhenMFAIsEnforced(t *testing.T) {
	t.Parallel()
	ts := startServer(t, map[string]string{"MFA_ENFORCE": "1"})
	ts.addUser(t, "admin", "admin passphrase", true)
	admin := ts.browser(t)
	admin.login("admin", "admin passphrase", http.StatusOK)
	// A session still owing its authenticator may not invite.
	if res := admin.post("/api/admin/invites", map[string]any{"link": true}); res.Status != http.StatusUnauthorized {
		t.Fatalf("invite from a session pending enrollment: %d, want 401", res.Status)
	}
	enroll(t, ts, admin)
	res := admin.post("/api/admin/invites", map[string]any{"link": true})
	if res.Status != http.StatusCreated {
		t.Fatalf("create invite: %d %s", res.Status, res.Body)
	}
	path := strings.TrimPrefix(res.JSON(t)["invite_url"].(string), ts.URL)

	friend := ts.browser(t)
	res = friend.post(path, acceptForm("friend", "friend passphrase"))
	if res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/mfa/enroll" {
		t.Fatalf("accept under MFA_ENFORCE: %d to %q, want 303 to /mfa/enroll", res.Status, res.Header.Get("Location"))
	}
	if res := friend.get("/me"); res.Status != http.StatusUnauthorized {
		t.Errorf("/me before enrolling: %d, want 401", res.Status)
	}
	enroll(t, ts, friend)
	if who := friend.get("/whoami").JSON(t); who["username"] != "friend" || who["authorized"] != true {
		t.Errorf("whoami after enrolling: %v", who)
	}
}

func TestInvitedUserGetsTheInvitesHostPermissions(t *testing.T) {
	t.Parallel()
	mails, port := startSink(t)
	ts := startServer(t, map[string]string{"SMTP_HOST": "127.0.0.1", "SMTP_PORT": strconv.Itoa(port),
		"SMTP_FROM": "portal@example.test", "SMTP_SECURITY": "none"})
	ts.addUser(t, "admin", "admin passphrase", true)
	admin := ts.browser(t)
	admin.login("admin", "admin passphrase", http.StatusOK)
	hostID := func(name string) string {
		res := admin.post("/api/admin/hosts", map[string]any{"host": name})
		if res.Status != http.StatusOK && res.Status != http.StatusCreated {
			t.Fatalf("add host %s: %d %s", name, res.Status, res.Body)
		}
		id, _ := res.JSON(t)["id"].(string)
		return id
	}
	allowed := hostID("jellyseerr.example.test")
	hostID("sonarr.example.test")

	if res := admin.post("/api/users", map[string]any{"email": "friend@example.test", "permission_mode": "deny_all",
		"permitted_hosts": []string{"no-such-host"}}); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("invite naming an unknown host: %d, want 422", res.Status)
	}
	res := admin.post("/api/users", map[string]any{"email": "friend@example.test", "role": "user", "permission_mode": "deny_all",
		"permitted_hosts": []string{allowed}})
	if res.Status != http.StatusCreated {
		t.Fatalf("POST /api/users: %d %s", res.Status, res.Body)
	}
	token := waitForMail(t, mails, 1)
	if res := ts.browser(t).post("/invite/"+token, acceptForm("friend", "friend passphrase")); res.Status != http.StatusSeeOther {
		t.Fatalf("accept: %d\n%s", res.Status, res.Body)
	}
	explain := func(host string) map[string]any {
		return admin.get("/api/admin/access/explain?user=friend&host=" + host).JSON(t)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		a, o := explain("jellyseerr.example.test"), explain("sonarr.example.test")
		if a["allowed"] == true && a["reason"] == "allowed_host" && o["allowed"] == false && o["reason"] == "deny_all" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("explain: %v and %v; want the invited host allowed and the other denied (deny_all)", a, o)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
