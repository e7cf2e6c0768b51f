package http

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/authportal/authportal/commands"
	"github.com/authportal/authportal/domain"
	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/humatest"
)

// newTestServer is the web layer with fakes behind it that answer nothing:
// every request these tests send is answered before an operation would call
// a command (huma refuses the body, or no route matches), so a call would be
// a test bug and fails with the fake's "no answer set".
func newTestServer(t *testing.T) *Server {
	t.Helper()
	base, err := url.Parse("http://portal.test")
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{BaseURL: base, SessionKey: bytes.Repeat([]byte("k"), 32), MFAEnabled: true}, Deps{
		Login:      &fakeCommand[commands.Login, commands.LoginResult]{},
		Logout:     &fakeCommand[commands.Logout, commands.Result]{},
		StartTOTP:  &fakeCommand[commands.StartTOTPEnrollment, commands.StartTOTPEnrollmentResult]{},
		VerifyTOTP: &fakeCommand[commands.VerifyTOTPEnrollment, commands.VerifyTOTPEnrollmentResult]{},
		AnswerMFA:  &fakeCommand[commands.AnswerMFAChallenge, commands.AnswerMFAChallengeResult]{},
		Access:     newFakeAccess(), Reader: &fakeHead{}, Health: fakeHealth{started: true}, Budgets: &fakeBudgets{},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now:    func() time.Time { return time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) },
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// serve sends one request from its own address (the rate limits are per IP).
func serve(s *Server, method, path, body, ip string, header map[string]string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	r.RemoteAddr = ip + ":40000"
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	return w
}

const secret = "Tr0ub4dor&3-SECRET" // never to be seen in a response

func TestErrorsNeverEchoSubmittedValues(t *testing.T) {
	s := newTestServer(t)
	long := func(n int) string { return strings.Repeat(secret, n/len(secret)+1)[:n] }
	tests := []struct {
		name, path, body string
		status           int
		typ, detail      string
		location         string
	}{
		{"password too long", "/api/auth/login",
			`{"username":"alice","password":"` + long(1100) + `"}`,
			422, "invalid-input", "Passwords are at most 1024 bytes long.", "body.password"},
		{"password over the byte cap but under huma's length", "/api/auth/login",
			`{"username":"alice","password":"` + strings.Repeat("€", 400) + `"}`,
			422, "invalid-input", "Passwords are at most 1024 bytes long.", "body.password"},
		{"username too long, password beside it", "/api/auth/login",
			`{"username":"` + long(300) + `","password":"` + secret + `"}`,
			422, "invalid-input", "Usernames are at most 64 characters.", "body.username"},
		{"username missing: huma reports the whole object", "/api/auth/login",
			`{"password":"` + secret + `"}`,
			422, "invalid-input", "Enter your username.", "body.username"},
		{"not JSON: huma reports the raw body", "/api/auth/login",
			`{"username":"alice","password":"` + secret + `"`,
			400, "malformed-request", "The request body is not JSON this operation understands.", ""},
		{"unknown field named with a secret", "/api/auth/login",
			`{"username":"alice","password":"x","` + secret + `":"` + secret + `"}`,
			422, "invalid-input", "The request has a field this operation does not take, or lacks one it needs.", "body"},
		{"wrong type", "/api/auth/login",
			`{"username":"alice","password":["` + secret + `"]}`,
			422, "invalid-input", "Enter your password.", "body.password"},
		{"5-digit code at the challenge", "/mfa/challenge/verify",
			`{"code":"12345","next":"/` + secret + `"}`,
			422, "invalid-input", "Enter the 6-digit code from your authenticator app, or one of your recovery codes.", "body.code"},
		{"5-digit code at enrollment", "/mfa/enroll/verify",
			`{"code":"12345"}`,
			422, "invalid-input", "Enter the 6-digit code from your authenticator app.", "body.code"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := serve(s, http.MethodPost, tt.path, tt.body, "192.0.2."+string(rune('1'+i)), nil)
			raw := w.Body.Bytes()
			// The raw bytes: no decoding step may hide an echo.
			for _, leak := range []string{secret, "12345", `"value"`} {
				if bytes.Contains(raw, []byte(leak)) {
					t.Fatalf("response contains %q: %s", leak, raw)
				}
			}
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.status, raw)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type %q, want application/problem+json", ct)
			}
			var p struct {
				Type, Title, Detail string
				Status              int
				Errors              []struct{ Message, Location string }
			}
			if err := json.Unmarshal(raw, &p); err != nil {
				t.Fatalf("not JSON: %v: %s", err, raw)
			}
			if want := "urn:authportal:problem:" + tt.typ; p.Type != want {
				t.Errorf("type %q, want %q", p.Type, want)
			}
			if p.Detail != tt.detail {
				t.Errorf("detail %q, want %q", p.Detail, tt.detail)
			}
			if p.Status != tt.status {
				t.Errorf("status member %d, want %d", p.Status, tt.status)
			}
			if tt.location != "" && (len(p.Errors) == 0 || p.Errors[0].Location != tt.location) {
				t.Errorf("errors %+v, want the first at %s", p.Errors, tt.location)
			}
		})
	}
}

func TestUnknownPathIsTheBrandedPage(t *testing.T) {
	s := newTestServer(t)
	tests := []struct {
		name, method, path, accept string
		status                     int
		contentType, contains      string
		absent                     []string
	}{
		{"page", "GET", "/no-such-page", "text/html", 404, "text/html; charset=utf-8", `id="not-found"`, nil},
		{"missing static file", "GET", "/static/nope.css", "text/css", 404, "text/html; charset=utf-8", `id="not-found"`, nil},
		{"static root lists nothing", "GET", "/static/", "text/html", 404, "text/html; charset=utf-8", `id="not-found"`,
			[]string{"login.js", "mfa_enroll.js", "docs/"}},
		{"static folder lists nothing", "GET", "/static/docs/", "text/html", 404, "text/html; charset=utf-8", `id="not-found"`,
			[]string{"swagger-ui.css", "init.js"}},
		{"static folder without slash", "GET", "/static/docs", "text/html", 404, "text/html; charset=utf-8", `id="not-found"`,
			[]string{"swagger-ui.css", "init.js"}},
		{"JSON client", "GET", "/api/nope", "application/json", 404, "application/problem+json", "urn:authportal:problem:not-found", nil},
		{"another method", "POST", "/home", "text/html", 405, "application/problem+json", "urn:authportal:problem:method-not-allowed", nil},
		{"a static file still serves", "GET", "/static/app.css", "text/css", 200, "text/css; charset=utf-8", "--accent", nil},
		{"a nested static file still serves", "GET", "/static/docs/init.js", "*/*", 200, "text/javascript; charset=utf-8", "SwaggerUI", nil},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := serve(s, tt.method, tt.path, "", "198.51.100."+string(rune('1'+i)), map[string]string{"Accept": tt.accept})
			if w.Code != tt.status {
				t.Fatalf("%s %s: status %d, want %d", tt.method, tt.path, w.Code, tt.status)
			}
			if ct := w.Header().Get("Content-Type"); ct != tt.contentType {
				t.Errorf("Content-Type %q, want %q", ct, tt.contentType)
			}
			body := w.Body.String()
			if !strings.Contains(body, tt.contains) {
				t.Errorf("body lacks %q: %.300s", tt.contains, body)
			}
			for _, a := range tt.absent {
				if strings.Contains(body, a) {
					t.Errorf("body contains %q: %.300s", a, body)
				}
			}
		})
	}
	if w := serve(s, "POST", "/home", "", "198.51.100.99", nil); w.Header().Get("Allow") != "GET, HEAD" {
		t.Errorf("Allow %q, want GET, HEAD", w.Header().Get("Allow"))
	}
}

func TestWaitWords(t *testing.T) {
	tests := []struct {
		wait time.Duration
		want string
	}{
		{0, "1 second"},
		{300 * time.Millisecond, "1 second"},
		{11*time.Second + time.Millisecond, "12 seconds"},
		{60 * time.Second, "1 minute"},
		{61 * time.Second, "2 minutes"},
	}
	for _, tt := range tests {
		m, retryAfter := tooManyAttempts(tt.wait)
		if want := "Too many attempts. Try again in " + tt.want + "."; m.Detail != want {
			t.Errorf("tooManyAttempts(%v) detail %q, want %q", tt.wait, m.Detail, want)
		}
		if retryAfter == "0" {
			t.Errorf("tooManyAttempts(%v) Retry-After 0", tt.wait)
		}
	}
}

// The same code failure reads differently by page: recovery codes exist only
// once enrollment is done, and a reused code is its own problem.
func TestCodeFailureWordsPerOperation(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	tests := []struct {
		name, op    string
		err         error
		typ, detail string
	}{
		{"wrong code at enrollment", "mfa-enroll-verify", domain.ErrCodeInvalid, "invalid-code",
			"That code is not valid. Enter the code your app shows for AuthPortal now, before it changes."},
		{"wrong code at the challenge", "mfa-challenge-verify", domain.ErrCodeInvalid, "invalid-code",
			"That code is not valid. Try the next one from your app, or a recovery code."},
		{"reused code at the challenge", "mfa-challenge-verify", domain.ErrCodeReused, "code-reused",
			"That code was already used. Wait for the next one from your app."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := humatest.NewContext(&huma.Operation{OperationID: tt.op}, httptest.NewRequest("POST", "/", nil), httptest.NewRecorder())
			v, err := publicErrors(ctx, "401", problemFor(t.Context(), logger, fmt.Errorf("answer: %w", tt.err)))
			if err != nil {
				t.Fatal(err)
			}
			m := v.(*huma.ErrorModel)
			if want := "urn:authportal:problem:" + tt.typ; m.Type != want || m.Detail != tt.detail {
				t.Errorf("got %s %q, want %s %q", m.Type, m.Detail, want, tt.detail)
			}
		})
	}
}

func TestInvalidInputWords(t *testing.T) {
	tests := []struct {
		name string
		err  domain.InvalidInputError
		want string
	}{
		{"username", domain.InvalidInputError{Field: "username", Reason: "1 to 64 characters"},
			"Usernames are 1 to 64 characters: letters, digits and . _ @ -, starting with a letter or digit."},
		{"other field", domain.InvalidInputError{Field: "password", Reason: "at least 12 characters"}, "At least 12 characters (password)."},
		{"no reason", domain.InvalidInputError{Field: "password"}, "The password is not valid."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := invalidInputWords(&tt.err); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
