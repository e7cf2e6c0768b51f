package commands

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

// BackupDir is the folder backup files live in (BACKUP_DIR). Every node of
// a cluster must see the same folder (a shared volume) for a backup made on
// one node to be listed, downloaded and restored on another.
type BackupDir struct {
	path string
}

// NewBackupDir returns the folder at path; it is created on first write.
func NewBackupDir(path string) BackupDir {
	if path == "" {
		panic("commands.NewBackupDir: empty path")
	}
	return BackupDir{path: path}
}

// backupName is the only shape of name a backup file has; anything else
// (a path, "..", another file in the folder) names no backup.
var backupName = regexp.MustCompile(`^authportal-[0-9]{8}T[0-9]{6}Z-[a-z0-9]{4,32}\.apbk$`)

// ValidBackupName reports whether name can be a backup's name.
func ValidBackupName(name string) bool { return backupName.MatchString(name) }

// newBackupName names a backup made at t.
func newBackupName(t time.Time, id string) string {
	id = strings.ToLower(id)
	if len(id) > 10 {
		id = id[:10]
	}
	return "authportal-" + t.UTC().Format("20060102T150405Z") + "-" + id + ".apbk"
}

// Write stores a new file, whole or not at all (written aside, then renamed).
func (d BackupDir) Write(name string, data []byte) error {
	if !ValidBackupName(name) {
		return ErrBackupNotFound
	}
	if err := os.MkdirAll(d.path, 0o700); err != nil {
		return fmt.Errorf("backup folder: %w", err)
	}
	tmp, err := os.CreateTemp(d.path, ".writing-*")
	if err != nil {
		return fmt.Errorf("backup folder: %w", err)
	}
	_, werr := tmp.Write(data)
	serr := tmp.Sync()
	cerr := tmp.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		return errors.Join(fmt.Errorf("write backup %s: %w", name, err), os.Remove(tmp.Name()))
	}
	if err := os.Rename(tmp.Name(), filepath.Join(d.path, name)); err != nil {
		return errors.Join(fmt.Errorf("write backup %s: %w", name, err), os.Remove(tmp.Name()))
	}
	return nil
}

// Read returns a file, at most MaxBackupSize of it (a longer one is damaged).
func (d BackupDir) Read(name string) ([]byte, error) {
	if !ValidBackupName(name) {
		return nil, ErrBackupNotFound
	}
	f, err := os.Open(filepath.Join(d.path, name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrBackupNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read backup %s: %w", name, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxBackupSize+1))
	if err != nil {
		return nil, fmt.Errorf("read backup %s: %w", name, err)
	}
	if len(data) > MaxBackupSize {
		return nil, ErrBackupDamaged
	}
	return data, nil
}

// Remove deletes a file.
func (d BackupDir) Remove(name string) error {
	if !ValidBackupName(name) {
		return ErrBackupNotFound
	}
	err := os.Remove(filepath.Join(d.path, name))
	if errors.Is(err, fs.ErrNotExist) {
		return ErrBackupNotFound
	}
	if err != nil {
		return fmt.Errorf("delete backup %s: %w", name, err)
	}
	return nil
}

// Names lists the backup files, newest first (names sort by time).
func (d BackupDir) Names() ([]string, error) {
	entries, err := os.ReadDir(d.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list backups: %w", err)
	}
	var names []string
	for _, e := range entries {
		if e.Type().IsRegular() && ValidBackupName(e.Name()) {
			names = append(names, e.Name())
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(names)))
	return names, nil
}
