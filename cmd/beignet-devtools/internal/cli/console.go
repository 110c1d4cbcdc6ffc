package cli

import (
	"github.com/spf13/cobra"

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

With --db it reads a store file offline (the app must not hold its lock).`,
		Example: `  BEIGNET_DEVTOOLS_TOKEN=... beignet-devtools console --url http://127.0.0.1:8080
  beignet-devtools console --url https://staging.example.com/api/devtools --token-file ~/.staging-token
  beignet-devtools console --url https://staging.example.com --token-file ~/.t --auth-header X-Devtools-Token
  beignet-devtools console --db .beignet/devtools.db --filter 'status:>=500'`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := t.check(cmd); err != nil {
				return err
			}
			if !env.StdoutTerminal {
				return usageErr("the console needs a terminal; use tail for pipes")
			}
			var src tui.Source
			if t.url != "" {
				c, err := t.client(cmd.Context(), env, &ts, "console")
				if err != nil {
					return err
				}
				src = tui.NewLiveSource(c.StreamOptions(stream.ClientOptions{}))
			} else {
				s, err := tui.NewOfflineSource(t.db)
				if err != nil {
					return failErr("console: %w", storeHint(err, t.db))
				}
				src = s
			}
			if err := tui.Run(cmd.Context(), tui.Options{Source: src, Filter: filter, NoColor: env.getenv("NO_COLOR") != ""}); err != nil {
				return failErr("console: %w", err)
			}
			return nil
		},
	}
	t.flags(cmd, "to read offline")
	ts.flags(cmd)
	cmd.Flags().StringVar(&filter, "filter", "", "initial filter query, e.g. 'kind:request status:>=500'")
	return cmd
}
