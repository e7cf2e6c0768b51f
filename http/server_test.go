package http

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authportal/authportal/commands"
	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/queries"
)

// testNow is the fixed clock every server under test reads.
var testNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

const testBaseURL = "https://auth.example.com"

// testEnv is a Server on a real loopback listener, with a fake behind every
// dependency the test can set and inspect.
type testEnv struct {
	t      *testing.T
	srv    *Server
	url    string
	access *fakeAccess
	head   *fakeHead
	login  *fakeCommand[commands.Login, commands.LoginResult]
	logout *fakeCommand[commands.Logout, commands.Result]
	start  *fakeCommand[commands.StartTOTPEnrollment, commands.StartTOTPEnrollmentResult]
	verify *fakeCommand[commands.VerifyTOTPEnrollment, commands.VerifyTOTPEnrollmentResult]
	answer *fakeCommand[commands.AnswerMFAChallenge, commands.AnswerMFAChallengeResult]
	logs   *syncBuffer
	seq    int
}

// newTestEnv starts a server; configure may change its configuration and
// dependencies before it is built.
func newTestEnv(t *testing.T, configure ...func(*Config, *Deps)) *testEnv {
	t.Helper()
	base, err := url.Parse(testBaseURL)
	if err != nil {
		t.Fatal(err)
	}
	e := &testEnv{
		t: t, access: newFakeAccess(), head: &fakeHead{head: 10}, logs: &syncBuffer{},
		login: &fakeCommand[commands.Login, commands.LoginResult]{}, logout: &fakeCommand[commands.Logout, commands.Result]{},
		start:  &fakeCommand[commands.StartTOTPEnrollment, commands.StartTOTPEnrollmentResult]{},
		verify: &fakeCommand[commands.VerifyTOTPEnrollment, commands.VerifyTOTPEnrollmentResult]{},
		answer: &fakeCommand[commands.AnswerMFAChallenge, commands.AnswerMFAChallengeResult]{},
	}
	e.access.position = 10
	config := Config{
		BaseURL: base, SecureCookies: true, SessionKey: testKey, MFAEnabled: true, Version: "test",
		// The test client is the proxy: X-Forwarded-For picks the client address.
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
	}
	deps := Deps{
		Login: e.login, Logout: e.logout, StartTOTP: e.start, VerifyTOTP: e.verify, AnswerMFA: e.answer,
		Reader: e.head, Access: e.access, Budgets: &fakeBudgets{}, Health: fakeHealth{started: true},
		Logger: slog.New(slog.NewTextHandler(e.logs, nil)), Now: func() time.Time { return testNow },
	}
	for _, f := range configure {
		f(&config, &deps)
	}
	e.srv, err = New(config, deps)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(e.srv)
	t.Cleanup(ts.Close)
	e.url = ts.URL
	return e
}

// syncBuffer is a log destination the server's goroutines may share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// addUser puts an authorized user in the access model.
func (e *testEnv) addUser(id string, change ...func(*queries.AccessUser)) queries.AccessUser {
	u := queries.AccessUser{ID: id, Username: "user-" + id, Email: id + "@example.com", Provider: "local", AccessGranted: true, Epoch: 1}
	for _, f := range change {
		f(&u)
	}
	e.access.put(u)
	return u
}

// cookie signs a session cookie of kind for the user, at log position 5.
func (e *testEnv) cookie(userID string, kind domain.SessionKind, change ...func(*SessionClaims)) (name, value string) {
	e.t.Helper()
	e.seq++
	u := e.access.user(userID)
	c := SessionClaims{
		SessionID: fmt.Sprintf("S%04d", e.seq), UserID: userID, Kind: kind, Epoch: u.Epoch, Position: 5,
		Authorized: true, IssuedAt: testNow, ExpiresAt: testNow.Add(time.Hour),
	}
	for _, f := range change {
		f(&c)
	}
	if c.ExpiresAt.After(testNow) {
		e.access.set(func(a *fakeAccess) { a.live[c.SessionID] = c.ExpiresAt })
	}
	v, err := e.srv.codec.encode(c)
	if err != nil {
		e.t.Fatal(err)
	}
	name = sessionCookie
	if kind.Pending() {
		name = pendingCookie
	}
	return name, v
}

// reply is an answer as the client saw it.
type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not JSON (status %d): %s", r.status, r.body)
	}
	return m
}

// problem is the RFC 9457 type of an error answer; it fails the test when
// the answer is not a problem document.
func (r reply) problem(t *testing.T) string {
	t.Helper()
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Fatalf("Content-Type %q, want application/problem+json (status %d: %s)", ct, r.status, r.body)
	}
	s, _ := r.json(t)["type"].(string)
	return s
}

// setCookie is the Set-Cookie the answer carries for name, or nil.
func (r reply) setCookie(name string) *http.Cookie {
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// req is one request to send.
type req struct {
	method, path string
	body         any
	header       http.Header
	cookies      []*http.Cookie
}

func (e *testEnv) send(r req) reply {
	e.t.Helper()
	var rd io.Reader
	if r.body != nil {
		raw, err := json.Marshal(r.body)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	hr, err := http.NewRequestWithContext(e.t.Context(), r.method, e.url+r.path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if r.body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	for k, v := range r.header {
		hr.Header[k] = v
	}
	for _, c := range r.cookies {
		hr.AddCookie(c)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(hr)
	if err != nil {
		e.t.Fatalf("%s %s: %v", r.method, r.path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return reply{status: res.StatusCode, header: res.Header, body: body}
}

func (e *testEnv) get(path string, cookies ...*http.Cookie) reply {
	e.t.Helper()
	return e.send(req{method: http.MethodGet, path: path, cookies: cookies})
}

func (e *testEnv) post(path string, body any, cookies ...*http.Cookie) reply {
	e.t.Helper()
	return e.send(req{method: http.MethodPost, path: path, body: body, cookies: cookies})
}

// jar makes a request cookie.
func jar(name, value string) *http.Cookie { return &http.Cookie{Name: name, Value: value} }

func problemType(k problemKind) string { return k.typeURI() }
