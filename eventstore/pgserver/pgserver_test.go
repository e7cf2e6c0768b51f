package pgserver_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/authportal/authportal/eventstore/pgserver"
)

// clusterDir returns a fresh directory for a cluster. Not t.TempDir: its
// path, named after the test, can pass the 93 bytes a socket directory may
// have, and as root its parents must be searchable by the cluster user
// (os.MkdirTemp under /tmp is).
func clusterDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "pgs")
	if err != nil {
		t.Fatalf("create cluster dir: %v", err)
	}
	t.Cleanup(func() {
		if err := os.RemoveAll(dir); err != nil {
			t.Errorf("remove cluster dir: %v", err)
		}
	})
	return dir
}

// open opens the cluster in dir and, if it started it, stops it when the
// test ends, so a failing test leaves no postgres running.
func open(t *testing.T, dir string) *pgserver.Server {
	t.Helper()
	srv, err := pgserver.Open(t.Context(), pgserver.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(context.Background()); err != nil {
			t.Errorf("stop in cleanup: %v", err)
		}
	})
	return srv
}

func connect(t *testing.T, srv *pgserver.Server, db string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), srv.ConnString(db))
	if err != nil {
		t.Fatalf("connect to %s: %v", db, err)
	}
	t.Cleanup(func() {
		if err := conn.Close(context.Background()); err != nil {
			t.Errorf("close connection: %v", err)
		}
	})
	return conn
}

func mustExec(t *testing.T, conn *pgx.Conn, sql string) {
	t.Helper()
	if _, err := conn.Exec(t.Context(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func count(t *testing.T, conn *pgx.Conn, sql string) int {
	t.Helper()
	var n int
	if err := conn.QueryRow(t.Context(), sql).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func TestOpenStopReopenKeepsData(t *testing.T) {
	t.Parallel()
	dir := clusterDir(t)

	first := open(t, dir)
	if !first.Owned() {
		t.Fatalf("first Open of a new dir: Owned() = false, want true")
	}
	for range 2 { // the second call finds it and must not fail
		if err := first.EnsureDatabase(t.Context(), "app"); err != nil {
			t.Fatal(err)
		}
	}
	conn := connect(t, first, "app")
	mustExec(t, conn, `CREATE TABLE kept (id int)`)
	mustExec(t, conn, `INSERT INTO kept VALUES (1), (2)`)
	if err := conn.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := first.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := pgx.Connect(t.Context(), first.ConnString("app")); err == nil {
		t.Fatalf("connect after Stop: got success, want failure")
	}

	second := open(t, dir)
	if !second.Owned() {
		t.Fatalf("Open after Stop: Owned() = false, want true")
	}
	if got := count(t, connect(t, second, "app"), `SELECT count(*) FROM kept`); got != 2 {
		t.Fatalf("rows after restart: got %d, want 2", got)
	}
}

func TestSecondOpenAttaches(t *testing.T) {
	t.Parallel()
	dir := clusterDir(t)
	owner := open(t, dir)

	guest := open(t, dir)
	if guest.Owned() {
		t.Fatalf("Open while running: Owned() = true, want false")
	}
	if got, want := guest.ConnString("postgres"), owner.ConnString("postgres"); got != want {
		t.Fatalf("guest ConnString: got %q, want %q", got, want)
	}
	if err := guest.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := count(t, connect(t, owner, "postgres"), `SELECT 1`); got != 1 {
		t.Fatalf("SELECT 1 after the guest's Stop: got %d, want 1", got)
	}
}

func TestConcurrentOpensStartOnce(t *testing.T) {
	t.Parallel()
	dir := clusterDir(t)

	const n = 4
	servers := make([]*pgserver.Server, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			servers[i], errs[i] = pgserver.Open(t.Context(), pgserver.Config{Dir: dir})
		})
	}
	wg.Wait()
	owners := 0
	for i, srv := range servers {
		if errs[i] != nil {
			t.Errorf("Open %d: %v", i, errs[i])
			continue
		}
		if srv.Owned() {
			owners++
		}
		t.Cleanup(func() {
			if err := srv.Stop(context.Background()); err != nil {
				t.Errorf("stop in cleanup: %v", err)
			}
		})
	}
	if owners != 1 {
		t.Fatalf("concurrent Opens: %d owners, want 1", owners)
	}
}

// A postmaster killed outright leaves its postmaster.pid behind; the next
// Open must see that nothing answers and start the cluster anyway.
func TestOpenAfterCrash(t *testing.T) {
	t.Parallel()
	dir := clusterDir(t)
	crashed := open(t, dir)
	mustExec(t, connect(t, crashed, "postgres"), `CREATE TABLE survived (id int)`)

	pid := postmasterPID(t, dir)
	children := childrenOf(t, pid)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill postmaster %d: %v", pid, err)
	}
	waitGone(t, append(children, pid))
	if _, err := os.Stat(filepath.Join(dir, "data", "postmaster.pid")); err != nil {
		t.Fatalf("postmaster.pid after the crash: %v, want it left behind", err)
	}

	srv := open(t, dir)
	if !srv.Owned() {
		t.Fatalf("Open after crash: Owned() = false, want true")
	}
	if got := count(t, connect(t, srv, "postgres"), `SELECT count(*) FROM survived`); got != 0 {
		t.Fatalf("rows in survived: got %d, want 0", got)
	}
}

func TestOpenRejectsUnusableDir(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		base string // under a fresh temp dir
		want string // in the error
	}{
		{name: "too long for a socket path", base: strings.Repeat("d", 100), want: "unix socket limit"},
		{name: "double quote", base: `a"b`, want: "may not hold"},
		{name: "backslash", base: `a\b`, want: "may not hold"},
		{name: "dollar", base: `a$b`, want: "may not hold"},
		{name: "comma", base: `a,b`, want: "may not hold"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(clusterDir(t), tt.base)
			_, err := pgserver.Open(t.Context(), pgserver.Config{Dir: dir})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Open(%q): got error %v, want one containing %q", dir, err, tt.want)
			}
			if _, statErr := os.Stat(dir); !errors.Is(statErr, os.ErrNotExist) {
				t.Fatalf("Open(%q) created the directory (stat: %v)", dir, statErr)
			}
		})
	}
}

func postmasterPID(t *testing.T, dir string) int {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "data", "postmaster.pid"))
	if err != nil {
		t.Fatalf("read postmaster.pid: %v", err)
	}
	first, _, _ := strings.Cut(string(data), "\n")
	pid, err := strconv.Atoi(first)
	if err != nil {
		t.Fatalf("postmaster.pid first line %q: %v", first, err)
	}
	return pid
}

// childrenOf lists the processes whose parent is pid.
func childrenOf(t *testing.T, pid int) []int {
	t.Helper()
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil {
		t.Fatalf("list processes: %v", err)
	}
	var children []int
	for _, path := range stats {
		data, err := os.ReadFile(path)
		if err != nil {
			continue // the process ended while we looked
		}
		// pid (comm) state ppid ...; comm may hold spaces.
		_, rest, ok := strings.Cut(string(data), ") ")
		fields := strings.Fields(rest)
		if !ok || len(fields) < 2 || fields[1] != strconv.Itoa(pid) {
			continue
		}
		if child, err := strconv.Atoi(filepath.Base(filepath.Dir(path))); err == nil {
			children = append(children, child)
		}
	}
	return children
}

// waitGone waits until none of pids exists any more, not even unreaped: a
// backend still attached to the old shared memory, or a postmaster pid that
// still answers kill(pid, 0), would make the restart fail, which after a
// real crash of the machine cannot happen.
func waitGone(t *testing.T, pids []int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for _, pid := range pids {
		for {
			if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); errors.Is(err, os.ErrNotExist) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("process %d of the killed cluster still exists after 20s", pid)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// The directory reaches postgres through pg_ctl's shell and a list setting,
// and pgx through a keyword connection string; each quotes differently, and
// a space or a single quote must survive all three.
func TestOpenDirWithSpecialCharacters(t *testing.T) {
	t.Parallel()
	parent := clusterDir(t)
	// MkdirTemp made it 0700; as root the cluster user must get through it.
	if err := os.Chmod(parent, 0o755); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(parent, `a b'c`)
	srv := open(t, dir)
	if got := count(t, connect(t, srv, "postgres"), `SELECT 1`); got != 1 {
		t.Fatalf("SELECT 1: got %d, want 1", got)
	}
	if _, err := os.Stat(filepath.Join(dir, ".s.PGSQL.5432")); err != nil {
		t.Fatalf("socket in %s: %v", dir, err)
	}
}

func TestOpenAsRootRefusesDirTheClusterUserCannotReach(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("only root hands the cluster to another user")
	}
	dir := filepath.Join(clusterDir(t), "cluster") // parent is 0700 root
	_, err := pgserver.Open(t.Context(), pgserver.Config{Dir: dir})
	if err == nil || !strings.Contains(err.Error(), "not searchable") {
		t.Fatalf("Open under a 0700 root directory: got error %v, want one saying it is not searchable", err)
	}
}
