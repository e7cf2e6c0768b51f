package main

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// untilSignedOut polls (bounded) until b's session no longer works: a
// revocation reaches this node's access model through the log.
func untilSignedOut(t *testing.T, b *browser, what string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for b.get("/me").Status != http.StatusUnauthorized {
		if time.Now().After(deadline) {
			t.Fatalf("session survived %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// exportedEvents returns the user stream's events as audit export writes them.
func exportedEvents(t *testing.T, ts *testServer, userID string) []map[string]any {
	t.Helper()
	out, err := ts.cli(t, "", "audit", "export", "--stream", "user-"+userID)
	if err != nil {
		t.Fatalf("export: %v", err)
	}
	var events []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var e map[string]any
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("export line %q: %v", line, err)
		}
		events = append(events, e)
	}
	return events
}

func TestUserPasswdThroughTheCLI(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	id := ts.addUser(t, "petra", "correct horse battery", false)
	b := ts.browser(t)
	b.login("petra", "correct horse battery", http.StatusOK)

	if _, err := ts.cli(t, "short\n", "user", "passwd", "--username", "petra", "--password-stdin"); err == nil {
		t.Error("a 5-character password was accepted")
	}
	out, err := ts.cli(t, "staple battery horse\n", "user", "passwd", "--username", "PETRA", "--password-stdin")
	if err != nil || !strings.Contains(out, "password of PETRA changed") {
		t.Fatalf("passwd: %q %v", out, err)
	}
	untilSignedOut(t, b, "a password change")
	ts.browser(t).login("petra", "correct horse battery", http.StatusUnauthorized)
	ts.browser(t).login("petra", "staple battery horse", http.StatusOK)

	// The log holds the new hash sealed, never the password or the clear
	// hash, followed by the revocation, both by the CLI.
	events := exportedEvents(t, ts, id)
	var types []string
	for _, e := range events {
		types = append(types, e["type"].(string))
		raw, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(raw), "staple battery horse") {
			t.Fatalf("the password reached the log: %s", raw)
		}
	}
	n := slices.Index(types, "user.password_changed") + 1
	if n == 0 || n == len(types) || types[n] != "user.sessions_revoked" {
		t.Fatalf("user stream %v, want user.password_changed followed by user.sessions_revoked", types)
	}
	data, _ := events[n-1]["data"].(map[string]any)
	meta, _ := events[n-1]["metadata"].(map[string]any)
	if hash, _ := data["passwordHash"].(string); !strings.HasPrefix(hash, "v1.") || strings.Contains(hash, "argon2id") {
		t.Errorf("password_changed hash = %q, want it sealed", hash)
	}
	if meta["actor"] != "cli" || meta["actorKind"] != "cli" {
		t.Errorf("password_changed metadata = %v, want the cli as actor", meta)
	}
	if reason, _ := events[n]["data"].(map[string]any)["reason"].(string); reason != "password_changed" {
		t.Errorf("sessions_revoked reason = %q, want password_changed", reason)
	}
	if _, err := ts.cli(t, "staple battery horse\n", "user", "passwd", "--username", "nobody", "--password-stdin"); err == nil || !strings.Contains(err.Error(), `no user named "nobody"`) {
		t.Errorf("passwd of an unknown user: %v", err)
	}
}

func TestUserMFAResetThroughTheCLI(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	ts.addUser(t, "rosa", "correct horse battery", false)
	b := ts.browser(t)
	b.login("rosa", "correct horse battery", http.StatusOK)
	enroll(t, ts, b)
	if login := ts.browser(t).login("rosa", "correct horse battery", http.StatusOK).JSON(t); login["mfaRequired"] != true {
		t.Fatalf("login of an enrolled user = %v, want a challenge", login)
	}

	out, err := ts.cli(t, "", "user", "mfa", "reset", "--username", "rosa")
	if err != nil || !strings.Contains(out, "authenticator of rosa removed") {
		t.Fatalf("mfa reset: %q %v", out, err)
	}
	untilSignedOut(t, b, "an MFA reset")

	// The first factor alone signs in now, and the user may enroll afresh.
	fresh := ts.browser(t)
	if login := fresh.login("rosa", "correct horse battery", http.StatusOK).JSON(t); login["mfaRequired"] == true {
		t.Fatalf("login after reset = %v, want no challenge", login)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		st := fresh.get("/mfa/enroll/status").JSON(t)
		if st["state"] == "none" && st["enabled"] == false && st["recoveryCodesRemaining"] == float64(0) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("mfa status after reset = %v, want state none", st)
		}
		time.Sleep(10 * time.Millisecond)
	}
	enroll(t, ts, fresh)

	if out, err := ts.cli(t, "", "user", "mfa", "reset", "--username", "nobody"); err == nil {
		t.Errorf("reset of an unknown user: %q", out)
	}
}

func TestUserMFAResetWithNothingEnrolled(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	id := ts.addUser(t, "sara", "correct horse battery", false)
	before := len(exportedEvents(t, ts, id))
	out, err := ts.cli(t, "", "user", "mfa", "reset", "--username", "sara")
	if err != nil || !strings.Contains(out, "has no authenticator; nothing changed") {
		t.Fatalf("mfa reset: %q %v", out, err)
	}
	if after := len(exportedEvents(t, ts, id)); after != before {
		t.Errorf("reset with nothing enrolled appended %d events", after-before)
	}
}

func TestUserSessionsRevokeThroughTheCLI(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	ts.addUser(t, "tina", "correct horse battery", false)
	first, second := ts.browser(t), ts.browser(t)
	first.login("tina", "correct horse battery", http.StatusOK)
	second.login("tina", "correct horse battery", http.StatusOK)

	out, err := ts.cli(t, "", "user", "sessions", "revoke", "--username", "tina")
	if err != nil || out != "sessions of tina ended\n" {
		t.Fatalf("sessions revoke: %q %v", out, err)
	}
	untilSignedOut(t, first, "sessions revoke")
	untilSignedOut(t, second, "sessions revoke")
	// Revoking ends sessions, not the account.
	b := ts.browser(t)
	b.login("tina", "correct horse battery", http.StatusOK)
	if res := b.get("/me"); res.Status != http.StatusOK {
		t.Errorf("/me after signing in again: %d, want 200", res.Status)
	}
}
