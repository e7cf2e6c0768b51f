package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
)

// command is one row of the CLI: the words that name it, its flags and what
// it does. The table below is the only list of commands; usage, help and
// dispatch are all read from it, so they cannot disagree.
type command struct {
	name     string // the words after "authportal": "user mfa reset"
	synopsis string // flags and arguments, as usage shows them
	summary  string // one line for the command list
	// setup declares the command's flags on fs and returns what runs it once
	// they are parsed; args are the positional arguments left over.
	setup func(fs *flag.FlagSet) action
	// maxArgs is how many positional arguments the command takes.
	maxArgs int
}

// action runs a command whose flags are parsed.
type action func(in *invocation, args []string) error

// invocation is one run of the CLI: its context, environment and streams.
// Configuration is read only when a command needs it, so help and version
// touch nothing.
type invocation struct {
	ctx            context.Context
	getenv         func(string) string
	stdin          io.Reader
	stdout, stderr io.Writer
}

// cliCommands is the CLI. Read-only commands open the database without
// migrating or writing secrets (see cli_database.go).
func cliCommands() []command {
	return []command{
		{name: "serve", summary: "run the server (the default)", setup: serveCommand},
		{name: "migrate", summary: "create the database if there is none and apply migrations", setup: migrateCommand},
		{name: "version", summary: "print the version", setup: versionCommand},
		{name: "user add", synopsis: "--username U [--email E] [--admin] --password-stdin", summary: "create a local account; prints its id", setup: userAddCommand},
		{name: "user admin", synopsis: "--username U [--revoke]", summary: "grant (or revoke) admin; ends their sessions", setup: userAdminCommand},
		{name: "user passwd", synopsis: "--username U --password-stdin", summary: "set a local account's password; ends their sessions", setup: userPasswdCommand},
		{name: "user mfa reset", synopsis: "--username U", summary: "remove a user's authenticator (lost device); ends their sessions", setup: userMFAResetCommand},
		{name: "user sessions revoke", synopsis: "--username U", summary: "end every session the user holds", setup: userSessionsRevokeCommand},
		{name: "user permissions", synopsis: "--username U --mode allow_all|deny_all [--host H]...", summary: "set which protected hosts the user may reach", setup: userPermissionsCommand},
		{name: "user disable", synopsis: "--username U", summary: "shut a user out everywhere; ends their sessions", setup: userDisableCommand},
		{name: "user enable", synopsis: "--username U", summary: "let a disabled user in again", setup: userEnableCommand},
		{name: "host add", synopsis: "--host H [--name N] [--no-forward-auth]", summary: "put a host behind forward auth; prints its id", setup: hostAddCommand},
		{name: "host list", summary: "list the protected hosts (read-only)", setup: hostListCommand},
		{name: "host remove", synopsis: "--host H", summary: "take a protected host away", setup: hostRemoveCommand},
		{name: "client add", synopsis: "--name N --redirect-uri URI [--redirect-uri ...] [--public] [--first-party] [--scopes S]", summary: "register an OAuth/OIDC client; prints {client_id, client_secret} as JSON", setup: clientAddCommand},
		{name: "client list", synopsis: "[--json]", summary: "list the OAuth/OIDC clients (read-only)", setup: clientListCommand},
		{name: "client remove", synopsis: "--client-id ID", summary: "delete a client; its tokens stop working", setup: clientRemoveCommand},
		{name: "oidc rotate-key", synopsis: "[--publish-delay 10m]", summary: "publish a new signing key that signs after the delay", setup: oidcRotateKeyCommand},
		{name: "audit verify", synopsis: "[--anchor POS:HASH] [--json]", summary: "check the log's hash chain (read-only)", setup: auditVerifyCommand},
		{name: "audit export", synopsis: "[--from POS] [--stream ID]", summary: "write events as JSON lines (read-only)", setup: auditExportCommand},
		{name: "projections status", synopsis: "[--json]", summary: "show each read model's position (read-only)", setup: projectionsStatusCommand},
		{name: "projections rebuild", synopsis: "[NAME]", summary: "rebuild read models from the log", setup: projectionsRebuildCommand, maxArgs: 1},
	}
}

// usage lists the commands whose name starts with prefix ("" for all).
func usage(prefix string) string {
	var b strings.Builder
	if prefix == "" {
		b.WriteString("usage: authportal <command> [flags]\n\n")
	} else {
		fmt.Fprintf(&b, "usage: authportal %s <command> [flags]\n\n", prefix)
	}
	for _, c := range cliCommands() {
		if prefix != "" && !strings.HasPrefix(c.name+" ", prefix+" ") {
			continue
		}
		line := c.name
		if c.synopsis != "" {
			line += " " + c.synopsis
		}
		if len(line) > 34 {
			fmt.Fprintf(&b, "  %s\n  %-34s  %s\n", line, "", c.summary)
		} else {
			fmt.Fprintf(&b, "  %-34s  %s\n", line, c.summary)
		}
	}
	b.WriteString("\nRun 'authportal <command> --help' for its flags. Configuration comes from the environment; see README.md.\n")
	return b.String()
}

// isHelpFlag reports whether arg is a help flag.
func isHelpFlag(arg string) bool { return arg == "-h" || arg == "-help" || arg == "--help" }

// isHelp reports whether arg asks for help.
func isHelp(arg string) bool {
	return isHelpFlag(arg) || arg == "help"
}

// lookup finds the command named by the longest run of leading words of
// args, returning it and the arguments after its name.
func lookup(args []string) (command, []string, bool) {
	var best command
	bestLen := 0
	for _, c := range cliCommands() {
		words := strings.Fields(c.name)
		if len(words) > bestLen && len(words) <= len(args) && strings.Join(args[:len(words)], " ") == c.name {
			best, bestLen = c, len(words)
		}
	}
	return best, args[bestLen:], bestLen > 0
}

// dispatch runs the command args name. --help anywhere among a command's
// flags prints its help and does nothing else.
func dispatch(in *invocation, args []string) error {
	if len(args) == 0 {
		args = []string{"serve"}
	}
	if isHelp(args[0]) {
		if len(args) > 1 { // authportal help user passwd
			return dispatch(in, append(args[1:len(args):len(args)], "--help"))
		}
		fmt.Fprint(in.stdout, usage(""))
		return nil
	}
	if args[0] == "--version" {
		args = []string{"version"}
	}
	c, rest, ok := lookup(args)
	if !ok {
		return unknownCommand(in, args)
	}
	fs := flag.NewFlagSet("authportal "+c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are returned; help is printed below
	run := c.setup(fs)
	// A help flag anywhere wins, even where the flag package would take it
	// as another flag's value (--username --help).
	err := fs.Parse(rest)
	if errors.Is(err, flag.ErrHelp) || slices.ContainsFunc(rest, isHelpFlag) || (err == nil && slices.ContainsFunc(fs.Args(), isHelp)) {
		fmt.Fprint(in.stdout, commandHelp(c, fs))
		return nil
	}
	if err != nil {
		fmt.Fprint(in.stderr, commandHelp(c, fs))
		return exitError{2, fmt.Errorf("%s: %w", c.name, err)}
	}
	if fs.NArg() > c.maxArgs {
		fmt.Fprint(in.stderr, commandHelp(c, fs))
		return exitError{2, fmt.Errorf("%s: unexpected argument %q", c.name, fs.Arg(c.maxArgs))}
	}
	return run(in, fs.Args())
}

// unknownCommand answers words that name no command: the list of a group
// ("authportal user"), its help when asked, or the whole usage.
func unknownCommand(in *invocation, args []string) error {
	for n := len(args); n > 0; n-- {
		prefix := strings.Join(args[:n], " ")
		if !isGroup(prefix) {
			continue
		}
		if n < len(args) && isHelp(args[n]) {
			fmt.Fprint(in.stdout, usage(prefix))
			return nil
		}
		fmt.Fprint(in.stderr, usage(prefix))
		if n == len(args) {
			return exitError{2, fmt.Errorf("%s: expected a subcommand", prefix)}
		}
		return exitError{2, fmt.Errorf("%s: unknown subcommand %q", prefix, args[n])}
	}
	fmt.Fprint(in.stderr, usage(""))
	return exitError{2, fmt.Errorf("unknown command %q", args[0])}
}

// isGroup reports whether some command's name starts with the words of prefix.
func isGroup(prefix string) bool {
	for _, c := range cliCommands() {
		if strings.HasPrefix(c.name, prefix+" ") {
			return true
		}
	}
	return false
}

// commandHelp is one command's synopsis, summary and flags.
func commandHelp(c command, fs *flag.FlagSet) string {
	var b strings.Builder
	fmt.Fprintf(&b, "usage: authportal %s", c.name)
	if c.synopsis != "" {
		fmt.Fprintf(&b, " %s", c.synopsis)
	}
	fmt.Fprintf(&b, "\n\n%s\n", c.summary)
	hasFlags := false
	fs.VisitAll(func(*flag.Flag) { hasFlags = true })
	if hasFlags {
		b.WriteString("\nflags:\n")
		fs.SetOutput(&b)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return b.String()
}
