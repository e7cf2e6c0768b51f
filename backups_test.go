package main

import (
	"bytes"
	"crypto/rand"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/authportal/authportal/commands"
)

func TestBackupsAPI(t *testing.T) {
	t.Parallel()
	ts, admin := adminBrowser(t, nil)
	dir := filepath.Join(ts.env["DATA_DIR"], "backups") // BACKUP_DIR's default
	if res := admin.put("/api/admin/config/smtp", map[string]any{"version": 1, "config": smtpDoc("backup-me-not-in-clear", 587)}); res.Status != http.StatusOK {
		t.Fatalf("PUT smtp: %d %s", res.Status, res.Body)
	}

	// Run one now: the file is encrypted, and listed with its author and sections.
	res := admin.post("/api/admin/backups", map[string]any{})
	if res.Status != http.StatusCreated {
		t.Fatalf("POST backups: %d %s", res.Status, res.Body)
	}
	made := res.JSON(t)
	name, _ := made["name"].(string)
	if !commands.ValidBackupName(name) || made["ok"] != true || len(made["sections"].([]any)) != 5 || made["author"] == "" {
		t.Fatalf("backup made = %v", made)
	}
	file, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(file, []byte("backup-me-not-in-clear")) || bytes.Contains(file, []byte("mail.example.com")) {
		t.Error("the backup file holds configuration in clear")
	}
	list := admin.get("/api/admin/backups").JSON(t)
	if backups := list["backups"].([]any); len(backups) != 1 || backups[0].(map[string]any)["name"] != name {
		t.Errorf("list = %v, want the one backup", list)
	}
	if sched := list["schedule"].(map[string]any); sched["config"].(map[string]any)["schedule"] != "off" {
		t.Errorf("schedule = %v, want off from the environment", sched)
	}
	if got := admin.get("/api/admin/backups/" + name); got.Status != http.StatusOK || !bytes.Equal(got.Body, file) ||
		got.Header.Get("Content-Disposition") != `attachment; filename="`+name+`"` {
		t.Errorf("download: %d, %d bytes, disposition %q", got.Status, len(got.Body), got.Header.Get("Content-Disposition"))
	}

	// Change smtp, then restore the backup: smtp comes back as a new version.
	if res := admin.put("/api/admin/config/smtp", map[string]any{"version": 2, "config": smtpDoc("", 25)}); res.Status != http.StatusOK {
		t.Fatalf("PUT smtp: %d %s", res.Status, res.Body)
	}
	res = admin.post("/api/admin/backups/"+name+"/restore", map[string]any{"reason": "undo"})
	if res.Status != http.StatusOK || res.JSON(t)["versions"].(map[string]any)["smtp"] != 4.0 {
		t.Fatalf("restore: %d %s", res.Status, res.Body)
	}
	smtp := section(t, admin, "smtp")
	if smtp["version"] != 4.0 || smtp["config"].(map[string]any)["port"] != 587.0 || smtp["reason"] != "undo" {
		t.Errorf("smtp after restore = %v, want version 4 with port 587", smtp)
	}
	hist := admin.get("/api/admin/config/history/smtp").JSON(t)["versions"].([]any)
	if last := hist[len(hist)-1].(map[string]any); last["backup"] != name {
		t.Errorf("history's last version = %v, want it to name the backup", last)
	}

	// A damaged, a cut short and a foreign file are refused and change nothing.
	versionsBefore := map[string]any{}
	for _, s := range []string{"providers", "security", "mfa", "smtp", "backups"} {
		versionsBefore[s] = section(t, admin, s)["version"]
	}
	damaged := bytes.Clone(file)
	damaged[len(damaged)-5] ^= 0x01
	otherKey := make([]byte, 32)
	rand.Read(otherKey)
	foreignArchive, err := commands.NewBackupArchive(otherKey)
	if err != nil {
		t.Fatal(err)
	}
	header, _, err := commands.ReadBackupHeader(file)
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := foreignArchive.Seal(commands.BackupHeader{Name: header.Name, CreatedAt: header.CreatedAt, Sections: []string{}}, map[string]commands.BackupSection{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, file string
		data       []byte
		problem    string
	}{
		{"damaged", "authportal-20261123T120000Z-damaged1.apbk", damaged, "backup-damaged"},
		{"cut short", "authportal-20261123T120000Z-short01.apbk", file[:len(file)/2], "backup-damaged"},
		{"not a backup", "authportal-20261123T120000Z-notone1.apbk", []byte("hello"), "backup-damaged"},
		{"another DATA_KEY", "authportal-20261123T120000Z-foreign.apbk", foreign, "backup-foreign-key"},
	} {
		if err := os.WriteFile(filepath.Join(dir, tc.file), tc.data, 0o600); err != nil {
			t.Fatal(err)
		}
		res := admin.post("/api/admin/backups/"+tc.file+"/restore", map[string]any{})
		if res.Status != http.StatusUnprocessableEntity || res.problemType(t) != "urn:authportal:problem:"+tc.problem ||
			!strings.Contains(res.JSON(t)["detail"].(string), "Nothing was changed") {
			t.Errorf("restore %s: %d %s, want 422 %s", tc.name, res.Status, res.Body, tc.problem)
		}
	}
	for s, v := range versionsBefore {
		if now := section(t, admin, s)["version"]; now != v {
			t.Errorf("%s went from version %v to %v on refused restores", s, v, now)
		}
	}
	listed := map[string]string{}
	for _, b := range admin.get("/api/admin/backups").JSON(t)["backups"].([]any) {
		m := b.(map[string]any)
		p, _ := m["problem"].(string)
		listed[m["name"].(string)] = p
	}
	if listed[name] != "" || listed["authportal-20261123T120000Z-foreign.apbk"] != "made with another DATA_KEY" ||
		listed["authportal-20261123T120000Z-damaged1.apbk"] != "damaged or not an AuthPortal backup" {
		t.Errorf("listing = %v, want the good one clean and the bad ones with their problem", listed)
	}

	// Names are only ever backup names: no way out of BACKUP_DIR.
	for _, path := range []string{"/api/admin/backups/..%2Fsecrets%2Fdata_key", "/api/admin/backups/%2e%2e", "/api/admin/backups/nope.apbk"} {
		if res := admin.get(path); res.Status != http.StatusNotFound {
			t.Errorf("GET %s: %d %s, want 404", path, res.Status, res.Body)
		}
		if res := admin.do(http.MethodDelete, path, nil, nil); res.Status != http.StatusNotFound {
			t.Errorf("DELETE %s: %d, want 404", path, res.Status)
		}
	}
	if _, err := os.Stat(filepath.Join(ts.env["DATA_DIR"], "secrets", "data_key")); err != nil {
		t.Errorf("data_key after the traversal attempts: %v", err)
	}

	// Delete: gone from the folder and the list, and recorded.
	if res := admin.do(http.MethodDelete, "/api/admin/backups/"+name, nil, nil); res.Status != http.StatusNoContent {
		t.Fatalf("DELETE: %d %s", res.Status, res.Body)
	}
	if _, err := os.Stat(filepath.Join(dir, name)); !os.IsNotExist(err) {
		t.Errorf("file after delete: %v", err)
	}
	if res := admin.do(http.MethodDelete, "/api/admin/backups/"+name, nil, nil); res.Status != http.StatusNotFound {
		t.Errorf("second DELETE: %d, want 404", res.Status)
	}
	events := storedEvents(t, ts, "backup-"+name)
	if len(events) != 3 || !strings.Contains(events[1], `"versions"`) || !strings.Contains(events[2], `"admin"`) {
		t.Errorf("backup stream = %v, want created, restored, deleted", events)
	}
}

func TestBackupSchedule(t *testing.T) {
	t.Parallel()
	_, admin := adminBrowser(t, nil)
	res := admin.put("/api/admin/backups/schedule", map[string]any{"schedule": "hourly", "sections": []string{"smtp", "mfa"}, "retention": 3})
	if res.Status != http.StatusOK || res.JSON(t)["version"] != 2.0 {
		t.Fatalf("PUT schedule: %d %s", res.Status, res.Body)
	}
	for _, tc := range []struct {
		body map[string]any
		want string
	}{
		{map[string]any{"schedule": "monthly", "sections": []string{"smtp"}, "retention": 3}, "backups.schedule: must be off, hourly, daily or weekly"},
		{map[string]any{"schedule": "daily", "sections": []string{"smtp", "users"}, "retention": 3}, "backups.sections[1]: must be one of"},
		{map[string]any{"schedule": "daily", "sections": []string{"smtp"}, "retention": 0}, "backups.retention: must be between 1 and 1000"},
	} {
		res := admin.put("/api/admin/backups/schedule", tc.body)
		if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.JSON(t)["detail"].(string), tc.want) {
			t.Errorf("schedule %v: %d %s, want 422 saying %q", tc.body, res.Status, res.Body, tc.want)
		}
	}
	sched := section(t, admin, "backups")
	if sched["version"] != 2.0 || sched["config"].(map[string]any)["schedule"] != "hourly" {
		t.Errorf("backups section = %v, want version 2, hourly", sched)
	}
	// The schedule takes effect: the node's worker makes this hour's backup
	// as soon as its model has the new schedule.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		list := admin.get("/api/admin/backups").JSON(t)["backups"].([]any)
		if len(list) == 1 {
			if b := list[0].(map[string]any); b["slot"] == "" || b["authorKind"] != "system" || len(b["sections"].([]any)) != 2 {
				t.Errorf("scheduled backup = %v", b)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no scheduled backup after the schedule was set: %v", list)
		}
	}
}
