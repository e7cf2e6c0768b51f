package main

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/authportal/authportal/providers/mediabrowser/mbtest"
	"github.com/authportal/authportal/providers/plex/plextest"
)

// When the popup is blocked the login page goes to the Jellyfin form
// itself, with its next: the form keeps it, and the sign-in ends there.
func TestJellyfinFullPageKeepsNext(t *testing.T) {
	t.Parallel()
	jf := mbtest.NewJellyfin(t)
	jf.AddUser(mbtest.User{ID: "friend-id", Name: "friend", Password: "jelly pass"})
	ts := startServer(t, map[string]string{"MEDIA_SERVER": "jellyfin", "JELLYFIN_SERVER_URL": jf.URL, "JELLYFIN_API_KEY": mbtest.APIKey})
	action := regexp.MustCompile(`id="auth-form" method="post" action="([^"]*)"`)
	for _, tc := range []struct{ next, want string }{
		{"/account", `data-redirect="/account"`},
		{"https://evil.example/", `data-redirect="/home"`},
	} {
		b := ts.browser(t)
		form := b.get("/auth/forward?jellyfin=1&next=" + url.QueryEscape(tc.next))
		m := action.FindSubmatch(form.Body)
		if form.Status != http.StatusOK || m == nil {
			t.Fatalf("%s: form page %d:\n%s", tc.next, form.Status, form.Body)
		}
		done := b.postForm(html.UnescapeString(string(m[1])), url.Values{"username": {"friend"}, "password": {"jelly pass"}})
		if !strings.Contains(string(done.Body), `data-done="1"`) || !strings.Contains(string(done.Body), tc.want) {
			t.Errorf("%s: posted to %s: %d, want %s in\n%s", tc.next, m[1], done.Status, tc.want, done.Body)
		}
	}
}

// A whole-page Plex sign-in comes back from Plex's pages with nothing of
// ours: the next the login page sent to start-web rides in the PIN cookie,
// and only a path on this site survives.
func TestPlexFullPageKeepsNext(t *testing.T) {
	t.Parallel()
	plex := plextest.NewServer(t)
	plex.AddAccount(plextest.Account{ID: 1, Username: "owner", Token: "owner-token"})
	plex.AddAccount(plextest.Account{ID: 1001, Username: "friend", Token: "friend-token"})
	plex.AddServer(plextest.MediaServer{Name: "Home", MachineID: "machine-1", OwnerID: 1})
	plex.Share("machine-1", 1001)
	ts := startServer(t, map[string]string{"MEDIA_SERVER": "plex", "PLEX_API_URL": plex.URL, "PLEX_APP_URL": plex.URL,
		"PLEX_SERVER_MACHINE_ID": "machine-1"})
	for _, tc := range []struct{ next, want string }{
		{"/account", `data-redirect="/account"`},
		{"https://evil.example/", `data-redirect="/home"`},
		{"", `data-redirect="/home"`},
	} {
		b := ts.browser(t)
		start := b.post("/auth/start-web", map[string]string{"provider": "plex", "next": tc.next})
		if start.Status != http.StatusOK {
			t.Fatalf("%q: start-web: %d %s", tc.next, start.Status, start.Body)
		}
		pinID, err := strconv.ParseInt(strings.Split(b.cookie("/auth/poll", "authportal_plex_pin"), ".")[0], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		if err := plex.Claim(pinID, "friend-token"); err != nil {
			t.Fatal(err)
		}
		done := b.get("/auth/forward")
		if !strings.Contains(string(done.Body), `data-done="1"`) || !strings.Contains(string(done.Body), tc.want) {
			t.Errorf("%q: forward: %d, want %s in\n%s", tc.next, done.Status, tc.want, done.Body)
		}
	}
}
