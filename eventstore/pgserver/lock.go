package pgserver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// dirLock serialises initialising and starting the cluster between
// processes (and goroutines) opening the same directory, so that two CLI
// commands started together do not both run initdb or pg_ctl start.
// It is an flock(2), released by the kernel if the holder dies.
type dirLock struct {
	f *os.File
}

// lockDir takes the lock, polling so that ctx can end the wait.
func lockDir(ctx context.Context, dir string, owner *clusterUser) (*dirLock, error) {
	path := filepath.Join(dir, "pgserver.lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("pgserver: open lock %s: %w", path, err)
	}
	if owner != nil {
		// Keep the whole directory the cluster user's, as adopt left it.
		if err := f.Chown(int(owner.uid), int(owner.gid)); err != nil {
			return nil, errors.Join(fmt.Errorf("pgserver: hand lock %s to user %s: %w", path, owner.name, err), f.Close())
		}
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return &dirLock{f: f}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			return nil, errors.Join(fmt.Errorf("pgserver: lock %s: %w", path, err), f.Close())
		}
		select {
		case <-ctx.Done():
			return nil, errors.Join(fmt.Errorf("pgserver: wait for lock %s: %w", path, ctx.Err()), f.Close())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// unlock releases the lock by closing the file.
func (l *dirLock) unlock() error {
	if err := l.f.Close(); err != nil {
		return fmt.Errorf("pgserver: release lock %s: %w", l.f.Name(), err)
	}
	return nil
}
