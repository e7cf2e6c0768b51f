package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authportal/authportal/eventstore/pgtest"
	"github.com/authportal/authportal/providers/mediabrowser/mbtest"
	"github.com/jackc/pgx/v5/pgxpool"
)

// adminBrowser starts a server with env and returns it with a signed-in
// admin's browser.
func adminBrowser(t *testing.T, env map[string]string) (*testServer, *browser) {
	t.Helper()
	ts := startServer(t, env)
	ts.addUser(t, "root", "correct horse battery", true)
	b := ts.browser(t)
	b.login("root", "correct horse battery", http.StatusOK)
	return ts, b
}

func (b *browser) put(path string, body any) response { return b.do(http.MethodPut, path, body, nil) }

// section returns one section of GET /api/admin/config.
func section(t *testing.T, b *browser, name string) map[string]any {
	t.Helper()
	res := b.get("/api/admin/config")
	if res.Status != http.StatusOK {
		t.Fatalf("GET /api/admin/config: %d %s", res.Status, res.Body)
	}
	for _, s := range res.JSON(t)["sections"].([]any) {
		if m := s.(map[string]any); m["section"] == name {
			return m
		}
	}
	t.Fatalf("no section %s in %s", name, res.Body)
	return nil
}

// storedEvents returns the data of every event of a stream, as the log holds it.
func storedEvents(t *testing.T, ts *testServer, stream string) []string {
	t.Helper()
	pool, err := pgxpool.New(t.Context(), ts.env["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	rows, err := pool.Query(t.Context(), `SELECT data::text FROM events WHERE stream_id = $1 ORDER BY stream_version`, stream)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			t.Fatal(err)
		}
		out = append(out, d)
	}
	return out
}

func smtpDoc(password any, port int) map[string]any {
	return map[string]any{"host": "mail.example.com", "port": port, "username": "auth", "password": password,
		"from": "AuthPortal <auth@example.com>", "security": "starttls"}
}

func TestConfigAPI(t *testing.T) {
	t.Parallel()
	ts, admin := adminBrowser(t, map[string]string{
		"MEDIA_SERVER": "jellyfin", "JELLYFIN_SERVER_URL": "https://jf.example.test", "JELLYFIN_API_KEY": "jf-api-key-do-not-show",
	})

	// Version 1 of every section came from the environment; the API key
	// is sealed in the log and only "set" in the API.
	res := admin.get("/api/admin/config")
	if res.Status != http.StatusOK || strings.Contains(string(res.Body), "jf-api-key-do-not-show") {
		t.Fatalf("GET config: %d %s", res.Status, res.Body)
	}
	for _, s := range res.JSON(t)["sections"].([]any) {
		if m := s.(map[string]any); m["version"] != 1.0 || m["savedByKind"] != "system" {
			t.Errorf("section %v: want version 1 seeded by the system", m)
		}
	}
	jf := section(t, admin, "providers")["config"].(map[string]any)["jellyfin"].(map[string]any)
	if jf["serverUrl"] != "https://jf.example.test" || fmt.Sprint(jf["apiKey"]) != "map[set:true]" {
		t.Errorf("providers.jellyfin = %v, want the URL and apiKey {set: true}", jf)
	}
	if events := storedEvents(t, ts, "config-providers"); len(events) != 1 || strings.Contains(events[0], "jf-api-key-do-not-show") {
		t.Errorf("config-providers in the log = %v, want one event with the key sealed", events)
	}

	// An edit with a new password, then one that keeps it.
	res = admin.put("/api/admin/config/smtp", map[string]any{"version": 1, "config": smtpDoc("s3cret-pass", 587), "reason": "relay"})
	if res.Status != http.StatusOK || res.JSON(t)["version"] != 2.0 || strings.Contains(string(res.Body), "s3cret-pass") {
		t.Fatalf("PUT smtp: %d %s", res.Status, res.Body)
	}
	res = admin.put("/api/admin/config/smtp", map[string]any{"version": 2, "config": smtpDoc(map[string]any{"set": true}, 2525), "reason": "port"})
	if res.Status != http.StatusOK || res.JSON(t)["version"] != 3.0 {
		t.Fatalf("PUT smtp keeping the password: %d %s", res.Status, res.Body)
	}
	if pw := fmt.Sprint(res.JSON(t)["config"].(map[string]any)["password"]); pw != "map[set:true]" {
		t.Errorf("password after a keeping edit = %s, want set", pw)
	}
	events := storedEvents(t, ts, "config-smtp")
	if len(events) != 3 {
		t.Fatalf("config-smtp has %d events, want 3", len(events))
	}
	sealed := func(data string) string {
		var e struct {
			Document struct {
				Password struct{ Sealed string }
			}
		}
		if err := json.Unmarshal([]byte(data), &e); err != nil {
			t.Fatal(err)
		}
		return e.Document.Password.Sealed
	}
	if strings.Contains(events[1], "s3cret-pass") || sealed(events[1]) == "" || sealed(events[1]) != sealed(events[2]) {
		t.Errorf("stored passwords v2 %q, v3 %q: want one sealed value, kept", sealed(events[1]), sealed(events[2]))
	}

	// Diff: the port changed, the kept password did not; a new password is
	// "changed" without its value.
	diff := admin.get("/api/admin/config/history/smtp/diff?from=2&to=3")
	if diff.Status != http.StatusOK {
		t.Fatalf("diff: %d %s", diff.Status, diff.Body)
	}
	if got := fmt.Sprint(diff.JSON(t)["changes"]); got != "[map[new:2525 old:587 path:smtp.port]]" {
		t.Errorf("diff 2..3 = %s, want only the port", got)
	}
	diff = admin.get("/api/admin/config/history/smtp/diff?from=1&to=2")
	if strings.Contains(string(diff.Body), "s3cret") || !strings.Contains(string(diff.Body), `{"path":"smtp.password","old":{"set":false},"new":{"set":true},"secret":true}`) {
		t.Errorf("diff 1..2 = %s, want the password as a changed secret without its value", diff.Body)
	}

	// Two admins edit version 3 at once: one wins, the other gets 409 and the version to reload.
	var wg sync.WaitGroup
	statuses := make([]response, 2)
	for i := range statuses {
		wg.Go(func() {
			statuses[i] = admin.put("/api/admin/config/smtp", map[string]any{"version": 3, "config": smtpDoc(map[string]any{"set": true}, 2600+i)})
		})
	}
	wg.Wait()
	won, lost := statuses[0], statuses[1]
	if won.Status != http.StatusOK {
		won, lost = lost, won
	}
	if won.Status != http.StatusOK || lost.Status != http.StatusConflict {
		t.Fatalf("concurrent edits: %d and %d, want 200 and 409", won.Status, lost.Status)
	}
	if lost.problemType(t) != "urn:authportal:problem:conflict" || lost.JSON(t)["currentVersion"] != 4.0 {
		t.Errorf("409 body = %s, want the conflict type and currentVersion 4", lost.Body)
	}

	// Invalid documents are refused, naming the field, and change nothing.
	for _, tc := range []struct {
		name   string
		config any
		want   string
	}{
		{"port out of range", smtpDoc("x", 70000), "smtp.port: must be between 1 and 65535"},
		{"unknown field", map[string]any{"host": "", "port": 25, "security": "none", "colour": "red"}, "smtp.colour: is not a setting of this section"},
		{"wrong type", map[string]any{"host": "", "port": "25", "security": "none"}, "smtp.port: must be a whole number"},
		{"bad security", map[string]any{"host": "", "port": 25, "security": "tls"}, "smtp.security: must be none, ssl or starttls"},
		{"not an object", []int{1}, "smtp: must be a JSON object"},
		{"sealed value pasted", smtpDoc(map[string]any{"sealed": "v1.abc"}, 25), "smtp.password: must be a new value"},
	} {
		res := admin.put("/api/admin/config/smtp", map[string]any{"version": 4, "config": tc.config})
		if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.JSON(t)["detail"].(string), tc.want) {
			t.Errorf("%s: %d %s, want 422 saying %q", tc.name, res.Status, res.Body, tc.want)
		}
	}
	if v := section(t, admin, "smtp")["version"]; v != 4.0 {
		t.Errorf("smtp version after refused edits = %v, want 4", v)
	}
	res = admin.put("/api/admin/config/mfa", map[string]any{"version": 1, "config": map[string]any{"enable": false, "enforce": true, "issuer": "AuthPortal"}})
	if res.Status != http.StatusUnprocessableEntity || res.JSON(t)["detail"] != "mfa.enforce: needs mfa.enable" {
		t.Errorf("mfa enforce without enable: %d %s", res.Status, res.Body)
	}
	if res := admin.put("/api/admin/config/colours", map[string]any{"version": 1, "config": map[string]any{}}); res.Status != http.StatusNotFound {
		t.Errorf("PUT to an unknown section: %d, want 404", res.Status)
	}

	// Restore version 1: a new version with version 1's document.
	res = admin.post("/api/admin/config/smtp/restore", map[string]any{"version": 1, "reason": "back to no mail"})
	if res.Status != http.StatusOK || res.JSON(t)["version"] != 5.0 || res.JSON(t)["config"].(map[string]any)["host"] != "" {
		t.Fatalf("restore v1: %d %s", res.Status, res.Body)
	}
	if res := admin.post("/api/admin/config/smtp/restore", map[string]any{"version": 99}); res.Status != http.StatusNotFound {
		t.Errorf("restore of a version never saved: %d, want 404", res.Status)
	}
	// Restoring version 3 brings its sealed password back as it was.
	if res := admin.post("/api/admin/config/smtp/restore", map[string]any{"version": 3}); res.Status != http.StatusOK {
		t.Fatalf("restore v3: %d %s", res.Status, res.Body)
	}
	if events := storedEvents(t, ts, "config-smtp"); sealed(events[5]) != sealed(events[2]) {
		t.Error("restoring version 3 did not bring back its password")
	}

	hist := admin.get("/api/admin/config/history/smtp")
	versions := hist.JSON(t)["versions"].([]any)
	if len(versions) != 6 {
		t.Fatalf("history has %d versions, want 6: %s", len(versions), hist.Body)
	}
	v2, v5 := versions[1].(map[string]any), versions[4].(map[string]any)
	if v2["reason"] != "relay" || v2["savedByKind"] != "admin" || v2["savedBy"] == "" || v2["savedAt"] == nil {
		t.Errorf("history v2 = %v, want the admin, a time and the reason", v2)
	}
	if v5["restoredFrom"] != 1.0 || v5["reason"] != "back to no mail" {
		t.Errorf("history v5 = %v, want restoredFrom 1", v5)
	}
}

// Only admins reach the configuration API, and no other site can change it.
func TestConfigAPIRefusesOthers(t *testing.T) {
	t.Parallel()
	ts, admin := adminBrowser(t, nil)
	ts.addUser(t, "bob", "correct horse battery", false)
	user := ts.browser(t)
	user.login("bob", "correct horse battery", http.StatusOK)
	anon := ts.browser(t)
	edit := map[string]any{"version": 1, "config": map[string]any{"sessionTtl": "1h"}}
	made := admin.post("/api/admin/backups", map[string]any{"sections": []string{"security"}})
	name, _ := made.JSON(t)["name"].(string)
	if made.Status != http.StatusCreated || name == "" {
		t.Fatalf("POST backups: %d %s", made.Status, made.Body)
	}
	for _, tc := range []struct {
		name   string
		b      *browser
		method string
		path   string
		body   any
		header http.Header
		status int
		typ    string
	}{
		{"anonymous read", anon, http.MethodGet, "/api/admin/config", nil, nil, 401, "unauthenticated"},
		{"anonymous history", anon, http.MethodGet, "/api/admin/config/history/security", nil, nil, 401, "unauthenticated"},
		{"non-admin read", user, http.MethodGet, "/api/admin/config", nil, nil, 403, "not-admin"},
		{"non-admin edit", user, http.MethodPut, "/api/admin/config/security", edit, nil, 403, "not-admin"},
		{"non-admin restore", user, http.MethodPost, "/api/admin/config/security/restore", map[string]any{"version": 1}, nil, 403, "not-admin"},
		{"non-admin backup", user, http.MethodPost, "/api/admin/backups", map[string]any{}, nil, 403, "not-admin"},
		{"anonymous backups", anon, http.MethodGet, "/api/admin/backups", nil, nil, 401, "unauthenticated"},
		{"anonymous diff", anon, http.MethodGet, "/api/admin/config/history/security/diff", nil, nil, 401, "unauthenticated"},
		{"non-admin diff", user, http.MethodGet, "/api/admin/config/history/security/diff", nil, nil, 403, "not-admin"},
		{"non-admin download", user, http.MethodGet, "/api/admin/backups/" + name, nil, nil, 403, "not-admin"},
		{"anonymous download", anon, http.MethodGet, "/api/admin/backups/" + name, nil, nil, 401, "unauthenticated"},
		{"non-admin delete", user, http.MethodDelete, "/api/admin/backups/" + name, nil, nil, 403, "not-admin"},
		{"non-admin backup restore", user, http.MethodPost, "/api/admin/backups/" + name + "/restore", map[string]any{}, nil, 403, "not-admin"},
		{"non-admin schedule", user, http.MethodPut, "/api/admin/backups/schedule", map[string]any{"schedule": "daily", "sections": []string{"smtp"}, "retention": 1}, nil, 403, "not-admin"},
		{"cross-origin delete", admin, http.MethodDelete, "/api/admin/backups/" + name, nil, http.Header{"Origin": {"https://evil.example"}}, 403, "cross-origin"},
		{"cross-origin backup restore", admin, http.MethodPost, "/api/admin/backups/" + name + "/restore", map[string]any{}, http.Header{"Origin": {"https://evil.example"}}, 403, "cross-origin"},
		{"cross-origin edit", admin, http.MethodPut, "/api/admin/config/security", edit, http.Header{"Origin": {"https://evil.example"}}, 403, "cross-origin"},
		{"cross-site restore", admin, http.MethodPost, "/api/admin/config/security/restore", map[string]any{"version": 1}, http.Header{"Sec-Fetch-Site": {"cross-site"}}, 403, "cross-origin"},
		{"cross-origin backup", admin, http.MethodPost, "/api/admin/backups", map[string]any{}, http.Header{"Origin": {"https://evil.example"}}, 403, "cross-origin"},
	} {
		res := tc.b.do(tc.method, tc.path, tc.body, tc.header)
		if res.Status != tc.status || res.problemType(t) != "urn:authportal:problem:"+tc.typ {
			t.Errorf("%s: %d %s, want %d %s", tc.name, res.Status, res.Body, tc.status, tc.typ)
		}
	}
	if v := section(t, admin, "security")["version"]; v != 1.0 {
		t.Errorf("security version = %v after refused requests, want 1", v)
	}
	if list := admin.get("/api/admin/backups").JSON(t)["backups"].([]any); len(list) != 1 || list[0].(map[string]any)["name"] != name {
		t.Errorf("backups after refused requests: %v, want only %s", list, name)
	}
	if v := section(t, admin, "backups")["version"]; v != 1.0 {
		t.Errorf("backups version = %v after refused requests, want 1", v)
	}
}

// Two nodes starting at once on a fresh database write one version 1 of
// each section between them.
func TestConfigSeededOnceByTwoNodesStartingAtOnce(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	env := map[string]string{
		"DATABASE_URL": pgtest.ConnString(t, pool), "LOG_LEVEL": "warn", "APP_BASE_URL": "http://auth.example.test",
		"SESSION_SECRET": strings.Repeat("s", 40), "DATA_KEY": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	urls := make([]string, 2)
	errs := make([]error, 2)
	for i := range urls {
		nodeEnv := map[string]string{"DATA_DIR": t.TempDir()}
		for k, v := range env {
			nodeEnv[k] = v
		}
		c, err := LoadConfig(func(k string) string { return nodeEnv[k] })
		if err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		urls[i] = "http://" + ln.Addr().String()
		wg.Go(func() { errs[i] = serveOn(ctx, c, logger, ln, time.Now) })
	}
	defer func() {
		cancel()
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("node %d: %v", i, err)
			}
		}
	}()
	for _, url := range urls {
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			if res, err := http.Get(url + "/startupz"); err == nil {
				res.Body.Close()
				if res.StatusCode == http.StatusOK {
					break
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("node %s did not start: %v", url, errs)
			}
		}
	}
	rows, err := pool.Query(t.Context(), `SELECT stream_id, count(*) FROM events WHERE stream_id LIKE 'config-%' GROUP BY stream_id ORDER BY stream_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var stream string
		var n int
		if err := rows.Scan(&stream, &n); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%s:%d", stream, n))
	}
	if want := "config-backups:1 config-mfa:1 config-providers:1 config-security:1 config-smtp:1"; strings.Join(got, " ") != want {
		t.Errorf("config streams = %v, want one version each: %s", got, want)
	}
}

// A section saved on one node takes effect on another without a restart:
// the session lifetime of a sign-in there, and MFA enforcement.
func TestConfigChangeIsLiveOnSecondNode(t *testing.T) {
	t.Parallel()
	const base = "http://auth.example.test"
	first, admin := adminBrowser(t, map[string]string{"APP_BASE_URL": base})
	second := startServer(t, sharedKeys(t, first, map[string]string{"APP_BASE_URL": base}))
	first.addUser(t, "carol", "correct horse battery", false)

	lifetime := func() time.Duration {
		b := second.browser(t)
		b.login("carol", "correct horse battery", http.StatusOK)
		var who struct {
			Session struct{ IssuedAt, ExpiresAt time.Time }
		}
		if err := json.Unmarshal(b.get("/whoami").Body, &who); err != nil {
			t.Fatal(err)
		}
		return who.Session.ExpiresAt.Sub(who.Session.IssuedAt)
	}
	if got := lifetime(); got != 24*time.Hour {
		t.Fatalf("session lifetime before the change = %s, want 24h", got)
	}
	if res := admin.put("/api/admin/config/security", map[string]any{"version": 1, "config": map[string]any{"sessionTtl": "1h"}}); res.Status != http.StatusOK {
		t.Fatalf("PUT security: %d %s", res.Status, res.Body)
	}
	for deadline := time.Now().Add(10 * time.Second); lifetime() != time.Hour; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the second node still gives 24h sessions after security.sessionTtl became 1h")
		}
	}

	if res := admin.put("/api/admin/config/mfa", map[string]any{"version": 1, "config": map[string]any{"enable": true, "enforce": true, "issuer": "AuthPortal"}}); res.Status != http.StatusOK {
		t.Fatalf("PUT mfa: %d %s", res.Status, res.Body)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		login := second.browser(t).login("carol", "correct horse battery", http.StatusOK).JSON(t)
		if login["redirect"] == "/mfa/enroll" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the second node still lets carol in without enrolling after mfa.enforce: %v", login)
		}
	}
}

// The providers section is live too: Jellyfin sign-in turned on in a save
// on one node is offered, and works, on a node that was already running,
// and a node started later takes the section over the environment.
func TestProvidersSectionIsLive(t *testing.T) {
	t.Parallel()
	jf := mbtest.NewJellyfin(t)
	jf.AddUser(mbtest.User{ID: "friend-id", Name: "friend", Password: "jelly pass"})
	const base = "http://auth.example.test"
	first, admin := adminBrowser(t, map[string]string{"APP_BASE_URL": base})
	second := startServer(t, sharedKeys(t, first, map[string]string{"APP_BASE_URL": base}))
	if page := second.browser(t).get("/"); strings.Contains(string(page.Body), `data-provider="jellyfin"`) {
		t.Fatal("the login page offers Jellyfin before it is configured")
	}

	providers := section(t, admin, "providers")["config"].(map[string]any)
	providers["mediaServer"], providers["login"] = "jellyfin", []string{"jellyfin", "local"}
	providers["jellyfin"] = map[string]any{"serverUrl": jf.URL, "apiKey": mbtest.APIKey, "adminIsAdmin": false}
	if res := admin.put("/api/admin/config/providers", map[string]any{"version": 1, "config": providers, "reason": "Jellyfin"}); res.Status != http.StatusOK {
		t.Fatalf("PUT providers: %d %s", res.Status, res.Body)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if page := second.browser(t).get("/"); strings.Contains(string(page.Body), `data-provider="jellyfin"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the running node does not offer Jellyfin after the providers section turned it on")
		}
	}
	signIn := func(ts *testServer) {
		t.Helper()
		b := ts.browser(t)
		done := b.postForm("/auth/forward?jellyfin=1", url.Values{"username": {"friend"}, "password": {"jelly pass"}})
		if done.Status != http.StatusOK || !strings.Contains(string(done.Body), `data-done="1"`) {
			t.Fatalf("Jellyfin sign-in on %s: %d %s", ts.URL, done.Status, done.Body)
		}
		if me := b.get("/whoami").JSON(t); me["provider"] != "jellyfin" || me["authorized"] != true {
			t.Errorf("whoami after Jellyfin sign-in = %v", me)
		}
	}
	signIn(second)
	third := startServer(t, sharedKeys(t, first, map[string]string{"APP_BASE_URL": base})) // no MEDIA_SERVER in its environment
	signIn(third)
	for _, e := range storedEvents(t, first, "config-providers") {
		if strings.Contains(e, mbtest.APIKey) {
			t.Error("the Jellyfin API key is in the log in clear")
		}
	}
}
