package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/authportal/authportal/commands"
	"github.com/authportal/authportal/domain"
)

func cliMeta() domain.Metadata {
	return domain.Metadata{Actor: "cli", ActorKind: domain.ActorCLI}
}

func userCommand(ctx context.Context, c Config, logger *slog.Logger, args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 {
		return exitError{2, errors.New("user: expected add or admin")}
	}
	fs := flag.NewFlagSet("user "+args[0], flag.ContinueOnError)
	username := fs.String("username", "", "username (case-insensitive)")
	switch args[0] {
	case "add":
		email := fs.String("email", "", "email address")
		admin := fs.Bool("admin", false, "make the user an admin")
		fromStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input")
		if err := fs.Parse(args[1:]); err != nil {
			return exitError{2, err}
		}
		if *username == "" || !*fromStdin {
			return exitError{2, errors.New("user add: --username and --password-stdin are required (passwords never go on the command line)")}
		}
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("user add: read password: %w", err)
		}
		password := strings.TrimRight(line, "\r\n")
		return withApp(ctx, c, logger, func(a *app) error {
			res, err := a.handlers.register.Handle(ctx, commands.RegisterUser{
				Username: *username, Email: *email, Password: password, Admin: *admin, AccessGranted: true, Meta: cliMeta(),
			})
			if err != nil {
				return fmt.Errorf("user add: %w", err)
			}
			fmt.Fprintln(stdout, res.UserID)
			return nil
		})
	case "admin":
		revoke := fs.Bool("revoke", false, "take admin away instead")
		if err := fs.Parse(args[1:]); err != nil {
			return exitError{2, err}
		}
		return withApp(ctx, c, logger, func(a *app) error {
			id, err := userIDByName(ctx, a, *username)
			if err != nil {
				return err
			}
			if _, err := a.handlers.setAdmin.Handle(ctx, commands.SetAdmin{UserID: id, Admin: !*revoke, Reason: "cli", Meta: cliMeta()}); err != nil {
				return fmt.Errorf("user admin: %w", err)
			}
			fmt.Fprintln(stdout, id)
			return nil
		})
	}
	return exitError{2, fmt.Errorf("user: unknown subcommand %q", args[0])}
}

// userIDByName resolves a username through its claim stream (the log, not a
// read model, so it works before projections catch up).
func userIDByName(ctx context.Context, a *app, name string) (string, error) {
	normalized, err := domain.NormalizeUsername(name)
	if err != nil {
		return "", err
	}
	claims, _, err := a.store.Load(ctx, domain.UsernameStream(normalized))
	if err != nil {
		return "", err
	}
	if id := domain.ClaimedUserID(claims); id != "" {
		return id, nil
	}
	return "", fmt.Errorf("no user named %q", normalized)
}
