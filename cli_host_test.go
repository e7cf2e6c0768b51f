package main

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// untilExplained polls (bounded) the admin explain API until it gives
// reason: a CLI change reaches the server's model through the log.
func untilExplained(t *testing.T, admin *browser, user, host, reason string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		e := wantStatus(t, "explain", admin.get("/api/admin/access/explain?user="+user+"&host="+host), http.StatusOK)
		if e["reason"] == reason {
			return e
		}
		if time.Now().After(deadline) {
			t.Fatalf("explain %s at %s = %v, want reason %s", user, host, e, reason)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestHostsAndPermissionsThroughTheCLI(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	ts.addUser(t, "root", "correct horse battery", true)
	ts.addUser(t, "friend", "correct horse battery", false)
	admin, friend := ts.browser(t), ts.browser(t)
	admin.login("root", "correct horse battery", http.StatusOK)
	friend.login("friend", "correct horse battery", http.StatusOK)

	out, err := ts.cli(t, "", "host", "add", "--host", "Jellyseerr.Example.com", "--name", "Jellyseerr")
	if err != nil || !strings.HasSuffix(strings.TrimSpace(out), "\tjellyseerr.example.com") {
		t.Fatalf("host add: %q %v", out, err)
	}
	if _, err := ts.cli(t, "", "host", "add", "--host", "*.apps.example.com", "--no-forward-auth"); err != nil {
		t.Fatalf("host add wildcard: %v", err)
	}
	if _, err := ts.cli(t, "", "host", "add", "--host", "jellyseerr.example.com"); err == nil || !strings.Contains(err.Error(), "already registered") {
		t.Errorf("duplicate host add: %v, want refused", err)
	}
	if _, err := ts.cli(t, "", "host", "add", "--host", "https://x.example.com"); err == nil || !strings.Contains(err.Error(), "without a scheme") {
		t.Errorf("host add with a scheme: %v, want refused saying why", err)
	}
	if _, err := ts.cli(t, "", "host", "add"); err == nil || !strings.Contains(err.Error(), "--host is required") {
		t.Errorf("host add without --host: %v", err)
	}

	untilExplained(t, admin, "friend", "jellyseerr.example.com", "allow_all")
	out, err = ts.cli(t, "", "host", "list")
	if err != nil || !strings.Contains(out, "jellyseerr.example.com") || !strings.Contains(out, "Jellyseerr") || !strings.Contains(out, "*.apps.example.com") {
		t.Errorf("host list: %q %v", out, err)
	}

	out, err = ts.cli(t, "", "user", "permissions", "--username", "Friend", "--mode", "deny_all", "--host", "*.apps.example.com")
	if err != nil || !strings.Contains(out, "deny_all") {
		t.Fatalf("user permissions: %q %v", out, err)
	}
	untilExplained(t, admin, "friend", "jellyseerr.example.com", "deny_all")
	untilExplained(t, admin, "friend", "x.apps.example.com", "not_forward_auth")
	if _, err := ts.cli(t, "", "user", "permissions", "--username", "friend", "--mode", "deny_all", "--host", "nowhere.example.com"); err == nil || !strings.Contains(err.Error(), `no protected host "nowhere.example.com"`) {
		t.Errorf("permissions with an unknown host: %v", err)
	}
	if _, err := ts.cli(t, "", "user", "permissions", "--username", "friend", "--mode", "some"); err == nil || !strings.Contains(err.Error(), "allow_all or deny_all") {
		t.Errorf("permissions with a bad mode: %v", err)
	}
	if _, err := ts.cli(t, "", "user", "permissions", "--username", "nobody", "--mode", "allow_all"); err == nil || !strings.Contains(err.Error(), `no user named "nobody"`) {
		t.Errorf("permissions of an unknown user: %v", err)
	}

	out, err = ts.cli(t, "", "user", "disable", "--username", "friend")
	if err != nil || !strings.Contains(out, "friend disabled") {
		t.Fatalf("user disable: %q %v", out, err)
	}
	untilSignedOut(t, friend, "user disable")
	untilExplained(t, admin, "friend", "jellyseerr.example.com", "disabled")
	friend.login("friend", "correct horse battery", http.StatusUnauthorized)
	if out, _ := ts.cli(t, "", "user", "disable", "--username", "friend"); !strings.Contains(out, "already disabled") {
		t.Errorf("disable twice: %q", out)
	}
	if out, err := ts.cli(t, "", "user", "enable", "--username", "friend"); err != nil || !strings.Contains(out, "friend enabled") {
		t.Fatalf("user enable: %q %v", out, err)
	}
	untilExplained(t, admin, "friend", "jellyseerr.example.com", "deny_all")
	friend.login("friend", "correct horse battery", http.StatusOK)

	if out, err := ts.cli(t, "", "host", "remove", "--host", "JELLYSEERR.example.com"); err != nil || !strings.Contains(out, "jellyseerr.example.com removed") {
		t.Fatalf("host remove: %q %v", out, err)
	}
	untilExplained(t, admin, "friend", "jellyseerr.example.com", "unknown_host")
	if _, err := ts.cli(t, "", "host", "remove", "--host", "jellyseerr.example.com"); err == nil || !strings.Contains(err.Error(), "no protected host") {
		t.Errorf("remove twice: %v", err)
	}
}
