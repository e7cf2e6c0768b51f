package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// An operator's files in DATA_DIR/branding show on the pages at once, and
// nothing else in that folder (or beside it) is reachable.
func TestBrandingFromTheDataDir(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	ts.addUser(t, "vic", "correct horse battery", false)
	dir := filepath.Join(ts.env["DATA_DIR"], "branding")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{
		"logo.svg":             `<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>`,
		"theme.css":            `:root { --accent: #3a7bd5; }`,
		"home-authorized.html": `<p>Welcome to the family server.</p>`,
		"notes.txt":            "not for the web",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b := ts.browser(t)
	login := string(b.get("/").Body)
	if !strings.Contains(login, `src="/branding/logo.svg"`) || !strings.Contains(login, `href="/branding/theme.css"`) {
		t.Errorf("login page lacks the operator's logo or theme:\n%s", login)
	}
	if res := b.get("/branding/logo.svg"); res.Status != http.StatusOK || res.Header.Get("Content-Type") != "image/svg+xml" {
		t.Errorf("logo: %d %s", res.Status, res.Header.Get("Content-Type"))
	}
	for _, path := range []string{"/branding/notes.txt", "/branding/", "/branding/..%2fsecrets%2fsession_secret", "/branding/background.jpg"} {
		if res := b.get(path); res.Status != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", path, res.Status)
		}
	}
	b.login("vic", "correct horse battery", http.StatusOK)
	if home := string(b.get("/home").Body); !strings.Contains(home, "Welcome to the family server.") {
		t.Errorf("home page lacks the operator's text for users with access")
	}
}
