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
	replay := func(tx pgx.Tx, after int64) (int64, error) {
		for {
			batch, err := store.ReadAll(ctx, after, batchSize)
			if err != nil {
				return after, err
			}
			for _, rec := range batch {
				if handled[rec.Type] {
					if err := p.Apply(ctx, tx, shadow, rec); err != nil {
						return after, fmt.Errorf("apply %s at %d: %w", rec.Type, rec.Position, err)
					}
				}
				after = rec.Position
			}
			if len(batch) < batchSize {
				return after, nil
			}
		}
	}

	// Most of the log, outside the swap, so the live runner is not held up.
	var pos int64
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		var err error
		pos, err = replay(tx, 0)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("projections: rebuild %s: %w", p.Name(), err)
	}

	// The swap: the rest of the log, then the new tables take the old names.
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT 1 FROM projection_checkpoints WHERE name = $1 FOR UPDATE`, p.Name()); err != nil {
			return err
		}
		var err error
		if pos, err = replay(tx, pos); err != nil {
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
