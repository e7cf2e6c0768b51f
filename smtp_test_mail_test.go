package main

import (
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestSMTPTestMailOverHTTP(t *testing.T) {
	t.Parallel()
	mails, port := startSink(t)
	ts := startServer(t, map[string]string{"SMTP_HOST": "127.0.0.1", "SMTP_PORT": strconv.Itoa(port),
		"SMTP_FROM": "portal@example.test", "SMTP_SECURITY": "none"})
	ts.addUser(t, "admin", "admin passphrase", true)
	ts.addUser(t, "plain", "plain passphrase", false)
	admin := ts.browser(t)
	admin.login("admin", "admin passphrase", http.StatusOK)
	plain := ts.browser(t)
	plain.login("plain", "plain passphrase", http.StatusOK)
	const path = "/api/admin/config/smtp/test"
	to := map[string]any{"to": "admin@example.test"}

	if res := ts.browser(t).post(path, to); res.Status != http.StatusUnauthorized {
		t.Errorf("anonymous: status %d, want 401", res.Status)
	}
	if res := plain.post(path, to); res.Status != http.StatusForbidden || res.problemType(t) != "urn:authportal:problem:not-admin" {
		t.Errorf("non-admin: status %d, want 403 not-admin", res.Status)
	}
	if res := admin.post(path, map[string]any{"to": "not an address"}); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("bad address: status %d, want 422", res.Status)
	}
	if n := len(mails.messages()); n != 0 {
		t.Fatalf("%d mails sent by refused requests; want none", n)
	}

	res := admin.post(path, to)
	body := res.JSON(t)
	if res.Status != http.StatusOK || body["ok"] != true || !strings.Contains(body["answer"].(string), "queued") {
		t.Fatalf("test mail: %d %s; want ok and the server's answer", res.Status, res.Body)
	}
	if msgs := mails.messages(); len(msgs) != 1 || !strings.Contains(msgs[0], "Test mail from") || !strings.Contains(msgs[0], "admin@example.test") {
		t.Fatalf("sink holds %q; want one test mail to admin@example.test", msgs)
	}

	// The section in force is what is used: point it at a dead port.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	if res := admin.put("/api/admin/config/smtp", map[string]any{"version": 1, "config": map[string]any{"host": "127.0.0.1", "port": dead,
		"username": "", "password": "", "from": "portal@example.test", "security": "none"}}); res.Status != http.StatusOK {
		t.Fatalf("save smtp section: %d %s", res.Status, res.Body)
	}
	// The node's model takes the save within milliseconds; until then the
	// old server answers (the budget below allows for a few tries).
	for deadline := time.Now().Add(5 * time.Second); ; {
		res := admin.post(path, to)
		body := res.JSON(t)
		if res.Status == http.StatusOK && body["ok"] == false {
			if a := body["answer"].(string); !strings.Contains(a, "could not be reached") {
				t.Errorf("dead server: answer %q; want it to say the server could not be reached", a)
			}
			break
		}
		if res.Status != http.StatusOK || time.Now().After(deadline) {
			t.Fatalf("test mail after the save: %d %s; want ok false", res.Status, res.Body)
		}
		time.Sleep(10 * time.Millisecond)
	}

	// Each admin has a small budget; the next tries get 429 with Retry-After.
	var limited response
	for range 6 {
		if limited = admin.post(path, to); limited.Status != http.StatusOK {
			break
		}
	}
	if limited.Status != http.StatusTooManyRequests || limited.Header.Get("Retry-After") == "" {
		t.Errorf("beyond the budget: status %d, Retry-After %q; want 429 with Retry-After", limited.Status, limited.Header.Get("Retry-After"))
	}
	// The budget is the admin's own: another admin still may.
	ts.addUser(t, "other", "other passphrase", true)
	other := ts.browser(t)
	other.login("other", "other passphrase", http.StatusOK)
	if res := other.post(path, to); res.Status != http.StatusOK {
		t.Errorf("another admin: status %d, want 200", res.Status)
	}
}
