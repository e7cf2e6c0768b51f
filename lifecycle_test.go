package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func TestProbesAndAPIDescription(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	b := ts.browser(t)
	for _, path := range []string{"/healthz", "/startupz", "/readyz"} {
		if res := b.get(path); res.Status != http.StatusOK {
			t.Errorf("%s: %d %s", path, res.Status, res.Body)
		}
	}
	spec := b.get("/openapi.json")
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(spec.Body, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	for _, p := range []string{"/api/auth/login", "/whoami", "/me", "/mfa/enroll/start", "/mfa/enroll/verify", "/mfa/challenge/verify", "/mfa/enroll/status"} {
		if doc.Paths[p] == nil {
			t.Errorf("openapi.json lacks %s", p)
		}
	}
	if strings.Contains(string(spec.Body), "$schema") {
		t.Error("responses carry huma's $schema member")
	}
	docs := b.get("/docs")
	if docs.Status != http.StatusOK || !strings.Contains(string(docs.Body), "/static/docs/swagger-ui-bundle.js") || strings.Contains(string(docs.Body), "https://") {
		t.Errorf("/docs must load its UI from this server only: %d", docs.Status)
	}
	if res := b.get("/static/docs/swagger-ui-bundle.js"); res.Status != http.StatusOK || len(res.Body) < 100_000 {
		t.Errorf("embedded Swagger UI: %d, %d bytes", res.Status, len(res.Body))
	}
	if res := b.post("/api/auth/login", map[string]any{"username": "x", "password": "y", "admin": true}); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("unknown field: %d, want 422", res.Status)
	}
}

// In-flight requests finish when the server is asked to stop, and what they
// did is in the log. The login is made to be in flight: its body is held
// back until the server has begun shutting down (its listener is closed),
// so the handler runs during the shutdown, whatever the machine's speed.
func TestGracefulShutdownFinishesInFlightRequests(t *testing.T) {
	t.Parallel()
	watch := &watchedListener{marker: []byte(`"username"`), closed: make(chan struct{}), seen: make(chan struct{})}
	ts := startServerOn(t, nil, func(ln net.Listener) net.Listener { watch.Listener = ln; return watch })
	ts.addUser(t, "pat", "correct horse battery", false)

	body, rest := io.Pipe()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, ts.URL+"/api/auth/login", body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	type answer struct {
		status int
		err    error
	}
	answered := make(chan answer, 1)
	go func() {
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			answered <- answer{err: err}
			return
		}
		defer res.Body.Close()
		_, err = io.Copy(io.Discard, res.Body)
		answered <- answer{status: res.StatusCode, err: err}
	}()
	if _, err := io.WriteString(rest, `{"username": "pat", `); err != nil {
		t.Fatal(err)
	}
	wait(t, watch.seen, "the server to read the start of the login")

	stopped := make(chan error, 1)
	go func() { stopped <- ts.stop() }()
	wait(t, watch.closed, "the server to begin shutting down")
	if _, err := io.WriteString(rest, `"password": "correct horse battery"}`); err != nil {
		t.Fatal(err)
	}
	if err := rest.Close(); err != nil {
		t.Fatal(err)
	}

	if got := <-answered; got.err != nil || got.status != http.StatusOK {
		t.Fatalf("in-flight login got %d (%v), want 200", got.status, got.err)
	}
	if err := <-stopped; err != nil {
		t.Fatalf("stop: %v", err)
	}
	if _, err := http.Get(ts.URL + "/healthz"); err == nil {
		t.Error("the server still accepts connections after stopping")
	}
	conn, err := pgx.Connect(t.Context(), ts.env["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var started int
	if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM events WHERE event_type = 'session.started'`).Scan(&started); err != nil {
		t.Fatal(err)
	}
	if started != 1 {
		t.Errorf("log holds %d session.started, want 1", started)
	}
}

// watchedListener reports when a connection has read marker and when the
// listener is closed (http.Server.Shutdown closes it first).
type watchedListener struct {
	net.Listener
	marker       []byte
	closed, seen chan struct{}
	closeOnce    sync.Once
	seenOnce     sync.Once
}

func (l *watchedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &watchedConn{Conn: c, l: l}, nil
}

func (l *watchedListener) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	return l.Listener.Close()
}

type watchedConn struct {
	net.Conn
	l    *watchedListener
	read []byte // what was read, until the marker turns up
	done bool
}

func (c *watchedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if !c.done && n > 0 {
		c.read = append(c.read, p[:n]...)
		if bytes.Contains(c.read, c.l.marker) {
			c.done, c.read = true, nil
			c.l.seenOnce.Do(func() { close(c.l.seen) })
		}
	}
	return n, err
}

// wait blocks until ch is closed; the bound only turns a hang into a failure.
func wait(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(20 * time.Second):
		t.Fatalf("waited 20s for %s", what)
	}
}

// Every connection the server holds is cut, as when PostgreSQL restarts:
// requests fail at most briefly, then work again, and the read side
// (LISTEN and the projection tails) resumes without losing an event.
func TestSurvivesLosingItsDatabaseConnections(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	ts.addUser(t, "quinn", "correct horse battery", true)

	conn, err := pgx.Connect(t.Context(), ts.env["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var killed int
	if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid()) t`).Scan(&killed); err != nil {
		t.Fatal(err)
	}
	if killed == 0 {
		t.Fatal("no server connections to cut")
	}

	b := ts.browser(t)
	deadline := time.Now().Add(15 * time.Second)
	for {
		res := b.post("/api/auth/login", map[string]string{"username": "quinn", "password": "correct horse battery"})
		if res.Status == http.StatusOK {
			break
		}
		if res.Status != http.StatusServiceUnavailable || res.problemType(t) != "urn:authportal:problem:unavailable" {
			t.Errorf("login while the database is away: %d %s, want 503 unavailable", res.Status, res.Body)
		}
		if time.Now().After(deadline) {
			t.Fatalf("login never recovered: %d %s", res.Status, res.Body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The whoami answer needs the access model to have followed the log past the login.
	if who := b.get("/whoami").JSON(t); who["authenticated"] != true || who["admin"] != true {
		t.Errorf("whoami after reconnect = %v", who)
	}
	for {
		out, err := ts.cli(t, "", "projections", "status")
		if err == nil && !strings.Contains(out, "false") && lagsAreZero(out) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("projections did not resume: %s %v", out, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func lagsAreZero(status string) bool {
	lines := strings.Split(strings.TrimSpace(status), "\n")
	for _, l := range lines[1:] {
		if f := strings.Fields(l); len(f) < 4 || f[3] != "0" {
			return false
		}
	}
	return len(lines) > 1
}
