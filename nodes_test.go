package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
	"github.com/authportal/authportal/eventstore/pgtest"
	"github.com/authportal/authportal/projections"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// sharedKeys returns the keys a server generated into its DATA_DIR, as the
// environment of another node on the same database.
func sharedKeys(t *testing.T, ts *testServer, env map[string]string) map[string]string {
	t.Helper()
	out := map[string]string{"DATABASE_URL": ts.env["DATABASE_URL"]}
	for name, file := range map[string]string{"SESSION_SECRET": "session_secret", "DATA_KEY": "data_key"} {
		b, err := os.ReadFile(filepath.Join(ts.env["DATA_DIR"], "secrets", file))
		if err != nil {
			t.Fatalf("%s of the first node: %v", name, err)
		}
		out[name] = strings.TrimSpace(string(b))
	}
	for k, v := range env {
		out[k] = v
	}
	return out
}

// A second node on the same database with keys of its own (none given, so
// generated into its own DATA_DIR) refuses to start, naming the variables;
// given the first node's keys it starts and accepts the first node's cookies.
func TestNodeWithOtherKeysRefusesToStart(t *testing.T) {
	t.Parallel()
	// One public URL for both, as behind a load balancer: it is the cookie's issuer.
	const base = "http://auth.example.test"
	first := startServer(t, map[string]string{"APP_BASE_URL": base})
	first.addUser(t, "nina", "correct horse battery", false)
	b := first.browser(t)
	b.login("nina", "correct horse battery", http.StatusOK)
	cookie := b.cookie("/", "authportal_session")

	env := map[string]string{"DATABASE_URL": first.env["DATABASE_URL"], "DATA_DIR": t.TempDir(), "LOG_LEVEL": "warn", "APP_BASE_URL": base}
	c, err := LoadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	err = serveOn(t.Context(), c, slog.New(slog.NewTextHandler(io.Discard, nil)), ln, time.Now)
	if !errors.Is(err, ErrKeyMismatch) {
		t.Fatalf("second node with its own keys: got %v, want ErrKeyMismatch", err)
	}
	for _, name := range []string{"SESSION_SECRET: ", "DATA_KEY: "} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("refusal %q does not name %s", err, strings.TrimSuffix(name, ": "))
		}
	}
	key, readErr := os.ReadFile(filepath.Join(env["DATA_DIR"], "secrets", "data_key"))
	if readErr != nil {
		t.Fatal(readErr)
	}
	if strings.Contains(err.Error(), strings.TrimSpace(string(key))) {
		t.Error("the refusal carries the key")
	}

	second := startServer(t, sharedKeys(t, first, map[string]string{"APP_BASE_URL": base}))
	res := second.browser(t).do(http.MethodGet, "/whoami", nil, http.Header{"Cookie": {"authportal_session=" + cookie}})
	if res.Status != http.StatusOK || res.JSON(t)["authenticated"] != true {
		t.Errorf("whoami on the second node with the first's cookie: %d %s, want authenticated", res.Status, res.Body)
	}
}

// appendFailedLogins appends n events in one transaction, straight to the log.
func appendFailedLogins(t *testing.T, pool *pgxpool.Pool, n int) {
	t.Helper()
	store := eventstore.New(pool, domain.Events(), slog.New(slog.DiscardHandler))
	events := make([]domain.Event, n)
	for i := range events {
		events[i] = domain.LoginFailed{UserID: "nobody", Username: fmt.Sprintf("guess-%d", i), Provider: "local", Reason: "unknown_user"}
	}
	if _, err := store.Append(t.Context(), domain.Metadata{ActorKind: domain.ActorSystem}, eventstore.Append{StreamID: "user-nobody", Expected: eventstore.Any, Events: events}); err != nil {
		t.Fatal(err)
	}
}

// Readiness is this node's: a projection far behind the head (here held
// still by a lock on its checkpoint) does not take the node out while its
// own access model is current.
func TestReadinessIgnoresClusterWideProjectionLag(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	pool, err := pgxpool.New(t.Context(), ts.env["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()

	// Hold the users projection still: its leader waits on this lock.
	if err := projections.EnsureCheckpoint(t.Context(), pool, projections.UsersName); err != nil {
		t.Fatal(err)
	}
	tx, err := pool.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := tx.Rollback(context.Background()); err != nil && !errors.Is(err, pgx.ErrTxClosed) {
			t.Error(err)
		}
	}()
	var held int64
	if err := tx.QueryRow(t.Context(), `SELECT position FROM projection_checkpoints WHERE name = $1 FOR UPDATE`, projections.UsersName).Scan(&held); err != nil {
		t.Fatal(err)
	}
	appendFailedLogins(t, pool, readyMaxLag+200)

	b := ts.browser(t)
	for deadline := time.Now().Add(15 * time.Second); ; {
		res := b.get("/readyz")
		if res.Status == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz stayed %d while the node's own model could follow", res.Status)
		}
		time.Sleep(20 * time.Millisecond)
	}
	var cp, head int64
	if err := pool.QueryRow(t.Context(), `SELECT (SELECT position FROM projection_checkpoints WHERE name = $1), (SELECT max(position) FROM events)`, projections.UsersName).Scan(&cp, &head); err != nil {
		t.Fatal(err)
	}
	if head-cp <= readyMaxLag {
		t.Fatalf("users projection lags %d events, want more than %d for this test to mean anything", head-cp, readyMaxLag)
	}
}

// A CLI command run first on a fresh database (a migrate in an init
// container, with no keys of its own but generated ones) records nothing:
// the servers that start after it decide the keys.
func TestCLIDoesNotRecordKeys(t *testing.T) {
	t.Parallel()
	fresh := pgtest.New(t)
	url := pgtest.ConnString(t, fresh)
	cli := &testServer{env: map[string]string{"DATABASE_URL": url, "DATA_DIR": t.TempDir(), "LOG_LEVEL": "error"}}
	if _, err := cli.cli(t, "", "migrate"); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	var n int
	if err := fresh.QueryRow(t.Context(), `SELECT count(*) FROM key_fingerprints`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("a CLI command recorded %d key fingerprints, want none", n)
	}
	startServer(t, map[string]string{"DATABASE_URL": url}) // its own generated keys
	if err := fresh.QueryRow(t.Context(), `SELECT count(*) FROM key_fingerprints`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Fatalf("the first server recorded %d key fingerprints, want 2", n)
	}
}
