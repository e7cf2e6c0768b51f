package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/authportal/authportal/commands"
	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/providers/local"
)

func cliMeta() domain.Metadata {
	return domain.Metadata{Actor: "cli", ActorKind: domain.ActorCLI}
}

// usernameFlag declares the --username every user command takes.
func usernameFlag(fs *flag.FlagSet) *string {
	return fs.String("username", "", "username (case-insensitive); required")
}

// needUsername refuses a user command without --username before anything is opened.
func needUsername(what, username string) error {
	if username == "" {
		return exitError{2, fmt.Errorf("%s: --username is required", what)}
	}
	return nil
}

// readPassword reads the first line of stdin: passwords never go on the
// command line, where ps and shell history would keep them.
func readPassword(what string, stdin io.Reader) (string, error) {
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("%s: read password: %w", what, err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func userAddCommand(fs *flag.FlagSet) action {
	username := usernameFlag(fs)
	email := fs.String("email", "", "email address")
	admin := fs.Bool("admin", false, "make the user an admin")
	fromStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input; required")
	return func(in *invocation, _ []string) error {
		if *username == "" || !*fromStdin {
			return exitError{2, errors.New("user add: --username and --password-stdin are required (passwords never go on the command line)")}
		}
		password, err := readPassword("user add", in.stdin)
		if err != nil {
			return err
		}
		return in.withApp(false, func(a *app) error {
			res, err := a.handlers.register.Handle(in.ctx, commands.RegisterUser{
				Username: *username, Email: *email, Password: password, Admin: *admin, AccessGranted: true, Meta: cliMeta(),
			})
			if err != nil {
				return fmt.Errorf("user add: %w", err)
			}
			fmt.Fprintln(in.stdout, res.UserID)
			return nil
		})
	}
}

func userAdminCommand(fs *flag.FlagSet) action {
	username := usernameFlag(fs)
	revoke := fs.Bool("revoke", false, "take admin away instead")
	return func(in *invocation, _ []string) error {
		if err := needUsername("user admin", *username); err != nil {
			return err
		}
		return in.withApp(false, func(a *app) error {
			id, err := userIDByName(in.ctx, a, *username)
			if err != nil {
				return fmt.Errorf("user admin: %w", err)
			}
			if _, err := a.handlers.setAdmin.Handle(in.ctx, commands.SetAdmin{UserID: id, Admin: !*revoke, Reason: "cli", Meta: cliMeta()}); err != nil {
				return fmt.Errorf("user admin: %w", err)
			}
			fmt.Fprintln(in.stdout, id)
			return nil
		})
	}
}

func userPasswdCommand(fs *flag.FlagSet) action {
	username := usernameFlag(fs)
	fromStdin := fs.Bool("password-stdin", false, "read the new password from the first line of standard input; required")
	return func(in *invocation, _ []string) error {
		if *username == "" || !*fromStdin {
			return exitError{2, errors.New("user passwd: --username and --password-stdin are required (passwords never go on the command line)")}
		}
		password, err := readPassword("user passwd", in.stdin)
		if err != nil {
			return err
		}
		return in.withApp(false, func(a *app) error {
			id, err := userIDByName(in.ctx, a, *username)
			if err != nil {
				return fmt.Errorf("user passwd: %w", err)
			}
			// One hash at a time is all a command line needs.
			hasher, err := local.NewHasher(local.OWASP, 1)
			if err != nil {
				return fmt.Errorf("user passwd: %w", err)
			}
			sealer, err := commands.NewSealer(a.config.DataKey)
			if err != nil {
				return fmt.Errorf("user passwd: %w", err)
			}
			h := commands.NewChangePasswordHandler(a.store, hasher, sealer)
			if _, err := h.Handle(in.ctx, commands.ChangePassword{UserID: id, Password: password, Reason: "cli", Meta: cliMeta()}); err != nil {
				return fmt.Errorf("user passwd: %w", err)
			}
			fmt.Fprintf(in.stdout, "password of %s changed; their sessions are ended\n", *username)
			return nil
		})
	}
}

func userMFAResetCommand(fs *flag.FlagSet) action {
	username := usernameFlag(fs)
	return func(in *invocation, _ []string) error {
		if err := needUsername("user mfa reset", *username); err != nil {
			return err
		}
		return in.withApp(false, func(a *app) error {
			id, err := userIDByName(in.ctx, a, *username)
			if err != nil {
				return fmt.Errorf("user mfa reset: %w", err)
			}
			res, err := commands.NewResetMFAHandler(a.store).Handle(in.ctx, commands.ResetMFA{UserID: id, Reason: "cli", Meta: cliMeta()})
			if err != nil {
				return fmt.Errorf("user mfa reset: %w", err)
			}
			if res.Position == 0 {
				fmt.Fprintf(in.stdout, "%s has no authenticator; nothing changed\n", *username)
				return nil
			}
			fmt.Fprintf(in.stdout, "authenticator of %s removed; their sessions are ended\n", *username)
			return nil
		})
	}
}

func userSessionsRevokeCommand(fs *flag.FlagSet) action {
	username := usernameFlag(fs)
	return func(in *invocation, _ []string) error {
		if err := needUsername("user sessions revoke", *username); err != nil {
			return err
		}
		return in.withApp(false, func(a *app) error {
			id, err := userIDByName(in.ctx, a, *username)
			if err != nil {
				return fmt.Errorf("user sessions revoke: %w", err)
			}
			if _, err := commands.NewRevokeSessionsHandler(a.store).Handle(in.ctx, commands.RevokeSessions{UserID: id, Meta: cliMeta()}); err != nil {
				return fmt.Errorf("user sessions revoke: %w", err)
			}
			fmt.Fprintf(in.stdout, "sessions of %s ended\n", *username)
			return nil
		})
	}
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
