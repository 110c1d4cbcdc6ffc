package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/spf13/cobra"

	"github.com/beignet/devtools/cmd/beignet-devtools/internal/secretscan"
	"github.com/beignet/devtools/event"
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
missed: cloud, SaaS and VCS key formats, JWTs, private keys, bearer and basic
credentials, passwords in URLs, and unredacted values under secret-named keys
(password, token, secret, api key, authorization, cookie), also inside JSON
and form bodies and query strings. Its rules are its own, independent of the
app's redaction settings.

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
				ep, tok, derr := t.dial(env, &ts)
				if derr != nil {
					return derr
				}
				err = scanURL(cmd.Context(), ep.Base+"/events", tok, visit)
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
func scanURL(ctx context.Context, eventsURL, token string, visit func([]byte)) error {
	client := &http.Client{Timeout: 30 * time.Second}
	before := ""
	for {
		u := eventsURL + "?limit=1000"
		if before != "" {
			u += "&before=" + url.QueryEscape(before)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return usageErr("scan: %w", err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			return failErr("scan: cannot reach %s: %w", eventsURL, unwrapURLError(err))
		}
		b, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
		resp.Body.Close()
		if err != nil {
			return failErr("scan: read: %w", err)
		}
		switch {
		case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
			return failErr("scan: the devtools route refused the token (HTTP %d); check --token-file or $%s", resp.StatusCode, TokenEnv)
		case resp.StatusCode == http.StatusNotFound:
			return failErr("scan: nothing serves devtools at %s (HTTP 404): %s", eventsURL, noRouteHint)
		case resp.StatusCode != http.StatusOK:
			return failErr("scan: the app answered HTTP %d", resp.StatusCode)
		}
		var page struct {
			Events []json.RawMessage `json:"events"`
			Next   string            `json:"next"`
		}
		if err := json.Unmarshal(b, &page); err != nil {
			return failErr("scan: unexpected answer from the app: %w", err)
		}
		for _, e := range page.Events {
			visit(e)
		}
		if page.Next == "" || len(page.Events) == 0 {
			return nil
		}
		before = page.Next
	}
}
