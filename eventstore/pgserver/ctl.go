package pgserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
)

// port is the port number in the socket's name (.s.PGSQL.5432). Nothing
// listens on it over TCP, so it cannot clash with another server; it is
// still given explicitly so that a PGPORT in the environment changes nothing.
const port = 5432

// superuser is the role initdb creates and every connection uses.
const superuser = "authportal"

// run runs one of the PostgreSQL programs as the cluster user, from inside
// the cluster directory (postgres fails on a working directory it cannot
// read, such as root's), and returns its combined output in the error.
func (s *Server) run(ctx context.Context, program string, args ...string) error {
	cmd := exec.CommandContext(ctx, program, args...)
	cmd.Dir = s.dir
	cmd.Env = childEnv(s.dir)
	if s.user != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.user.credential()}
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		msg := strings.Join(strings.Fields(out.String()), " ")
		return fmt.Errorf("%s: %w: %s", filepath.Base(program), err, msg)
	}
	return nil
}

// childEnv is this process's environment minus the PG* variables, which
// initdb, pg_ctl and postgres would otherwise read (PGDATA, PGPORT, ...), and
// with HOME set to somewhere the cluster user can read.
func childEnv(dir string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PG") || strings.HasPrefix(kv, "HOME=") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "HOME="+dir)
}

// initdb creates the data directory. It builds it under a temporary name
// and renames it into place, so that a crash half way through leaves no
// half-made cluster that would later look real.
func (s *Server) initdb(ctx context.Context) error {
	tmp := s.dataDir + ".initdb"
	if err := os.RemoveAll(tmp); err != nil {
		return fmt.Errorf("pgserver: remove leftover %s: %w", tmp, err)
	}
	// Trust is safe here: the cluster listens only on a socket inside a 0700
	// directory owned by the cluster user, with socket permissions 0700, so
	// whoever can connect could read the data files anyway.
	err := s.run(ctx, s.bin.initdb, "-D", tmp,
		"--auth=trust", "-U", superuser, "--encoding=UTF8", "--locale=C")
	if err != nil {
		return fmt.Errorf("pgserver: initialise cluster in %s: %w", s.dir, err)
	}
	if err := os.Rename(tmp, s.dataDir); err != nil {
		return fmt.Errorf("pgserver: move new cluster into %s: %w", s.dataDir, err)
	}
	return nil
}

// start runs pg_ctl start and waits (-w) until the postmaster says it is
// ready. pg_ctl detaches the postmaster into its own session, so a Ctrl-C
// meant for this process does not reach the database; Stop does that.
func (s *Server) start(ctx context.Context) error {
	// pg_ctl hands -o to /bin/sh, hence the shell quoting; inside it,
	// unix_socket_directories is a list whose items may be double-quoted.
	opts := strings.Join([]string{
		"-c listen_addresses=''",
		fmt.Sprintf("-c port=%d", port),
		"-c " + shellQuote("unix_socket_directories="+listQuote(s.dir)),
		"-c unix_socket_permissions=0700",
	}, " ")
	err := s.run(ctx, s.bin.pgCtl, "start", "-D", s.dataDir, "-l", s.logFile(), "-w", "-o", opts)
	if err != nil {
		return fmt.Errorf("pgserver: start cluster in %s: %w%s", s.dir, err, s.logTail())
	}
	return nil
}

// stop shuts the cluster down in fast mode: open sessions are disconnected
// and their transactions rolled back, then it checkpoints and exits.
func (s *Server) stop(ctx context.Context) error {
	err := s.run(ctx, s.bin.pgCtl, "stop", "-D", s.dataDir, "-m", "fast", "-w")
	if err == nil {
		return nil
	}
	if _, statErr := os.Stat(s.pidFile()); errors.Is(statErr, os.ErrNotExist) {
		return nil // someone else stopped it first; the outcome is the same
	}
	return fmt.Errorf("pgserver: stop cluster in %s: %w", s.dir, err)
}

func (s *Server) logFile() string { return filepath.Join(s.dir, "postgres.log") }
func (s *Server) pidFile() string { return filepath.Join(s.dataDir, "postmaster.pid") }

// logTail returns the end of the server log, where PostgreSQL says why it
// would not start (pg_ctl only says "examine the log output"), as one line.
func (s *Server) logTail() string {
	data, err := os.ReadFile(s.logFile())
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) > 5 {
		lines = lines[len(lines)-5:]
	}
	return "; " + s.logFile() + " ends: " + strings.Join(lines, " | ")
}

// shellQuote quotes s for /bin/sh.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// listQuote quotes one item of a PostgreSQL directory list, so that the
// path is read verbatim, spaces and all.
func listQuote(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}
