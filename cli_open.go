package main

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
	"github.com/authportal/authportal/eventstore/pgserver"
	"github.com/authportal/authportal/queries"
	"github.com/jackc/pgx/v5/pgxpool"
)

// errNoDatabase is returned by every CLI command but serve and migrate when
// DATA_DIR holds no embedded cluster: creating an empty one would hide a
// wrong DATA_DIR behind an answer about a database that is not the real one.
var errNoDatabase = errors.New("no AuthPortal database")

// config reads the configuration and builds the logger (to stderr).
func (in *invocation) config() (Config, *slog.Logger, error) {
	c, err := LoadConfig(in.getenv)
	if err != nil {
		return Config{}, nil, exitError{2, fmt.Errorf("configuration:\n%w", err)}
	}
	return c, slog.New(slog.NewTextHandler(in.stderr, &slog.HandlerOptions{Level: c.LogLevel})), nil
}

// requireDatabase fails with errNoDatabase when there is no DATABASE_URL and
// no cluster under DATA_DIR. It creates nothing.
func requireDatabase(c Config) error {
	if c.DatabaseURL != "" {
		return nil
	}
	dir := filepath.Join(c.DataDir, "postgres")
	// initdb builds the data directory under another name and renames it into
	// place (pgserver), so PG_VERSION exists only in a whole cluster.
	_, err := os.Stat(filepath.Join(dir, "data", "PG_VERSION"))
	if errors.Is(err, fs.ErrNotExist) {
		abs, absErr := filepath.Abs(c.DataDir)
		if absErr != nil {
			abs = c.DataDir
		}
		return exitError{1, fmt.Errorf("%w in DATA_DIR=%s (no cluster in %s): run 'authportal serve' or 'authportal migrate' with this DATA_DIR first, or set DATA_DIR or DATABASE_URL to where the database is",
			errNoDatabase, abs, filepath.Join(abs, "postgres"))}
	}
	if err != nil {
		return fmt.Errorf("DATA_DIR: %w", err)
	}
	return nil
}

// withApp runs f with the whole application (secrets, migrations, command
// handlers), attaching to the running server's embedded cluster or starting
// it for the length of the command. Only create may make a new cluster.
func (in *invocation) withApp(create bool, f func(*app) error) error {
	c, logger, err := in.config()
	if err != nil {
		return err
	}
	if !create {
		if err := requireDatabase(c); err != nil {
			return err
		}
	}
	a, err := newApp(in.ctx, c, logger, time.Now)
	if err != nil {
		return err
	}
	return errors.Join(f(a), a.close(in.ctx))
}

// readOnly is what the read-only commands need: the log and the read models.
type readOnly struct {
	db     *database
	store  *eventstore.Store
	reader *queries.Reader
}

// withReadOnly runs f on the database opened read-only: no migration, no
// secrets generated, every transaction READ ONLY, and no cluster created.
func (in *invocation) withReadOnly(f func(*readOnly) error) error {
	c, logger, err := in.config()
	if err != nil {
		return err
	}
	if err := requireDatabase(c); err != nil {
		return err
	}
	db := &database{}
	url := c.DatabaseURL
	if url == "" {
		cluster, err := pgserver.Open(in.ctx, pgserver.Config{Dir: filepath.Join(c.DataDir, "postgres"), Logger: logger})
		if err != nil {
			return err
		}
		db.cluster = cluster
		url = cluster.ConnString(embeddedDatabase)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return errors.Join(fmt.Errorf("DATABASE_URL: %w", err), db.close(in.ctx))
	}
	// The server refuses any write, so a read-only command cannot change
	// the database even by a mistake in what it calls.
	cfg.ConnConfig.RuntimeParams["default_transaction_read_only"] = "on"
	pool, err := pgxpool.NewWithConfig(in.ctx, cfg)
	if err != nil {
		return errors.Join(fmt.Errorf("DATABASE_URL: %w", err), db.close(in.ctx))
	}
	db.pool = pool
	if err := pool.Ping(in.ctx); err != nil {
		return errors.Join(fmt.Errorf("connect to the database: %w", err), db.close(in.ctx))
	}
	r := &readOnly{db: db, store: eventstore.New(pool, domain.Events(), logger), reader: queries.NewReader(pool)}
	return errors.Join(f(r), db.close(in.ctx))
}
