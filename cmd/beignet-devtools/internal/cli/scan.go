package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/beignet/devtools/cmd/beignet-devtools/internal/secretscan"
	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/internal/apiclient"
	"github.com/beignet/devtools/store"
)

func newScanCmd(env *Env) *cobra.Command {
	var (
		t     target
		ts    tokenSource
		jsonl bool
	)
	cmd := &cobra.Command{
		Use:   "scan --db PATH | --url URL",
		Short: "Audit stored events for secrets that slipped past redaction",
		Long: `scan reads every stored event and reports secret-shaped values that redaction
missed: cloud, SaaS and VCS token formats, JWTs, private keys, bearer and basic
credentials, passwords in URLs and command lines, and unredacted values under
secret-named keys (password, token, secret, api key, authorization, cookie),
also inside JSON and form bodies and query strings. It audits with this
build's redaction rule table (the defaults, whatever options the app used), so
a store written before a rule existed is checked with it; findings carry the
rule's ID.

It prints the event ID, the field path and the rule of each finding, never
the value, and exits 1 when it finds any.`,
		Example: `  beignet-devtools scan --db .beignet/devtools.db
  BEIGNET_DEVTOOLS_TOKEN=... beignet-devtools scan --url http://127.0.0.1:8080 --json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := t.check(cmd); err != nil {
				return err
			}
			sc := secretscan.New()
			var findings []secretscan.Finding
			scanned, flagged := 0, 0
			visit := func(raw []byte) {
				scanned++
				fs, err := sc.Event(raw)
				if err != nil {
					return
				}
				if len(fs) > 0 {
					flagged++
				}
				findings = append(findings, fs...)
			}
			var err error
			if t.db != "" {
				err = scanDB(t.db, visit)
			} else {
				c, cerr := t.client(cmd.Context(), env, &ts, "scan")
				if cerr != nil {
					return cerr
				}
				err = scanURL(cmd.Context(), c, visit)
			}
			if err != nil {
				return err
			}
			enc := json.NewEncoder(env.Stdout)
			for _, f := range findings {
				if jsonl {
					_ = enc.Encode(f)
				} else {
					fmt.Fprintln(env.Stdout, f.String())
				}
			}
			if !jsonl {
				fmt.Fprintf(env.Stderr, "scan: %d finding(s) in %d of %d events\n", len(findings), flagged, scanned)
			}
			if len(findings) > 0 {
				return silentFail()
			}
			return nil
		},
	}
	t.flags(cmd, "to scan (the app must not hold its lock)")
	ts.flags(cmd)
	cmd.Flags().BoolVar(&jsonl, "json", false, "print findings as JSON lines")
	return cmd
}

func scanDB(path string, visit func([]byte)) error {
	s, err := store.Open(path, store.Options{ReadOnly: true, MaxAge: -1, MaxEvents: -1})
	if err != nil {
		return failErr("scan: %w", storeHint(err, path))
	}
	defer s.Close()
	after := event.IDFromTime(time.Time{})
	for {
		ids, encs, err := s.SinceEncoded(after, 1000)
		if err != nil {
			return failErr("scan: %w", err)
		}
		if len(ids) == 0 {
			return nil
		}
		for _, b := range encs {
			visit(b)
		}
		after = ids[len(ids)-1]
	}
}

// scanURL pages through GET {base}/events, newest first.
func scanURL(ctx context.Context, c *apiclient.Client, visit func([]byte)) error {
	q := apiclient.Query{Limit: 1000}
	for {
		page, err := c.Events(ctx, q)
		if err != nil {
			return routeError("scan", c, err)
		}
		for _, e := range page.Events {
			visit(e)
		}
		if page.Next.IsZero() || len(page.Events) == 0 {
			return nil
		}
		q.Before = page.Next
	}
}
