package projections

import (
	"context"
	"fmt"

	"github.com/authportal/authportal/eventstore"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

const rebuildSuffix = "__rebuild"

// Rebuild replays the whole log into fresh copies of p's tables and swaps
// them in. The live runner may keep running meanwhile: the swap happens in
// one transaction holding p's checkpoint row, which the runner also locks
// before every batch, and it leaves the checkpoint at the position the new
// tables reflect. It returns that position.
func Rebuild(ctx context.Context, pool *pgxpool.Pool, store *eventstore.Store, p Projection, batchSize int) (int64, error) {
	if batchSize <= 0 {
		batchSize = 5000
	}
	if err := EnsureCheckpoint(ctx, pool, p.Name()); err != nil {
		return 0, err
	}
	shadow := Tables{}
	for _, name := range p.Tables() {
		shadow[name] = name + rebuildSuffix
		ident, tmp := pgx.Identifier{name}.Sanitize(), shadow.Ident(name)
		if _, err := pool.Exec(ctx, `DROP TABLE IF EXISTS `+tmp+`; CREATE TABLE `+tmp+` (LIKE `+ident+` INCLUDING ALL)`); err != nil {
			return 0, fmt.Errorf("projections: rebuild %s: create %s: %w", p.Name(), tmp, err)
		}
	}
	handled := handles(p)
	// replay applies the log after position after into the shadow tables,
	// reading on tx itself (see eventstore.ReadAllIn), until the head or,
	// with maxBatches > 0, that many batches.
	replay := func(tx pgx.Tx, after int64, maxBatches int) (next int64, done bool, err error) {
		for n := 0; maxBatches == 0 || n < maxBatches; n++ {
			batch, err := store.ReadAllIn(ctx, tx, after, batchSize)
			if err != nil {
				return after, false, err
			}
			for _, rec := range batch {
				if handled[rec.Type] {
					if err := p.Apply(ctx, tx, shadow, rec); err != nil {
						return after, false, fmt.Errorf("apply %s at %d: %w", rec.Type, rec.Position, err)
					}
				}
				after = rec.Position
			}
			if len(batch) < batchSize {
				return after, true, nil
			}
		}
		return after, false, nil
	}

	// Most of the log, outside the swap and a batch per transaction, so the
	// live runner is not held up and no transaction grows with the log.
	var pos int64
	for done := false; !done; {
		err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			var err error
			pos, done, err = replay(tx, pos, 1)
			return err
		})
		if err != nil {
			return 0, fmt.Errorf("projections: rebuild %s: %w", p.Name(), err)
		}
	}

	// The swap: the rest of the log, then the new tables take the old names.
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		// The swap waits for readers of the old tables and replays what came
		// meanwhile: outside the request path's statement and lock limits.
		if _, err := tx.Exec(ctx, `SET LOCAL statement_timeout = 0; SET LOCAL lock_timeout = 0`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `SELECT 1 FROM projection_checkpoints WHERE name = $1 FOR UPDATE`, p.Name()); err != nil {
			return err
		}
		var err error
		if pos, _, err = replay(tx, pos, 0); err != nil {
			return err
		}
		for _, name := range p.Tables() {
			renames, err := indexRenames(ctx, tx, name, shadow[name])
			if err != nil {
				return fmt.Errorf("swap %s: %w", name, err)
			}
			ident := pgx.Identifier{name}.Sanitize()
			if _, err := tx.Exec(ctx, `DROP TABLE `+ident+`; ALTER TABLE `+shadow.Ident(name)+` RENAME TO `+ident); err != nil {
				return fmt.Errorf("swap %s: %w", name, err)
			}
			for _, r := range renames {
				if _, err := tx.Exec(ctx, `ALTER INDEX `+pgx.Identifier{r.from}.Sanitize()+` RENAME TO `+pgx.Identifier{r.to}.Sanitize()); err != nil {
					return fmt.Errorf("swap %s: name index %s: %w", name, r.to, err)
				}
			}
		}
		_, err = tx.Exec(ctx, `UPDATE projection_checkpoints SET position = $2, updated_at = now() WHERE name = $1`, p.Name(), pos)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("projections: rebuild %s: swap: %w", p.Name(), err)
	}
	return pos, nil
}

// rename is one index of a shadow table and the name its counterpart on the
// live table has.
type rename struct{ from, to string }

// indexRenames pairs each index of shadow with the index of table it copies
// (same uniqueness, method, columns or expressions and predicate), so that
// after the swap the indexes, and the constraints they back (ALTER INDEX
// RENAME renames those too), carry the names the migrations gave them.
// CREATE TABLE ... LIKE names its copies itself (users_username becomes
// users__rebuild_lower_idx), and a later migration that names the original
// would fail only on installs that once rebuilt.
func indexRenames(ctx context.Context, tx pgx.Tx, table, shadow string) ([]rename, error) {
	// The definition after " USING " leaves out the index's and the table's
	// names: "btree (lower(username))", "btree (ended_at) WHERE (...)".
	const q = `SELECT i.relname, x.indisunique::text || ' ' || substring(pg_get_indexdef(x.indexrelid) from ' USING (.*)$')
		FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
		WHERE x.indrelid = to_regclass($1)`
	names := func(rel string) (map[string]string, error) {
		rows, err := tx.Query(ctx, q, pgx.Identifier{rel}.Sanitize())
		if err != nil {
			return nil, err
		}
		byDef := map[string]string{}
		for rows.Next() {
			var name, def string
			if err := rows.Scan(&name, &def); err != nil {
				rows.Close()
				return nil, err
			}
			if _, dup := byDef[def]; dup {
				rows.Close()
				return nil, fmt.Errorf("two indexes on %s are both %s", rel, def)
			}
			byDef[def] = name
		}
		return byDef, rows.Err()
	}
	live, err := names(table)
	if err != nil {
		return nil, fmt.Errorf("read indexes of %s: %w", table, err)
	}
	copies, err := names(shadow)
	if err != nil {
		return nil, fmt.Errorf("read indexes of %s: %w", shadow, err)
	}
	var out []rename
	for def, from := range copies {
		to, ok := live[def]
		if !ok {
			return nil, fmt.Errorf("index %s (%s) has no counterpart on %s", from, def, table)
		}
		if from != to {
			out = append(out, rename{from: from, to: to})
		}
	}
	return out, nil
}
