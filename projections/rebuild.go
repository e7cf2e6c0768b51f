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
			ident := pgx.Identifier{name}.Sanitize()
			if _, err := tx.Exec(ctx, `DROP TABLE `+ident+`; ALTER TABLE `+shadow.Ident(name)+` RENAME TO `+ident); err != nil {
				return fmt.Errorf("swap %s: %w", name, err)
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
