package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The admin API of forward auth, against a whole server on a real
// database: protected hosts, users, permissions, disabling, and explain.

// wantProblem fails unless res is a problem of status and type, and returns it.
func wantProblem(t *testing.T, what string, res response, status int, typ string) map[string]any {
	t.Helper()
	if res.Status != status || res.problemType(t) != "urn:authportal:problem:"+typ {
		t.Fatalf("%s: got %d %s, want %d %s", what, res.Status, res.Body, status, typ)
	}
	return res.JSON(t)
}

func wantStatus(t *testing.T, what string, res response, status int) map[string]any {
	t.Helper()
	if res.Status != status {
		t.Fatalf("%s: got %d %s, want %d", what, res.Status, res.Body, status)
	}
	if len(res.Body) == 0 {
		return nil
	}
	return res.JSON(t)
}

func TestAdminHostsAPI(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	ts.addUser(t, "root", "correct horse battery", true)
	ts.addUser(t, "friend", "correct horse battery", false)
	admin, friend, anon := ts.browser(t), ts.browser(t), ts.browser(t)
	admin.login("root", "correct horse battery", http.StatusOK)
	friend.login("friend", "correct horse battery", http.StatusOK)

	wantProblem(t, "anonymous list", anon.get("/api/admin/hosts"), http.StatusUnauthorized, "unauthenticated")
	wantProblem(t, "non-admin list", friend.get("/api/admin/hosts"), http.StatusForbidden, "not-admin")
	wantProblem(t, "non-admin add", friend.post("/api/admin/hosts", map[string]any{"host": "x.example.com"}), http.StatusForbidden, "not-admin")
	cross := admin.do(http.MethodPost, "/api/admin/hosts", map[string]any{"host": "x.example.com"}, http.Header{"Origin": {"https://evil.example"}})
	wantProblem(t, "cross-origin add", cross, http.StatusForbidden, "cross-origin")

	app := wantStatus(t, "add", admin.post("/api/admin/hosts", map[string]any{"host": "Jellyseerr.Example.com.", "name": "Jellyseerr"}), http.StatusCreated)
	if app["host"] != "jellyseerr.example.com" || app["name"] != "Jellyseerr" || app["forwardAuth"] != true || app["id"] == "" {
		t.Fatalf("added host = %v, want it lower case, without the dot, forward auth on by default", app)
	}
	appID := app["id"].(string)
	wantProblem(t, "duplicate", admin.post("/api/admin/hosts", map[string]any{"host": "JELLYSEERR.example.com"}), http.StatusConflict, "host-taken")
	for _, bad := range []string{"https://app.example.com", "app.example.com:8443", "a.*.example.com", "", "app_1.example.com"} {
		p := wantProblem(t, "bad host "+bad, admin.post("/api/admin/hosts", map[string]any{"host": bad}), http.StatusUnprocessableEntity, "invalid-input")
		errs, _ := p["errors"].([]any)
		if len(errs) == 0 || errs[0].(map[string]any)["location"] != "body.host" || !strings.Contains(p["detail"].(string), "(host)") {
			t.Errorf("bad host %q: problem %v does not name the host field", bad, p)
		}
		if bad != "" && strings.Contains(p["detail"].(string), bad) {
			t.Errorf("bad host %q: the detail echoes the value: %v", bad, p["detail"])
		}
	}
	wrong := admin.post("/api/admin/hosts", map[string]any{"hostname": "app.example.com"})
	if wrong.Status != http.StatusUnprocessableEntity || strings.Contains(string(wrong.Body), "app.example.com") {
		t.Errorf("a wrong field name: got %d %s, want 422 that does not echo the value", wrong.Status, wrong.Body)
	}
	wild := wantStatus(t, "add wildcard", admin.post("/api/admin/hosts", map[string]any{"host": "*.Apps.example.com", "forwardAuth": false}), http.StatusCreated)
	if wild["host"] != "*.apps.example.com" || wild["forwardAuth"] != false || wild["name"] != "*.apps.example.com" {
		t.Errorf("wildcard = %v", wild)
	}
	idn := wantStatus(t, "add IDN", admin.post("/api/admin/hosts", map[string]any{"host": "bücher.example"}), http.StatusCreated)
	if idn["host"] != "xn--bcher-kva.example" {
		t.Errorf("IDN host stored as %v, want punycode", idn["host"])
	}

	list := wantStatus(t, "list", admin.get("/api/admin/hosts"), http.StatusOK)
	if hosts := list["hosts"].([]any); len(hosts) != 3 {
		t.Fatalf("list = %v, want 3 hosts", list)
	}

	upd := wantStatus(t, "update", admin.do(http.MethodPut, "/api/admin/hosts/"+appID, map[string]any{"host": "requests.example.com", "name": "Requests", "forwardAuth": true}, nil), http.StatusOK)
	if upd["host"] != "requests.example.com" || upd["name"] != "Requests" || upd["id"] != appID {
		t.Errorf("updated = %v", upd)
	}
	wantStatus(t, "old name free after rename", admin.post("/api/admin/hosts", map[string]any{"host": "jellyseerr.example.com"}), http.StatusCreated)
	wantProblem(t, "rename onto a taken name", admin.do(http.MethodPut, "/api/admin/hosts/"+appID, map[string]any{"host": "jellyseerr.example.com"}, nil), http.StatusConflict, "host-taken")
	wantProblem(t, "update unknown", admin.do(http.MethodPut, "/api/admin/hosts/nope", map[string]any{"host": "z.example.com"}, nil), http.StatusNotFound, "host-not-found")
	wantProblem(t, "non-admin remove", friend.do(http.MethodDelete, "/api/admin/hosts/"+appID, nil, nil), http.StatusForbidden, "not-admin")

	wantStatus(t, "remove", admin.do(http.MethodDelete, "/api/admin/hosts/"+appID, nil, nil), http.StatusNoContent)
	wantProblem(t, "remove twice", admin.do(http.MethodDelete, "/api/admin/hosts/"+appID, nil, nil), http.StatusNotFound, "host-not-found")
	for _, h := range wantStatus(t, "list after remove", admin.get("/api/admin/hosts"), http.StatusOK)["hosts"].([]any) {
		if h.(map[string]any)["id"] == appID {
			t.Errorf("removed host still listed: %v", h)
		}
	}
}

func TestAdminUsersAPI(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	rootID := ts.addUser(t, "root", "correct horse battery", true)
	friendID := ts.addUser(t, "friend", "correct horse battery", false)
	admin, friend, anon := ts.browser(t), ts.browser(t), ts.browser(t)
	admin.login("root", "correct horse battery", http.StatusOK)
	friend.login("friend", "correct horse battery", http.StatusOK)
	app := wantStatus(t, "add", admin.post("/api/admin/hosts", map[string]any{"host": "app.example.com"}), http.StatusCreated)["id"].(string)
	other := wantStatus(t, "add", admin.post("/api/admin/hosts", map[string]any{"host": "*.example.org"}), http.StatusCreated)["id"].(string)

	wantProblem(t, "anonymous list", anon.get("/api/admin/users"), http.StatusUnauthorized, "unauthenticated")
	wantProblem(t, "non-admin list", friend.get("/api/admin/users"), http.StatusForbidden, "not-admin")
	wantProblem(t, "non-admin explain", friend.get("/api/admin/access/explain?user=friend&host=app.example.com"), http.StatusForbidden, "not-admin")

	users := wantStatus(t, "list", admin.get("/api/admin/users"), http.StatusOK)["users"].([]any)
	if len(users) != 2 {
		t.Fatalf("users = %v, want root and friend", users)
	}
	f := users[0].(map[string]any) // by username: friend, root
	if f["id"] != friendID || f["username"] != "friend" || f["email"] != "friend@example.com" || f["provider"] != "local" ||
		f["authorized"] != true || f["admin"] != false || f["disabled"] != false {
		t.Errorf("friend listed as %v", f)
	}
	if p := f["permissions"].(map[string]any); p["mode"] != "allow_all" || len(p["hosts"].([]any)) != 0 {
		t.Errorf("friend's permissions before any change = %v, want allow_all with no exceptions", p)
	}
	if got := wantStatus(t, "get", admin.get("/api/admin/users/"+rootID), http.StatusOK); got["admin"] != true || got["username"] != "root" {
		t.Errorf("root = %v", got)
	}
	wantProblem(t, "get unknown", admin.get("/api/admin/users/nope"), http.StatusNotFound, "user-not-found")

	explain := func(user, host string) map[string]any {
		t.Helper()
		return wantStatus(t, "explain", admin.get("/api/admin/access/explain?user="+url.QueryEscape(user)+"&host="+url.QueryEscape(host)), http.StatusOK)
	}
	if e := explain("friend", "App.Example.com:443"); e["allowed"] != true || e["reason"] != "allow_all" || e["host"].(map[string]any)["id"] != app {
		t.Errorf("explain before permissions = %v", e)
	}
	if e := explain(friendID, "nowhere.example.net"); e["allowed"] != false || e["reason"] != "unknown_host" || e["host"] != nil ||
		!strings.Contains(e["explanation"].(string), "not a protected host") {
		t.Errorf("explain of an unregistered host = %v", e)
	}
	wantProblem(t, "explain unknown user", admin.get("/api/admin/access/explain?user=nobody&host=app.example.com"), http.StatusNotFound, "user-not-found")

	perm := func(id string, body map[string]any) response {
		return admin.do(http.MethodPut, "/api/admin/users/"+id+"/permissions", body, nil)
	}
	got := wantStatus(t, "set permissions", perm(friendID, map[string]any{"mode": "deny_all", "hosts": []string{other}}), http.StatusOK)
	if p := got["permissions"].(map[string]any); p["mode"] != "deny_all" || len(p["hosts"].([]any)) != 1 || p["hosts"].([]any)[0] != other {
		t.Errorf("permissions after set = %v", p)
	}
	if e := explain("friend", "app.example.com"); e["allowed"] != false || e["reason"] != "deny_all" {
		t.Errorf("explain after deny_all = %v", e)
	}
	if e := explain("friend", "a.b.example.org"); e["allowed"] != true || e["reason"] != "allowed_host" ||
		!strings.Contains(e["explanation"].(string), "matched by *.example.org") {
		t.Errorf("explain of a listed wildcard = %v", e)
	}
	p := wantProblem(t, "unknown host id", perm(friendID, map[string]any{"mode": "deny_all", "hosts": []string{"nope"}}), http.StatusUnprocessableEntity, "invalid-input")
	if errs, _ := p["errors"].([]any); len(errs) == 0 || errs[0].(map[string]any)["location"] != "body.hosts" {
		t.Errorf("unknown host id: %v does not name the hosts field", p)
	}
	wantStatus(t, "bad mode", perm(friendID, map[string]any{"mode": "allow_some", "hosts": []string{}}), http.StatusUnprocessableEntity)
	wantProblem(t, "permissions of unknown user", perm("nope", map[string]any{"mode": "allow_all", "hosts": []string{}}), http.StatusNotFound, "user-not-found")
	cross := admin.do(http.MethodPut, "/api/admin/users/"+friendID+"/permissions", map[string]any{"mode": "allow_all", "hosts": []string{}}, http.Header{"Sec-Fetch-Site": {"cross-site"}})
	wantProblem(t, "cross-origin permissions", cross, http.StatusForbidden, "cross-origin")

	disable := func(id string, disabled bool) response {
		return admin.do(http.MethodPut, "/api/admin/users/"+id+"/disabled", map[string]any{"disabled": disabled}, nil)
	}
	wantProblem(t, "disable yourself", disable(rootID, true), http.StatusUnprocessableEntity, "invalid-input")
	wantProblem(t, "non-admin disable", friend.do(http.MethodPut, "/api/admin/users/"+rootID+"/disabled", map[string]any{"disabled": true}, nil), http.StatusForbidden, "not-admin")
	if got := wantStatus(t, "disable", disable(friendID, true), http.StatusOK); got["disabled"] != true || got["authorized"] != false {
		t.Errorf("after disable = %v", got)
	}
	untilSignedOut(t, friend, "being disabled")
	friend.login("friend", "correct horse battery", http.StatusUnauthorized)
	if e := explain("friend", "a.b.example.org"); e["allowed"] != false || e["reason"] != "disabled" {
		t.Errorf("explain of a disabled user = %v", e)
	}
	if got := wantStatus(t, "enable", disable(friendID, false), http.StatusOK); got["disabled"] != false || got["authorized"] != true {
		t.Errorf("after enable = %v", got)
	}
	friend.login("friend", "correct horse battery", http.StatusOK)
	wantProblem(t, "disable unknown", disable("nope", true), http.StatusNotFound, "user-not-found")
}
