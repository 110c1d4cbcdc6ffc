package cli

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/beignet/devtools/internal/apiclient"
	"github.com/beignet/devtools/stream"
	"github.com/beignet/devtools/tui"
)

func newConsoleCmd(env *Env) *cobra.Command {
	var (
		t      target
		ts     tokenSource
		filter string
	)
	cmd := &cobra.Command{
		Use:   "console --url URL | --db PATH",
		Short: "Open the live console on a running app, or on a store file",
		Long: `console opens the terminal console: a live table of events with a detail pane
(headers, bodies, correlated events as a waterfall, raw JSON), a filter
language, pause, export and help (press ? inside).

With --url it follows a running app's devtools route over an authorized
websocket, resuming after drops. The token comes from --token-file, from
$BEIGNET_DEVTOOLS_TOKEN, or from a prompt without echo; it is sent as
Authorization: Bearer, or in the header --auth-header names (for an app
whose Authorize reads, say, X-Devtools-Token). A development route without
Authorize serves loopback clients without a token: none is asked for.

With --url given more than once, or with --each-address (every address the
host resolves to: a Kubernetes headless Service, a DNS round-robin name), it
follows every instance at once: their events merge by time into one list,
each row names its instance (filter with instance:NAME), the status bar shows
each instance's state, and one instance that is down or refuses never stops
the others. All instances share the one token.

With --db it reads a store file offline (the app must not hold its lock).`,
		Example: `  BEIGNET_DEVTOOLS_TOKEN=... beignet-devtools console --url http://127.0.0.1:8080
  beignet-devtools console --url https://staging.example.com/api/devtools --token-file ~/.staging-token
  beignet-devtools console --url https://staging.example.com --token-file ~/.t --auth-header X-Devtools-Token
  beignet-devtools console --url https://a.staging.example.com --url https://b.staging.example.com --token-file ~/.t
  beignet-devtools console --url http://devtools.staging.svc:8080 --each-address --token-file ~/.t
  beignet-devtools console --db .beignet/devtools.db --filter 'status:>=500'`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := t.check(cmd); err != nil {
				return err
			}
			if !env.StdoutTerminal {
				return usageErr("the console needs a terminal; use tail for pipes")
			}
			var srcs []tui.Source
			var apis []*apiclient.Client
			if len(t.urls) > 0 {
				cs, err := t.clients(cmd.Context(), env, &ts, "console")
				if err != nil {
					return err
				}
				apis = cs
				for _, c := range cs {
					srcs = append(srcs, tui.NewLiveSource(c.StreamOptions(stream.ClientOptions{FillGaps: true})))
				}
			} else {
				s, err := tui.NewOfflineSource(t.db)
				if err != nil {
					return failErr("console: %w", storeHint(err, t.db))
				}
				srcs = append(srcs, s)
			}
			if err := tui.Run(cmd.Context(), tui.Options{Sources: srcs, Filter: filter, NoColor: env.getenv("NO_COLOR") != ""}); err != nil {
				if len(apis) == 1 && (errors.Is(err, stream.ErrUnauthorized) || errors.Is(err, stream.ErrOriginRefused) || errors.Is(err, stream.ErrNotFound)) {
					// The same words as the other commands: where the
					// token went and how to send it elsewhere.
					return routeError("console", apis[0], err)
				}
				return failErr("console: %w", err)
			}
			return nil
		},
	}
	t.flags(cmd, "to read offline")
	t.fleetFlags(cmd)
	ts.flags(cmd)
	cmd.Flags().StringVar(&filter, "filter", "", "initial filter query, e.g. 'kind:request status:>=500'")
	return cmd
}
