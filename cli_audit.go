package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
)

func auditVerifyCommand(fs *flag.FlagSet) action {
	anchor := fs.String("anchor", "", "POSITION:HASH recorded by an earlier verify; checks the log was not cut short")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	return func(in *invocation, _ []string) error {
		var anchorPos int64
		var anchorHash string
		if *anchor != "" {
			pos, hash, ok := strings.Cut(*anchor, ":")
			n, err := strconv.ParseInt(pos, 10, 64)
			if !ok || err != nil {
				return exitError{2, errors.New("audit verify: --anchor must be POSITION:HASH")}
			}
			anchorPos, anchorHash = n, hash
		}
		return in.withReadOnly(func(r *readOnly) error {
			v, err := r.store.Verify(in.ctx)
			if err != nil {
				return exitError{1, fmt.Errorf("audit verify: %w (%d events before it check out)", err, v.Checked)}
			}
			if *anchor != "" {
				if err := r.store.VerifyAnchor(in.ctx, anchorPos, anchorHash); err != nil {
					return exitError{1, fmt.Errorf("audit verify: %w", err)}
				}
			}
			if *asJSON {
				return json.NewEncoder(in.stdout).Encode(struct {
					Checked  int64  `json:"checked"`
					Head     int64  `json:"head"`
					HeadHash string `json:"headHash"`
				}{v.Checked, v.Head, v.HeadHash})
			}
			fmt.Fprintf(in.stdout, "ok: %d events checked; head %d:%s\n", v.Checked, v.Head, v.HeadHash)
			return nil
		})
	}
}

func auditExportCommand(fs *flag.FlagSet) action {
	from := fs.Int64("from", 1, "first position to export")
	stream := fs.String("stream", "", "export only this stream")
	return func(in *invocation, _ []string) error {
		return in.withReadOnly(func(r *readOnly) error {
			w := bufio.NewWriter(in.stdout)
			enc := json.NewEncoder(w)
			after := max(*from-1, 0)
			for {
				batch, err := r.store.ReadRaw(in.ctx, after, 5000, *stream)
				if err != nil {
					return fmt.Errorf("audit export: %w", err)
				}
				for _, e := range batch {
					if err := enc.Encode(e); err != nil {
						return fmt.Errorf("audit export: %w", err)
					}
					after = e.Position
				}
				if len(batch) < 5000 {
					return w.Flush()
				}
			}
		})
	}
}
