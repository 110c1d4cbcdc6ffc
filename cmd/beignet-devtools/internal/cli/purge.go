package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/internal/filter"
	"github.com/beignet/devtools/store"
)

func newPurgeCmd(env *Env) *cobra.Command {
	var (
		t         target
		ts        tokenSource
		sf        selectionFlags
		keep      int
		dryRun    bool
		compact   bool
		noCompact bool
	)
	cmd := &cobra.Command{
		Use:   "purge --db PATH | --url URL [--match QUERY [--with-requests]] [--older-than D] [--kind K] [--keep N] [--dry-run] [--compact | --no-compact]",
		Short: "Delete events from a store file, or through a running app: old ones, or everything about one person",
		Long: `purge removes events: those matching --match (the console's filter language:
actor:ada@example.com, tenant:acme, req:ID, free words), older than
--older-than (24h, 7d, 90m; 0 means all), only of the given --kind(s) when
set; --with-requests adds every event sharing a requestId or traceId with
those (a person's requests go with their audit records); then all but the
newest --keep N. It prints what it removed; --dry-run prints what it would
remove, by kind, with the time range.

Field matches are exact and ignore case (actor:ada@example.com does not
remove adam@example.com's records); free words match a substring.

An erasure (--match) then compacts the file, so the removed events' bytes
are gone from it (--no-compact skips that). Other purges leave the bytes in
the file's free pages until it is compacted (--compact, or automatically
once the file is mostly free space).

--db works on a file no app holds open. A running app holds its store's lock:
purge through its devtools route with --url instead (POST .../purge, same
options, the same token as the console); the app records the purge as an
audit event (who, the query with its values masked, how many).

The recorder also purges on its own (default: 24 hours, 100,000 events).`,
		Example: `  beignet-devtools purge --db .beignet/devtools.db --older-than 24h
  beignet-devtools purge --db .beignet/devtools.db --older-than 0 --kind log --dry-run
  beignet-devtools purge --db .beignet/devtools.db --match actor:ada@example.com --with-requests --dry-run
  BEIGNET_DEVTOOLS_TOKEN=... beignet-devtools purge --url http://127.0.0.1:8080 --match tenant:acme --with-requests
  BEIGNET_DEVTOOLS_TOKEN=... beignet-devtools purge --url http://127.0.0.1:8080 --keep 1000 --compact`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := t.check(cmd); err != nil {
				return err
			}
			sel, err := sf.selection()
			if err != nil {
				return err
			}
			req := store.PurgeRequest{Selection: sel, Keep: keep, DryRun: dryRun}
			switch {
			case compact && noCompact:
				return usageErr("--compact and --no-compact: pick one")
			case compact:
				req.Compact = &compact
			case noCompact:
				no := false
				req.Compact = &no
			}
			if keep < 0 {
				return usageErr("--keep must be >= 0")
			}
			if sel.Match == "" && sel.OlderThan == "" && len(sel.Kinds) == 0 && keep == 0 && !compact {
				if sel.WithRequests {
					return usageErr("--with-requests widens a selection: give --match, --older-than or --kind too")
				}
				return usageErr("purge needs --match, --older-than, --kind, --keep or --compact (nothing to do otherwise)")
			}
			var res store.PurgeResult
			if t.db != "" {
				res, err = purgeFile(cmd.Context(), t.db, req, env.now())
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
			printPurge(env.Stdout, sf.olderThan, req, res)
			return nil
		},
	}
	t.flags(cmd, "no app holds open")
	ts.flags(cmd)
	sf.flags(cmd, "remove")
	f := cmd.Flags()
	f.IntVar(&keep, "keep", 0, "then keep only the newest N events")
	f.BoolVar(&dryRun, "dry-run", false, "print what would be removed (by kind, with the time range), change nothing")
	f.BoolVar(&compact, "compact", false, "rewrite the file afterwards so that the removed bytes leave it (the default with --match)")
	f.BoolVar(&noCompact, "no-compact", false, "do not rewrite the file after an erasure (--match): the removed bytes stay in free pages until compaction")
	return cmd
}

// selectionFlags are the flags that build a store.Selection: purge and
// export share them.
type selectionFlags struct {
	match        string
	olderThan    string
	kinds        []string
	withRequests bool
}

func (sf *selectionFlags) flags(cmd *cobra.Command, verb string) {
	f := cmd.Flags()
	f.StringVar(&sf.match, "match", "", "only events matching this query (console filter language: actor:ada@example.com, tenant:acme, req:ID, words)")
	f.BoolVar(&sf.withRequests, "with-requests", false, "also "+verb+" every event sharing a requestId or traceId with a selected one")
	f.StringVar(&sf.olderThan, "older-than", "", "only events older than this (24h, 7d, 90m; 0: all)")
	f.StringSliceVar(&sf.kinds, "kind", nil, "only these kinds: request, provider, audit, log, error, custom (repeat or comma list)")
	_ = cmd.RegisterFlagCompletionFunc("kind", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		out := make([]string, 0, 6)
		for _, k := range event.Kinds() {
			out = append(out, string(k))
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	})
}

// selection checks the flags and builds the selection.
func (sf *selectionFlags) selection() (store.Selection, error) {
	sel := store.Selection{Match: strings.TrimSpace(sf.match), WithRequests: sf.withRequests}
	if sel.Match != "" {
		if _, err := filter.Parse(sel.Match); err != nil {
			return sel, usageErr("--match: %w", err)
		}
	}
	if sf.olderThan = strings.TrimSpace(sf.olderThan); sf.olderThan != "" {
		d, err := parseAge(sf.olderThan)
		if err != nil {
			return sel, usageErr("--older-than: %w", err)
		}
		sel.OlderThan = d.String()
		if d == 0 {
			sel.OlderThan = "0"
		}
	}
	for _, ks := range sf.kinds {
		for _, k := range strings.Split(ks, ",") {
			if k = strings.TrimSpace(k); k == "" {
				continue
			}
			kind, err := event.ParseKind(k)
			if err != nil {
				return sel, usageErr("--kind: %w", err)
			}
			sel.Kinds = append(sel.Kinds, kind)
		}
	}
	return sel, nil
}

// storeHint turns ErrLocked into advice to go through the app.
func storeHint(err error, path string) error { return storeHintFor(err, path, "purge") }

// storeHintFor is storeHint naming the command to run with --url.
func storeHintFor(err error, path, cmd string) error {
	if errors.Is(err, store.ErrLocked) && !strings.Contains(err.Error(), "--url") {
		return fmt.Errorf("%w: %s is held by a running app; go through the app instead, e.g. beignet-devtools %s --url http://127.0.0.1:PORT/api/devtools ... (or console/tail --url)", err, path, cmd)
	}
	return err
}

// purgeFile runs req on a store file (store.Do, the same code as the
// route's); a dry run opens it read-only.
func purgeFile(ctx context.Context, path string, req store.PurgeRequest, now time.Time) (store.PurgeResult, error) {
	s, err := store.Open(path, store.Options{ReadOnly: req.DryRun, MaxAge: -1, MaxEvents: -1})
	if err != nil {
		return store.PurgeResult{DryRun: req.DryRun}, failErr("purge: %w", storeHint(err, path))
	}
	defer s.Close()
	res, err := s.Do(ctx, req, now)
	if errors.Is(err, store.ErrInvalid) {
		return res, usageErr("purge: %w", err)
	}
	if err != nil {
		return res, failErr("purge: %w", err)
	}
	return res, nil
}

func printPurge(w io.Writer, age string, req store.PurgeRequest, res store.PurgeResult) {
	verb := "removed"
	if res.DryRun {
		verb = "would remove"
	}
	if what := describeSelection(req.Selection, age); what != "" {
		fmt.Fprintf(w, "purge: %s %d %s\n", verb, res.Removed, what)
		if res.Removed > 0 && (res.DryRun || req.Match != "" || req.WithRequests) {
			fmt.Fprintf(w, "purge:   %s\n", describeTally(res.Tally))
		}
		if res.Unreadable > 0 {
			fmt.Fprintf(w, "purge: %d record(s) did not decode and were left in place; run beignet-devtools doctor --db\n", res.Unreadable)
		}
	}
	if req.Keep > 0 {
		fmt.Fprintf(w, "purge: %s %d more to keep the newest %d\n", verb, res.Trimmed, req.Keep)
	}
	switch {
	case res.Compacted:
		if req.Match != "" {
			fmt.Fprintln(w, "purge: compacted the file: the removed events' bytes are gone from it")
		} else {
			fmt.Fprintln(w, "purge: compacted the file")
		}
	case req.CompactDefault() && res.DryRun:
		fmt.Fprintln(w, "purge: would compact the file")
	case !res.DryRun && res.Removed+res.Trimmed > 0:
		fmt.Fprintln(w, "purge: the removed events' bytes stay in the file's free pages until it is compacted; --compact rewrites it now")
	}
}

// describeSelection says what a selection is, after the count: "events
// matching "q", with their requests", "log,error events (all ages)",
// "events older than 24h"; "" for no selection.
func describeSelection(sel store.Selection, age string) string {
	if sel.Match == "" && sel.OlderThan == "" && len(sel.Kinds) == 0 {
		return ""
	}
	what := "events"
	if len(sel.Kinds) > 0 {
		ks := make([]string, len(sel.Kinds))
		for i, k := range sel.Kinds {
			ks[i] = string(k)
		}
		what = strings.Join(ks, ",") + " events"
	}
	if sel.Match != "" {
		what += fmt.Sprintf(" matching %q", sel.Match)
	}
	switch {
	case sel.OlderThan != "" && sel.OlderThan != "0":
		what += " older than " + age
	case sel.Match == "":
		what += " (all ages)"
	}
	if sel.WithRequests {
		what += ", with their requests"
	}
	return what
}

// describeTally is "audit 2, request 3 (3 through --with-requests);
// recorded 2026-11-29T09:00:00Z to 2026-11-29T09:30:00Z".
func describeTally(t store.Tally) string {
	kinds := make([]string, 0, len(t.PerKind))
	for k := range t.PerKind {
		kinds = append(kinds, string(k))
	}
	slices.Sort(kinds)
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		parts[i] = fmt.Sprintf("%s %d", k, t.PerKind[event.Kind(k)])
	}
	out := strings.Join(parts, ", ")
	if t.Widened > 0 {
		out += fmt.Sprintf(" (%d through --with-requests)", t.Widened)
	}
	if !t.Oldest.IsZero() {
		out += fmt.Sprintf("; recorded %s to %s", t.Oldest.UTC().Format(time.RFC3339), t.Newest.UTC().Format(time.RFC3339))
	}
	return out
}
