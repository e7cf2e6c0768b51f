package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
)

func auditCommand(ctx context.Context, c Config, logger *slog.Logger, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return exitError{2, errors.New("audit: expected verify or export")}
	}
	fs := flag.NewFlagSet("audit "+args[0], flag.ContinueOnError)
	switch args[0] {
	case "verify":
		anchor := fs.String("anchor", "", "POSITION:HASH recorded by an earlier verify; checks the log was not cut short")
		if err := fs.Parse(args[1:]); err != nil {
			return exitError{2, err}
		}
		return withApp(ctx, c, logger, func(a *app) error {
			v, err := a.store.Verify(ctx)
			if err != nil {
				return exitError{1, fmt.Errorf("audit verify: %w (%d events before it check out)", err, v.Checked)}
			}
			if *anchor != "" {
				pos, hash, ok := strings.Cut(*anchor, ":")
				n, perr := strconv.ParseInt(pos, 10, 64)
				if !ok || perr != nil {
					return exitError{2, errors.New("audit verify: --anchor must be POSITION:HASH")}
				}
				if err := a.store.VerifyAnchor(ctx, n, hash); err != nil {
					return exitError{1, fmt.Errorf("audit verify: %w", err)}
				}
			}
			fmt.Fprintf(stdout, "ok: %d events checked; head %d:%s\n", v.Checked, v.Head, v.HeadHash)
			return nil
		})
	case "export":
		from := fs.Int64("from", 1, "first position to export")
		stream := fs.String("stream", "", "export only this stream")
		if err := fs.Parse(args[1:]); err != nil {
			return exitError{2, err}
		}
		return withApp(ctx, c, logger, func(a *app) error {
			w := bufio.NewWriter(stdout)
			enc := json.NewEncoder(w)
			after := max(*from-1, 0)
			for {
				batch, err := a.store.ReadRaw(ctx, after, 5000, *stream)
				if err != nil {
					return err
				}
				for _, e := range batch {
					if err := enc.Encode(e); err != nil {
						return err
					}
					after = e.Position
				}
				if len(batch) < 5000 {
					return w.Flush()
				}
			}
		})
	}
	return exitError{2, fmt.Errorf("audit: unknown subcommand %q", args[0])}
}
