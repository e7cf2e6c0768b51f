package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"text/tabwriter"

	"github.com/authportal/authportal/commands"
	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/projections"
)

// The protected hosts of forward auth, for headless set-ups: the CLI twins
// of /api/admin/hosts. Hosts are named on the command line by their host
// name, resolved through the name's claim stream (the log, so a host just
// added can be removed before any projection has caught up).

func hostAddCommand(fs *flag.FlagSet) action {
	host := fs.String("host", "", "host name, such as app.example.com or *.example.com (no scheme, path or port); required")
	name := fs.String("name", "", "name shown to people (default: the host)")
	noForward := fs.Bool("no-forward-auth", false, "register the host (a return target after sign-in) without guarding it by forward auth")
	return func(in *invocation, _ []string) error {
		if *host == "" {
			return exitError{2, errors.New("host add: --host is required")}
		}
		return in.withApp(false, func(a *app) error {
			res, err := commands.NewHostsHandler(a.store, newID).Add(in.ctx, commands.AddHost{
				Spec: domain.HostSpec{Host: *host, Name: *name, ForwardAuth: !*noForward}, Meta: cliMeta(),
			})
			if err != nil {
				return fmt.Errorf("host add: %w", err)
			}
			fmt.Fprintf(in.stdout, "%s\t%s\n", res.HostID, res.Host)
			return nil
		})
	}
}

func hostListCommand(*flag.FlagSet) action {
	return func(in *invocation, _ []string) error {
		return in.withReadOnly(func(r *readOnly) error {
			hosts, err := r.reader.ProtectedHosts(in.ctx)
			if err != nil {
				return fmt.Errorf("host list: %w", err)
			}
			tw := tabwriter.NewWriter(in.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tHOST\tNAME\tFORWARD AUTH")
			for _, h := range hosts {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%v\n", h.ID, h.Host, h.Name, h.ForwardAuth)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			// The list is a read model a server keeps current: say so when
			// it trails the log (no server running, or one catching up).
			status, err := r.reader.Status(in.ctx, []string{projections.ForwardAuthName})
			if err == nil && len(status) == 1 && status[0].Lag > 0 {
				fmt.Fprintf(in.stderr, "note: the list is %d events behind the log; a running server brings it up to date\n", status[0].Lag)
			}
			return nil
		})
	}
}

func hostRemoveCommand(fs *flag.FlagSet) action {
	host := fs.String("host", "", "host name as registered (*.example.com for a wildcard); required")
	return func(in *invocation, _ []string) error {
		if *host == "" {
			return exitError{2, errors.New("host remove: --host is required")}
		}
		return in.withApp(false, func(a *app) error {
			id, stored, err := hostIDByName(in.ctx, a, *host)
			if err != nil {
				return fmt.Errorf("host remove: %w", err)
			}
			if _, err := commands.NewHostsHandler(a.store, newID).Remove(in.ctx, commands.RemoveHost{HostID: id, Meta: cliMeta()}); err != nil {
				return fmt.Errorf("host remove: %w", err)
			}
			fmt.Fprintf(in.stdout, "%s removed\n", stored)
			return nil
		})
	}
}

// hostIDByName resolves a host name through its claim stream.
func hostIDByName(ctx context.Context, a *app, name string) (id, stored string, err error) {
	stored, err = domain.NormalizeHost(name)
	if err != nil {
		return "", "", err
	}
	claims, _, err := a.store.Load(ctx, domain.HostNameStream(stored))
	if err != nil {
		return "", "", err
	}
	if id := domain.ClaimedHostID(claims); id != "" {
		return id, stored, nil
	}
	return "", "", fmt.Errorf("no protected host %q", stored)
}
