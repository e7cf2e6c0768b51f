package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/authportal/authportal/eventstore/pgserver"
	"github.com/authportal/authportal/migrations"
)

// proc is pgtest's one piece of package-level mutable state, against the
// house rule on purpose: a test binary is one process, and sharing one
// cluster and one migrated template across all of its tests is what the
// package is for. There is no other place to keep it: tests reach pgtest
// through New(t) alone.
var proc process

// process is what a test process sets up once, on the first New.
type process struct {
	mu       sync.Mutex
	inMain   bool  // Main is running the tests
	started  bool  // setup ran, successfully or not
	setupErr error // what setup returned; every New fails with it

	prefix   string           // of every database name: pgtest_<pid>_<random>
	template string           // the migrated database New clones
	madeTmpl bool             // template exists, for teardown to drop
	admin    *pgxpool.Pool    // on the server's maintenance database
	baseURL  string           // TEST_DATABASE_URL, or "" for our own cluster
	server   *pgserver.Server // our own cluster, or nil
	dir      string           // our own cluster's directory
	next     atomic.Int64     // numbers the databases
}

// ownerFile, in a throwaway cluster's directory, holds the pid of the test
// process that made it, so that a later process can tell it was orphaned.
const ownerFile = "pgtest.owner"

// dirPrefix names the throwaway clusters' directories in os.TempDir().
const dirPrefix = "pgtest-"

// ready returns the process's state, setting it up on the first call.
// The first caller's setup runs under the lock, so parallel tests wait for
// it rather than racing to start clusters.
func (p *process) ready(t testing.TB) (*process, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.inMain {
		return nil, errors.New("pgtest: New needs pgtest.Main to stop what it starts: add func TestMain(m *testing.M) { pgtest.Main(m) } to this package's tests")
	}
	if !p.started {
		p.started = true
		// Not the test's context: setup outlives the test that triggers it.
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		p.setupErr = p.setup(ctx, t)
	}
	return p, p.setupErr
}

// setup finds or starts a server and makes the migrated template.
func (p *process) setup(ctx context.Context, t testing.TB) error {
	random := make([]byte, 3)
	if _, err := rand.Read(random); err != nil {
		return fmt.Errorf("pgtest: name databases: %w", err)
	}
	// The pid keeps names readable; the random part keeps them apart when
	// processes in different containers share a pid and a server.
	p.prefix = fmt.Sprintf("pgtest_%d_%s", os.Getpid(), hex.EncodeToString(random))
	p.template = p.prefix + "_tmpl"

	p.baseURL = os.Getenv("TEST_DATABASE_URL")
	adminConn := p.baseURL
	if p.baseURL == "" {
		if err := reapOrphans(); err != nil {
			// Another run's leftovers are not this run's failure.
			t.Logf("pgtest: clean up clusters of earlier test processes: %s", oneLine(err))
		}
		if err := p.startCluster(ctx); err != nil {
			return err
		}
		adminConn = p.server.ConnString("postgres")
	}

	var err error
	if p.admin, err = pgxpool.New(ctx, adminConn); err != nil {
		return fmt.Errorf("pgtest: open pool on %s: %w", p.describe(), err)
	}
	if err := p.admin.Ping(ctx); err != nil {
		return fmt.Errorf("pgtest: connect to %s: %w", p.describe(), err)
	}
	if p.server != nil {
		if err := p.tuneCluster(ctx); err != nil {
			return err
		}
	}
	return p.makeTemplate(ctx)
}

func (p *process) describe() string {
	if p.baseURL != "" {
		return "TEST_DATABASE_URL"
	}
	return "the throwaway cluster in " + p.dir
}

// startCluster starts this process's own cluster in a new temporary
// directory; short, as socket paths must be.
func (p *process) startCluster(ctx context.Context) error {
	dir, err := os.MkdirTemp("", dirPrefix)
	if err != nil {
		return fmt.Errorf("pgtest: create cluster directory: %w", err)
	}
	p.dir = dir
	err = os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o600)
	if err != nil {
		return fmt.Errorf("pgtest: record owner of %s: %w", dir, err)
	}
	p.server, err = pgserver.Open(ctx, pgserver.Config{Dir: dir})
	if errors.Is(err, pgserver.ErrNoBinaries) {
		return errors.New("pgtest: no TEST_DATABASE_URL, and no PostgreSQL server binaries (initdb, pg_ctl, postgres) on PATH or in /usr/lib/postgresql/*/bin to start a cluster: install them (e.g. apt-get install postgresql) or set TEST_DATABASE_URL to a server where this user may create databases")
	}
	if err != nil {
		return fmt.Errorf("pgtest: start throwaway cluster (or set TEST_DATABASE_URL): %w", err)
	}
	return nil
}

// tuneCluster trades durability, worthless for a cluster deleted at the end
// of the run, for speed. Never done on TEST_DATABASE_URL's server.
func (p *process) tuneCluster(ctx context.Context) error {
	for _, sql := range []string{
		`ALTER SYSTEM SET fsync = off`,
		`ALTER SYSTEM SET synchronous_commit = off`,
		`ALTER SYSTEM SET full_page_writes = off`,
		`SELECT pg_reload_conf()`,
	} {
		if _, err := p.admin.Exec(ctx, sql); err != nil {
			return fmt.Errorf("pgtest: tune throwaway cluster: %s: %w", sql, err)
		}
	}
	return nil
}

// makeTemplate creates the template database and migrates it. Its name is
// this process's own, so processes sharing a server never wait on or clone
// each other's.
func (p *process) makeTemplate(ctx context.Context) error {
	if _, err := p.admin.Exec(ctx, "CREATE DATABASE "+p.template); err != nil {
		return fmt.Errorf("pgtest: create template database %s on %s: %w", p.template, p.describe(), err)
	}
	p.madeTmpl = true
	pool, err := pgxpool.New(ctx, p.connString(p.template))
	if err != nil {
		return fmt.Errorf("pgtest: open pool on template %s: %w", p.template, err)
	}
	// Closed before any clone: CREATE DATABASE refuses a template with
	// sessions on it.
	defer pool.Close()
	if _, err := migrations.Apply(ctx, pool); err != nil {
		return fmt.Errorf("pgtest: migrate template %s: %w", p.template, err)
	}
	return nil
}

// dbName returns a new database name, unique in this process.
func (p *process) dbName() string {
	return p.prefix + "_" + strconv.FormatInt(p.next.Add(1), 10)
}

// connString returns the connection string for database name on the
// server: the throwaway cluster's own, or TEST_DATABASE_URL with its
// database replaced. Names are lower-case letters, digits and underscores,
// so they need no quoting.
func (p *process) connString(name string) string {
	if p.server != nil {
		return p.server.ConnString(name)
	}
	if strings.HasPrefix(p.baseURL, "postgres://") || strings.HasPrefix(p.baseURL, "postgresql://") {
		u, err := url.Parse(p.baseURL)
		if err == nil {
			u.Path, u.RawPath = "/"+name, ""
			return u.String()
		}
		// Unparsable here means unparsable for pgx too, which then reports
		// it, with the URL, when the pool is opened.
	}
	// A keyword/value string: a later dbname overrides an earlier one.
	return p.baseURL + " dbname=" + name
}

// teardown undoes setup after the tests: drops the template, closes the
// maintenance pool, and stops and removes the throwaway cluster.
func (p *process) teardown() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	var errs []error
	if p.admin != nil {
		// Left on the throwaway cluster, which goes as a whole below.
		if p.madeTmpl && p.server == nil {
			if _, err := p.admin.Exec(ctx, "DROP DATABASE IF EXISTS "+p.template+" WITH (FORCE)"); err != nil {
				errs = append(errs, fmt.Errorf("pgtest: drop template %s: %w", p.template, err))
			}
		}
		p.admin.Close()
	}
	if p.server != nil {
		if err := p.server.Stop(ctx); err != nil {
			errs = append(errs, fmt.Errorf("pgtest: stop throwaway cluster: %w", err))
		}
	}
	if p.dir != "" && len(errs) == 0 {
		if err := os.RemoveAll(p.dir); err != nil {
			errs = append(errs, fmt.Errorf("pgtest: remove throwaway cluster: %w", err))
		}
	}
	return errors.Join(errs...)
}
