package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/authportal/authportal/providers/mediabrowser/mbtest"
)

// provisionServer is a portal with Jellyfin enabled (with its API key) and
// a logged-in admin.
func provisionServer(t *testing.T) (*testServer, *mbtest.Server, *browser) {
	t.Helper()
	jf := mbtest.NewJellyfin(t)
	ts := startServer(t, map[string]string{"MEDIA_SERVER": "jellyfin", "JELLYFIN_SERVER_URL": jf.URL, "JELLYFIN_API_KEY": mbtest.APIKey})
	ts.addUser(t, "admin", "admin passphrase", true)
	admin := ts.browser(t)
	admin.login("admin", "admin passphrase", http.StatusOK)
	return ts, jf, admin
}

// provisionInvite makes a link invite that provisions on Jellyfin and
// returns its accept path.
func provisionInvite(t *testing.T, ts *testServer, admin *browser) string {
	t.Helper()
	res := admin.post("/api/admin/invites", map[string]any{"link": true, "provision": "jellyfin"})
	if res.Status != http.StatusCreated || res.JSON(t)["provision"] != "jellyfin" {
		t.Fatalf("create provisioning invite: %d %s", res.Status, res.Body)
	}
	return strings.TrimPrefix(res.JSON(t)["invite_url"].(string), ts.URL)
}

func TestInviteProvisionsAJellyfinAccountThatSignsInAsTheSameUser(t *testing.T) {
	t.Parallel()
	ts, jf, admin := provisionServer(t)

	// The console offers what can be asked for: Jellyfin here, not Emby.
	if got := admin.get("/api/admin/invites/provisioning").JSON(t)["servers"]; len(got.([]any)) != 1 || got.([]any)[0] != "jellyfin" {
		t.Errorf("provisioning servers = %v, want [jellyfin]", got)
	}
	// Only an enabled media server with an API key can be asked for.
	res := admin.post("/api/admin/invites", map[string]any{"link": true, "provision": "emby"})
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(string(res.Body), "provision") {
		t.Errorf("provision on Emby, which is not enabled: %d %s; want 422 naming provision", res.Status, res.Body)
	}

	path := provisionInvite(t, ts, admin)
	friend := ts.browser(t)
	if page := friend.get(path); page.Status != http.StatusOK || !strings.Contains(string(page.Body), `id="invite-media"`) {
		t.Errorf("accept page does not say it creates the Jellyfin account: %d\n%s", page.Status, page.Body)
	}
	res = friend.post(path, acceptForm("NewFriend", "friend passphrase"))
	if res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/home" {
		t.Fatalf("accept: %d to %q\n%s", res.Status, res.Header.Get("Location"), res.Body)
	}
	who := friend.get("/whoami").JSON(t)
	userID, _ := who["userId"].(string)
	if userID == "" || who["username"] != "newfriend" {
		t.Fatalf("whoami after accepting: %v", who)
	}
	mu, ok := jf.UserByName("newfriend")
	if !ok || mu.Password != "friend passphrase" || mu.IsAdministrator || mu.IsDisabled || !mu.PolicySet {
		t.Fatalf("Jellyfin has %+v (found %v), want newfriend with the chosen password, a policy, not admin", mu, ok)
	}

	// The same person signs in through the Jellyfin button and is the same
	// portal user: the identity was linked in the accept's append.
	jfb := ts.browser(t)
	done := jfb.postForm("/auth/forward?jellyfin=1", url.Values{"username": {"newfriend"}, "password": {"friend passphrase"}})
	if done.Status != http.StatusOK || !strings.Contains(string(done.Body), `data-done="1"`) {
		t.Fatalf("Jellyfin sign-in of the provisioned account: %d %s", done.Status, done.Body)
	}
	if me := jfb.get("/whoami").JSON(t); me["userId"] != userID || me["authorized"] != true {
		t.Errorf("after Jellyfin sign-in, whoami = %v; want the invited user %s with access", me, userID)
	}
	if acct := friend.get("/account"); !strings.Contains(string(acct.Body), "<strong>Jellyfin</strong>") {
		t.Errorf("account page does not list the linked Jellyfin account:\n%s", acct.Body)
	}
}

func TestInviteWithANameTakenOnJellyfinCreatesNothing(t *testing.T) {
	t.Parallel()
	ts, jf, admin := provisionServer(t)
	jf.AddUser(mbtest.User{ID: "old-id", Name: "Taken", Password: "their own pass"})
	path := provisionInvite(t, ts, admin)

	friend := ts.browser(t)
	res := friend.post(path, acceptForm("taken", "friend passphrase"))
	if res.Status != http.StatusConflict || !strings.Contains(string(res.Body), "already taken on Jellyfin") {
		t.Fatalf("name taken on Jellyfin: %d\n%s", res.Status, res.Body)
	}
	if !strings.Contains(string(res.Body), `id="invite-media"`) {
		t.Error("the form shown again no longer says it creates the Jellyfin account")
	}
	if jf.Users() != 1 {
		t.Errorf("Jellyfin has %d users, want only the one it had", jf.Users())
	}
	if u, _ := jf.User("old-id"); u.Password != "their own pass" {
		t.Error("the existing Jellyfin user's password changed")
	}
	// Nothing on the portal: no account of that name, the invite unspent.
	ts.browser(t).login("taken", "friend passphrase", http.StatusUnauthorized)
	for _, inv := range admin.get("/api/admin/invites").JSON(t)["invites"].([]any) {
		if uses := inv.(map[string]any)["uses"]; uses != float64(0) {
			t.Errorf("invite uses = %v after a refused accept, want 0", uses)
		}
	}
	// Another name works with the same invite.
	if res := friend.post(path, acceptForm("other", "friend passphrase")); res.Status != http.StatusSeeOther {
		t.Fatalf("accept with a free name: %d\n%s", res.Status, res.Body)
	}
	if _, ok := jf.UserByName("other"); !ok {
		t.Error("Jellyfin lacks the account of the second try")
	}
}

// A portal username taken between the check and the append (another accept
// finishing first) leaves no Jellyfin account behind.
func TestInviteUndoesTheJellyfinAccountWhenThePortalNameIsTakenMeanwhile(t *testing.T) {
	t.Parallel()
	ts, jf, admin := provisionServer(t)
	path := provisionInvite(t, ts, admin)
	jf.BeforeServe(func(r mbtest.Request) {
		if strings.HasSuffix(r.Path, "/Users/New") {
			ts.addUser(t, "racer", "someone else's pass", false)
		}
	})
	res := ts.browser(t).post(path, acceptForm("racer", "friend passphrase"))
	if res.Status != http.StatusConflict || !strings.Contains(string(res.Body), "That username is taken") {
		t.Fatalf("portal name taken meanwhile: %d\n%s", res.Status, res.Body)
	}
	if _, ok := jf.UserByName("racer"); ok {
		t.Error("the Jellyfin account made for the failed accept is still there")
	}
	var deleted bool
	for _, r := range jf.Requests() {
		deleted = deleted || r.Method == http.MethodDelete
	}
	if !deleted {
		t.Error("no DELETE /Users/{id} reached Jellyfin")
	}
}

// Emby's /Users/New ignores the password: the account must still sign in
// with the one chosen (set by the second call), through the Emby button.
func TestInviteProvisionsAnEmbyAccount(t *testing.T) {
	t.Parallel()
	emby := mbtest.NewEmby(t)
	ts := startServer(t, map[string]string{"MEDIA_SERVER": "emby", "EMBY_SERVER_URL": emby.URL, "EMBY_API_KEY": mbtest.APIKey})
	ts.addUser(t, "admin", "admin passphrase", true)
	admin := ts.browser(t)
	admin.login("admin", "admin passphrase", http.StatusOK)
	res := admin.post("/api/admin/invites", map[string]any{"link": true, "provision": "emby"})
	if res.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", res.Status, res.Body)
	}
	path := strings.TrimPrefix(res.JSON(t)["invite_url"].(string), ts.URL)
	friend := ts.browser(t)
	if res := friend.post(path, acceptForm("embyfriend", "friend passphrase")); res.Status != http.StatusSeeOther {
		t.Fatalf("accept: %d\n%s", res.Status, res.Body)
	}
	userID := friend.get("/whoami").JSON(t)["userId"]
	if u, ok := emby.UserByName("embyfriend"); !ok || u.Password != "friend passphrase" {
		t.Fatalf("Emby has %+v (found %v), want embyfriend with the chosen password", u, ok)
	}
	eb := ts.browser(t)
	done := eb.postForm("/auth/forward?emby=1", url.Values{"username": {"embyfriend"}, "password": {"friend passphrase"}})
	if done.Status != http.StatusOK || !strings.Contains(string(done.Body), `data-done="1"`) {
		t.Fatalf("Emby sign-in: %d %s", done.Status, done.Body)
	}
	if me := eb.get("/whoami").JSON(t); me["userId"] != userID {
		t.Errorf("after Emby sign-in, whoami = %v; want the invited user %v", me, userID)
	}
}
