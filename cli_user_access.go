package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/authportal/authportal/commands"
	"github.com/authportal/authportal/domain"
)

// Who may reach which protected host, and who may enter at all: the CLI
// twins of PUT /api/admin/users/{id}/permissions and .../disabled.

// hostList collects a repeated --host flag.
type hostList []string

func (h *hostList) String() string { return strings.Join(*h, ",") }

func (h *hostList) Set(v string) error {
	*h = append(*h, v)
	return nil
}

func userPermissionsCommand(fs *flag.FlagSet) action {
	username := usernameFlag(fs)
	mode := fs.String("mode", "", "allow_all (every protected host except the --host ones) or deny_all (only the --host ones); required")
	var hosts hostList
	fs.Var(&hosts, "host", "a protected host that is an exception to --mode; repeat for more")
	return func(in *invocation, _ []string) error {
		if err := needUsername("user permissions", *username); err != nil {
			return err
		}
		if m := domain.PermissionMode(*mode); !m.Valid() {
			return exitError{2, errors.New("user permissions: --mode must be allow_all or deny_all")}
		}
		return in.withApp(false, func(a *app) error {
			id, err := userIDForCLI(in.ctx, a, *username)
			if err != nil {
				return fmt.Errorf("user permissions: %w", err)
			}
			ids := make([]string, 0, len(hosts))
			for _, h := range hosts {
				hid, _, err := hostIDByName(in.ctx, a, h)
				if err != nil {
					return fmt.Errorf("user permissions: %w", err)
				}
				ids = append(ids, hid)
			}
			res, err := commands.NewSetPermissionsHandler(a.store).Handle(in.ctx, commands.SetPermissions{
				UserID: id, Mode: domain.PermissionMode(*mode), HostIDs: ids, Meta: cliMeta(),
			})
			if err != nil {
				return fmt.Errorf("user permissions: %w", err)
			}
			if res.Position == 0 {
				fmt.Fprintf(in.stdout, "%s already has these permissions; nothing changed\n", *username)
				return nil
			}
			fmt.Fprintf(in.stdout, "permissions of %s set: %s, exceptions: %s\n", *username, *mode, orNone(hosts))
			return nil
		})
	}
}

func orNone(hosts []string) string {
	if len(hosts) == 0 {
		return "none"
	}
	return strings.Join(hosts, ", ")
}

func userDisableCommand(fs *flag.FlagSet) action { return setDisabledCommand(fs, "user disable", true) }

func userEnableCommand(fs *flag.FlagSet) action { return setDisabledCommand(fs, "user enable", false) }

func setDisabledCommand(fs *flag.FlagSet, what string, disabled bool) action {
	username := usernameFlag(fs)
	return func(in *invocation, _ []string) error {
		if err := needUsername(what, *username); err != nil {
			return err
		}
		return in.withApp(false, func(a *app) error {
			id, err := userIDForCLI(in.ctx, a, *username)
			if err != nil {
				return fmt.Errorf("%s: %w", what, err)
			}
			res, err := commands.NewSetDisabledHandler(a.store).Handle(in.ctx, commands.SetDisabled{UserID: id, Disabled: disabled, Reason: "cli", Meta: cliMeta()})
			if err != nil {
				return fmt.Errorf("%s: %w", what, err)
			}
			switch {
			case res.Position == 0 && disabled:
				fmt.Fprintf(in.stdout, "%s is already disabled; nothing changed\n", *username)
			case res.Position == 0:
				fmt.Fprintf(in.stdout, "%s is not disabled; nothing changed\n", *username)
			case disabled:
				fmt.Fprintf(in.stdout, "%s disabled; their sessions are ended\n", *username)
			default:
				fmt.Fprintf(in.stdout, "%s enabled\n", *username)
			}
			return nil
		})
	}
}

// userIDForCLI resolves a username: a local account through its claim
// stream (the log), else an outside account (Plex, Jellyfin, ...) through
// the users read model, as long as the name is not ambiguous.
func userIDForCLI(ctx context.Context, a *app, name string) (string, error) {
	if id, err := userIDByName(ctx, a, name); err == nil {
		return id, nil
	}
	named, err := a.reader.UsersNamed(ctx, strings.TrimSpace(name))
	if err != nil {
		return "", err
	}
	switch len(named) {
	case 0:
		return "", fmt.Errorf("no user named %q", strings.ToLower(strings.TrimSpace(name)))
	case 1:
		return named[0].ID, nil
	}
	return "", fmt.Errorf("%d users are named %q (accounts of different providers); see /api/admin/users for their ids", len(named), name)
}
