package pgserver

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

// clusterUser is the unprivileged account the cluster runs as when this
// process is root; PostgreSQL refuses to start as root.
type clusterUser struct {
	name     string
	uid, gid uint32
}

// credential makes a child process run as the user, with no supplementary
// groups: root's groups must not leak into the cluster.
func (u *clusterUser) credential() *syscall.Credential {
	return &syscall.Credential{Uid: u.uid, Gid: u.gid}
}

// lookupClusterUser returns nil when the process is not root: the cluster
// then runs as whoever runs this process.
func lookupClusterUser() (*clusterUser, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	var lookupErrs []error
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			lookupErrs = append(lookupErrs, err)
			continue
		}
		uid, err := strconv.ParseUint(u.Uid, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("pgserver: user %s: uid %q: %w", name, u.Uid, err)
		}
		gid, err := strconv.ParseUint(u.Gid, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("pgserver: user %s: gid %q: %w", name, u.Gid, err)
		}
		return &clusterUser{name: name, uid: uint32(uid), gid: uint32(gid)}, nil
	}
	return nil, fmt.Errorf("pgserver: running as root, and PostgreSQL refuses to: no postgres or nobody user to run it as: %w", errors.Join(lookupErrs...))
}

// checkTraversable fails when the user cannot reach dir because an ancestor
// lacks search permission for it, typically a DATA_DIR under /root (0700).
// It reads mode bits only; an ACL granting access is not seen, and a
// directory it wrongly accepts still fails later, less clearly, in initdb.
func (u *clusterUser) checkTraversable(dir string) error {
	for p := filepath.Dir(dir); ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("pgserver: check access to %s: %w", p, err)
		}
		if !u.canSearch(fi) {
			return fmt.Errorf("pgserver: %s is not searchable by user %s (uid %d), which the cluster in %s runs as because PostgreSQL refuses to run as root: put the directory (DATA_DIR) elsewhere, e.g. under /var/lib, or allow it with chmod o+x %s", p, u.name, u.uid, dir, p)
		}
		if p == filepath.Dir(p) {
			return nil
		}
	}
}

func (u *clusterUser) canSearch(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return true // no owner to compare with; let initdb find out
	}
	perm := fi.Mode().Perm()
	switch {
	case st.Uid == u.uid:
		return perm&0o100 != 0
	case st.Gid == u.gid:
		return perm&0o010 != 0
	default:
		return perm&0o001 != 0
	}
}

// adopt hands dir and everything in it to the user, unless dir already is
// the user's: after the first start it is, and a large data directory is not
// walked again on every start.
func (u *clusterUser) adopt(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("pgserver: hand %s to user %s: %w", dir, u.name, err)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Uid == u.uid && st.Gid == u.gid {
		return nil
	}
	err = filepath.WalkDir(dir, func(path string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, int(u.uid), int(u.gid))
	})
	if err != nil {
		return fmt.Errorf("pgserver: hand %s to user %s: %w", dir, u.name, err)
	}
	return nil
}
