package projections_test

import (
	"maps"
	"testing"

	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
	"github.com/authportal/authportal/eventstore/pgtest"
	"github.com/authportal/authportal/projections"
	"github.com/jackc/pgx/v5/pgxpool"
)

// schemaNames lists every index (with its definition) and constraint of
// the projections' tables, by table.
func schemaNames(t *testing.T, pool *pgxpool.Pool) map[string]string {
	t.Helper()
	rows, err := pool.Query(t.Context(), `
		SELECT 'index ' || indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = ANY($1)
		UNION ALL
		SELECT 'constraint ' || conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid::regclass::text = ANY($1)`,
		projectionTables())
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			t.Fatal(err)
		}
		out[name] = def
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func projectionTables() []string {
	var tables []string
	for _, p := range projections.All() {
		tables = append(tables, p.Tables()...)
	}
	return tables
}

// A rebuild leaves every index and constraint with the name (and the
// definition) the migrations gave it, so a later migration can name them.
func TestRebuildKeepsIndexAndConstraintNames(t *testing.T) {
	pool := pgtest.New(t)
	store := eventstore.New(pool, domain.Events(), discard)
	w := newWorld(t, store)
	w.run(200)
	before := schemaNames(t, pool)
	if before["index users_username"] == "" || before["constraint users_pkey"] == "" || before["index sessions_ended"] == "" {
		t.Fatalf("the migrated schema lacks the names this test checks: %v", before)
	}
	for range 2 { // a second rebuild starts from tables a rebuild made
		for _, p := range projections.All() {
			if _, err := projections.Rebuild(t.Context(), pool, store, p, 50); err != nil {
				t.Fatalf("rebuild %s: %v", p.Name(), err)
			}
		}
		if after := schemaNames(t, pool); !maps.Equal(after, before) {
			t.Errorf("indexes and constraints after a rebuild:\ngot  %v\nwant %v", after, before)
		}
		checkForwardTables(t, pool, store) // the rebuilt forward-auth tables hold what the log says
	}
}
