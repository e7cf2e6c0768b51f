package main

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/authportal/authportal/providers/mediabrowser/mbtest"
	"github.com/authportal/authportal/providers/plex/plextest"
)

// postForm posts an HTML form, as the browser does from /auth/forward.
func (b *browser) postForm(path string, form url.Values) response {
	b.t.Helper()
	return b.do(http.MethodPost, path, form, nil)
}

func TestJellyfinSignInThroughTheForwardPage(t *testing.T) {
	t.Parallel()
	jf := mbtest.NewJellyfin(t)
	jf.AddUser(mbtest.User{ID: "friend-id", Name: "admin", Password: "jelly pass"}) // called like an admin; someone else
	jf.AddUser(mbtest.User{ID: "off-id", Name: "off", Password: "off pass", IsDisabled: true})
	ts := startServer(t, map[string]string{"MEDIA_SERVER": "jellyfin", "JELLYFIN_SERVER_URL": jf.URL, "JELLYFIN_API_KEY": mbtest.APIKey})
	localAdmin := ts.addUser(t, "admin", "correct horse battery", true)

	b := ts.browser(t)
	login := b.get("/")
	if !strings.Contains(string(login.Body), `data-provider="jellyfin"`) || !strings.Contains(string(login.Body), `id="login-form"`) {
		t.Fatalf("login page lacks the Jellyfin button or the local form:\n%s", login.Body)
	}
	start := b.post("/auth/start-web", map[string]string{"provider": "jellyfin"})
	if start.Status != http.StatusOK || start.JSON(t)["authUrl"] != "/auth/forward?jellyfin=1" {
		t.Fatalf("start-web: %d %s", start.Status, start.Body)
	}
	if form := b.get("/auth/forward?jellyfin=1"); form.Status != http.StatusOK || !strings.Contains(string(form.Body), `name="password"`) {
		t.Fatalf("forward page: %d %s", form.Status, form.Body)
	}

	wrong := b.postForm("/auth/forward?jellyfin=1", url.Values{"username": {"admin"}, "password": {"nope"}})
	if wrong.Status != http.StatusUnauthorized || !strings.Contains(string(wrong.Body), "did not accept") || strings.Contains(string(wrong.Body), "nope") {
		t.Errorf("wrong password: %d %s", wrong.Status, wrong.Body)
	}
	if n := len(jf.AuthenticateRequests()); n != 1 {
		t.Errorf("Jellyfin got %d sign-in requests for one attempt, want 1 (each failure counts toward its lockout)", n)
	}
	disabled := b.postForm("/auth/forward?jellyfin=1", url.Values{"username": {"off"}, "password": {"off pass"}})
	if disabled.Status != http.StatusUnauthorized || string(disabled.Body) == "" || !strings.Contains(string(disabled.Body), "did not accept") {
		t.Errorf("disabled Jellyfin user: %d, want 401 with the same words", disabled.Status)
	}

	done := b.postForm("/auth/forward?jellyfin=1", url.Values{"username": {"admin"}, "password": {"jelly pass"}})
	if done.Status != http.StatusOK || !strings.Contains(string(done.Body), `data-done="1"`) || !strings.Contains(string(done.Body), `data-redirect="/home"`) {
		t.Fatalf("right password: %d %s", done.Status, done.Body)
	}
	me := b.get("/whoami").JSON(t)
	if me["provider"] != "jellyfin" || me["authorized"] != true || me["admin"] != false || me["userId"] == localAdmin {
		t.Errorf("after Jellyfin sign-in, whoami = %v; want a jellyfin user with access, not the local admin", me)
	}

	if acct := b.get("/account"); !strings.Contains(string(acct.Body), "<strong>Jellyfin</strong>") || strings.Contains(string(acct.Body), "change-password") {
		t.Errorf("account page of a Jellyfin user: want the Jellyfin account listed and no password form:\n%s", acct.Body)
	}

	jf.Down()
	down := ts.browser(t).postForm("/auth/forward?jellyfin=1", url.Values{"username": {"admin"}, "password": {"jelly pass"}})
	if down.Status != http.StatusServiceUnavailable || !strings.Contains(string(down.Body), "not answering") {
		t.Errorf("Jellyfin down: %d %s", down.Status, down.Body)
	}
}

func TestPlexSignInByPIN(t *testing.T) {
	t.Parallel()
	plex := plextest.NewServer(t)
	plex.AddAccount(plextest.Account{ID: 1, Username: "owner", Token: "owner-token"})
	plex.AddAccount(plextest.Account{ID: 1001, Username: "friend", Email: "friend@example.com", Token: "friend-token"})
	plex.AddAccount(plextest.Account{ID: 2002, Username: "stranger", Token: "stranger-token"})
	plex.AddServer(plextest.MediaServer{Name: "Home", MachineID: "machine-1", OwnerID: 1})
	plex.Share("machine-1", 1001)
	ts := startServer(t, map[string]string{"MEDIA_SERVER": "plex", "PLEX_API_URL": plex.URL, "PLEX_APP_URL": plex.URL,
		"PLEX_SERVER_MACHINE_ID": "machine-1"})

	for _, tc := range []struct {
		name, token string
		authorized  bool
	}{{"a friend the server is shared with", "friend-token", true}, {"a stranger", "stranger-token", false}} {
		b := ts.browser(t)
		start := b.post("/auth/start-web", map[string]string{"provider": "plex"})
		authURL, _ := start.JSON(t)["authUrl"].(string)
		if start.Status != http.StatusOK || !strings.HasPrefix(authURL, plex.URL+"/auth#?") {
			t.Fatalf("%s: start-web: %d %s", tc.name, start.Status, start.Body)
		}
		pinCookie := b.cookie("/auth/poll", "authportal_plex_pin")
		pinID, err := strconv.ParseInt(strings.Split(pinCookie, ".")[0], 10, 64)
		if err != nil {
			t.Fatalf("%s: pin cookie %q: %v", tc.name, pinCookie, err)
		}
		if poll := b.get("/auth/poll").JSON(t); poll["status"] != "pending" {
			t.Errorf("%s: poll before Plex confirmed: %v, want pending", tc.name, poll)
		}
		if err := plex.Claim(pinID, tc.token); err != nil {
			t.Fatal(err)
		}
		done := b.get("/auth/forward")
		if done.Status != http.StatusOK || !strings.Contains(string(done.Body), `data-done="1"`) {
			t.Fatalf("%s: forward after Plex confirmed: %d %s", tc.name, done.Status, done.Body)
		}
		me := b.get("/whoami").JSON(t)
		if me["provider"] != "plex" || me["authorized"] != tc.authorized {
			t.Errorf("%s: whoami = %v; want provider plex, authorized %v", tc.name, me, tc.authorized)
		}
		if poll := b.get("/auth/poll").JSON(t); poll["status"] != "ok" {
			t.Errorf("%s: poll after sign-in: %v, want ok", tc.name, poll)
		}
	}

	// A second sign-in of the friend is the same user; unsharing takes
	// access away at the next sign-in.
	plex.Unshare("machine-1", 1001)
	b := ts.browser(t)
	b.post("/auth/start-web", map[string]string{"provider": "plex"})
	pinID, _ := strconv.ParseInt(strings.Split(b.cookie("/auth/poll", "authportal_plex_pin"), ".")[0], 10, 64)
	if err := plex.Claim(pinID, "friend-token"); err != nil {
		t.Fatal(err)
	}
	if poll := b.get("/auth/poll").JSON(t); poll["status"] != "ok" {
		t.Fatalf("poll after Plex confirmed: %v", poll)
	}
	if me := b.get("/whoami").JSON(t); me["authorized"] != false {
		t.Errorf("friend after the server stopped sharing: whoami = %v, want no access", me)
	}
	if n := countEvents(t, ts, `event_type = 'user.media_access_revoked'`); n != 1 {
		t.Errorf("media_access_revoked events: got %d, want 1", n)
	}

	// A forward without a PIN in progress says so in words.
	if res := ts.browser(t).get("/auth/forward"); res.Status == http.StatusOK || strings.Contains(string(res.Body), `data-done="1"`) {
		t.Errorf("forward with no sign-in in progress: %d", res.Status)
	}
}

// signInWithPlex runs the PIN flow for the account behind token.
func signInWithPlex(t *testing.T, b *browser, plex *plextest.Server, token string) {
	t.Helper()
	b.post("/auth/start-web", map[string]string{"provider": "plex"})
	pinID, err := strconv.ParseInt(strings.Split(b.cookie("/auth/poll", "authportal_plex_pin"), ".")[0], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	if err := plex.Claim(pinID, token); err != nil {
		t.Fatal(err)
	}
	if poll := b.get("/auth/poll").JSON(t); poll["status"] != "ok" {
		t.Fatalf("poll after Plex confirmed: %v", poll)
	}
}

// A friend removed from the server loses access without signing in again:
// the scheduled re-check asks the media servers and ends their sessions.
func TestRemovedFriendsLoseAccessWithoutSigningIn(t *testing.T) {
	t.Parallel()
	plex := plextest.NewServer(t)
	plex.AddAccount(plextest.Account{ID: 1, Username: "owner", Token: "owner-token"})
	plex.AddAccount(plextest.Account{ID: 1001, Username: "friend", Token: "friend-token"})
	plex.AddServer(plextest.MediaServer{Name: "Home", MachineID: "machine-1", OwnerID: 1})
	plex.Share("machine-1", 1001)
	jf := mbtest.NewJellyfin(t)
	jf.AddUser(mbtest.User{ID: "jf-friend", Name: "jelly", Password: "jelly pass"})
	ts := startServer(t, map[string]string{"MEDIA_SERVER": "plex", "LOGIN_PROVIDERS": "plex,jellyfin,local",
		"PLEX_API_URL": plex.URL, "PLEX_APP_URL": plex.URL, "PLEX_SERVER_MACHINE_ID": "machine-1",
		"JELLYFIN_SERVER_URL": jf.URL, "JELLYFIN_API_KEY": mbtest.APIKey, "MEDIA_RECHECK_INTERVAL": "1s"})

	plexFriend, jellyFriend := ts.browser(t), ts.browser(t)
	signInWithPlex(t, plexFriend, plex, "friend-token")
	jellyFriend.postForm("/auth/forward?jellyfin=1", url.Values{"username": {"jelly"}, "password": {"jelly pass"}})
	for name, b := range map[string]*browser{"plex": plexFriend, "jellyfin": jellyFriend} {
		if me := b.get("/whoami").JSON(t); me["authorized"] != true {
			t.Fatalf("%s friend before removal: %v", name, me)
		}
	}
	plex.Unshare("machine-1", 1001)
	jf.DeleteUser("jf-friend")

	// The re-check runs every second; wait for it by its outcome.
	deadline := time.Now().Add(15 * time.Second)
	for countEvents(t, ts, `event_type = 'user.media_access_revoked'`) < 2 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	for _, reason := range []string{"not_shared", "removed"} {
		if n := countEvents(t, ts, `event_type = 'user.media_access_revoked' AND data->>'reason' = $1`, reason); n != 1 {
			t.Errorf("media_access_revoked with reason %s: got %d, want 1", reason, n)
		}
	}
	for name, b := range map[string]*browser{"plex": plexFriend, "jellyfin": jellyFriend} {
		if me := b.get("/whoami").JSON(t); me["authenticated"] != false {
			t.Errorf("%s friend after removal: whoami = %v, want the session ended", name, me)
		}
	}
}
