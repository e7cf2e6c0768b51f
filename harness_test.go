package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authportal/authportal/eventstore/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// clock is a settable clock shared by a test and its server.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// testServer is a whole AuthPortal (the same serveOn that `serve` runs) on a
// fresh database and a loopback port.
type testServer struct {
	URL   string
	env   map[string]string
	clock *clock
	stop  func() error // shuts the server down gracefully; safe to call twice
}

// startServer starts AuthPortal with env on top of test defaults.
func startServer(t *testing.T, env map[string]string) *testServer {
	t.Helper()
	return startServerOn(t, env, nil)
}

// startServerOn is startServer with the listener passed through wrap (when
// not nil), so that a test can watch the server's connections.
func startServerOn(t *testing.T, env map[string]string, wrap func(net.Listener) net.Listener) *testServer {
	t.Helper()
	pool := pgtest.New(t)
	full := map[string]string{
		"DATABASE_URL": pgtest.ConnString(t, pool),
		"DATA_DIR":     t.TempDir(),
		"LOG_LEVEL":    "warn",
	}
	for k, v := range env {
		full[k] = v
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		logger = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	// A fixed, step-aligned start keeps TOTP steps predictable.
	clk := &clock{now: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)}
	return runNode(t, full, clk, logger, wrap)
}

// runNode runs one AuthPortal (the same serveOn that `serve` runs) with
// exactly env, on a loopback port, reading the time from clk (the real
// clock when nil), and returns once it has started. APP_BASE_URL defaults
// to the node's own address; a second node of a cluster passes the first's.
func runNode(t *testing.T, env map[string]string, clk *clock, logger *slog.Logger, wrap func(net.Listener) net.Listener) *testServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	if wrap != nil {
		ln = wrap(ln)
	}
	full := maps.Clone(env)
	if _, ok := full["APP_BASE_URL"]; !ok {
		full["APP_BASE_URL"] = url
	}
	c, err := LoadConfig(func(k string) string { return full[k] })
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	now := time.Now
	if clk != nil {
		now = clk.Now
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serveOn(ctx, c, logger, ln, now) }()
	stop := sync.OnceValue(func() error {
		cancel()
		return <-done
	})
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	ts := &testServer{URL: url, env: full, clock: clk, stop: stop}
	for deadline := time.Now().Add(20 * time.Second); ; {
		res, err := http.Get(url + "/startupz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return ts
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not start: %v", err)
		}
		select {
		case err := <-done:
			t.Fatalf("server stopped: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// cli runs an authportal command against the server's database.
func (ts *testServer) cli(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(t.Context(), args, func(k string) string { return ts.env[k] }, strings.NewReader(stdin), &out, &errOut)
	if err != nil {
		return out.String(), errors.Join(err, errors.New(errOut.String()))
	}
	return out.String(), nil
}

// addUser creates a local account through the CLI and returns its id.
func (ts *testServer) addUser(t *testing.T, username, password string, admin bool) string {
	t.Helper()
	args := []string{"user", "add", "--username", username, "--email", username + "@example.com", "--password-stdin"}
	if admin {
		args = append(args, "--admin")
	}
	out, err := ts.cli(t, password+"\n", args...)
	if err != nil {
		t.Fatalf("user add: %v", err)
	}
	return strings.TrimSpace(out)
}

// browser is an HTTP client with a cookie jar, like a browser tab.
type browser struct {
	t      *testing.T
	ts     *testServer
	client *http.Client
	header http.Header // sent with every request
}

func (ts *testServer) browser(t *testing.T) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, ts: ts, header: http.Header{}, client: &http.Client{
		Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into a map.
func (r response) JSON(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("response is not JSON (%d): %s", r.Status, r.Body)
	}
	return m
}

// problemType is the RFC 9457 type of an error response.
func (r response) problemType(t *testing.T) string {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Fatalf("Content-Type = %q, want application/problem+json (status %d, body %s)", ct, r.Status, r.Body)
	}
	s, _ := r.JSON(t)["type"].(string)
	return s
}

// do sends a request as the browser. It may be called from any goroutine:
// a request that cannot be sent is reported with Errorf (FailNow must run
// on the test's own goroutine) and answered with a zero response.
func (b *browser) do(method, path string, body any, header http.Header) response {
	b.t.Helper()
	res, err := b.send(method, path, body, header)
	if err != nil {
		b.t.Errorf("%s %s: %v", method, path, err)
	}
	return res
}

func (b *browser) send(method, path string, body any, header http.Header) (response, error) {
	var rd io.Reader
	contentType := ""
	switch body := body.(type) {
	case nil:
	case url.Values: // an HTML form
		rd, contentType = strings.NewReader(body.Encode()), "application/x-www-form-urlencoded"
	default:
		raw, err := json.Marshal(body)
		if err != nil {
			return response{}, err
		}
		rd, contentType = bytes.NewReader(raw), "application/json"
	}
	req, err := http.NewRequestWithContext(b.t.Context(), method, b.ts.URL+path, rd)
	if err != nil {
		return response{}, err
	}
	for k, v := range b.header {
		req.Header[k] = v
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := b.client.Do(req)
	if err != nil {
		return response{}, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return response{}, fmt.Errorf("read the answer: %w", err)
	}
	return response{Status: res.StatusCode, Header: res.Header, Body: raw}, nil
}

func (b *browser) get(path string) response { return b.do(http.MethodGet, path, nil, nil) }

func (b *browser) post(path string, body any) response { return b.do(http.MethodPost, path, body, nil) }

// login signs in and fails the test unless it got status want.
func (b *browser) login(username, password string, want int) response {
	b.t.Helper()
	res := b.post("/api/auth/login", map[string]string{"username": username, "password": password})
	if res.Status != want {
		b.t.Fatalf("login %s: status %d, want %d: %s", username, res.Status, want, res.Body)
	}
	return res
}

// cookie returns the value of the named cookie the jar would send to path.
func (b *browser) cookie(path, name string) string {
	req, err := http.NewRequest(http.MethodGet, b.ts.URL+path, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	for _, c := range b.client.Jar.Cookies(req.URL) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}
