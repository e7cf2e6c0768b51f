package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strconv"
	"time"

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
// the cluster under DATA_DIR/postgres, then migrates.
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
	if err := migrate(ctx, url); err != nil {
		return nil, errors.Join(err, db.close(ctx))
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("DATABASE_URL: %w", err), db.close(ctx))
	}
	limitStatements(cfg)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("DATABASE_URL: %w", err), db.close(ctx))
	}
	db.pool = pool
	return db, nil
}

// Limits on every statement of the server's pool. A statement that runs
// longer, or waits longer for a lock, is cancelled by the database and the
// request that made it is answered 503 (eventstore.ErrUnavailable) instead
// of holding a login for as long as the database is stuck. A database that
// does not answer at all (frozen, unreachable) cannot cancel anything: the
// web layer's request deadline covers that on the client side. Work that is
// long by nature runs outside these limits: migrations on a pool of their
// own (migrate), a projection rebuild's swap with SET LOCAL.
const (
	statementTimeout = 4 * time.Second
	lockTimeout      = 2 * time.Second
	connectTimeout   = 5 * time.Second
)

// limitStatements sets the limits above on cfg, unless DATABASE_URL sets
// its own (statement_timeout=..., lock_timeout=..., connect_timeout=...).
func limitStatements(cfg *pgxpool.Config) {
	params := cfg.ConnConfig.RuntimeParams
	if _, ok := params["statement_timeout"]; !ok {
		params["statement_timeout"] = strconv.FormatInt(statementTimeout.Milliseconds(), 10)
	}
	if _, ok := params["lock_timeout"]; !ok {
		params["lock_timeout"] = strconv.FormatInt(lockTimeout.Milliseconds(), 10)
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = connectTimeout
	}
}

// migrate applies the migrations on a pool of their own, closed after: a
// migration may run and wait for locks longer than any request should.
func migrate(ctx context.Context, url string) error {
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return fmt.Errorf("DATABASE_URL: %w", err)
	}
	defer pool.Close()
	if err := pool.Ping(ctx); err != nil {
		return fmt.Errorf("connect to the database: %w", err)
	}
	_, err = migrations.Apply(ctx, pool)
	return err
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
