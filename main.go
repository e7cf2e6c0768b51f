// Command authportal is the composition root of AuthPortal: it reads the
// configuration, wires the packages together and runs the CLI.
//
//	authportal serve
//	authportal migrate
//	authportal user add --username U [--email E] [--admin] --password-stdin
//	authportal user admin --username U [--revoke]
//	authportal audit verify [--anchor POSITION:HASH]
//	authportal audit export [--from POSITION] [--stream ID]
//	authportal projections status
//	authportal projections rebuild [NAME]
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"
)

const usage = `usage: authportal <command>

  serve                               run the server (the default)
  migrate                             apply database migrations
  user add --username U [--email E] [--admin] --password-stdin
                                      create a local account; prints its id
  user admin --username U [--revoke]  grant (or revoke) admin
  audit verify [--anchor POS:HASH]    check the log's hash chain
  audit export [--from POS] [--stream ID]
                                      write events as JSON lines
  projections status                  show each read model's position
  projections rebuild [NAME]          rebuild read models from the log

Configuration comes from the environment; see README.md.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	var exit exitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		fmt.Fprintln(os.Stderr, "authportal:", exit.err)
		os.Exit(exit.code)
	default:
		fmt.Fprintln(os.Stderr, "authportal:", err)
		os.Exit(1)
	}
}

// exitError carries a specific exit status.
type exitError struct {
	code int
	err  error
}

func (e exitError) Error() string { return e.err.Error() }

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	if cmd == "help" || cmd == "-h" || cmd == "--help" {
		fmt.Fprint(stdout, usage)
		return nil
	}
	c, err := LoadConfig(getenv)
	if err != nil {
		return exitError{2, fmt.Errorf("configuration:\n%w", err)}
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: c.LogLevel}))

	switch cmd {
	case "serve":
		return serve(ctx, c, logger)
	case "migrate":
		return withApp(ctx, c, logger, func(a *app) error {
			fmt.Fprintln(stdout, "migrations applied")
			return nil
		})
	case "user":
		return userCommand(ctx, c, logger, args, stdin, stdout)
	case "audit":
		return auditCommand(ctx, c, logger, args, stdout)
	case "projections":
		return projectionsCommand(ctx, c, logger, args, stdout)
	}
	fmt.Fprint(stderr, usage)
	return exitError{2, fmt.Errorf("unknown command %q", cmd)}
}

// withApp runs f against the database (attaching to the running server's
// embedded cluster, or starting it for the length of the command).
func withApp(ctx context.Context, c Config, logger *slog.Logger, f func(*app) error) error {
	a, err := newApp(ctx, c, logger, time.Now)
	if err != nil {
		return err
	}
	return errors.Join(f(a), a.close(ctx))
}
