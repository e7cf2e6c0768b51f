package main

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// The admin console page and the per-user actions it drives, against a
// whole server on a real database.

func TestAdminConsolePage(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	ts.addUser(t, "root", "correct horse battery", true)
	ts.addUser(t, "friend", "correct horse battery", false)
	admin, friend, anon := ts.browser(t), ts.browser(t), ts.browser(t)
	admin.login("root", "correct horse battery", http.StatusOK)
	friend.login("friend", "correct horse battery", http.StatusOK)

	res := anon.get("/admin")
	if res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/?next=/admin" {
		t.Errorf("anonymous /admin: got %d Location %q, want 303 to /?next=/admin", res.Status, res.Header.Get("Location"))
	}
	// The sign-in page sends the visitor back to the console afterwards.
	if login := anon.get("/?next=/admin"); !strings.Contains(string(login.Body), `data-next="/admin"`) {
		t.Errorf("the sign-in page does not carry next=/admin: %s", login.Body)
	}

	res = friend.get("/admin")
	if res.Status != http.StatusForbidden || !strings.Contains(string(res.Body), `id="admin-forbidden"`) ||
		strings.Contains(string(res.Body), "admin.js") || strings.Contains(string(res.Body), `role="tablist"`) {
		t.Errorf("non-admin /admin: got %d %s, want the 403 page without the console", res.Status, res.Body)
	}
	if home := friend.get("/home"); strings.Contains(string(home.Body), `href="/admin"`) {
		t.Error("a non-admin's home page links to the console")
	}

	res = admin.get("/admin")
	body := string(res.Body)
	if res.Status != http.StatusOK || !strings.Contains(body, `<script src="/static/admin.js">`) ||
		!strings.Contains(body, `id="tab-users"`) || !strings.Contains(body, `id="tab-hosts"`) {
		t.Fatalf("admin /admin: got %d %s, want the console with the users and hosts tabs", res.Status, body)
	}
	// A tab for each API this server registers, and no other.
	for _, tab := range []string{"providers", "security", "mfa", "smtp", "history", "backups", "clients", "invites", "audit"} {
		if !strings.Contains(body, `id="tab-`+tab+`"`) || !strings.Contains(body, `id="panel-`+tab+`"`) {
			t.Errorf("admin /admin: no %s tab", tab)
		}
	}
	if home := admin.get("/home"); !strings.Contains(string(home.Body), `href="/admin"`) {
		t.Error("an admin's home page does not link to the console")
	}
	for _, asset := range []string{"/static/admin.js", "/static/admin.css"} {
		if res := admin.get(asset); res.Status != http.StatusOK || len(res.Body) == 0 {
			t.Errorf("%s: got %d", asset, res.Status)
		}
	}

	// The standing is read from the access model, not the cookie: an admin
	// whose grant is taken away loses the console with their next request.
	// (Taking admin away ends their sessions, so they sign in again.)
	ts.addUser(t, "deputy", "correct horse battery", true)
	deputy := ts.browser(t)
	deputy.login("deputy", "correct horse battery", http.StatusOK)
	if _, err := ts.cli(t, "", "user", "admin", "--username", "deputy", "--revoke"); err != nil {
		t.Fatal(err)
	}
	deputy.login("deputy", "correct horse battery", http.StatusOK)
	if res := deputy.get("/admin"); res.Status != http.StatusForbidden {
		t.Errorf("a former admin's /admin: got %d, want 403", res.Status)
	}
}

func TestAdminUserActionsAPI(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	rootID := ts.addUser(t, "root", "correct horse battery", true)
	friendID := ts.addUser(t, "friend", "correct horse battery", false)
	admin, friend, friend2, anon := ts.browser(t), ts.browser(t), ts.browser(t), ts.browser(t)
	admin.login("root", "correct horse battery", http.StatusOK)
	friend.header.Set("User-Agent", "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Version/18.0 Mobile Safari/604.1")
	friend.login("friend", "correct horse battery", http.StatusOK)
	friend2.login("friend", "correct horse battery", http.StatusOK)
	path := "/api/admin/users/" + friendID

	wantProblem(t, "anonymous sessions", anon.get(path+"/sessions"), http.StatusUnauthorized, "unauthenticated")
	wantProblem(t, "non-admin sessions", friend.get(path+"/sessions"), http.StatusForbidden, "not-admin")
	wantProblem(t, "non-admin grant", friend.do(http.MethodPut, "/api/admin/users/"+friendID+"/admin", map[string]any{"admin": true}, nil), http.StatusForbidden, "not-admin")
	cross := admin.do(http.MethodPost, path+"/sessions/revoke", nil, http.Header{"Origin": {"https://evil.example"}})
	wantProblem(t, "cross-origin revoke", cross, http.StatusForbidden, "cross-origin")
	wantProblem(t, "unknown user", admin.get("/api/admin/users/nope/sessions"), http.StatusNotFound, "user-not-found")

	devices := wantStatus(t, "sessions", admin.get(path+"/sessions"), http.StatusOK)
	sessions := devices["sessions"].([]any)
	if len(sessions) != 2 {
		t.Fatalf("sessions = %v, want the friend's two", devices)
	}
	var phone string
	for _, s := range sessions {
		s := s.(map[string]any)
		if strings.Contains(s["device"].(string), "iPhone") {
			phone = s["id"].(string)
		}
		if s["provider"] != "local" || s["startedAt"] == "" {
			t.Errorf("session = %v", s)
		}
	}
	if phone == "" {
		t.Fatalf("no session is named for the iPhone: %v", sessions)
	}

	// One device: the session must be that user's.
	rootSessions := wantStatus(t, "root's sessions", admin.get("/api/admin/users/"+rootID+"/sessions"), http.StatusOK)["sessions"].([]any)
	rootSession := rootSessions[0].(map[string]any)["id"].(string)
	wantProblem(t, "another user's session", admin.do(http.MethodDelete, path+"/sessions/"+rootSession, nil, nil), http.StatusNotFound, "session-not-found")
	wantStatus(t, "admin still signed in", admin.get("/api/admin/users"), http.StatusOK)
	wantStatus(t, "revoke the phone", admin.do(http.MethodDelete, path+"/sessions/"+phone, nil, nil), http.StatusNoContent)
	if who := friend.get("/whoami").JSON(t); who["authenticated"] != false {
		t.Errorf("the phone after its revocation: %v", who)
	}
	if who := friend2.get("/whoami").JSON(t); who["authenticated"] != true {
		t.Errorf("the other device after the phone's revocation: %v", who)
	}
	if left := wantStatus(t, "sessions", admin.get(path+"/sessions"), http.StatusOK)["sessions"].([]any); len(left) != 1 {
		t.Errorf("after one revocation, sessions = %v, want one", left)
	}

	// Every device.
	wantStatus(t, "revoke all", admin.post(path+"/sessions/revoke", nil), http.StatusNoContent)
	if who := friend2.get("/whoami").JSON(t); who["authenticated"] != false {
		t.Errorf("after sign-out everywhere: %v", who)
	}
	if left := wantStatus(t, "sessions", admin.get(path+"/sessions"), http.StatusOK)["sessions"].([]any); len(left) != 0 {
		t.Errorf("after sign-out everywhere, sessions = %v", left)
	}

	// Admin flag: granted, shown, and usable at once; never taken from oneself.
	u := wantStatus(t, "grant", admin.do(http.MethodPut, path+"/admin", map[string]any{"admin": true}, nil), http.StatusOK)
	if u["admin"] != true || u["id"] != friendID {
		t.Errorf("after the grant: %v", u)
	}
	friend.login("friend", "correct horse battery", http.StatusOK)
	wantStatus(t, "the new admin lists users", friend.get("/api/admin/users"), http.StatusOK)
	p := wantProblem(t, "revoke own admin", admin.do(http.MethodPut, "/api/admin/users/"+rootID+"/admin", map[string]any{"admin": false}, nil),
		http.StatusUnprocessableEntity, "invalid-input")
	if !strings.Contains(p["detail"].(string), "another admin") {
		t.Errorf("own revoke refused with %v", p)
	}
	wantProblem(t, "a wrong field", admin.do(http.MethodPut, path+"/admin", map[string]any{"isAdmin": false}, nil), http.StatusUnprocessableEntity, "invalid-input")
	u = wantStatus(t, "revoke", admin.do(http.MethodPut, path+"/admin", map[string]any{"admin": false}, nil), http.StatusOK)
	if u["admin"] != false {
		t.Errorf("after the revoke: %v", u)
	}
	if res := friend.get("/api/admin/users"); res.Status != http.StatusUnauthorized && res.Status != http.StatusForbidden {
		t.Errorf("the former admin lists users: %d", res.Status)
	}

	// MFA reset: nothing to reset, then a real authenticator taken away.
	if r := wantStatus(t, "reset without MFA", admin.post(path+"/mfa/reset", nil), http.StatusOK); r["reset"] != false {
		t.Errorf("reset without an authenticator = %v, want reset false", r)
	}
	friend.login("friend", "correct horse battery", http.StatusOK)
	enroll(t, ts, friend)
	if r := wantStatus(t, "reset", admin.post(path+"/mfa/reset", nil), http.StatusOK); r["reset"] != true {
		t.Errorf("reset = %v, want reset true", r)
	}
	if login := friend.login("friend", "correct horse battery", http.StatusOK).JSON(t); login["mfaRequired"] == true {
		t.Errorf("after the reset the password alone signs in: %v", login)
	}
}

func TestAdminAuditAPI(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	rootID := ts.addUser(t, "root", "correct horse battery", true)
	friendID := ts.addUser(t, "friend", "correct horse battery", false)
	admin, friend, anon := ts.browser(t), ts.browser(t), ts.browser(t)
	admin.login("root", "correct horse battery", http.StatusOK)
	friend.login("friend", "correct horse battery", http.StatusOK)

	wantProblem(t, "anonymous audit", anon.get("/api/admin/audit"), http.StatusUnauthorized, "unauthenticated")
	wantProblem(t, "non-admin audit", friend.get("/api/admin/audit"), http.StatusForbidden, "not-admin")

	wantStatus(t, "disable", admin.do(http.MethodPut, "/api/admin/users/"+friendID+"/disabled", map[string]any{"disabled": true}, nil), http.StatusOK)
	wantStatus(t, "enable", admin.do(http.MethodPut, "/api/admin/users/"+friendID+"/disabled", map[string]any{"disabled": false}, nil), http.StatusOK)

	// By the admin's username, a type and the friend's stream.
	page := wantStatus(t, "audit", admin.get("/api/admin/audit?actor=root&type=user.disabled&stream=user-"+friendID), http.StatusOK)
	events := page["events"].([]any)
	if len(events) != 1 || page["next"] != nil {
		t.Fatalf("audit = %v, want the one disable and no next page", page)
	}
	e := events[0].(map[string]any)
	if e["actor"] != rootID || e["actorName"] != "root" || e["actorKind"] != "admin" || e["stream"] != "user-"+friendID ||
		e["data"].(map[string]any)["reason"] != "console" || e["recordedAt"] == "" {
		t.Errorf("event = %v", e)
	}

	// Pages: newest first, each page's next is where the following starts.
	first := wantStatus(t, "page 1", admin.get("/api/admin/audit?limit=2"), http.StatusOK)
	second := wantStatus(t, "page 2", admin.get("/api/admin/audit?limit=2&before="+jsonNumber(first["next"])), http.StatusOK)
	p1, p2 := first["events"].([]any), second["events"].([]any)
	if len(p1) != 2 || len(p2) != 2 || p1[0].(map[string]any)["type"] != "user.enabled" ||
		p1[1].(map[string]any)["position"].(float64) <= p2[0].(map[string]any)["position"].(float64) {
		t.Errorf("pages = %v then %v", p1, p2)
	}

	// Bad filters: a plain-words problem that names the field, never the value.
	p := wantProblem(t, "bad since", admin.get("/api/admin/audit?since=yesterday"), http.StatusUnprocessableEntity, "invalid-input")
	if !strings.Contains(p["detail"].(string), "(since)") || strings.Contains(string(admin.get("/api/admin/audit?since=yesterday").Body), "yesterday") {
		t.Errorf("bad since: %v", p)
	}
	wantProblem(t, "limit too high", admin.get("/api/admin/audit?limit=100000"), http.StatusUnprocessableEntity, "invalid-input")
}

// jsonNumber prints a JSON number as an integer for a query string.
func jsonNumber(v any) string {
	f, _ := v.(float64)
	return strconv.FormatInt(int64(f), 10)
}
