package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/internal/apiclient"
	"github.com/beignet/devtools/store"
)

func newPurgeCmd(env *Env) *cobra.Command {
	var (
		t         target
		ts        tokenSource
		olderThan string
		kinds     []string
		keep      int
		dryRun    bool
		compact   bool
	)
	cmd := &cobra.Command{
		Use:   "purge --db PATH | --url URL [--older-than D] [--kind K] [--keep N] [--dry-run] [--compact]",
		Short: "Delete old events from a store file, or through a running app",
		Long: `purge removes events: those older than --older-than (24h, 7d, 90m; 0 means all),
only of the given --kind(s) when set, then all but the newest --keep N. It
prints what it removed; --dry-run prints what it would remove. --compact then
rewrites the file so that it shrinks on disk.

--db works on a file no app holds open. A running app holds its store's lock:
purge through its devtools route with --url instead (POST .../purge, same
options, the same token as the console).

Without --compact the file keeps its size: bbolt keeps the freed pages, with
the removed events' bytes, for reuse by new events until the file is
compacted.

The recorder also purges on its own (default: 24 hours, 100,000 events).`,
		Example: `  beignet-devtools purge --db .beignet/devtools.db --older-than 24h
  beignet-devtools purge --db .beignet/devtools.db --older-than 0 --kind log --dry-run
  BEIGNET_DEVTOOLS_TOKEN=... beignet-devtools purge --url http://127.0.0.1:8080 --keep 1000 --compact`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := t.check(cmd); err != nil {
				return err
			}
			req := apiclient.PurgeRequest{Keep: keep, DryRun: dryRun, Compact: compact}
			var age time.Duration
			if olderThan != "" {
				d, err := parseAge(olderThan)
				if err != nil {
					return usageErr("--older-than: %w", err)
				}
				age = d
				req.OlderThan = d.String()
				if d == 0 {
					req.OlderThan = "0"
				}
			}
			for _, ks := range kinds {
				for _, k := range strings.Split(ks, ",") {
					if k = strings.TrimSpace(k); k == "" {
						continue
					}
					kind, err := event.ParseKind(k)
					if err != nil {
						return usageErr("--kind: %w", err)
					}
					req.Kinds = append(req.Kinds, kind)
				}
			}
			if keep < 0 {
				return usageErr("--keep must be >= 0")
			}
			if olderThan == "" && len(req.Kinds) == 0 && keep == 0 && !compact {
				return usageErr("purge needs --older-than, --kind, --keep or --compact (nothing to do otherwise)")
			}
			var res apiclient.PurgeResult
			var err error
			if t.db != "" {
				res, err = purgeFile(t.db, req, olderThan != "", age, env.now())
			} else {
				c, cerr := t.client(cmd.Context(), env, &ts, "purge")
				if cerr != nil {
					return cerr
				}
				ctx, cancel := context.WithTimeout(cmd.Context(), 2*time.Minute)
				res, err = c.Purge(ctx, req)
				cancel()
				if err != nil {
					err = routeError("purge", c, err)
				}
			}
			if err != nil {
				return err
			}
			printPurge(env.Stdout, strings.TrimSpace(olderThan), req, res)
			return nil
		},
	}
	t.flags(cmd, "no app holds open")
	ts.flags(cmd)
	f := cmd.Flags()
	f.StringVar(&olderThan, "older-than", "", "remove events older than this (24h, 7d, 90m; 0: all)")
	f.StringSliceVar(&kinds, "kind", nil, "only these kinds: request, provider, audit, log, error, custom (repeat or comma list)")
	f.IntVar(&keep, "keep", 0, "then keep only the newest N events")
	f.BoolVar(&dryRun, "dry-run", false, "print what would be removed, change nothing")
	f.BoolVar(&compact, "compact", false, "rewrite the file afterwards so that it shrinks on disk")
	_ = cmd.RegisterFlagCompletionFunc("kind", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		out := make([]string, 0, 6)
		for _, k := range event.Kinds() {
			out = append(out, string(k))
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}

// storeHint turns ErrLocked into advice to go through the app.
func storeHint(err error, path string) error {
	if errors.Is(err, store.ErrLocked) && !strings.Contains(err.Error(), "--url") {
		return fmt.Errorf("%w: %s is held by a running app; go through the app instead, e.g. beignet-devtools purge --url http://127.0.0.1:PORT/api/devtools ... (or console/tail --url)", err, path)
	}
	return err
}

func purgeFile(path string, req apiclient.PurgeRequest, hasAge bool, age time.Duration, now time.Time) (apiclient.PurgeResult, error) {
	res := apiclient.PurgeResult{DryRun: req.DryRun}
	s, err := store.Open(path, &store.Options{ReadOnly: req.DryRun, MaxAge: -1, MaxEvents: -1})
	if err != nil {
		return res, failErr("purge: %w", storeHint(err, path))
	}
	defer s.Close()
	var cutoff time.Time
	if hasAge {
		cutoff = now.Add(-age)
	}
	switch {
	case !hasAge && len(req.Kinds) == 0:
	case req.DryRun:
		res.Removed, err = s.CountPurgeable(cutoff, req.Kinds...)
	case len(req.Kinds) > 0:
		res.Removed, err = s.PurgeKinds(cutoff, req.Kinds...)
	default:
		res.Removed, err = s.Purge(cutoff)
	}
	if err == nil && req.Keep > 0 {
		if req.DryRun {
			var st store.Stats
			if st, err = s.Stats(); err == nil {
				res.Trimmed = max(0, st.Count-res.Removed-req.Keep)
			}
		} else {
			res.Trimmed, err = s.Trim(req.Keep)
		}
	}
	if err == nil && req.Compact && !req.DryRun {
		if err = s.CompactInPlace(); err == nil {
			res.Compacted = true
		}
	}
	if err != nil {
		return res, failErr("purge: %w", err)
	}
	return res, nil
}

func printPurge(w io.Writer, age string, req apiclient.PurgeRequest, res apiclient.PurgeResult) {
	verb := "removed"
	if res.DryRun {
		verb = "would remove"
	}
	what := "events"
	if len(req.Kinds) > 0 {
		ks := make([]string, len(req.Kinds))
		for i, k := range req.Kinds {
			ks[i] = string(k)
		}
		what = strings.Join(ks, ",") + " events"
	}
	switch {
	case req.OlderThan == "0":
		fmt.Fprintf(w, "purge: %s %d %s (all ages)\n", verb, res.Removed, what)
	case req.OlderThan != "":
		fmt.Fprintf(w, "purge: %s %d %s older than %s\n", verb, res.Removed, what, age)
	case len(req.Kinds) > 0:
		fmt.Fprintf(w, "purge: %s %d %s (all ages)\n", verb, res.Removed, what)
	}
	if req.Keep > 0 {
		fmt.Fprintf(w, "purge: %s %d more to keep the newest %d\n", verb, res.Trimmed, req.Keep)
	}
	switch {
	case res.Compacted:
		fmt.Fprintln(w, "purge: compacted the file")
	case req.Compact && res.DryRun:
		fmt.Fprintln(w, "purge: would compact the file")
	case !res.DryRun && res.Removed+res.Trimmed > 0:
		fmt.Fprintln(w, "purge: the removed events' bytes stay in the file's free pages until it is compacted; --compact rewrites it now")
	}
}
