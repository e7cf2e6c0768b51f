package http

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/authportal/authportal/commands"
	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/queries"
)

// started is a session the login command opened.
func started(kind domain.SessionKind) commands.LoginResult {
	return commands.LoginResult{
		Result: commands.Result{Position: 12},
		Session: domain.SessionStarted{
			SessionID: "S-new", UserID: "U1", Kind: kind, Authorized: true, Provider: "local", Epoch: 1,
			ExpiresAt: testNow.Add(8 * time.Hour),
		},
	}
}

func TestLoginOpensTheSessionTheCommandStarted(t *testing.T) {
	tests := []struct {
		name         string
		kind         domain.SessionKind
		next         string
		wantCookie   string // the cookie set
		wantExpired  string // the other one, expired
		wantPath     string
		wantMFA      bool
		wantRedirect string
	}{
		{"full session", domain.SessionFull, "/apps?x=1", sessionCookie, pendingCookie, "/", false, "/apps?x=1"},
		{"full session, unsafe next", domain.SessionFull, "//evil.example", sessionCookie, pendingCookie, "/", false, "/home"},
		{"challenge owed", domain.SessionMFAChallenge, "/apps", pendingCookie, sessionCookie, pendingPath, true, "/mfa/challenge?next=%2Fapps"},
		{"enrollment owed", domain.SessionMFAEnroll, "", pendingCookie, sessionCookie, pendingPath, true, "/mfa/enroll"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			e.login.do = func(commands.Login) (commands.LoginResult, error) { return started(tt.kind), nil }
			res := e.send(req{method: http.MethodPost, path: "/api/auth/login",
				body:   map[string]string{"username": "Pat", "password": "correct horse", "next": tt.next},
				header: http.Header{"X-Forwarded-For": {"203.0.113.9"}, "User-Agent": {"test-agent"}}})
			if res.status != http.StatusOK {
				t.Fatalf("status %d, want 200: %s", res.status, res.body)
			}
			body := res.json(t)
			if body["ok"] != true || body["mfaRequired"] != tt.wantMFA || body["redirect"] != tt.wantRedirect {
				t.Errorf("body %v, want ok, mfaRequired=%t, redirect %q", body, tt.wantMFA, tt.wantRedirect)
			}

			c := res.setCookie(tt.wantCookie)
			if c == nil {
				t.Fatalf("no %s cookie set: %v", tt.wantCookie, res.header.Values("Set-Cookie"))
			}
			if !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteLaxMode || c.Path != tt.wantPath || c.MaxAge <= 0 {
				t.Errorf("cookie %s: HttpOnly=%t Secure=%t SameSite=%v Path=%q MaxAge=%d", c.Name, c.HttpOnly, c.Secure, c.SameSite, c.Path, c.MaxAge)
			}
			claims, err := e.srv.codec.decode(c.Value)
			if err != nil {
				t.Fatalf("the cookie does not decode: %v", err)
			}
			if claims.SessionID != "S-new" || claims.UserID != "U1" || claims.Kind != tt.kind || claims.Position != 12 {
				t.Errorf("cookie claims %+v, want session S-new of U1, kind %s, position 12", claims, tt.kind)
			}
			if old := res.setCookie(tt.wantExpired); old == nil || old.MaxAge >= 0 {
				t.Errorf("the %s cookie is not expired: %v", tt.wantExpired, old)
			}

			calls := e.login.received()
			if len(calls) != 1 {
				t.Fatalf("login command called %d times, want 1", len(calls))
			}
			cmd := calls[0]
			if cmd.Username != "Pat" || cmd.Password != "correct horse" || cmd.Meta.ClientIP != "203.0.113.9" ||
				cmd.Meta.UserAgent != "test-agent" || cmd.Meta.RequestID != res.header.Get("X-Request-Id") || cmd.Meta.ActorKind != domain.ActorAnonymous {
				t.Errorf("command %+v", cmd)
			}
		})
	}
}

func TestLoginFailuresMapToProblems(t *testing.T) {
	const internal = "pgconn: secret-table relation does not exist"
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantType   problemKind
	}{
		{"invalid credentials", fmt.Errorf("login: %w", commands.ErrInvalidCredentials), http.StatusUnauthorized, problemInvalidCredentials},
		{"hashing saturated", fmt.Errorf("login: %w: %s", commands.ErrBusy, internal), http.StatusServiceUnavailable, problemUnavailable},
		{"log unreachable", fmt.Errorf("login: %w: %s", commands.ErrUnavailable, internal), http.StatusServiceUnavailable, problemUnavailable},
		{"too many conflicts", fmt.Errorf("login: %w", commands.ErrTooManyConflicts), http.StatusServiceUnavailable, problemUnavailable},
		{"read model behind", fmt.Errorf("login: %w", queries.ErrNotCaughtUp), http.StatusServiceUnavailable, problemUnavailable},
		{"anything else", errors.New(internal), http.StatusInternalServerError, problemInternal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			e.login.do = func(commands.Login) (commands.LoginResult, error) { return commands.LoginResult{}, tt.err }
			res := e.post("/api/auth/login", map[string]string{"username": "pat", "password": "hunter2hunter2"})
			if res.status != tt.wantStatus || res.problem(t) != problemType(tt.wantType) {
				t.Errorf("got %d %s, want %d %s", res.status, res.problem(t), tt.wantStatus, problemType(tt.wantType))
			}
			if strings.Contains(string(res.body), "secret-table") || strings.Contains(string(res.body), "hunter2") {
				t.Errorf("the answer leaks internals: %s", res.body)
			}
			if strings.Contains(e.logs.String(), "hunter2") {
				t.Errorf("the log holds the password: %s", e.logs.String())
			}
			if c := res.setCookie(sessionCookie); c != nil {
				t.Errorf("a failed login set a session cookie: %v", c)
			}
		})
	}
}

func TestLoginRefusesUnknownFields(t *testing.T) {
	e := newTestEnv(t)
	e.login.do = func(commands.Login) (commands.LoginResult, error) { return started(domain.SessionFull), nil }
	res := e.post("/api/auth/login", map[string]any{"username": "pat", "password": "x", "admin": true})
	if res.status != http.StatusUnprocessableEntity {
		t.Errorf("status %d, want 422", res.status)
	}
	if n := len(e.login.received()); n != 0 {
		t.Errorf("the command ran %d times for a refused body", n)
	}
}

// Login attempts are limited per client address: past the burst an address
// gets 429 with Retry-After, and another address is not affected.
func TestLoginRateLimitPerClientAddress(t *testing.T) {
	e := newTestEnv(t)
	e.login.do = func(commands.Login) (commands.LoginResult, error) {
		return commands.LoginResult{}, commands.ErrInvalidCredentials
	}
	from := func(ip string) reply {
		return e.send(req{method: http.MethodPost, path: "/api/auth/login", body: map[string]string{"username": "pat", "password": "x"},
			header: http.Header{"X-Forwarded-For": {ip}}})
	}
	var limited reply
	for i := range 50 {
		limited = from("198.51.100.1")
		if limited.status == http.StatusTooManyRequests {
			break
		}
		if limited.status != http.StatusUnauthorized {
			t.Fatalf("attempt %d: status %d, want 401 until limited", i+1, limited.status)
		}
	}
	if limited.status != http.StatusTooManyRequests || limited.problem(t) != problemType(problemRateLimited) {
		t.Fatalf("50 failed logins from one address never limited: %d %s", limited.status, limited.body)
	}
	if s, err := strconv.Atoi(limited.header.Get("Retry-After")); err != nil || s < 1 {
		t.Errorf("Retry-After %q, want a whole number of seconds", limited.header.Get("Retry-After"))
	}
	attempts := len(e.login.received())
	if res := from("198.51.100.1"); res.status != http.StatusTooManyRequests {
		t.Errorf("the limited address got %d on its next attempt, want 429", res.status)
	}
	if n := len(e.login.received()); n != attempts {
		t.Errorf("a limited attempt reached the login command")
	}
	if res := from("198.51.100.2"); res.status != http.StatusUnauthorized {
		t.Errorf("another address got %d, want 401: the limit must be per address", res.status)
	}
}
