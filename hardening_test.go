package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authportal/authportal/providers/local"
	"github.com/jackc/pgx/v5"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

// secondNode starts another AuthPortal on ts's database, with its
// configuration, secrets and clock: a second node behind a load balancer.
func secondNode(t *testing.T, ts *testServer) *testServer {
	t.Helper()
	return runNode(t, ts.env, ts.clock, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
}

// rawPost posts JSON with exactly the headers given (no cookie jar), safe
// to call from many goroutines; it returns the status and Retry-After.
func rawPost(url, path, body string, header http.Header) (int, string, error) {
	req, err := http.NewRequest(http.MethodPost, url+path, strings.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header = header.Clone()
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	_, err = io.Copy(io.Discard, res.Body)
	return res.StatusCode, res.Header.Get("Retry-After"), err
}

func countEvents(t *testing.T, ts *testServer, where string, args ...any) int {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), ts.env["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM events WHERE `+where, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A flood of wrong passwords from many addresses spends the account's
// budget, but a browser that signed in as that user before has a budget of
// its own and gets in; the user's stream does not grow and the event log
// records the flood at a bounded rate.
func TestFloodOfWrongPasswordsDoesNotLockOutAKnownDevice(t *testing.T) {
	t.Parallel()
	ts := startServer(t, map[string]string{"TRUSTED_PROXY_CIDRS": "127.0.0.1/32"})
	id := ts.addUser(t, "alice", "correct horse battery", false)
	ts.addUser(t, "bob", "correct horse battery", false)
	home := ts.browser(t)
	home.login("alice", "correct horse battery", http.StatusOK)
	if home.cookie("/api/auth/login", "authportal_device") == "" {
		t.Fatal("no device cookie after signing in")
	}
	home.post("/logout", nil)
	userEvents := countEvents(t, ts, `stream_id = $1`, "user-"+id)
	failuresBefore := countEvents(t, ts, `event_type = 'user.login_failed'`)

	statuses := map[int]int{}
	for i := range 200 {
		status, _, err := rawPost(ts.URL, "/api/auth/login", `{"username":"alice","password":"wrong guess"}`,
			http.Header{"X-Forwarded-For": {fmt.Sprintf("2001:db8:%x::1", i)}})
		if err != nil {
			t.Fatal(err)
		}
		statuses[status]++
	}
	if statuses[http.StatusUnauthorized] != 10 || statuses[http.StatusTooManyRequests] != 190 {
		t.Errorf("200 wrong passwords from 200 /64s: got %v, want 10 checked (401) and 190 refused (429)", statuses)
	}

	home.login("alice", "correct horse battery", http.StatusOK) // its own budget
	ts.browser(t).login("bob", "correct horse battery", http.StatusOK)
	if res := ts.browser(t).post("/api/auth/login", map[string]string{"username": "alice", "password": "correct horse battery"}); res.Status != http.StatusTooManyRequests {
		t.Errorf("a new browser while alice's budget is spent: got %d, want 429 (the account budget holds)", res.Status)
	}
	if got := countEvents(t, ts, `stream_id = $1`, "user-"+id); got != userEvents {
		t.Errorf("alice's stream: got %d events after the flood and a sign-in, want %d as before", got, userEvents)
	}
	// One per account and one per address per window: the account's
	// window admits one, each of the 10 checked addresses one.
	if got := countEvents(t, ts, `event_type = 'user.login_failed'`) - failuresBefore; got < 1 || got > 11 {
		t.Errorf("login_failed events for the flood: got %d, want 1 to 11", got)
	}
}

// The account budget is keyed by the name as typed, whether or not an
// account has it: a name that matches nobody is throttled the same way.
func TestAccountBudgetIsTheSameForUnknownNames(t *testing.T) {
	t.Parallel()
	ts := startServer(t, map[string]string{"TRUSTED_PROXY_CIDRS": "127.0.0.1/32"})
	ts.addUser(t, "carol", "correct horse battery", false)
	for _, name := range []string{"carol", "ghost"} {
		var got []int
		for i := range 11 {
			status, _, err := rawPost(ts.URL, "/api/auth/login", `{"username":"`+name+`","password":"wrong guess"}`,
				http.Header{"X-Forwarded-For": {fmt.Sprintf("198.51.100.%d", i+1)}})
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, status)
		}
		for i, status := range got {
			want := http.StatusUnauthorized
			if i == 10 {
				want = http.StatusTooManyRequests
			}
			if status != want {
				t.Errorf("%s, attempt %d: got %d, want %d (all: %v)", name, i+1, status, want, got)
				break
			}
		}
	}
	if n := countEvents(t, ts, `data::text LIKE '%ghost%' OR metadata::text LIKE '%ghost%'`); n != 0 {
		t.Errorf("the name that matched nobody is in %d events, want none", n)
	}
}

// Budgets live in the database: parallel guesses at one pending session,
// sent to two nodes from as many addresses, are checked no more than the
// account's MFA budget allows, and the per-address login limit is one limit.
func TestBudgetsHoldAcrossNodes(t *testing.T) {
	t.Parallel()
	a := startServer(t, map[string]string{"TRUSTED_PROXY_CIDRS": "127.0.0.1/32"})
	b := secondNode(t, a)
	a.addUser(t, "dana", "correct horse battery", false)
	owner := a.browser(t)
	owner.login("dana", "correct horse battery", http.StatusOK)
	secret, _ := enroll(t, a, owner)
	owner.post("/logout", nil)
	owner.login("dana", "correct horse battery", http.StatusOK)
	pending := owner.cookie("/mfa/challenge/verify", "authportal_mfa")
	if pending == "" {
		t.Fatal("no pending-MFA cookie after the password")
	}
	bad := wrongCode(code(t, a, secret, 1))

	var mu sync.Mutex
	statuses := map[int]int{}
	var wg sync.WaitGroup
	for i := range 60 {
		wg.Go(func() {
			node := []*testServer{a, b}[i%2]
			status, retry, err := rawPost(node.URL, "/mfa/challenge/verify", `{"code":"`+bad+`"}`, http.Header{
				"Cookie": {"authportal_mfa=" + pending}, "X-Forwarded-For": {fmt.Sprintf("203.0.113.%d", i+1)}})
			if err != nil {
				t.Error(err)
				return
			}
			if status == http.StatusTooManyRequests && retry == "" {
				t.Error("429 without Retry-After")
			}
			mu.Lock()
			statuses[status]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if statuses[http.StatusUnauthorized] != 3 || statuses[http.StatusTooManyRequests] != 57 {
		t.Errorf("60 parallel guesses on two nodes: got %v, want 3 checked (401) and 57 refused (429)", statuses)
	}

	from := http.Header{"X-Forwarded-For": {"192.0.2.77"}}
	for i := range 6 {
		node := []*testServer{a, b}[i%2]
		status, _, err := rawPost(node.URL, "/api/auth/login", `{"username":"nobody-`+fmt.Sprint(i)+`","password":"wrong guess"}`, from)
		if err != nil {
			t.Fatal(err)
		}
		if want := map[bool]int{true: http.StatusUnauthorized, false: http.StatusTooManyRequests}[i < 5]; status != want {
			t.Errorf("login %d from one address, alternating nodes: got %d, want %d", i+1, status, want)
		}
	}
}

// "Use another account": POST /logout ends a pending-MFA session, so its
// cookie can no longer answer the challenge.
func TestLogoutEndsAPendingSession(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	ts.addUser(t, "erin", "correct horse battery", false)
	b := ts.browser(t)
	b.login("erin", "correct horse battery", http.StatusOK)
	secret, _ := enroll(t, ts, b)
	b.post("/logout", nil)
	b.login("erin", "correct horse battery", http.StatusOK)
	pending := b.cookie("/mfa/challenge/verify", "authportal_mfa")
	if res := b.post("/logout", nil); res.Status != http.StatusSeeOther {
		t.Fatalf("logout: %d %s", res.Status, res.Body)
	}
	if b.cookie("/mfa/challenge/verify", "authportal_mfa") != "" {
		t.Error("logout left the pending cookie in the browser")
	}
	status, _, err := rawPost(ts.URL, "/mfa/challenge/verify", `{"code":"`+code(t, ts, secret, 1)+`"}`,
		http.Header{"Cookie": {"authportal_mfa=" + pending}})
	if err != nil {
		t.Fatal(err)
	}
	if status != http.StatusUnauthorized {
		t.Errorf("the right code on a logged-out pending session: got %d, want 401", status)
	}
}

// A correctly signed cookie naming a session the log never started is no
// session: only ended sessions being remembered let it pass before.
func TestForgedCookieForAnUnstartedSessionIsRefused(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	id := ts.addUser(t, "fay", "correct horse battery", true)
	b := ts.browser(t)
	b.login("fay", "correct horse battery", http.StatusOK)
	if me := b.get("/me"); me.Status != http.StatusOK {
		t.Fatalf("the real session: /me %d", me.Status)
	}
	secret, err := os.ReadFile(filepath.Join(ts.env["DATA_DIR"], "secrets", "session_secret"))
	if err != nil {
		t.Fatal(err)
	}
	now := ts.clock.Now()
	tok, err := jwt.NewBuilder().Issuer(ts.URL).Subject(id).IssuedAt(now).Expiration(now.Add(time.Hour)).
		Claim("sid", "INVENTEDSESSIONID").Claim("knd", "full").Claim("epo", 1).Claim("pos", 1).
		Claim("aut", true).Claim("mfa", false).Build()
	if err != nil {
		t.Fatal(err)
	}
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.HS256(), []byte(strings.TrimSpace(string(secret)))))
	if err != nil {
		t.Fatal(err)
	}
	forged := ts.browser(t)
	forged.header.Set("Cookie", "authportal_session="+string(signed))
	if res := forged.get("/me"); res.Status != http.StatusUnauthorized {
		t.Errorf("a signed cookie for an invented session: /me got %d, want 401", res.Status)
	}
}

// Turning TOTP on ends the user's other sessions; the enrolling browser
// goes on in a new one.
func TestEnablingTOTPEndsOtherSessions(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	ts.addUser(t, "gus", "correct horse battery", false)
	laptop, stolen := ts.browser(t), ts.browser(t)
	laptop.login("gus", "correct horse battery", http.StatusOK)
	stolen.login("gus", "correct horse battery", http.StatusOK)
	enroll(t, ts, laptop)
	if res := laptop.get("/me"); res.Status != http.StatusOK {
		t.Errorf("the enrolling browser: /me got %d, want 200", res.Status)
	}
	if res := stolen.get("/me"); res.Status != http.StatusUnauthorized {
		t.Errorf("another session after TOTP was turned on: /me got %d, want 401", res.Status)
	}
}

// A full session whose sign-in is more than a few minutes old must confirm
// the password before it may set up an authenticator.
func TestEnrollmentFromAnOldSessionAsksForThePassword(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	ts.addUser(t, "hal", "correct horse battery", false)
	b := ts.browser(t)
	b.login("hal", "correct horse battery", http.StatusOK)
	ts.clock.Advance(6 * time.Minute)
	if res := b.post("/mfa/enroll/start", nil); res.Status != http.StatusUnauthorized || res.problemType(t) != "urn:authportal:problem:reauth-required" {
		t.Fatalf("enroll start 6 minutes after sign-in: %d %s, want 401 reauth-required", res.Status, res.Body)
	}
	if res := b.post("/mfa/enroll/start", map[string]string{"password": "not it"}); res.Status != http.StatusUnauthorized || res.problemType(t) != "urn:authportal:problem:invalid-credentials" {
		t.Errorf("with a wrong password: %d %s, want 401 invalid-credentials", res.Status, res.Body)
	}
	if n := countEvents(t, ts, `event_type = 'user.totp_enrollment_started'`); n != 0 {
		t.Errorf("refused starts wrote %d enrollment events, want 0", n)
	}
	if res := b.post("/mfa/enroll/start", map[string]string{"password": "correct horse battery"}); res.Status != http.StatusOK {
		t.Errorf("with the password: %d %s, want 200", res.Status, res.Body)
	}
	ts.clock.Advance(12 * time.Second) // the per-address limit on this path: 3, then one every 12 s
	if res := b.post("/mfa/enroll/start", map[string]string{"password": "correct horse battery"}); res.Status != http.StatusOK || res.JSON(t)["replaced"] != true {
		t.Errorf("starting again: %d %s, want 200 saying the earlier set-up was replaced", res.Status, res.Body)
	}
}

// Passwords are capped by bytes at the edge, before any account is looked
// up: the answer is the same for a known and an unknown name.
func TestOverlongPasswordsAreRefusedAtTheEdge(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	ts.addUser(t, "ida", "correct horse battery", false)
	long := strings.Repeat("€", 342) // 1,026 bytes, 342 characters
	known := ts.browser(t).post("/api/auth/login", map[string]string{"username": "ida", "password": long})
	unknown := ts.browser(t).post("/api/auth/login", map[string]string{"username": "nobody", "password": long})
	if known.Status != http.StatusUnprocessableEntity || string(known.Body) != string(unknown.Body) || known.Status != unknown.Status {
		t.Errorf("over-long password: known %d %s, unknown %d %s; want the same 422", known.Status, known.Body, unknown.Status, unknown.Body)
	}
	if strings.Contains(string(known.Body), "€€") {
		t.Error("the refusal echoes the password")
	}
}

// Password hashes leave the log only sealed: a user registered before hashes
// were sealed (user.registered v1, the hash in clear) still signs in, and
// audit export prints no hash, sealed rows staying sealed.
func TestAuditExportPrintsNoPasswordHash(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	ts.addUser(t, "jo", "correct horse battery", false)

	hasher, err := local.NewHasher(local.Params{Memory: 64, Time: 1, Threads: 1}, 1)
	if err != nil {
		t.Fatal(err)
	}
	clear, err := hasher.Hash(t.Context(), "legacy password ok")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(t.Context(), ts.env["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	claim := `{"username":"legacy","userId":"LEGACYUSER"}`
	registered := fmt.Sprintf(`{"userId":"LEGACYUSER","username":"legacy","provider":"local","passwordHash":%q,"accessGranted":true}`, clear)
	if _, err := conn.Exec(t.Context(), `SELECT append_events($1, $2, $3, $4, $5, $6::jsonb[], $7)`,
		[]string{"username-legacy", "user-LEGACYUSER"}, []int64{0, 0}, []string{"username-legacy", "user-LEGACYUSER"},
		[]string{"username.claimed", "user.registered"}, []int32{1, 1}, []string{claim, registered},
		`{"actor":"cli","actorKind":"cli"}`); err != nil {
		t.Fatal(err)
	}
	ts.browser(t).login("legacy", "legacy password ok", http.StatusOK)

	out, err := ts.cli(t, "", "audit", "export")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "$argon2id$") || strings.Contains(out, "argon2id") {
		t.Error("audit export prints a password hash")
	}
	if !strings.Contains(out, `"passwordHash":"[redacted]"`) || !strings.Contains(out, `"sealedPasswordHash":"v1.`) {
		t.Errorf("audit export: want the v1 hash redacted and the v2 one sealed; got\n%s", out)
	}
}

// from sends every request of b from addr, behind the trusted proxy.
func (b *browser) from(addr string) *browser {
	b.header.Set("X-Forwarded-For", addr)
	return b
}

// Someone on the same /64 (a shared network, a NAT) who spends the
// address's budget does not keep out a browser that signed in before.
func TestANeighbourCannotKeepAKnownDeviceOut(t *testing.T) {
	t.Parallel()
	ts := startServer(t, map[string]string{"TRUSTED_PROXY_CIDRS": "127.0.0.1/32"})
	ts.addUser(t, "lena", "correct horse battery", false)
	victim := ts.browser(t).from("2001:db8:77:1::10")
	victim.login("lena", "correct horse battery", http.StatusOK)
	victim.post("/logout", nil)
	neighbour := ts.browser(t).from("2001:db8:77:1::bad")
	for i := range 6 {
		neighbour.post("/api/auth/login", map[string]string{"username": fmt.Sprintf("junk%d", i), "password": "wrong guess"})
	}
	if res := neighbour.post("/api/auth/login", map[string]string{"username": "junk", "password": "wrong guess"}); res.Status != http.StatusTooManyRequests {
		t.Fatalf("the neighbour after spending the /64's budget: got %d, want 429", res.Status)
	}
	victim.login("lena", "correct horse battery", http.StatusOK)
	if res := ts.browser(t).from("2001:db8:77:1::11").post("/api/auth/login", map[string]string{"username": "lena", "password": "correct horse battery"}); res.Status != http.StatusTooManyRequests {
		t.Errorf("a new browser on the same /64: got %d, want 429 (the address budget holds for strangers)", res.Status)
	}
}

// A password change makes the devices known before it strangers again:
// guesses through their cookies spend the account's budget too.
func TestOldDevicesAreStrangersAfterAPasswordChange(t *testing.T) {
	t.Parallel()
	ts := startServer(t, map[string]string{"TRUSTED_PROXY_CIDRS": "127.0.0.1/32"})
	ts.addUser(t, "kay", "correct horse battery", false)
	var devices []*browser
	for i := range 12 {
		b := ts.browser(t).from(fmt.Sprintf("198.51.100.%d", i+1))
		b.login("kay", "correct horse battery", http.StatusOK)
		devices = append(devices, b)
	}
	if _, err := ts.cli(t, "a new long passphrase\n", "user", "passwd", "--username", "kay", "--password-stdin"); err != nil {
		t.Fatal(err)
	}
	statuses := map[int]int{}
	for _, b := range devices {
		statuses[b.post("/api/auth/login", map[string]string{"username": "kay", "password": "old guess"}).Status]++
	}
	if statuses[http.StatusUnauthorized] != 10 || statuses[http.StatusTooManyRequests] != 2 {
		t.Errorf("a guess from each of 12 devices known before the change: got %v, want 10 checked (the account's budget) and 2 refused", statuses)
	}
}

// An anonymous flood at a name spends the account's sign-in budget, but not
// what the signed-in user needs to confirm their password (step-up).
func TestStepUpIsNotLockedByAnAnonymousFlood(t *testing.T) {
	t.Parallel()
	ts := startServer(t, map[string]string{"TRUSTED_PROXY_CIDRS": "127.0.0.1/32"})
	ts.addUser(t, "moe", "correct horse battery", false)
	b := ts.browser(t).from("192.0.2.10")
	b.login("moe", "correct horse battery", http.StatusOK)
	ts.clock.Advance(6 * time.Minute)
	for i := range 12 {
		ts.browser(t).from(fmt.Sprintf("203.0.113.%d", i+1)).post("/api/auth/login", map[string]string{"username": "moe", "password": "wrong guess"})
	}
	if res := ts.browser(t).from("203.0.113.99").post("/api/auth/login", map[string]string{"username": "moe", "password": "wrong guess"}); res.Status != http.StatusTooManyRequests {
		t.Fatalf("the flood did not spend the account's budget: got %d, want 429", res.Status)
	}
	if res := b.post("/mfa/enroll/start", map[string]string{"password": "correct horse battery"}); res.Status != http.StatusOK {
		t.Errorf("step-up with the right password after an anonymous flood: %d %s, want 200", res.Status, res.Body)
	}
}

// Codes for a half-finished enrollment spend the account's second-factor
// budget, however many addresses they come from: a stolen session must not
// be able to guess its way to the recovery codes.
func TestEnrollmentCodesSpendTheAccountsBudget(t *testing.T) {
	t.Parallel()
	ts := startServer(t, map[string]string{"TRUSTED_PROXY_CIDRS": "127.0.0.1/32"})
	ts.addUser(t, "ned", "correct horse battery", false)
	b := ts.browser(t)
	b.login("ned", "correct horse battery", http.StatusOK)
	start := b.post("/mfa/enroll/start", nil)
	if start.Status != http.StatusOK {
		t.Fatalf("enroll start: %d %s", start.Status, start.Body)
	}
	bad := wrongCode(code(t, ts, start.JSON(t)["secret"].(string), 0))
	for i := range 4 {
		res := b.from(fmt.Sprintf("198.51.100.%d", i+1)).post("/mfa/enroll/verify", map[string]string{"code": bad})
		want := http.StatusUnauthorized
		if i == 3 {
			want = http.StatusTooManyRequests
		}
		if res.Status != want {
			t.Errorf("wrong code %d from its own address: got %d, want %d", i+1, res.Status, want)
		}
	}
}
