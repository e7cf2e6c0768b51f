package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/authportal/authportal/eventstore/pgtest"
	"github.com/jackc/pgx/v5"
)

// In a DATA_DIR with no cluster, every command but serve and migrate says
// so and creates nothing, instead of answering from a new, empty database.
func TestCommandsInAFolderWithNoClusterSaySoAndCreateNothing(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"audit", "verify"},
		{"audit", "export"},
		{"projections", "status"},
		{"projections", "status", "--json"},
		{"projections", "rebuild"},
		{"user", "add", "--username", "a", "--password-stdin"},
		{"user", "admin", "--username", "a"},
		{"user", "passwd", "--username", "a", "--password-stdin"},
		{"user", "mfa", "reset", "--username", "a"},
		{"user", "sessions", "revoke", "--username", "a"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			dataDir := emptyDataDir(t)
			ts := &testServer{env: map[string]string{"DATA_DIR": dataDir}}
			_, err := ts.cli(t, "correct horse battery\n", args...)
			if !errors.Is(err, errNoDatabase) || !strings.Contains(err.Error(), "DATA_DIR="+dataDir) {
				t.Errorf("got %v, want errNoDatabase naming DATA_DIR=%s", err, dataDir)
			}
			assertUntouched(t, dataDir)
		})
	}
}

// Read-only commands neither migrate nor write secrets: against a database
// with no schema they fail and leave it without one, and DATA_DIR stays
// empty.
func TestReadOnlyCommandsNeitherMigrateNorWriteSecrets(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	empty := pool.Config().ConnConfig.Database + "_empty"
	if _, err := pool.Exec(t.Context(), "CREATE DATABASE "+pgx.Identifier{empty}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := pool.Exec(context.Background(), "DROP DATABASE IF EXISTS "+pgx.Identifier{empty}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("drop %s: %v", empty, err)
		}
	})
	cfg := pool.Config().ConnConfig.Copy()
	cfg.Database = empty
	url := strings.Replace(pgtest.ConnString(t, pool), "dbname="+pool.Config().ConnConfig.Database, "dbname="+empty, 1)
	if !strings.Contains(url, empty) {
		t.Fatalf("could not point %q at %s", url, empty)
	}
	dataDir := emptyDataDir(t)
	ts := &testServer{env: map[string]string{"DATABASE_URL": url, "DATA_DIR": dataDir}}
	for _, args := range [][]string{{"audit", "verify"}, {"audit", "export"}, {"projections", "status"}} {
		if out, err := ts.cli(t, "", args...); err == nil {
			t.Errorf("%v on a database with no schema succeeded: %q", args, out)
		}
	}
	conn, err := pgx.ConnectConfig(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var tables int
	if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`).Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		t.Errorf("read-only commands created %d tables; they must not migrate", tables)
	}
	assertUntouched(t, dataDir)

	// On a real database they work, still without writing secrets.
	ts.env["DATABASE_URL"] = pgtest.ConnString(t, pool)
	if out, err := ts.cli(t, "", "audit", "verify"); err != nil || !strings.HasPrefix(out, "ok: 0 events checked") {
		t.Errorf("audit verify of an empty log: %q %v", out, err)
	}
	if _, err := os.Stat(filepath.Join(dataDir, "secrets")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a read-only command wrote secrets: %v", err)
	}
}
