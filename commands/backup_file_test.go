package commands_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/authportal/authportal/commands"
)

func TestBackupFile(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	archive, err := commands.NewBackupArchive(key)
	if err != nil {
		t.Fatal(err)
	}
	header := commands.BackupHeader{Name: "authportal-20261123T120000Z-abcd1234.apbk", CreatedAt: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC),
		Author: "admin-id", AuthorKind: "admin", Sections: []string{"smtp"}}
	sections := map[string]commands.BackupSection{"smtp": {Version: 3, Document: json.RawMessage(`{"host":"mail.example.com"}`)}}
	file, err := archive.Seal(header, sections)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(file, []byte("mail.example.com")) {
		t.Error("the document is in the file in clear")
	}
	h, got, err := archive.Open(file)
	if err != nil || h.Author != "admin-id" || !h.CreatedAt.Equal(header.CreatedAt) || string(got["smtp"].Document) != `{"host":"mail.example.com"}` {
		t.Fatalf("open: %+v %v %v", h, got, err)
	}

	// Every cut, every flipped byte and a changed header are "damaged".
	for n := range len(file) {
		if _, _, err := archive.Open(file[:n]); !errors.Is(err, commands.ErrBackupDamaged) {
			t.Fatalf("file cut at %d of %d: got %v, want ErrBackupDamaged", n, len(file), err)
		}
	}
	for i := range file {
		flipped := bytes.Clone(file)
		flipped[i] ^= 0x20
		if _, _, err := archive.Open(flipped); err == nil {
			t.Fatalf("a file with byte %d changed opened", i)
		}
	}
	forged := bytes.Replace(file, []byte(`"admin-id"`), []byte(`"other-id"`), 1)
	if _, _, err := archive.Open(forged); !errors.Is(err, commands.ErrBackupDamaged) {
		t.Errorf("header with another author: got %v, want ErrBackupDamaged", err)
	}

	other, err := commands.NewBackupArchive(bytes.Repeat([]byte{8}, 32))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := other.Open(file); !errors.Is(err, commands.ErrBackupForeignKey) {
		t.Errorf("open with another DATA_KEY: got %v, want ErrBackupForeignKey", err)
	}
}

func TestBackupNames(t *testing.T) {
	for name, want := range map[string]bool{
		"authportal-20261123T120000Z-abcd1234.apbk": true,
		"../authportal-20261123T120000Z-abcd.apbk":  false,
		"authportal-20261123T120000Z-abcd.apbk/..":  false,
		"authportal-20261123T120000Z-ABCD.apbk":     false,
		"data_key":                                  false,
		".writing-123":                              false,
	} {
		if got := commands.ValidBackupName(name); got != want {
			t.Errorf("ValidBackupName(%q) = %v, want %v", name, got, want)
		}
	}
}
