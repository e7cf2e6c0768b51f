package pgtest

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// reapOrphans stops and removes the throwaway clusters of test processes
// that died before Main could (a panic, a -timeout, Ctrl-C: pg_ctl puts the
// postmaster in its own session, so the terminal's signal never reaches it).
// A cluster is an orphan when the pid in its owner file is gone. Clusters it
// cannot judge, such as another user's, are left alone.
func reapOrphans() error {
	dirs, err := filepath.Glob(filepath.Join(os.TempDir(), dirPrefix+"*"))
	if err != nil {
		return fmt.Errorf("list %s: %w", os.TempDir(), err)
	}
	var errs []error
	for _, dir := range dirs {
		owner, err := os.ReadFile(filepath.Join(dir, ownerFile))
		if err != nil {
			continue // not readable by us, or its owner is still writing it
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(owner)))
		if err != nil || processExists(pid) {
			continue
		}
		if err := reap(dir); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// reap stops the orphan's postmaster, if one still runs, and removes the
// directory.
func reap(dir string) error {
	dataDir := filepath.Join(dir, "data")
	pidFile, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("reap %s: %w", dir, err)
	}
	if err == nil {
		first, _, _ := strings.Cut(string(pidFile), "\n")
		pid, err := strconv.Atoi(strings.TrimSpace(first))
		if err != nil {
			return fmt.Errorf("reap %s: postmaster.pid: %w", dir, err)
		}
		// The pid may have been reused since the postmaster died: signal it
		// only if it is a postgres serving this very directory, and leave
		// the directory alone when that cannot be told.
		serves, known := servesDataDir(pid, dataDir)
		if processExists(pid) && !known {
			return nil
		}
		if serves {
			// SIGQUIT is immediate shutdown: no checkpoint, the data is
			// about to be deleted anyway.
			if err := syscall.Kill(pid, syscall.SIGQUIT); err != nil && !errors.Is(err, syscall.ESRCH) {
				return fmt.Errorf("reap %s: stop postmaster %d: %w", dir, pid, err)
			}
			if !waitExit(pid, 30*time.Second) {
				return fmt.Errorf("reap %s: postmaster %d still running 30s after SIGQUIT", dir, pid)
			}
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("reap %s: %w", dir, err)
	}
	return nil
}

// processExists reports whether pid names a process, counting one we may
// not signal (another user's) as existing.
func processExists(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// servesDataDir reports whether pid runs with "-D dataDir" on its command
// line, as pg_ctl starts the postmaster; known is false when it cannot tell
// (no /proc, or the process just ended).
func servesDataDir(pid int, dataDir string) (serves, known bool) {
	cmdline, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
	if err != nil {
		return false, false
	}
	args := bytes.Split(cmdline, []byte{0})
	for i := 0; i+1 < len(args); i++ {
		if string(args[i]) == "-D" && string(args[i+1]) == dataDir {
			return true, true
		}
	}
	return false, true
}

// waitExit waits for pid to exit. A zombie counts as exited: the postmaster
// was adopted by init, which reaps it in its own time.
func waitExit(pid int, limit time.Duration) bool {
	deadline := time.Now().Add(limit)
	for {
		stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
		if err != nil {
			return true
		}
		if _, rest, ok := strings.Cut(string(stat), ") "); ok && strings.HasPrefix(rest, "Z") {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
}
