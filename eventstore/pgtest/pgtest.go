package pgtest

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Main runs the package's tests, then drops the template database and, when
// it started one, stops and removes the throwaway cluster. Call it from
// TestMain; it does not return, exiting with the tests' status, or 1 when
// the tests passed but the clean-up failed.
//
// [New] relies on it: without Main nothing would stop the cluster, and every
// run would leave a postgres behind. A process that dies before Main's end
// (a panic, -timeout, Ctrl-C) still leaves its cluster; the next process to
// start one removes it.
func Main(m *testing.M) {
	proc.mu.Lock()
	proc.inMain = true
	proc.mu.Unlock()

	code := m.Run()
	if err := proc.teardown(); err != nil {
		fmt.Fprintln(os.Stderr, oneLine(err))
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// New returns a pool on a fresh database cloned from the migrated template.
// The pool is closed and the database dropped when the test ends. Safe for
// t.Parallel. The pool has pgxpool's default size.
func New(t testing.TB) *pgxpool.Pool {
	t.Helper()
	p, err := proc.ready(t)
	if err != nil {
		t.Fatal(oneLine(err))
	}
	name := p.dbName()
	ctx := t.Context()

	// Cloning needs no one connected to the template; the migration pool
	// was closed when the template was made.
	if _, err := p.admin.Exec(ctx, "CREATE DATABASE "+name+" TEMPLATE "+p.template); err != nil {
		t.Fatal(oneLine(fmt.Errorf("pgtest: create database %s from %s: %w", name, p.template, err)))
	}
	// Registered before the pool's, so it runs after the pool is closed;
	// FORCE covers connections the test leaked elsewhere. The test's context
	// is already cancelled when clean-ups run.
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := p.admin.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})

	pool, err := pgxpool.New(ctx, p.connString(name))
	if err != nil {
		t.Fatal(oneLine(fmt.Errorf("pgtest: open pool on %s: %w", name, err)))
	}
	t.Cleanup(pool.Close)
	if err := pool.Ping(ctx); err != nil {
		t.Fatal(oneLine(fmt.Errorf("pgtest: connect to %s: %w", name, err)))
	}
	return pool
}

// ConnString returns the connection string of the database behind a pool
// from [New], for tests that hand the database to something other than
// the pool, such as the server binary or the CLI.
func ConnString(t testing.TB, pool *pgxpool.Pool) string {
	t.Helper()
	cfg := pool.Config()
	proc.mu.Lock()
	prefix := proc.prefix
	proc.mu.Unlock()
	if prefix == "" || !strings.HasPrefix(cfg.ConnConfig.Database, prefix+"_") {
		t.Fatalf("pgtest: ConnString: pool on database %q does not come from pgtest.New", cfg.ConnConfig.Database)
	}
	return cfg.ConnString()
}

// oneLine flattens an error for t.Fatal: pgx puts each address it tried on
// its own line, and a failure here should read as one sentence.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
