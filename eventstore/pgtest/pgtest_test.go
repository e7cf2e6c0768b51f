package pgtest_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/authportal/authportal/eventstore/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func currentDatabase(t *testing.T, pool *pgxpool.Pool) string {
	t.Helper()
	var name string
	if err := pool.QueryRow(t.Context(), `SELECT current_database()`).Scan(&name); err != nil {
		t.Fatalf("current_database(): %v", err)
	}
	return name
}

func tableExists(t *testing.T, pool *pgxpool.Pool, table string) bool {
	t.Helper()
	var exists bool
	if err := pool.QueryRow(t.Context(), `SELECT to_regclass($1) IS NOT NULL`, table).Scan(&exists); err != nil {
		t.Fatalf("look for table %s: %v", table, err)
	}
	return exists
}

func TestNewGivesIndependentMigratedDatabases(t *testing.T) {
	t.Parallel()
	names := make(chan string, 2)
	ok := t.Run("pair", func(t *testing.T) {
		for _, name := range []string{"a", "b"} {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				pool := pgtest.New(t)
				if !tableExists(t, pool, "events") {
					t.Fatalf("table events: missing, want it migrated")
				}
				// Only this database may see the table it creates.
				if tableExists(t, pool, "mine") {
					t.Fatalf("table mine: present before this test made it, want absent")
				}
				if _, err := pool.Exec(t.Context(), `CREATE TABLE mine (id int)`); err != nil {
					t.Fatalf("create table mine: %v", err)
				}
				names <- currentDatabase(t, pool)
			})
		}
	})
	close(names)
	if !ok {
		return
	}
	a, b := <-names, <-names
	if a == "" || a == b {
		t.Fatalf("databases: got %q and %q, want two different ones", a, b)
	}

	// The parallel pair has ended, so its clean-ups have dropped both.
	pool := pgtest.New(t)
	for _, name := range []string{a, b} {
		var n int
		err := pool.QueryRow(t.Context(), `SELECT count(*) FROM pg_database WHERE datname = $1`, name).Scan(&n)
		if err != nil {
			t.Fatalf("look for database %s: %v", name, err)
		}
		if n != 0 {
			t.Fatalf("database %s after its test ended: still there, want dropped", name)
		}
	}
}

func TestConnStringReachesThePoolsDatabase(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)

	conn, err := pgx.Connect(t.Context(), pgtest.ConnString(t, pool))
	if err != nil {
		t.Fatalf("connect with ConnString: %v", err)
	}
	defer func() {
		if err := conn.Close(context.Background()); err != nil {
			t.Errorf("close connection: %v", err)
		}
	}()
	var got string
	if err := conn.QueryRow(t.Context(), `SELECT current_database()`).Scan(&got); err != nil {
		t.Fatalf("current_database(): %v", err)
	}
	if want := currentDatabase(t, pool); got != want {
		t.Fatalf("database behind ConnString: got %q, want %q", got, want)
	}
}
