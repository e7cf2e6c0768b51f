package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"text/tabwriter"

	"github.com/authportal/authportal/projections"
)

func projectionsCommand(ctx context.Context, c Config, logger *slog.Logger, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return exitError{2, errors.New("projections: expected status or rebuild")}
	}
	switch args[0] {
	case "status":
		return withApp(ctx, c, logger, func(a *app) error {
			status, err := a.reader.Status(ctx, projectionNames())
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tPOSITION\tHEAD\tLAG\tRUNNING")
			for _, s := range status {
				fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%v\n", s.Name, s.Position, s.Head, s.Lag, s.Leader)
			}
			return tw.Flush()
		})
	case "rebuild":
		selected := projections.All()
		if len(args) > 1 {
			selected = nil
			for _, p := range projections.All() {
				if p.Name() == args[1] {
					selected = append(selected, p)
				}
			}
			if len(selected) == 0 {
				return exitError{2, fmt.Errorf("projections rebuild: no projection named %q (have %v)", args[1], projectionNames())}
			}
		}
		return withApp(ctx, c, logger, func(a *app) error {
			for _, p := range selected {
				pos, err := projections.Rebuild(ctx, a.db.pool, a.store, p, 0)
				if err != nil {
					return err
				}
				fmt.Fprintf(stdout, "%s rebuilt to position %d\n", p.Name(), pos)
			}
			return nil
		})
	}
	return exitError{2, fmt.Errorf("projections: unknown subcommand %q", args[0])}
}
