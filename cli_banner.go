package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/authportal/authportal/domain"
	"github.com/jackc/pgx/v5/pgxpool"
)

// startBanner logs, once the server listens, the URL people open and,
// while the log holds no user yet, the command that creates the first
// admin: a fresh install has no other way in.
func startBanner(ctx context.Context, logger *slog.Logger, pool *pgxpool.Pool, c Config, addr net.Addr, embedded bool) {
	logger.Info("AuthPortal listening", "url", c.BaseURL.String(), "addr", addr.String(), "version", version, "embedded_db", embedded)
	var none bool
	// The log, not a read model: a projection still catching up must not
	// make an install with users look empty.
	err := pool.QueryRow(ctx, `SELECT NOT EXISTS (SELECT 1 FROM events WHERE event_type = $1)`, domain.TypeUserRegistered).Scan(&none)
	if err != nil {
		logger.Warn("could not tell whether any user exists", "err", err)
		return
	}
	if none {
		logger.Warn("no user yet: create the first admin with the command below, then type their password and press Enter",
			"command", firstAdminCommand(c, selfCommand()))
	}
}

// selfCommand is how the operator runs this program again: "go run ." when
// it was started that way (the binary then lives in Go's build cache, gone
// once it stops), else the name it was started by.
func selfCommand() string {
	if exe, err := os.Executable(); err == nil && strings.Contains(exe, string(filepath.Separator)+"go-build") {
		return "go run ."
	}
	return shellQuote(os.Args[0])
}

// firstAdminCommand is the command line that creates the first admin
// against this server's database, with self the program. It never holds a
// secret: with DATABASE_URL (which may carry a password) the operator runs
// it with the server's environment.
func firstAdminCommand(c Config, self string) string {
	cmd := self + " user add --username admin --admin --password-stdin"
	if c.DatabaseURL != "" {
		return cmd + "   (with the server's DATABASE_URL set)"
	}
	dir, err := filepath.Abs(c.DataDir)
	if err != nil {
		dir = c.DataDir
	}
	return fmt.Sprintf("DATA_DIR=%s %s", shellQuote(dir), cmd)
}

// shellQuote makes s one word for a POSIX shell.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+:@") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
