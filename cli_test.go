package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/authportal/authportal/queries"
	"github.com/jackc/pgx/v5"
)

func TestAuditVerifyThroughTheCLI(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	ts.addUser(t, "mona", "correct horse battery", false)
	ts.browser(t).login("mona", "correct horse battery", 200)
	ts.browser(t).login("mona", "wrong password!", 401)

	out, err := ts.cli(t, "", "audit", "verify")
	if err != nil || !strings.HasPrefix(out, "ok: ") {
		t.Fatalf("verify of an intact log: %q %v", out, err)
	}
	head := strings.Fields(out)[len(strings.Fields(out))-1] // POS:HASH
	if _, err := ts.cli(t, "", "audit", "verify", "--anchor", head); err != nil {
		t.Errorf("anchor of the intact head refused: %v", err)
	}
	out, err = ts.cli(t, "", "audit", "verify", "--json", "--anchor", head)
	var v struct {
		Checked  int64  `json:"checked"`
		Head     int64  `json:"head"`
		HeadHash string `json:"headHash"`
	}
	if err != nil || json.Unmarshal([]byte(out), &v) != nil || v.Checked == 0 || fmt.Sprintf("%d:%s", v.Head, v.HeadHash) != head {
		t.Errorf("verify --json = %q %v, want the same head %s as JSON", out, err, head)
	}

	conn, err := pgx.Connect(t.Context(), ts.env["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(t.Context(), `ALTER TABLE events DISABLE TRIGGER USER;
		UPDATE events SET data = jsonb_set(data, '{reason}', '"bad_password_edited"') WHERE event_type = 'user.login_failed'`); err != nil {
		t.Fatal(err)
	}
	var pos int64
	if err := conn.QueryRow(t.Context(), `SELECT position FROM events WHERE event_type = 'user.login_failed'`).Scan(&pos); err != nil {
		t.Fatal(err)
	}
	_, err = ts.cli(t, "", "audit", "verify")
	var exit exitError
	if !errors.As(err, &exit) || exit.code != 1 || !strings.Contains(err.Error(), "position "+strconv.FormatInt(pos, 10)) {
		t.Errorf("verify of a changed row: %v, want exit 1 naming position %d", err, pos)
	}
}

func TestProjectionsRebuildThroughTheCLI(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	ts.addUser(t, "nina", "correct horse battery", true)
	b := ts.browser(t)
	b.login("nina", "correct horse battery", 200)
	b.post("/logout", nil)

	out, err := ts.cli(t, "", "projections", "rebuild")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range projectionNames() {
		if !strings.Contains(out, name+" rebuilt to position") {
			t.Errorf("rebuild output lacks %s: %q", name, out)
		}
	}
	// Nothing was appended since the rebuild: every read model is at the head.
	out, err = ts.cli(t, "", "projections", "status")
	if err != nil {
		t.Fatalf("status: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if got := strings.Fields(lines[0]); strings.Join(got, " ") != "NAME POSITION HEAD LAG RUNNING" {
		t.Fatalf("status header = %q", lines[0])
	}
	rows := map[string][]string{}
	for _, line := range lines[1:] {
		f := strings.Fields(line)
		rows[f[0]] = f
	}
	for _, name := range projectionNames() {
		f := rows[name]
		if len(f) != 5 || f[1] != f[2] || f[3] != "0" || f[1] == "0" {
			t.Errorf("status row of %s = %q, want position = head > 0 and lag 0", name, f)
		}
	}
	out, err = ts.cli(t, "", "projections", "status", "--json")
	if err != nil {
		t.Fatalf("status --json: %v", err)
	}
	var status []queries.ProjectionStatus
	if err := json.Unmarshal([]byte(out), &status); err != nil {
		t.Fatalf("status --json is not a JSON array: %v: %q", err, out)
	}
	if len(status) != len(projectionNames()) {
		t.Fatalf("status --json has %d rows, want %d: %q", len(status), len(projectionNames()), out)
	}
	for i, s := range status {
		if s.Name != projectionNames()[i] || s.Lag != 0 || s.Position != s.Head || s.Head == 0 {
			t.Errorf("status --json row %d = %+v, want %s at the head", i, s, projectionNames()[i])
		}
	}
	// The rebuilt tables serve the running server.
	b.login("nina", "correct horse battery", 200)
	if who := b.get("/whoami").JSON(t); who["admin"] != true {
		t.Errorf("whoami after rebuild = %v", who)
	}
	if _, err := ts.cli(t, "", "projections", "rebuild", "nope"); err == nil {
		t.Error("rebuild of an unknown projection succeeded")
	}
}

// The CLI with no DATABASE_URL starts the embedded cluster itself when no
// server runs, and leaves nothing running afterwards; only migrate (or
// serve) makes a new one.
func TestCLIStartsTheEmbeddedClusterItself(t *testing.T) {
	t.Parallel()
	dir, err := os.MkdirTemp("", "ap-cli-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o711); err != nil { // the cluster user must reach DATA_DIR when we are root
		t.Fatal(err)
	}
	env := map[string]string{"DATA_DIR": filepath.Join(dir, "data"), "LOG_LEVEL": "error"}
	ts := &testServer{env: env}
	if _, err := ts.cli(t, "correct horse battery\n", "user", "add", "--username", "olga", "--password-stdin"); !errors.Is(err, errNoDatabase) {
		t.Fatalf("user add in an empty DATA_DIR: got %v, want errNoDatabase", err)
	}
	if out, err := ts.cli(t, "", "migrate"); err != nil || out != "migrations applied\n" {
		t.Fatalf("migrate: %q %v", out, err)
	}
	id := ts.addUser(t, "olga", "correct horse battery", false)
	if id == "" {
		t.Fatal("no id printed")
	}
	out, err := ts.cli(t, "", "audit", "export", "--stream", "user-"+id)
	if err != nil || !strings.Contains(out, `"username":"olga"`) {
		t.Fatalf("export from a restarted embedded cluster: %q %v", out, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "postgres", "data", "postmaster.pid")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the cluster is still running after the command: %v", err)
	}
}
