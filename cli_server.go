package main

import (
	"flag"
	"fmt"
	"runtime"
)

func serveCommand(*flag.FlagSet) action {
	return func(in *invocation, _ []string) error {
		c, logger, err := in.config()
		if err != nil {
			return err
		}
		return serve(in.ctx, c, logger)
	}
}

// migrateCommand is, with serve, the command that may create the embedded
// cluster: it is how an install is prepared before its first start.
func migrateCommand(*flag.FlagSet) action {
	return func(in *invocation, _ []string) error {
		return in.withApp(true, func(*app) error {
			fmt.Fprintln(in.stdout, "migrations applied")
			return nil
		})
	}
}

func versionCommand(*flag.FlagSet) action {
	return func(in *invocation, _ []string) error {
		fmt.Fprintf(in.stdout, "authportal %s (%s)\n", version, runtime.Version())
		return nil
	}
}
