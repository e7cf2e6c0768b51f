package main

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authportal/authportal/providers/totp"
)

// code is the TOTP code for secret at the server's clock plus offset steps.
func code(t *testing.T, ts *testServer, secret string, steps int) string {
	t.Helper()
	c, err := totp.Code(secret, ts.clock.Now().Add(time.Duration(steps)*totp.Period))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// enroll sets up TOTP for a signed-in browser and returns the secret and recovery codes.
func enroll(t *testing.T, ts *testServer, b *browser) (string, []string) {
	t.Helper()
	start := b.post("/mfa/enroll/start", nil)
	if start.Status != http.StatusOK {
		t.Fatalf("enroll start: %d %s", start.Status, start.Body)
	}
	body := start.JSON(t)
	secret, _ := body["secret"].(string)
	if qr, _ := body["qrCode"].(string); !strings.HasPrefix(qr, "data:image/png;base64,") || len(secret) < 32 {
		t.Fatalf("enroll start = %v, want a base32 secret and a PNG data URI", body)
	}
	verify := b.post("/mfa/enroll/verify", map[string]string{"code": code(t, ts, secret, 0)})
	if verify.Status != http.StatusOK {
		t.Fatalf("enroll verify: %d %s", verify.Status, verify.Body)
	}
	var codes []string
	for _, c := range verify.JSON(t)["recoveryCodes"].([]any) {
		codes = append(codes, c.(string))
	}
	if len(codes) != 10 {
		t.Fatalf("got %d recovery codes, want 10", len(codes))
	}
	return secret, codes
}

func TestMFAEnrollThenChallenge(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	ts.addUser(t, "gina", "correct horse battery", false)
	b := ts.browser(t)
	b.login("gina", "correct horse battery", http.StatusOK)

	if res := b.post("/mfa/enroll/verify", map[string]string{"code": "123456"}); res.Status != http.StatusConflict {
		t.Errorf("verify before start: %d, want 409", res.Status)
	}
	start := b.post("/mfa/enroll/start", nil).JSON(t)
	if res := b.post("/mfa/enroll/verify", map[string]string{"code": wrongCode(code(t, ts, start["secret"].(string), 0))}); res.Status != http.StatusUnauthorized || res.problemType(t) != "urn:authportal:problem:invalid-code" {
		t.Errorf("wrong enrollment code: %d %s, want 401 invalid-code", res.Status, res.Body)
	}
	secret, _ := enroll(t, ts, b)
	if st := b.get("/mfa/enroll/status").JSON(t); st["enabled"] != true || st["recoveryCodesRemaining"] != float64(10) {
		t.Errorf("status = %v", st)
	}
	if res := b.post("/mfa/enroll/start", nil); res.Status != http.StatusConflict {
		t.Errorf("second enrollment: %d, want 409: an enabled authenticator is never replaced this way", res.Status)
	}
	b.post("/logout", nil)

	login := b.login("gina", "correct horse battery", http.StatusOK).JSON(t)
	if login["mfaRequired"] != true || login["redirect"] != "/mfa/challenge" {
		t.Fatalf("login of an enrolled user = %v", login)
	}
	if b.cookie("/", "authportal_session") != "" || b.cookie("/mfa/challenge", "authportal_mfa") == "" {
		t.Fatal("a pending login must hold only the /mfa-scoped pending cookie")
	}
	if res := b.get("/me"); res.Status != http.StatusUnauthorized {
		t.Errorf("/me with a pending session: %d, want 401", res.Status)
	}
	if res := b.get("/mfa/challenge"); res.Status != http.StatusOK {
		t.Errorf("challenge page: %d", res.Status)
	}

	// The enrollment used this step's code; the next step's is fresh.
	next := code(t, ts, secret, 1)
	res := b.post("/mfa/challenge/verify", map[string]string{"code": next})
	if res.Status != http.StatusOK {
		t.Fatalf("challenge: %d %s", res.Status, res.Body)
	}
	who := b.get("/whoami").JSON(t)
	if s, _ := who["session"].(map[string]any); who["mfaEnabled"] != true || s["mfa"] != true || s["kind"] != "full" {
		t.Errorf("whoami after MFA = %v", who)
	}
	if b.cookie("/mfa/challenge", "authportal_mfa") != "" {
		t.Error("pending cookie survived the challenge")
	}

	// The same code again, in a new sign-in, inside its window: refused.
	b.post("/logout", nil)
	b.login("gina", "correct horse battery", http.StatusOK)
	if res := b.post("/mfa/challenge/verify", map[string]string{"code": next}); res.Status != http.StatusUnauthorized || res.problemType(t) != "urn:authportal:problem:code-reused" {
		t.Errorf("reused code: %d %s, want 401 code-reused", res.Status, res.Body)
	}
	ts.clock.Advance(totp.Period)
	if res := b.post("/mfa/challenge/verify", map[string]string{"code": code(t, ts, secret, 1)}); res.Status != http.StatusOK {
		t.Errorf("a later code: %d %s, want 200", res.Status, res.Body)
	}
}

// wrongCode returns a 6-digit code that is not c.
func wrongCode(c string) string {
	if c == "000000" {
		return "111111"
	}
	return "000000"
}

func TestRecoveryCodesAreSingleUse(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	ts.addUser(t, "hank", "correct horse battery", false)
	b := ts.browser(t)
	b.login("hank", "correct horse battery", http.StatusOK)
	_, codes := enroll(t, ts, b)
	b.post("/logout", nil)

	b.login("hank", "correct horse battery", http.StatusOK)
	res := b.post("/mfa/challenge/verify", map[string]string{"code": strings.ToUpper(codes[3])})
	if res.Status != http.StatusOK || res.JSON(t)["recoveryCodesLeft"] != float64(9) {
		t.Fatalf("recovery code: %d %s, want 200 with 9 left", res.Status, res.Body)
	}
	b.post("/logout", nil)
	b.login("hank", "correct horse battery", http.StatusOK)
	if res := b.post("/mfa/challenge/verify", map[string]string{"code": codes[3]}); res.Status != http.StatusUnauthorized {
		t.Errorf("spent recovery code: %d, want 401", res.Status)
	}
	if res := b.post("/mfa/challenge/verify", map[string]string{"code": codes[4]}); res.Status != http.StatusOK {
		t.Errorf("another recovery code: %d %s, want 200", res.Status, res.Body)
	}
}

func TestPendingSessionCannotTouchEnrollment(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	ts.addUser(t, "ivy", "correct horse battery", false)
	owner := ts.browser(t)
	owner.login("ivy", "correct horse battery", http.StatusOK)
	enroll(t, ts, owner)

	// Someone with only the password.
	thief := ts.browser(t)
	thief.login("ivy", "correct horse battery", http.StatusOK)
	for path, body := range map[string]map[string]string{"/mfa/enroll/start": {"password": "correct horse battery"}, "/mfa/enroll/verify": {"code": "123456"}} {
		res := thief.post(path, body)
		if res.Status != http.StatusForbidden || res.problemType(t) != "urn:authportal:problem:wrong-session" {
			t.Errorf("%s with a pending session: %d %s, want 403 wrong-session", path, res.Status, res.Body)
		}
	}
	if res := thief.get("/mfa/enroll/status"); res.Status != http.StatusForbidden {
		t.Errorf("status with a pending session: %d, want 403", res.Status)
	}
	if res := thief.get("/mfa/enroll"); res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/mfa/challenge" {
		t.Errorf("enroll page with a pending session: %d %q, want 303 /mfa/challenge", res.Status, res.Header.Get("Location"))
	}
}

func TestMFAEnforceWithholdsTheSessionUntilEnrolled(t *testing.T) {
	t.Parallel()
	ts := startServer(t, map[string]string{"MFA_ENFORCE": "1"})
	ts.addUser(t, "jack", "correct horse battery", false)
	b := ts.browser(t)
	login := b.login("jack", "correct horse battery", http.StatusOK).JSON(t)
	if login["mfaRequired"] != true || login["redirect"] != "/mfa/enroll" {
		t.Fatalf("login = %v, want a redirect to enroll", login)
	}
	if res := b.get("/me"); res.Status != http.StatusUnauthorized {
		t.Errorf("/me before enrolling: %d, want 401", res.Status)
	}
	if res := b.get("/mfa/enroll"); res.Status != http.StatusOK {
		t.Errorf("enroll page: %d", res.Status)
	}
	enroll(t, ts, b)
	if res := b.get("/me"); res.Status != http.StatusOK {
		t.Errorf("/me after enrolling: %d %s, want 200", res.Status, res.Body)
	}
	if s, _ := b.get("/whoami").JSON(t)["session"].(map[string]any); s["mfa"] != true {
		t.Errorf("session after enforced enrollment = %v, want mfa", s)
	}
}

func TestMFARateLimitPerAccount(t *testing.T) {
	t.Parallel()
	// Behind a trusted proxy, each attempt comes from its own address: only
	// the per-account budget can stop them.
	ts := startServer(t, map[string]string{"TRUSTED_PROXY_CIDRS": "127.0.0.1/32"})
	ts.addUser(t, "kim", "correct horse battery", false)
	b := ts.browser(t)
	b.login("kim", "correct horse battery", http.StatusOK)
	secret, _ := enroll(t, ts, b)
	b.post("/logout", nil)
	b.login("kim", "correct horse battery", http.StatusOK)
	bad := wrongCode(code(t, ts, secret, 1))
	from := func(i int) http.Header { return http.Header{"X-Forwarded-For": {fmt.Sprintf("203.0.113.%d", i)}} }
	for i := range 3 {
		if res := b.do(http.MethodPost, "/mfa/challenge/verify", map[string]string{"code": bad}, from(i)); res.Status != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d, want 401", i+1, res.Status)
		}
	}
	if res := b.do(http.MethodPost, "/mfa/challenge/verify", map[string]string{"code": code(t, ts, secret, 1)}, from(9)); res.Status != http.StatusTooManyRequests {
		t.Errorf("4th attempt from a new address: %d, want 429 even with the right code", res.Status)
	}
	ts.clock.Advance(12 * time.Second)
	if res := b.do(http.MethodPost, "/mfa/challenge/verify", map[string]string{"code": code(t, ts, secret, 1)}, from(10)); res.Status != http.StatusOK {
		t.Errorf("after the budget refilled: %d %s, want 200", res.Status, res.Body)
	}
	out, err := ts.cli(t, "", "audit", "export")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, `"clientIp":"203.0.113.0"`) || !strings.Contains(out, `"reason":"invalid"`) {
		t.Error("failed challenges are not in the log with the forwarded client address")
	}
}

func TestConcurrentUseOfOneCodeSucceedsOnce(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	ts.addUser(t, "lee", "correct horse battery", false)
	owner := ts.browser(t)
	owner.login("lee", "correct horse battery", http.StatusOK)
	secret, _ := enroll(t, ts, owner)

	const n = 3 // the per-account MFA budget
	browsers := make([]*browser, n)
	for i := range browsers {
		browsers[i] = ts.browser(t)
		browsers[i].login("lee", "correct horse battery", http.StatusOK)
	}
	c := code(t, ts, secret, 1)
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i, b := range browsers {
		wg.Go(func() { statuses[i] = b.post("/mfa/challenge/verify", map[string]string{"code": c}).Status })
	}
	wg.Wait()
	ok := 0
	for _, s := range statuses {
		if s == http.StatusOK {
			ok++
		}
	}
	if ok != 1 {
		t.Errorf("statuses %v: %d succeeded, want exactly 1", statuses, ok)
	}
}
