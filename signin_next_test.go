package main

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/authportal/authportal/providers/mediabrowser/mbtest"
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
