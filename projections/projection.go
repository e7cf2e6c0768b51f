package projections

import (
	"context"

	"github.com/authportal/authportal/domain"
	"github.com/jackc/pgx/v5"
)

// Projection is one read model.
type Projection interface {
	// Name is the projection's durable name: its checkpoint row and leader
	// lock. Renaming it means a rebuild.
	Name() string
	// Tables lists the tables it owns, created by a file in migrations/.
	Tables() []string
	// Handles lists the event types it applies; others only move its checkpoint.
	Handles() []string
	// Apply writes one event into the tables named by t (t maps each of
	// Tables to the physical table to write, which differs during a rebuild).
	// Writes must be keyed upserts, so that applying an event again is harmless.
	Apply(ctx context.Context, tx pgx.Tx, t Tables, rec domain.Recorded) error
}

// Tables maps a projection's table names to the tables to write.
type Tables map[string]string

// Ident returns the quoted physical name of table.
func (t Tables) Ident(table string) string {
	name, ok := t[table]
	if !ok {
		name = table
	}
	return pgx.Identifier{name}.Sanitize()
}

func identity(p Projection) Tables {
	t := Tables{}
	for _, name := range p.Tables() {
		t[name] = name
	}
	return t
}

func handles(p Projection) map[string]bool {
	m := map[string]bool{}
	for _, typ := range p.Handles() {
		m[typ] = true
	}
	return m
}
