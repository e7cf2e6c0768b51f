package pgserver

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// maxSocketPath is the longest unix socket path PostgreSQL and the kernel
// accept: sun_path holds 108 bytes including the terminating NUL.
const maxSocketPath = 107

// socketName is the socket's file name inside Dir, fixed by the port.
const socketName = ".s.PGSQL.5432"

// Config says where the cluster lives.
type Config struct {
	// Dir holds the cluster: its data in Dir/data, its socket and its log
	// (postgres.log) in Dir itself. Required. It is created 0700 when
	// missing. The socket path inside it must fit the unix limit of 107
	// bytes, so Dir's absolute path may be at most 93 bytes long, and
	// it may not hold " \ $ ` , or a newline. When the
	// process is root, Dir and everything in it is handed to the cluster
	// user, and every directory above it must be searchable by that user.
	Dir string
	// Logger receives a line when the cluster is initialised, started,
	// attached to or stopped. Nil discards them.
	Logger *slog.Logger
}

// Server is a handle on the cluster in one directory. It is safe for
// concurrent use.
type Server struct {
	dir     string // absolute; the socket directory
	dataDir string
	user    *clusterUser // nil unless this process is root
	bin     binaries     // zero when attached to a running cluster
	logger  *slog.Logger
	owned   bool

	mu      sync.Mutex
	stopped bool
}

// Open attaches to the cluster in cfg.Dir if a postmaster already runs
// there (e.g. the server started it); otherwise it initialises the cluster
// if needed (initdb) and starts it. The returned Server owns the cluster only
// if it started it. Attaching needs no PostgreSQL binaries; starting returns
// [ErrNoBinaries] when there are none.
func Open(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Dir == "" {
		return nil, errors.New("pgserver: open: Config.Dir is empty")
	}
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("pgserver: open %s: %w", cfg.Dir, err)
	}
	if n := len(dir) + 1 + len(socketName); n > maxSocketPath {
		return nil, fmt.Errorf("pgserver: open %s: path is %d bytes, and the socket %s inside it would pass the %d-byte unix socket limit: use a directory of at most %d bytes",
			dir, len(dir), socketName, maxSocketPath, maxSocketPath-1-len(socketName))
	}
	// pg_ctl pastes the data directory and log path between double quotes
	// into a /bin/sh command line without escaping them, and connection
	// strings read a comma in host as a list of hosts.
	if strings.ContainsAny(dir, "\"\\$`\n,") {
		return nil, fmt.Errorf("pgserver: open %q: the path may not hold any of \" \\ $ ` , or a newline (pg_ctl and connection strings cannot carry them): choose another directory", dir)
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{dir: dir, dataDir: filepath.Join(dir, "data"), logger: logger.With("dir", dir)}

	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("pgserver: create %s: %w", dir, err)
	}
	if ok, err := s.running(ctx); err != nil || ok {
		if ok {
			s.logger.Debug("postgres: attached to running cluster")
			return s, nil
		}
		return nil, err
	}

	if s.user, err = lookupClusterUser(); err != nil {
		return nil, err
	}
	if s.user != nil {
		if err := s.user.checkTraversable(dir); err != nil {
			return nil, err
		}
		if err := s.user.adopt(dir); err != nil {
			return nil, err
		}
	}
	lock, err := lockDir(ctx, dir, s.user)
	if err != nil {
		return nil, err
	}
	err = s.initAndStart(ctx)
	if unlockErr := lock.unlock(); unlockErr != nil {
		if err != nil {
			return nil, errors.Join(err, unlockErr)
		}
		// The cluster is up and ours; the kernel drops the lock when this
		// process exits, so a failed close costs other processes a wait at
		// most, not worth stopping a working database for.
		s.logger.Warn("postgres: lock not released", "err", unlockErr)
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}

// initAndStart runs with the directory lock held.
func (s *Server) initAndStart(ctx context.Context) error {
	// Whoever held the lock before us may just have started it.
	if ok, err := s.running(ctx); err != nil || ok {
		if ok {
			s.logger.Debug("postgres: attached to running cluster")
		}
		return err
	}
	major, err := s.dataVersion()
	if err != nil {
		return err
	}
	if s.bin, err = findBinaries(major); err != nil {
		return err
	}
	if major == "" {
		if err := s.initdb(ctx); err != nil {
			return err
		}
		s.logger.Info("postgres: initialised cluster", "initdb", s.bin.initdb)
	}

	// pg_ctl copes with a postmaster.pid left by a crash by itself; it fails
	// only when a postmaster really runs, which can happen if one was
	// started behind this package's back since the check above. Then the
	// cluster is usable, just not ours.
	if err := s.start(ctx); err != nil {
		if _, statErr := os.Stat(s.pidFile()); statErr == nil && s.waitReady(ctx, 5*time.Second) == nil {
			s.logger.Info("postgres: attached to cluster started concurrently")
			return nil
		}
		return err
	}
	s.owned = true
	if err := s.waitReady(ctx, 30*time.Second); err != nil {
		err = fmt.Errorf("pgserver: cluster in %s started but accepts no connection: %w", s.dir, err)
		return errors.Join(err, s.stop(context.WithoutCancel(ctx)))
	}
	s.logger.Info("postgres: started cluster", "postgres", s.bin.postgres)
	return nil
}

// dataVersion returns the major version that made the data directory, or ""
// when there is none yet.
func (s *Server) dataVersion() (string, error) {
	data, err := os.ReadFile(filepath.Join(s.dataDir, "PG_VERSION"))
	if err == nil {
		return strings.TrimSpace(string(data)), nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("pgserver: read cluster version in %s: %w", s.dataDir, err)
	}
	if _, statErr := os.Stat(s.dataDir); !errors.Is(statErr, fs.ErrNotExist) {
		// initdb builds elsewhere and renames, so this is not one of ours.
		return "", fmt.Errorf("pgserver: %s exists but holds no PostgreSQL cluster (no PG_VERSION): move it away or choose another directory", s.dataDir)
	}
	return "", nil
}

// running reports whether a postmaster answers in the directory. A pid file
// alone proves nothing (a crash leaves it behind), so it connects.
func (s *Server) running(ctx context.Context) (bool, error) {
	_, err := os.Stat(s.pidFile())
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err == nil {
		pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if err = s.ping(pingCtx); err == nil {
			return true, nil
		}
		if !errors.Is(err, syscall.EACCES) {
			return false, nil // a stale pid file, or one still starting
		}
	}
	if errors.Is(err, fs.ErrPermission) {
		return false, fmt.Errorf("pgserver: the cluster in %s belongs to another user, and only that user or root may use it: run this as the same user as the server: %w", s.dir, err)
	}
	return false, fmt.Errorf("pgserver: look for a running cluster in %s: %w", s.dir, err)
}

// waitReady connects until a connection succeeds or limit passes.
func (s *Server) waitReady(ctx context.Context, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	for {
		err := s.ping(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (s *Server) ping(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, s.ConnString("postgres"))
	if err != nil {
		return err
	}
	return errors.Join(conn.Ping(ctx), conn.Close(ctx))
}

// ConnString returns a libpq/pgx keyword connection string for database
// dbname over the unix socket.
func (s *Server) ConnString(dbname string) string {
	return fmt.Sprintf("host=%s port=%d user=%s dbname=%s sslmode=disable",
		connQuote(s.dir), port, superuser, connQuote(dbname))
}

// connQuote quotes a keyword connection string value when it needs it.
func connQuote(v string) string {
	if v != "" && !strings.ContainsAny(v, " '\\\t\n\v\f\r") {
		return v
	}
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
}

// EnsureDatabase creates database name if it does not exist. Two callers
// racing to create it both succeed.
func (s *Server) EnsureDatabase(ctx context.Context, name string) (err error) {
	conn, err := pgx.Connect(ctx, s.ConnString("postgres"))
	if err != nil {
		return fmt.Errorf("pgserver: ensure database %s: connect: %w", name, err)
	}
	defer func() {
		if closeErr := conn.Close(ctx); closeErr != nil {
			err = errors.Join(err, fmt.Errorf("pgserver: ensure database %s: close: %w", name, closeErr))
		}
	}()
	var exists bool
	err = conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists)
	if err != nil {
		return fmt.Errorf("pgserver: ensure database %s: look it up: %w", name, err)
	}
	if exists {
		return nil
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	var pgErr *pgconn.PgError
	// 42P04 duplicate_database, or 23505 when the race is lost inside the
	// catalog's unique index: either way it now exists.
	if errors.As(err, &pgErr) && (pgErr.Code == "42P04" || pgErr.Code == "23505") {
		return nil
	}
	if err != nil {
		return fmt.Errorf("pgserver: ensure database %s: create: %w", name, err)
	}
	s.logger.Info("postgres: created database", "database", name)
	return nil
}

// Owned reports whether this Server started the cluster, and so whether
// Stop will stop it.
func (s *Server) Owned() bool { return s.owned }

// Stop stops the cluster if this Server started it and does nothing
// otherwise. Sessions still open, including other processes' that attached,
// are disconnected and their transactions rolled back. Calling it again
// after a success does nothing.
func (s *Server) Stop(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.owned || s.stopped {
		return nil
	}
	// Held so that an Open elsewhere waits for the stop to finish and then
	// starts afresh, instead of racing a cluster that is going away.
	lock, err := lockDir(ctx, s.dir, s.user)
	if err != nil {
		return err
	}
	err = s.stop(ctx)
	if unlockErr := lock.unlock(); unlockErr != nil {
		err = errors.Join(err, unlockErr)
	}
	if err != nil {
		return err
	}
	s.stopped = true
	s.logger.Info("postgres: stopped cluster")
	return nil
}
