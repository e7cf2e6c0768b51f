package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/authportal/authportal/providers/mediabrowser/mbtest"
)

// The account page lists the devices signed in as the user; each can be
// signed out from it, or all at once; nobody else's can.
func TestAccountPageSignsDevicesOut(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	ts.addUser(t, "otto", "correct horse battery", false)
	ts.addUser(t, "eve", "correct horse battery", false)
	laptop, phone, tablet := ts.browser(t), ts.browser(t), ts.browser(t)
	for _, b := range []*browser{laptop, phone, tablet} {
		b.login("otto", "correct horse battery", http.StatusOK)
	}
	phone.header.Set("User-Agent", "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Version/18.0 Mobile Safari/604.1")
	eve := ts.browser(t)
	eve.login("eve", "correct horse battery", http.StatusOK)

	page := laptop.get("/account")
	if page.Status != http.StatusOK || strings.Count(string(page.Body), "data-session=") != 3 || !strings.Contains(string(page.Body), "this browser") {
		t.Fatalf("account page: %d, want 3 devices with this one marked:\n%s", page.Status, page.Body)
	}
	phoneSession := sessionIDOf(t, phone)
	res := laptop.post("/account/sessions/"+phoneSession+"/revoke", nil)
	if res.Status != http.StatusSeeOther {
		t.Fatalf("sign out the phone: %d %s", res.Status, res.Body)
	}
	// The page it returns to lists the devices left, the phone gone.
	if after := laptop.get(res.Header.Get("Location")); strings.Count(string(after.Body), "data-session=") != 2 {
		t.Errorf("account page after signing the phone out (%s): want 2 devices:\n%s", res.Header.Get("Location"), after.Body)
	}
	if me := phone.get("/whoami").JSON(t); me["authenticated"] != false {
		t.Errorf("the phone after being signed out from the laptop: %v", me)
	}
	if me := laptop.get("/whoami").JSON(t); me["authenticated"] != true {
		t.Errorf("the laptop after signing the phone out: %v", me)
	}
	// Eve cannot sign otto's devices out, nor learn whether an id is one.
	if res := eve.post("/account/sessions/"+sessionIDOf(t, tablet)+"/revoke", nil); res.Status == http.StatusSeeOther {
		t.Errorf("eve signing out otto's tablet: %d, want refused", res.Status)
	}
	if me := tablet.get("/whoami").JSON(t); me["authenticated"] != true {
		t.Error("eve signed out otto's tablet")
	}
	if res := laptop.post("/account/sessions/revoke-all", nil); res.Status != http.StatusSeeOther {
		t.Fatalf("sign out everywhere: %d", res.Status)
	}
	for name, b := range map[string]*browser{"laptop": laptop, "tablet": tablet} {
		if me := b.get("/whoami").JSON(t); me["authenticated"] != false {
			t.Errorf("%s after signing out everywhere: %v", name, me)
		}
	}
	if me := eve.get("/whoami").JSON(t); me["authenticated"] != true {
		t.Error("otto signing out everywhere signed eve out")
	}
}

// sessionIDOf reads the session id a browser's cookie carries.
func sessionIDOf(t *testing.T, b *browser) string {
	t.Helper()
	me := b.get("/whoami").JSON(t)
	session, _ := me["session"].(map[string]any)
	id, _ := session["id"].(string)
	if id == "" {
		t.Fatalf("whoami has no session id: %v", me)
	}
	return id
}

// A local user changes their password on the account page: the current one
// is asked for, the other devices are signed out, this one goes on.
func TestChangingYourPasswordSignsOutTheOtherDevices(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	ts.addUser(t, "pia", "correct horse battery", false)
	laptop, phone := ts.browser(t), ts.browser(t)
	laptop.login("pia", "correct horse battery", http.StatusOK)
	phone.login("pia", "correct horse battery", http.StatusOK)

	for _, tc := range []struct {
		name   string
		form   url.Values
		status int
		words  string
	}{
		{"wrong current password", url.Values{"current": {"nope"}, "new": {"a new passphrase"}, "confirm": {"a new passphrase"}}, http.StatusUnauthorized, "current password is not right"},
		{"confirmation differs", url.Values{"current": {"correct horse battery"}, "new": {"a new passphrase"}, "confirm": {"another"}}, http.StatusUnprocessableEntity, "differ"},
		{"too short", url.Values{"current": {"correct horse battery"}, "new": {"short"}, "confirm": {"short"}}, http.StatusUnprocessableEntity, "at least 8 characters"},
	} {
		res := laptop.postForm("/account/password", tc.form)
		if res.Status != tc.status || !strings.Contains(string(res.Body), tc.words) || strings.Contains(string(res.Body), "a new passphrase") {
			t.Errorf("%s: %d, want %d saying %q (and never echoing a password)", tc.name, res.Status, tc.status, tc.words)
		}
	}
	if res := laptop.postForm("/account/password", url.Values{"current": {"correct horse battery"}, "new": {"a new passphrase"}, "confirm": {"a new passphrase"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("change: %d %s", res.Status, res.Body)
	}
	if me := laptop.get("/whoami").JSON(t); me["authenticated"] != true {
		t.Errorf("the browser that changed the password: %v, want still signed in", me)
	}
	if me := phone.get("/whoami").JSON(t); me["authenticated"] != false {
		t.Errorf("another device after the change: %v, want signed out", me)
	}
	ts.browser(t).login("pia", "correct horse battery", http.StatusUnauthorized)
	ts.browser(t).login("pia", "a new passphrase", http.StatusOK)
}

// A signed-in user links their Jellyfin account by signing in with it from
// the account page; from then on it signs in as them. An account already
// linked to someone else is not taken over.
func TestLinkingAJellyfinAccount(t *testing.T) {
	t.Parallel()
	jf := mbtest.NewJellyfin(t)
	jf.AddUser(mbtest.User{ID: "jf-lou", Name: "lou.media", Password: "jelly pass"})
	ts := startServer(t, map[string]string{"MEDIA_SERVER": "jellyfin", "JELLYFIN_SERVER_URL": jf.URL})
	lou := ts.addUser(t, "lou", "correct horse battery", false)
	ts.addUser(t, "mia", "correct horse battery", false)

	b := ts.browser(t)
	b.login("lou", "correct horse battery", http.StatusOK)
	if page := b.get("/account"); !strings.Contains(string(page.Body), `action="/account/link/jellyfin"`) {
		t.Fatalf("account page lacks the link button:\n%s", page.Body)
	}
	if res := b.post("/account/link/jellyfin", nil); res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/auth/forward?jellyfin=1" {
		t.Fatalf("start linking: %d %v", res.Status, res.Header)
	}
	done := b.postForm("/auth/forward?jellyfin=1", url.Values{"username": {"lou.media"}, "password": {"jelly pass"}})
	_, after, _ := strings.Cut(string(done.Body), `data-redirect="`)
	next, _, _ := strings.Cut(after, `"`)
	next = strings.ReplaceAll(next, "&amp;", "&")
	if done.Status != http.StatusOK || !strings.HasPrefix(next, "/account?done=linked&at=") {
		t.Fatalf("finish linking: %d %s", done.Status, done.Body)
	}
	if me := b.get("/whoami").JSON(t); me["userId"] != lou {
		t.Errorf("after linking: whoami = %v, want still lou", me)
	}
	if page := b.get(next); !strings.Contains(string(page.Body), "lou.media") || strings.Contains(string(page.Body), `action="/account/link/jellyfin"`) {
		t.Errorf("account page after linking: want the Jellyfin account listed and no link button")
	}

	fresh := ts.browser(t)
	fresh.postForm("/auth/forward?jellyfin=1", url.Values{"username": {"lou.media"}, "password": {"jelly pass"}})
	if me := fresh.get("/whoami").JSON(t); me["userId"] != lou {
		t.Errorf("signing in with the linked Jellyfin account: whoami = %v, want lou (%s)", me, lou)
	}

	mia := ts.browser(t)
	mia.login("mia", "correct horse battery", http.StatusOK)
	mia.post("/account/link/jellyfin", nil)
	taken := mia.postForm("/auth/forward?jellyfin=1", url.Values{"username": {"lou.media"}, "password": {"jelly pass"}})
	if !strings.Contains(string(taken.Body), `data-redirect="/account?done=link-taken"`) {
		t.Errorf("mia linking lou's Jellyfin account: %d %s, want refused as taken", taken.Status, taken.Body)
	}
}

// An account that is not the only way in can be unlinked; it then signs in
// as a new user. The only way in cannot be unlinked.
func TestUnlinkingAnAccount(t *testing.T) {
	t.Parallel()
	jf := mbtest.NewJellyfin(t)
	jf.AddUser(mbtest.User{ID: "jf-kim", Name: "kim.media", Password: "jelly pass"})
	ts := startServer(t, map[string]string{"MEDIA_SERVER": "jellyfin", "JELLYFIN_SERVER_URL": jf.URL})
	kim := ts.addUser(t, "kim", "correct horse battery", false)
	b := ts.browser(t)
	b.login("kim", "correct horse battery", http.StatusOK)
	b.post("/account/link/jellyfin", nil)
	b.postForm("/auth/forward?jellyfin=1", url.Values{"username": {"kim.media"}, "password": {"jelly pass"}})
	if res := b.post("/account/unlink/jellyfin", nil); res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/account?done=unlinked") {
		t.Fatalf("unlink: %d %v", res.Status, res.Header)
	}
	other := ts.browser(t)
	other.postForm("/auth/forward?jellyfin=1", url.Values{"username": {"kim.media"}, "password": {"jelly pass"}})
	me := other.get("/whoami").JSON(t)
	if me["authenticated"] != true || me["userId"] == kim {
		t.Fatalf("the unlinked Jellyfin account signing in: %v, want a new user, not kim", me)
	}
	// That new user's only way in is the Jellyfin account: it stays.
	if res := other.post("/account/unlink/jellyfin", nil); res.Header.Get("Location") != "/account?done=last-way-in" {
		t.Errorf("unlinking the only way in: %d %v", res.Status, res.Header)
	}
}

// New recovery codes, after the password proves it is the user: the old
// codes stop working, the new ones work once.
func TestRenewingRecoveryCodes(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	ts.addUser(t, "rey", "correct horse battery", false)
	b := ts.browser(t)
	b.login("rey", "correct horse battery", http.StatusOK)
	_, old := enroll(t, ts, b)

	if res := b.postForm("/account/recovery-codes", url.Values{"password": {"nope"}}); res.Status != http.StatusUnauthorized || !strings.Contains(string(res.Body), "not right") {
		t.Errorf("wrong password: %d", res.Status)
	}
	if res := b.postForm("/account/recovery-codes", url.Values{}); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("no proof at all: %d, want 422", res.Status)
	}
	res := b.postForm("/account/recovery-codes", url.Values{"password": {"correct horse battery"}})
	if res.Status != http.StatusOK || strings.Count(string(res.Body), "<li>") < 10 {
		t.Fatalf("renew: %d %s", res.Status, res.Body)
	}
	_, list, _ := strings.Cut(string(res.Body), `<ol id="recovery-codes">`)
	list, _, _ = strings.Cut(list, "</ol>")
	var fresh []string
	for _, item := range strings.Split(list, "<li>")[1:] {
		fresh = append(fresh, strings.TrimSuffix(item, "</li>"))
	}
	if len(fresh) != 10 {
		t.Fatalf("new codes: got %d, want 10", len(fresh))
	}

	challenge := func(code string) int {
		c := ts.browser(t)
		c.login("rey", "correct horse battery", http.StatusOK)
		return c.post("/mfa/challenge/verify", map[string]string{"code": code}).Status
	}
	if status := challenge(old[0]); status != http.StatusUnauthorized {
		t.Errorf("an old recovery code after renewing: %d, want 401", status)
	}
	if status := challenge(fresh[0]); status != http.StatusOK {
		t.Errorf("a new recovery code: %d, want 200", status)
	}
}
