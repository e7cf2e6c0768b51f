package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// emptyDataDir is a DATA_DIR that does not exist yet, inside a folder the
// test removes.
func emptyDataDir(t *testing.T) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "data")
}

// assertUntouched fails if anything was made at dataDir.
func assertUntouched(t *testing.T, dataDir string) {
	t.Helper()
	if _, err := os.Stat(dataDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("DATA_DIR %s was created (stat: %v); the command must touch nothing", dataDir, err)
	}
}

// Every command and subcommand answers --help (and -h, and "help NAME")
// with its own help on stdout and does nothing else: no cluster, no
// secrets, no migration.
func TestHelpOnEveryCommandChangesNothing(t *testing.T) {
	t.Parallel()
	for _, c := range cliCommands() {
		words := strings.Fields(c.name)
		forms := [][]string{
			append(words[:len(words):len(words)], "--help"),
			append(words[:len(words):len(words)], "-h"),
			append([]string{"help"}, words...),
		}
		if c.maxArgs > 0 { // help after a positional argument
			forms = append(forms, append(words[:len(words):len(words)], "users", "--help"))
		}
		if words[0] == "user" { // help wins over the flags around it
			forms = append(forms,
				append(words[:len(words):len(words)], "--username", "x", "--help"),
				append(words[:len(words):len(words)], "--username", "--help"))
		}
		for _, args := range forms {
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				dataDir := emptyDataDir(t)
				ts := &testServer{env: map[string]string{"DATA_DIR": dataDir}}
				out, err := ts.cli(t, "correct horse battery\n", args...)
				if err != nil {
					t.Fatalf("got error %v, want help", err)
				}
				if want := "usage: authportal " + c.name; !strings.HasPrefix(out, want) || !strings.Contains(out, c.summary) {
					t.Errorf("help = %q, want it to start with %q and hold the summary", out, want)
				}
				assertUntouched(t, dataDir)
			})
		}
	}
}

func TestUsageListsEveryCommand(t *testing.T) {
	t.Parallel()
	ts := &testServer{env: map[string]string{"DATA_DIR": emptyDataDir(t)}}
	for _, args := range [][]string{{"--help"}, {"help"}, {"-h"}} {
		out, err := ts.cli(t, "", args...)
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		for _, c := range cliCommands() {
			if !strings.Contains(out, "  "+c.name) || !strings.Contains(out, c.summary) {
				t.Errorf("%v: usage lacks %q: %q", args, c.name, out)
			}
		}
	}
	// A group lists its own commands, on stdout when asked.
	out, err := ts.cli(t, "", "user", "--help")
	if err != nil || !strings.Contains(out, "user passwd") || strings.Contains(out, "audit verify") {
		t.Errorf("user --help = %q %v, want the user commands only", out, err)
	}
	assertUntouched(t, ts.env["DATA_DIR"])
}

func TestCLIRefusesWhatItDoesNotKnow(t *testing.T) {
	t.Parallel()
	dataDir := emptyDataDir(t)
	ts := &testServer{env: map[string]string{"DATA_DIR": dataDir}}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown command", []string{"frobnicate"}, `unknown command "frobnicate"`},
		{"group alone", []string{"user"}, "user: expected a subcommand"},
		{"unknown subcommand", []string{"user", "mfa", "wipe"}, `user mfa: unknown subcommand "wipe"`},
		{"unknown flag", []string{"audit", "verify", "--nope"}, "audit verify: flag provided but not defined: -nope"},
		{"extra argument", []string{"projections", "status", "users"}, `projections status: unexpected argument "users"`},
		{"no username", []string{"user", "mfa", "reset"}, "user mfa reset: --username is required"},
		{"password on no stdin flag", []string{"user", "passwd", "--username", "a"}, "--password-stdin are required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ts.cli(t, "", tt.args...)
			var exit exitError
			if !errors.As(err, &exit) || exit.code != 2 || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want exit 2 saying %q", err, tt.want)
			}
		})
	}
	assertUntouched(t, dataDir)
}

func TestVersion(t *testing.T) {
	t.Parallel()
	ts := &testServer{env: map[string]string{"DATA_DIR": emptyDataDir(t)}}
	for _, args := range [][]string{{"version"}, {"--version"}} {
		out, err := ts.cli(t, "", args...)
		if err != nil || !strings.HasPrefix(out, "authportal "+version+" (go") {
			t.Errorf("%v = %q %v", args, out, err)
		}
	}
	assertUntouched(t, ts.env["DATA_DIR"])
}
