package main

import (
	"bytes"
	"log/slog"
	"net"
	"strings"
	"testing"

	"github.com/authportal/authportal/eventstore/pgtest"
)

// The start banner names the URL and, on an install with no user, a command
// that really creates the first admin; once there is a user it stops.
func TestStartBannerGivesTheFirstAdminCommand(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	ts := &testServer{env: map[string]string{"DATABASE_URL": pgtest.ConnString(t, pool), "DATA_DIR": t.TempDir(), "LOG_LEVEL": "error"}}
	c, err := LoadConfig(func(k string) string { return ts.env[k] })
	if err != nil {
		t.Fatal(err)
	}
	addr := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8089}
	banner := func() string {
		var buf bytes.Buffer
		startBanner(t.Context(), slog.New(slog.NewTextHandler(&buf, nil)), pool, c, addr, false)
		return buf.String()
	}

	out := banner()
	if !strings.Contains(out, `msg="AuthPortal listening" url=http://localhost:8089`) {
		t.Errorf("banner lacks the URL: %q", out)
	}
	_, cmd, ok := strings.Cut(out, `command="`)
	cmd, _, _ = strings.Cut(cmd, " (")
	// Under go test the program is a binary in Go's build cache, which the
	// banner names as "go run .", as it does for `go run . serve`.
	_, rest, found := strings.Cut(cmd, "go run . user add ")
	if !ok || !found {
		t.Fatalf("banner of an empty install lacks the first-admin command: %q", out)
	}
	args := append([]string{"user", "add"}, strings.Fields(rest)...)
	if _, err := ts.cli(t, "correct horse battery\n", args...); err != nil {
		t.Fatalf("the banner's command %q failed: %v", cmd, err)
	}
	if out := banner(); strings.Contains(out, "no user yet") || strings.Contains(out, "command=") {
		t.Errorf("banner with a user still offers the first-admin command: %q", out)
	}
	// The command made an admin.
	out, err = ts.cli(t, "", "audit", "export")
	if err != nil || !strings.Contains(out, `"username":"admin"`) || !strings.Contains(out, `"type":"user.admin_granted"`) {
		t.Errorf("after the banner's command the log holds %q %v, want an admin named admin", out, err)
	}
}

func TestFirstAdminCommandNamesTheDataDir(t *testing.T) {
	t.Parallel()
	tests := []struct{ dir, want string }{
		{"/srv/authportal", "DATA_DIR=/srv/authportal authportal user add --username admin --admin --password-stdin"},
		{"/srv/auth portal's", `DATA_DIR='/srv/auth portal'\''s' authportal user add --username admin --admin --password-stdin`},
	}
	for _, tt := range tests {
		if got := firstAdminCommand(Config{DataDir: tt.dir}, "authportal"); got != tt.want {
			t.Errorf("DATA_DIR %q: got %q, want %q", tt.dir, got, tt.want)
		}
	}
}
