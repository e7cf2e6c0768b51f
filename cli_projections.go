package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"text/tabwriter"

	"github.com/authportal/authportal/projections"
)

func projectionsStatusCommand(fs *flag.FlagSet) action {
	asJSON := fs.Bool("json", false, "print the status as a JSON array")
	return func(in *invocation, _ []string) error {
		return in.withReadOnly(func(r *readOnly) error {
			status, err := r.reader.Status(in.ctx, projectionNames())
			if err != nil {
				return fmt.Errorf("projections status: %w", err)
			}
			if *asJSON {
				return json.NewEncoder(in.stdout).Encode(status)
			}
			tw := tabwriter.NewWriter(in.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tPOSITION\tHEAD\tLAG\tRUNNING")
			for _, s := range status {
				fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%v\n", s.Name, s.Position, s.Head, s.Lag, s.Leader)
			}
			return tw.Flush()
		})
	}
}

func projectionsRebuildCommand(*flag.FlagSet) action {
	return func(in *invocation, args []string) error {
		selected := projections.All()
		if len(args) > 0 {
			selected = nil
			for _, p := range projections.All() {
				if p.Name() == args[0] {
					selected = append(selected, p)
				}
			}
			if len(selected) == 0 {
				return exitError{2, fmt.Errorf("projections rebuild: no projection named %q (have %v)", args[0], projectionNames())}
			}
		}
		return in.withApp(false, func(a *app) error {
			for _, p := range selected {
				pos, err := projections.Rebuild(in.ctx, a.db.pool, a.store, p, 0)
				if err != nil {
					return err
				}
				fmt.Fprintf(in.stdout, "%s rebuilt to position %d\n", p.Name(), pos)
			}
			return nil
		})
	}
}
