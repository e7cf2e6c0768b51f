package pgserver

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// ErrNoBinaries is returned by [Open] when it has to start the cluster and
// finds no initdb, pg_ctl and postgres, neither on PATH nor under
// /usr/lib/postgresql/*/bin.
var ErrNoBinaries = errors.New("pgserver: PostgreSQL server binaries (initdb, pg_ctl, postgres) not found on PATH or in /usr/lib/postgresql/*/bin: install them (e.g. apt-get install postgresql) or set DATABASE_URL to use an existing server")

// debianRoot is where Debian and Ubuntu put the server binaries, one folder
// per major version and none of them on PATH.
const debianRoot = "/usr/lib/postgresql"

// binaries are the three programs a cluster needs, as absolute paths.
type binaries struct {
	initdb, pgCtl, postgres string
}

// findBinaries looks for the server programs. A data directory made by one
// major version cannot be run by another, so when the cluster already exists
// (wantMajor is the content of its PG_VERSION) the Debian folder of that
// version wins over PATH; otherwise PATH first, then the highest version
// installed the Debian way.
func findBinaries(wantMajor string) (binaries, error) {
	if wantMajor != "" {
		if b, ok := binariesIn(filepath.Join(debianRoot, wantMajor, "bin")); ok {
			return b, nil
		}
	}
	if b, ok := binariesOnPath(); ok {
		return b, nil
	}
	dirs, err := filepath.Glob(filepath.Join(debianRoot, "*", "bin"))
	if err != nil {
		// Only a malformed pattern makes Glob fail, and this one is constant.
		return binaries{}, ErrNoBinaries
	}
	best, bestVersion := binaries{}, []int(nil)
	for _, dir := range dirs {
		v, ok := parseVersion(filepath.Base(filepath.Dir(dir)))
		if !ok || (bestVersion != nil && !versionLess(bestVersion, v)) {
			continue
		}
		if b, ok := binariesIn(dir); ok {
			best, bestVersion = b, v
		}
	}
	if bestVersion == nil {
		return binaries{}, ErrNoBinaries
	}
	return best, nil
}

func binariesOnPath() (binaries, bool) {
	var b binaries
	for _, p := range []struct {
		name string
		dst  *string
	}{{"initdb", &b.initdb}, {"pg_ctl", &b.pgCtl}, {"postgres", &b.postgres}} {
		path, err := exec.LookPath(p.name)
		if err != nil {
			return binaries{}, false
		}
		abs, err := filepath.Abs(path)
		if err != nil {
			return binaries{}, false
		}
		*p.dst = abs
	}
	return b, true
}

func binariesIn(dir string) (binaries, bool) {
	b := binaries{
		initdb:   filepath.Join(dir, "initdb"),
		pgCtl:    filepath.Join(dir, "pg_ctl"),
		postgres: filepath.Join(dir, "postgres"),
	}
	for _, p := range []string{b.initdb, b.pgCtl, b.postgres} {
		fi, err := os.Stat(p)
		if err != nil || fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
			return binaries{}, false
		}
	}
	return b, true
}

// parseVersion reads a Debian version folder name: "15", or "9.6" before 10.
func parseVersion(s string) ([]int, bool) {
	var v []int
	for _, part := range strings.Split(s, ".") {
		n, err := strconv.Atoi(part)
		if err != nil || n < 0 {
			return nil, false
		}
		v = append(v, n)
	}
	return v, true
}

func versionLess(a, b []int) bool {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return len(a) < len(b)
}
