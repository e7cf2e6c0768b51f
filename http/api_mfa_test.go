package http

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/authportal/authportal/commands"
	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/queries"
)

// Which session may do what on the MFA operations: the pending enrollment
// session or a full one may enroll, only the pending challenge session may
// answer a challenge, and a password alone never replaces an authenticator.
func TestMFAOperationsCheckTheSessionKind(t *testing.T) {
	type sent struct {
		pending, full domain.SessionKind // "" for no such cookie
	}
	ops := []string{"/mfa/enroll/status", "/mfa/enroll/start", "/mfa/enroll/verify", "/mfa/challenge/verify"}
	tests := []struct {
		name string
		sent sent
		want map[string]problemKind // by operation; absent: allowed
	}{
		{"no session", sent{}, map[string]problemKind{
			ops[0]: problemUnauthenticated, ops[1]: problemUnauthenticated, ops[2]: problemUnauthenticated, ops[3]: problemUnauthenticated}},
		{"pending enrollment", sent{pending: domain.SessionMFAEnroll}, map[string]problemKind{ops[3]: problemWrongSession}},
		{"pending challenge", sent{pending: domain.SessionMFAChallenge}, map[string]problemKind{
			ops[0]: problemWrongSession, ops[1]: problemWrongSession, ops[2]: problemWrongSession}},
		{"pending challenge beside a full session", sent{pending: domain.SessionMFAChallenge, full: domain.SessionFull}, map[string]problemKind{
			ops[0]: problemWrongSession, ops[1]: problemWrongSession, ops[2]: problemWrongSession}},
		{"full session", sent{full: domain.SessionFull}, map[string]problemKind{ops[3]: problemUnauthenticated}},
	}
	for _, tt := range tests {
		for _, op := range ops {
			t.Run(tt.name+" "+op, func(t *testing.T) {
				e := newTestEnv(t)
				e.addUser("U1")
				e.start.do = func(commands.StartTOTPEnrollment) (commands.StartTOTPEnrollmentResult, error) {
					return commands.StartTOTPEnrollmentResult{Secret: "JBSWY3DPEHPK3PXP", QRCode: []byte("png")}, nil
				}
				e.verify.do = func(commands.VerifyTOTPEnrollment) (commands.VerifyTOTPEnrollmentResult, error) {
					return commands.VerifyTOTPEnrollmentResult{Result: commands.Result{Position: 11}, RecoveryCodes: []string{"a", "b"}}, nil
				}
				e.answer.do = func(commands.AnswerMFAChallenge) (commands.AnswerMFAChallengeResult, error) {
					return commands.AnswerMFAChallengeResult{Result: commands.Result{Position: 11},
						Session: domain.SessionStarted{SessionID: "S-full", UserID: "U1", Kind: domain.SessionFull, Epoch: 1, ExpiresAt: testNow.Add(time.Hour)}}, nil
				}
				var cookies []*http.Cookie
				for _, kind := range []domain.SessionKind{tt.sent.pending, tt.sent.full} {
					if kind != "" {
						cookies = append(cookies, jar(e.cookie("U1", kind)))
					}
				}
				method, body := http.MethodPost, any(map[string]string{"code": "123456"})
				if op == ops[0] {
					method, body = http.MethodGet, nil
				}
				if op == ops[1] {
					body = nil
				}
				res := e.send(req{method: method, path: op, body: body, cookies: cookies})
				ran := len(e.start.received()) + len(e.verify.received()) + len(e.answer.received())
				want, refused := tt.want[op]
				if !refused {
					if res.status != http.StatusOK {
						t.Fatalf("status %d, want 200: %s", res.status, res.body)
					}
					if op != ops[0] && ran != 1 {
						t.Errorf("%d commands ran, want 1", ran)
					}
					return
				}
				if res.status != want.status || res.problem(t) != problemType(want) {
					t.Errorf("got %d %s, want %d %s", res.status, res.body, want.status, problemType(want))
				}
				if ran != 0 {
					t.Errorf("a refused session reached a command (%d calls)", ran)
				}
			})
		}
	}
}

func TestMFAEnrollStartAnswersTheSecretOnce(t *testing.T) {
	e := newTestEnv(t)
	e.addUser("U1")
	e.start.do = func(commands.StartTOTPEnrollment) (commands.StartTOTPEnrollmentResult, error) {
		return commands.StartTOTPEnrollmentResult{Secret: "JBSWY3DPEHPK3PXP", QRCode: []byte{0x89, 'P', 'N', 'G'}}, nil
	}
	res := e.post("/mfa/enroll/start", nil, jar(e.cookie("U1", domain.SessionMFAEnroll)))
	body := res.json(t)
	if res.status != http.StatusOK || body["secret"] != "JBSWY3DPEHPK3PXP" || body["qrCode"] != "data:image/png;base64,iVBORw==" {
		t.Errorf("got %d %v", res.status, body)
	}
	if calls := e.start.received(); len(calls) != 1 || calls[0].SessionID != "S0001" {
		t.Errorf("start commands %+v, want one for the pending session S0001", calls)
	}
	if strings.Contains(e.logs.String(), "JBSWY3DPEHPK3PXP") {
		t.Error("the TOTP secret is in the log")
	}
}

func TestMFAEnrollStatus(t *testing.T) {
	e := newTestEnv(t, func(c *Config, _ *Deps) { c.MFAEnforce = true })
	e.addUser("U1", func(u *queries.AccessUser) { u.MFAPending = true })
	body := e.get("/mfa/enroll/status", jar(e.cookie("U1", domain.SessionMFAEnroll))).json(t)
	if body["state"] != "pending" || body["enforced"] != true || body["sessionKind"] != "mfa_enroll" || body["enabled"] != false {
		t.Errorf("status %v", body)
	}
}

// A pending enrollment verified becomes a full session: the full cookie is
// set, the pending one expired, and the answer waits for the model.
func TestMFAEnrollVerifyRotatesThePendingSession(t *testing.T) {
	e := newTestEnv(t)
	e.addUser("U1")
	e.verify.do = func(commands.VerifyTOTPEnrollment) (commands.VerifyTOTPEnrollmentResult, error) {
		return commands.VerifyTOTPEnrollmentResult{Result: commands.Result{Position: 30}, RecoveryCodes: []string{"r1", "r2"},
			Session: domain.SessionStarted{SessionID: "S-full", UserID: "U1", Kind: domain.SessionFull, Epoch: 1, MFA: true, ExpiresAt: testNow.Add(time.Hour)}}, nil
	}
	res := e.post("/mfa/enroll/verify", map[string]string{"code": "123456", "next": "/apps"}, jar(e.cookie("U1", domain.SessionMFAEnroll)))
	body := res.json(t)
	if res.status != http.StatusOK || body["redirect"] != "/apps" || len(body["recoveryCodes"].([]any)) != 2 {
		t.Fatalf("got %d %v", res.status, body)
	}
	full := res.setCookie(sessionCookie)
	if full == nil {
		t.Fatal("no full session cookie")
	}
	if claims, err := e.srv.codec.decode(full.Value); err != nil || claims.SessionID != "S-full" || !claims.MFA || claims.Position != 30 {
		t.Errorf("full session claims %+v (%v)", claims, err)
	}
	if c := res.setCookie(pendingCookie); c == nil || c.MaxAge >= 0 {
		t.Errorf("pending cookie not expired: %v", c)
	}
	if got := e.access.waited(); !slices.Contains(got, 30) {
		t.Errorf("waited for %v, want 30", got)
	}
	if calls := e.verify.received(); len(calls) != 1 || calls[0].Code != "123456" || calls[0].SessionID != "S0001" {
		t.Errorf("verify commands %+v", calls)
	}
}

func TestMFAChallengeVerify(t *testing.T) {
	e := newTestEnv(t)
	e.addUser("U1")
	e.answer.do = func(commands.AnswerMFAChallenge) (commands.AnswerMFAChallengeResult, error) {
		return commands.AnswerMFAChallengeResult{Result: commands.Result{Position: 40}, RecoveryCodesLeft: 7,
			Session: domain.SessionStarted{SessionID: "S-full", UserID: "U1", Kind: domain.SessionFull, Epoch: 1, MFA: true, ExpiresAt: testNow.Add(time.Hour)}}, nil
	}
	res := e.post("/mfa/challenge/verify", map[string]string{"code": "654321", "next": "//evil.example"}, jar(e.cookie("U1", domain.SessionMFAChallenge)))
	body := res.json(t)
	if res.status != http.StatusOK || body["redirect"] != "/home" || body["recoveryCodesLeft"] != float64(7) {
		t.Fatalf("got %d %v", res.status, body)
	}
	if c := res.setCookie(sessionCookie); c == nil || c.Path != "/" {
		t.Errorf("full session cookie %v", c)
	}
	if c := res.setCookie(pendingCookie); c == nil || c.MaxAge >= 0 || c.Path != pendingPath {
		t.Errorf("pending cookie not expired on %s: %v", pendingPath, c)
	}
	if got := e.access.waited(); !slices.Contains(got, 40) {
		t.Errorf("waited for %v, want 40", got)
	}
}

// A command whose failure budget is spent (the account's, a device's or a
// session's) answers 429 with Retry-After, whatever the address.
func TestMFAChallengeBudgetSpent(t *testing.T) {
	e := newTestEnv(t)
	e.addUser("U1")
	e.answer.do = func(commands.AnswerMFAChallenge) (commands.AnswerMFAChallengeResult, error) {
		return commands.AnswerMFAChallengeResult{}, fmt.Errorf("answer mfa challenge: %w", &commands.RateLimitedError{RetryAfter: 90 * time.Second})
	}
	res := e.post("/mfa/challenge/verify", map[string]string{"code": "000000"}, jar(e.cookie("U1", domain.SessionMFAChallenge)))
	if res.status != http.StatusTooManyRequests || res.problem(t) != problemType(problemRateLimited) {
		t.Fatalf("got %d %s, want 429 rate-limited", res.status, res.body)
	}
	if got := res.header.Get("Retry-After"); got != "90" {
		t.Errorf("Retry-After %q, want 90", got)
	}
}

func TestMFACommandFailuresMapToProblems(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want problemKind
	}{
		{"already enrolled", domain.ErrMFAAlreadyEnrolled, problemAlreadyEnrolled},
		{"not started", domain.ErrMFANotStarted, problemEnrollNotStarted},
		{"session ended meanwhile", domain.ErrSessionEnded, problemUnauthenticated},
		{"reused code", domain.ErrCodeReused, problemCodeReused},
		{"busy", commands.ErrBusy, problemUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			e.addUser("U1")
			e.verify.do = func(commands.VerifyTOTPEnrollment) (commands.VerifyTOTPEnrollmentResult, error) {
				return commands.VerifyTOTPEnrollmentResult{}, tt.err
			}
			res := e.post("/mfa/enroll/verify", map[string]string{"code": "123456"}, jar(e.cookie("U1", domain.SessionFull)))
			if res.status != tt.want.status || res.problem(t) != problemType(tt.want) {
				t.Errorf("got %d %s, want %d %s", res.status, res.body, tt.want.status, problemType(tt.want))
			}
		})
	}
}
