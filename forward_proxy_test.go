package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authportal/authportal/commands"
	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
	"github.com/jackc/pgx/v5/pgxpool"
)

// forwardAdmin changes protected hosts and permissions through the same
// commands the admin API and CLI use, on a server's database.
type forwardAdmin struct {
	t     *testing.T
	hosts commands.HostsHandler
	perms commands.SetPermissionsHandler
}

func newForwardAdmin(t *testing.T, ts *testServer) forwardAdmin {
	t.Helper()
	pool, err := pgxpool.New(t.Context(), ts.env["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	store := eventstore.New(pool, domain.Events(), slog.New(slog.DiscardHandler))
	return forwardAdmin{t: t, hosts: commands.NewHostsHandler(store, rand.Text), perms: commands.NewSetPermissionsHandler(store)}
}

var adminMeta = domain.Metadata{Actor: "test", ActorKind: domain.ActorSystem}

// addHost protects host and returns its id.
func (a forwardAdmin) addHost(host string) string {
	a.t.Helper()
	res, err := a.hosts.Add(a.t.Context(), commands.AddHost{Spec: domain.HostSpec{Host: host, ForwardAuth: true}, Meta: adminMeta})
	if err != nil {
		a.t.Fatalf("add host %s: %v", host, err)
	}
	return res.HostID
}

// permit sets a user's permission mode and exceptions; it returns the log
// position of the change.
func (a forwardAdmin) permit(userID string, mode domain.PermissionMode, hostIDs ...string) int64 {
	a.t.Helper()
	res, err := a.perms.Handle(a.t.Context(), commands.SetPermissions{UserID: userID, Mode: mode, HostIDs: hostIDs, Meta: adminMeta})
	if err != nil {
		a.t.Fatalf("set permissions: %v", err)
	}
	return res.Position
}

// echoUpstream is the protected app: it answers every request with the
// headers it got, as JSON, and counts the requests that reached it.
type echoUpstream struct {
	URL  string
	hits atomic.Int64
}

func newEchoUpstream(t *testing.T) *echoUpstream {
	t.Helper()
	e := &echoUpstream{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		if err := json.NewEncoder(w).Encode(map[string]any{"host": r.Host, "uri": r.RequestURI, "header": r.Header}); err != nil {
			t.Errorf("upstream: %v", err)
		}
	})}
	go func() { _ = srv.Serve(ln) }() // ends with Close below
	t.Cleanup(func() { srv.Close() })
	e.URL = ln.Addr().String()
	return e
}

// proxyBinary returns the path of a reverse proxy's binary. Without it the
// test is skipped with the reason, except in CI (CI set), where .ci/run
// installs it and a missing binary is a failure.
func proxyBinary(t *testing.T, name, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is not installed, and CI must run the proxy tests: apt-get install -y %s", name, pkg)
	}
	t.Skipf("%s is not installed (apt-get install -y %s): the %s forward-auth test does not run", name, pkg, name)
	return ""
}

// freePort returns a loopback port nothing listens on right now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// shippedConfig reads a file from deploy/ and replaces its example names
// with the test's: each must occur, so the test fails when the shipped
// file and the test drift apart.
func shippedConfig(t *testing.T, name string, replace [][2]string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("deploy", name))
	if err != nil {
		t.Fatal(err)
	}
	s := string(raw)
	for _, r := range replace {
		if !strings.Contains(s, r[0]) {
			t.Fatalf("deploy/%s no longer contains %q: update the test with it", name, r[0])
		}
		s = strings.ReplaceAll(s, r[0], r[1])
	}
	return s
}

// startProxy runs a proxy command until the test ends and waits until it
// listens on port.
func startProxy(t *testing.T, port int, logFile string, name string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir(), "XDG_CONFIG_HOME="+t.TempDir(), "XDG_DATA_HOME="+t.TempDir())
	out, err := os.Create(logFile)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		cancel()
		<-exited
		out.Close()
	})
	for deadline := time.Now().Add(15 * time.Second); ; {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			c.Close()
			return
		}
		select {
		case <-exited:
			log, _ := os.ReadFile(logFile)
			t.Fatalf("%s exited: %v\n%s", name, waitErr, log)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logFile)
			t.Fatalf("%s did not listen on %d:\n%s", name, port, log)
		}
	}
}

// proxied is an answer through the proxy, and what the upstream saw.
type proxied struct {
	status   int
	location string
	seen     http.Header // the upstream's view, nil when it was not reached
	body     string
}

// through sends GET http://host:port/path through the proxy on port, with
// the session cookie (when not "") and extra headers.
func through(t *testing.T, port int, host, path, cookie string, extra http.Header) proxied {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d%s", port, path), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = fmt.Sprintf("%s:%d", host, port)
	for k, v := range extra {
		req.Header[k] = v
	}
	if cookie != "" {
		req.Header.Set("Cookie", "authportal_session="+cookie)
	}
	client := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s through the proxy: %v", path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	p := proxied{status: res.StatusCode, location: res.Header.Get("Location"), body: string(body)}
	var echo struct {
		Header http.Header `json:"header"`
	}
	if res.StatusCode == http.StatusOK && json.Unmarshal(body, &echo) == nil && echo.Header != nil {
		p.seen = echo.Header
	}
	return p
}

// forwardWorld is AuthPortal with two protected hosts (app.test, which
// nina may open, and secret.test, her exception) and an upstream.
type forwardWorld struct {
	ts       *testServer
	upstream *echoUpstream
	cookie   string // nina's session
}

func newForwardWorld(t *testing.T) forwardWorld {
	t.Helper()
	ts := startServer(t, map[string]string{"TRUSTED_PROXY_CIDRS": "127.0.0.1/32"})
	nina := ts.addUser(t, "nina", "correct horse battery", false)
	admin := newForwardAdmin(t, ts)
	admin.addHost("app.test")
	secret := admin.addHost("secret.test")
	admin.permit(nina, domain.AllowAll, secret)
	b := ts.browser(t)
	b.login("nina", "correct horse battery", http.StatusOK)
	return forwardWorld{ts: ts, upstream: newEchoUpstream(t), cookie: b.cookie("/", "authportal_session")}
}

// check runs the forward-auth cases every proxy must pass. anonymous is
// the status the browser gets without a session (302 from either proxy).
func (w forwardWorld) check(t *testing.T, port int) {
	portal := w.ts.URL
	back := fmt.Sprintf("http://app.test:%d/movies/7?sort=new&x=%%2F", port)
	wantLogin := portal + "/login?rd=" + url.QueryEscape(back)

	t.Run("anonymous goes to the login page and comes back", func(t *testing.T) {
		before := w.upstream.hits.Load()
		p := through(t, port, "app.test", "/movies/7?sort=new&x=%2F", "", http.Header{"Remote-User": {"admin"}})
		if p.status != http.StatusFound || p.location != wantLogin {
			t.Fatalf("got %d Location %q, want 302 to %q\n%s", p.status, p.location, wantLogin, p.body)
		}
		if w.upstream.hits.Load() != before {
			t.Error("an anonymous request reached the app")
		}
		res, err := http.Get(p.location)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		page, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		if want := `data-next="` + strings.ReplaceAll(back, "&", "&amp;") + `"`; !strings.Contains(string(page), want) {
			t.Errorf("the login page does not carry the way back (%s):\n%s", want, page)
		}
	})

	t.Run("allowed: the app sees the user, not what the client claimed", func(t *testing.T) {
		p := through(t, port, "app.test", "/", w.cookie, http.Header{
			"Remote-User": {"admin"}, "X-Forwarded-User": {"admin"}, "Remote-Groups": {"admins"},
			"X-Forwarded-Groups": {"admins"}, "Remote-Email": {"boss@example.com"}, "Remote-Name": {"Boss"},
		})
		if p.status != http.StatusOK || p.seen == nil {
			t.Fatalf("got %d, want 200 from the app:\n%s", p.status, p.body)
		}
		for name, want := range map[string]string{
			"Remote-User": "nina", "X-Forwarded-User": "nina", "Remote-Name": "nina",
			"Remote-Email": "nina@example.com", "X-Forwarded-Email": "nina@example.com",
			"Remote-Groups": "users", "X-Forwarded-Groups": "users",
		} {
			if got := p.seen.Values(name); len(got) != 1 || got[0] != want {
				t.Errorf("the app got %s = %q, want [%q]", name, got, want)
			}
		}
	})

	t.Run("denied: 403, and the app is not reached", func(t *testing.T) {
		before := w.upstream.hits.Load()
		p := through(t, port, "secret.test", "/", w.cookie, http.Header{"Accept": {"text/html"}})
		if p.status != http.StatusForbidden {
			t.Errorf("got %d, want 403:\n%s", p.status, p.body)
		}
		if !strings.Contains(p.body, `<h2 id="denied">No access to secret.test</h2>`) {
			t.Errorf("the browser does not get the page saying why:\n%s", p.body)
		}
		if w.upstream.hits.Load() != before {
			t.Error("a denied request reached the app")
		}
	})

	t.Run("a client cannot name another host for the check", func(t *testing.T) {
		p := through(t, port, "secret.test", "/", w.cookie, http.Header{
			"X-Forwarded-Host": {fmt.Sprintf("app.test:%d", port)}, "X-Forwarded-Proto": {"http"}, "X-Forwarded-Uri": {"/"},
			"X-Original-Url": {fmt.Sprintf("http://app.test:%d/", port)}, "X-Original-Method": {"GET"},
		})
		if p.status != http.StatusForbidden {
			t.Errorf("secret.test with forged forwarding headers naming app.test: got %d, want 403", p.status)
		}
	})
}

func TestForwardAuthBehindCaddy(t *testing.T) {
	t.Parallel()
	caddy := proxyBinary(t, "caddy", "caddy")
	w := newForwardWorld(t)
	port := freePort(t)
	dir := t.TempDir()
	site := shippedConfig(t, "Caddyfile.forward-auth", [][2]string{
		{"\napp.example.com {", fmt.Sprintf("\nhttp://app.test:%d, http://secret.test:%d {", port, port)},
		{"authportal:8089", strings.TrimPrefix(w.ts.URL, "http://")},
		{"app:8080", w.upstream.URL},
	})
	// The test's own global options: no admin endpoint, no certificates,
	// everything Caddy keeps under the test's directory.
	conf := fmt.Sprintf("{\n\tadmin off\n\tauto_https off\n\tstorage file_system %s\n}\n\n%s", filepath.Join(dir, "data"), site)
	if err := os.WriteFile(filepath.Join(dir, "Caddyfile"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	startProxy(t, port, filepath.Join(dir, "caddy.log"), caddy, "run", "--adapter", "caddyfile", "--config", filepath.Join(dir, "Caddyfile"))
	w.check(t, port)
}

func TestForwardAuthBehindNginx(t *testing.T) {
	t.Parallel()
	nginx := proxyBinary(t, "nginx", "nginx")
	w := newForwardWorld(t)
	port := freePort(t)
	dir := t.TempDir()
	site := shippedConfig(t, "nginx-forward-auth.conf", [][2]string{
		{"listen 80;", fmt.Sprintf("listen 127.0.0.1:%d;", port)},
		{"server_name app.example.com;", "server_name app.test secret.test;"},
		{"http://authportal:8089", w.ts.URL},
		{"http://app:8080", "http://" + w.upstream.URL},
	})
	if err := os.WriteFile(filepath.Join(dir, "site.conf"), []byte(site), 0o600); err != nil {
		t.Fatal(err)
	}
	// The test's own main configuration: one process in the foreground,
	// everything nginx writes under the test's directory.
	main := fmt.Sprintf(`daemon off;
master_process off;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log info;
events { worker_connections 256; }
http {
	access_log off;
	client_body_temp_path %[1]s/body;
	proxy_temp_path %[1]s/proxy;
	fastcgi_temp_path %[1]s/fastcgi;
	uwsgi_temp_path %[1]s/uwsgi;
	scgi_temp_path %[1]s/scgi;
	include %[1]s/site.conf;
}
`, dir)
	if err := os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(main), 0o600); err != nil {
		t.Fatal(err)
	}
	startProxy(t, port, filepath.Join(dir, "nginx.out"), nginx, "-e", filepath.Join(dir, "startup.log"), "-p", dir, "-c", filepath.Join(dir, "nginx.conf"))
	w.check(t, port)
}
