package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/authportal/authportal/eventstore/pgserver"
	"github.com/authportal/authportal/migrations"
	"github.com/jackc/pgx/v5/pgxpool"
)

// embeddedDatabase is the database name inside the embedded cluster.
const embeddedDatabase = "authportal"

// database is the pool and, with no DATABASE_URL, the embedded cluster behind it.
type database struct {
	pool    *pgxpool.Pool
	cluster *pgserver.Server // nil with DATABASE_URL
}

// openDatabase connects to DATABASE_URL, or else attaches to (or starts)
// the cluster under DATA_DIR/postgres, then migrates and checks that the
// keys in c are the ones the database was first used with (checkKeys). The
// embedded cluster is checked too: it catches a DATA_DIR/secrets lost or
// replaced while the database under DATA_DIR/postgres was kept.
func openDatabase(ctx context.Context, c Config, logger *slog.Logger) (*database, error) {
	db := &database{}
	url := c.DatabaseURL
	if url == "" {
		cluster, err := pgserver.Open(ctx, pgserver.Config{Dir: filepath.Join(c.DataDir, "postgres"), Logger: logger})
		if err != nil {
			return nil, err
		}
		db.cluster = cluster
		if err := cluster.EnsureDatabase(ctx, embeddedDatabase); err != nil {
			return nil, errors.Join(err, db.close(ctx))
		}
		url = cluster.ConnString(embeddedDatabase)
	}
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("DATABASE_URL: %w", err), db.close(ctx))
	}
	db.pool = pool
	if err := pool.Ping(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("connect to the database: %w", err), db.close(ctx))
	}
	if _, err := migrations.Apply(ctx, pool); err != nil {
		return nil, errors.Join(err, db.close(ctx))
	}
	if err := checkKeys(ctx, pool, map[string][]byte{"SESSION_SECRET": c.SessionSecret, "DATA_KEY": c.DataKey}); err != nil {
		return nil, errors.Join(err, db.close(ctx))
	}
	return db, nil
}

// close closes the pool and stops the embedded cluster if this process started it.
func (d *database) close(ctx context.Context) error {
	if d.pool != nil {
		d.pool.Close()
	}
	if d.cluster != nil {
		return d.cluster.Stop(context.WithoutCancel(ctx))
	}
	return nil
}
