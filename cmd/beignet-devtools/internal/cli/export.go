package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/beignet/devtools/store"
)

func newExportCmd(env *Env) *cobra.Command {
	var (
		t   target
		ts  tokenSource
		sf  selectionFlags
		out string
	)
	cmd := &cobra.Command{
		Use:   "export --db PATH | --url URL --match QUERY [--with-requests] [--older-than D] [--kind K] [-o FILE]",
		Short: "Write everything stored about one person or tenant as JSON lines (a data-subject access request)",
		Long: `export writes the events --match selects (the console's filter language:
actor:ada@example.com, tenant:acme, req:ID, free words; with --older-than
and --kind as in purge), and with --with-requests every event sharing a
requestId or traceId with those, as JSON lines: schema v1, oldest first,
each exactly as stored (so redacted as stored). The same selection given to
purge removes the same events.

The output goes to stdout, or to a new file (-o FILE, created 0600; an
existing file is not overwritten). A summary goes to stderr.

--db reads a file (read-only; a running app holds its store's lock: use
--url). --url goes through the app's devtools route (POST .../export, the
same token as the console), which records the export as an audit event of
the app.`,
		Example: `  beignet-devtools export --db .beignet/devtools.db --match actor:ada@example.com --with-requests -o ada.jsonl
  BEIGNET_DEVTOOLS_TOKEN=... beignet-devtools export --url https://staging.example.com --match tenant:acme > acme.jsonl`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := t.check(cmd); err != nil {
				return err
			}
			sel, err := sf.selection()
			if err != nil {
				return err
			}
			if sel.Match == "" {
				return usageErr("export needs --match QUERY (for example actor:ada@example.com); the console exports everything else")
			}
			w := env.Stdout
			var f *os.File
			if out != "" && out != "-" {
				if f, err = os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600); err != nil {
					if errors.Is(err, fs.ErrExist) {
						return usageErr("export: %s exists; choose another file or remove it", out)
					}
					return failErr("export: %w", err)
				}
				w = f
			}
			n, tally, err := runExport(cmd.Context(), env, &t, &ts, sel, w)
			if f != nil {
				if cerr := f.Close(); err == nil && cerr != nil {
					err = failErr("export: %w", cerr)
				}
				if err != nil {
					_ = os.Remove(out) // a partial export is not one
				}
			}
			if err != nil {
				return err
			}
			where := "stdout"
			if f != nil {
				where = out
			}
			msg := fmt.Sprintf("export: wrote %d events to %s", n, where)
			if n > 0 && tally != nil {
				msg += "\nexport:   " + describeTally(*tally)
			}
			fmt.Fprintln(env.Stderr, msg)
			return nil
		},
	}
	t.flags(cmd, "(read-only)")
	ts.flags(cmd)
	sf.flags(cmd, "export")
	cmd.Flags().StringVarP(&out, "output", "o", "", "write to this new file (0600) instead of stdout")
	_ = cmd.MarkFlagFilename("output")
	return cmd
}

// runExport writes the selection to w from the --db file or the --url
// route; the tally is known only for a file.
func runExport(ctx context.Context, env *Env, t *target, ts *tokenSource, sel store.Selection, w io.Writer) (int, *store.Tally, error) {
	if t.db != "" {
		s, err := store.Open(t.db, store.Options{ReadOnly: true, MaxAge: -1, MaxEvents: -1})
		if err != nil {
			return 0, nil, failErr("export: %w", storeHintFor(err, t.db, "export"))
		}
		defer s.Close()
		res, err := s.Export(ctx, sel, w, env.now())
		if errors.Is(err, store.ErrInvalid) {
			return 0, nil, usageErr("export: %w", err)
		}
		if err != nil {
			return 0, nil, failErr("export: %w", err)
		}
		return res.Exported, &res.Tally, nil
	}
	c, err := t.client(ctx, env, ts, "export")
	if err != nil {
		return 0, nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	n, err := c.Export(ctx, sel, w)
	if err != nil {
		return 0, nil, routeError("export", c, err)
	}
	return n, nil, nil
}
