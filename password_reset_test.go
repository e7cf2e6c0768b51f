package main

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

var resetLink = regexp.MustCompile(`http://127\.0\.0\.1:\d+/password/reset/([A-Za-z0-9]+)`)

// waitForResetMail returns the reset token of the n-th message the sink holds.
func waitForResetMail(t *testing.T, s *sink, n int) (token, raw string) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; {
		if msgs := s.messages(); len(msgs) >= n {
			m := resetLink.FindStringSubmatch(msgs[n-1])
			if m == nil {
				t.Fatalf("no reset link in the mail:\n%s", msgs[n-1])
			}
			return m[1], msgs[n-1]
		}
		if time.Now().After(deadline) {
			t.Fatal("no reset mail arrived")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func forgot(b *browser, who string) response {
	b.t.Helper()
	return b.post("/password/forgot", url.Values{"who": {who}})
}

func newPassword(p, again string) url.Values {
	return url.Values{"password": {p}, "password2": {again}}
}

func TestPasswordResetByEmailOverHTTP(t *testing.T) {
	t.Parallel()
	mails, port := startSink(t)
	ts := startServer(t, map[string]string{"SMTP_HOST": "127.0.0.1", "SMTP_PORT": strconv.Itoa(port),
		"SMTP_FROM": "portal@example.test", "SMTP_SECURITY": "none"})
	ts.addUser(t, "ada", "old passphrase", false)
	ts.addUser(t, "bob", "bob passphrase", false)
	laptop := ts.browser(t)
	laptop.login("ada", "old passphrase", http.StatusOK)

	anon := ts.browser(t)
	if page := anon.get("/"); !strings.Contains(string(page.Body), `href="/password/forgot"`) {
		t.Error("the login page has no \"Forgot your password?\" link while SMTP is configured")
	}

	// An unknown address and a known one get the same answer; only the
	// known one gets mail. The unknown one is asked first: the mailer
	// follows the log in order, so had it written anything, its mail would
	// come before ada's.
	unknown := forgot(anon, "nobody@example.com")
	known := forgot(anon, "ADA@example.com")
	if unknown.Status != http.StatusOK || known.Status != http.StatusOK {
		t.Fatalf("forgot: %d and %d, want 200 and 200", unknown.Status, known.Status)
	}
	if a, b := strings.ReplaceAll(string(unknown.Body), "nobody@example.com", "X"), strings.ReplaceAll(string(known.Body), "ADA@example.com", "X"); a != b || !strings.Contains(a, `id="forgot-sent"`) {
		t.Errorf("the answers differ, or say nothing was sent:\n%s\n---\n%s", unknown.Body, known.Body)
	}
	// Asking again within the window writes nothing more (checked below: one mail for ada).
	if res := forgot(anon, "ada"); res.Status != http.StatusOK || !strings.Contains(string(res.Body), `id="forgot-sent"`) {
		t.Errorf("asking again: %d", res.Status)
	}
	token, raw := waitForResetMail(t, mails, 1)
	if !strings.Contains(raw, "ada@example.com") || !strings.Contains(raw, "Reset your password") || !strings.Contains(raw, "text/html") {
		t.Errorf("the mail is not ada's reset mail with an HTML part:\n%s", raw)
	}

	page := anon.get("/password/reset/" + token)
	if page.Status != http.StatusOK || !strings.Contains(string(page.Body), `id="reset-form"`) || page.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Fatalf("reset page: %d\n%s", page.Status, page.Body)
	}
	if res := anon.post("/password/reset/"+token, newPassword("short", "short")); res.Status != http.StatusUnprocessableEntity || !strings.Contains(string(res.Body), "at least 8 characters") {
		t.Errorf("weak password: %d\n%s", res.Status, res.Body)
	}
	if res := anon.post("/password/reset/"+token, newPassword("new passphrase", "other passphrase")); res.Status != http.StatusUnprocessableEntity || !strings.Contains(string(res.Body), "differ") {
		t.Errorf("two different passwords: %d", res.Status)
	}
	if res := anon.post("/password/reset/"+token, newPassword("new passphrase", "new passphrase")); res.Status != http.StatusOK || !strings.Contains(string(res.Body), `id="reset-done"`) {
		t.Fatalf("reset: %d\n%s", res.Status, res.Body)
	}
	// Every session of ada's ended; the new password works, the old does not.
	deadline := time.Now().Add(10 * time.Second)
	for laptop.get("/whoami").JSON(t)["authenticated"] != false {
		if time.Now().After(deadline) {
			t.Fatal("ada's laptop is still signed in after the reset")
		}
		time.Sleep(20 * time.Millisecond)
	}
	ts.browser(t).login("ada", "new passphrase", http.StatusOK)
	ts.browser(t).login("ada", "old passphrase", http.StatusUnauthorized)

	// The link works once; a made-up one is not valid.
	if res := anon.post("/password/reset/"+token, newPassword("third passphrase", "third passphrase")); res.Status != http.StatusGone || !strings.Contains(string(res.Body), "already used") {
		t.Errorf("reusing the link: %d\n%s", res.Status, res.Body)
	}
	if res := anon.get("/password/reset/" + token); res.Status != http.StatusGone || !strings.Contains(string(res.Body), `id="reset-gone"`) {
		t.Errorf("the used link's page: %d", res.Status)
	}
	if res := anon.get("/password/reset/MADEUPTOKEN"); res.Status != http.StatusNotFound || !strings.Contains(string(res.Body), "not valid") {
		t.Errorf("unknown token: %d", res.Status)
	}

	// A link older than an hour has expired.
	if res := forgot(anon, "bob"); res.Status != http.StatusOK {
		t.Fatalf("forgot bob: %d", res.Status)
	}
	bobToken, _ := waitForResetMail(t, mails, 2)
	ts.clock.Advance(61 * time.Minute)
	if res := anon.post("/password/reset/"+bobToken, newPassword("bob new passphrase", "bob new passphrase")); res.Status != http.StatusGone || !strings.Contains(string(res.Body), "expired") {
		t.Errorf("expired link: %d\n%s", res.Status, res.Body)
	}
	ts.browser(t).login("bob", "bob passphrase", http.StatusOK)

	if n := len(mails.messages()); n != 2 {
		t.Errorf("the sink holds %d mails; want 2 (ada's once, bob's; none for nobody@)", n)
	}
}

func TestPasswordResetIsOfferedOnlyWithAMailServer(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	ts.addUser(t, "ada", "old passphrase", false)
	anon := ts.browser(t)
	if page := anon.get("/"); page.Status != http.StatusOK || strings.Contains(string(page.Body), "/password/forgot") {
		t.Errorf("login page without SMTP: %d, offers a reset: %v", page.Status, strings.Contains(string(page.Body), "/password/forgot"))
	}
	if res := forgot(anon, "ada"); res.Status != http.StatusServiceUnavailable || !strings.Contains(string(res.Body), "no mail server is configured") {
		t.Errorf("forgot without SMTP: %d\n%s", res.Status, res.Body)
	}
}
