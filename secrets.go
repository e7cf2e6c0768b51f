package main

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

// ensureSecrets fills SESSION_SECRET and DATA_KEY when the environment did
// not: from DATA_DIR/secrets, generating strong ones there (mode 0600) on
// first start, with one warning. Losing DATA_KEY makes sealed secrets in the
// log unreadable, hence the warning to back the folder up.
func ensureSecrets(c *Config, logger *slog.Logger) error {
	// DATA_DIR itself is traversable (not listable) by others: run as root,
	// the embedded cluster's unprivileged user must reach DATA_DIR/postgres.
	if err := os.MkdirAll(c.DataDir, 0o711); err != nil {
		return fmt.Errorf("DATA_DIR: %w", err)
	}
	dir := filepath.Join(c.DataDir, "secrets")
	if c.SessionSecret == nil {
		v, created, err := loadOrCreate(dir, "session_secret", 48)
		if err != nil {
			return fmt.Errorf("SESSION_SECRET: %w", err)
		}
		c.SessionSecret = []byte(v)
		if created {
			logger.Warn("SESSION_SECRET not set: generated one", "file", filepath.Join(dir, "session_secret"))
		}
	}
	if c.DataKey == nil {
		v, created, err := loadOrCreate(dir, "data_key", 32)
		if err != nil {
			return fmt.Errorf("DATA_KEY: %w", err)
		}
		key, err := decodeKey(v)
		if err != nil {
			return fmt.Errorf("DATA_KEY: %s is corrupt: %w", filepath.Join(dir, "data_key"), err)
		}
		c.DataKey = key
		if created {
			logger.Warn("DATA_KEY not set: generated one; back it up with the database, sealed secrets cannot be read without it",
				"file", filepath.Join(dir, "data_key"))
		}
	}
	return nil
}

func loadOrCreate(dir, name string, size int) (value string, created bool, err error) {
	path := filepath.Join(dir, name)
	b, err := os.ReadFile(path)
	if err == nil {
		return strings.TrimSpace(string(b)), false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", false, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", false, err
	}
	raw := make([]byte, size)
	if _, err := rand.Read(raw); err != nil {
		return "", false, err
	}
	value = base64.StdEncoding.EncodeToString(raw)
	// O_EXCL: two processes starting at once must not each write their own.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return loadOrCreate(dir, name, size)
	}
	if err != nil {
		return "", false, err
	}
	if _, err := f.WriteString(value + "\n"); err != nil {
		return "", false, errors.Join(err, f.Close())
	}
	return value, true, f.Close()
}
