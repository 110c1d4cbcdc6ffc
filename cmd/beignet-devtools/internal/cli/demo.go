package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/beignet/devtools/demo/app"
	"github.com/beignet/devtools/demo/traffic"
	"github.com/beignet/devtools/store"
	"github.com/beignet/devtools/stream"
	"github.com/beignet/devtools/tui"
)

func newDemoCmd(env *Env) *cobra.Command {
	var (
		headless bool
		rate     float64
		db       string
		addr     string
		verbose  bool
	)
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the demo app with traffic and open the live console on it",
		Long: `demo starts a small notes app with the recorder embedded, on a free loopback
port, with the devtools route enabled behind a freshly generated token and a
store in a new temporary folder (removed on exit; --db keeps it elsewhere:
a file there that is not a store, or that another process holds, stops the
demo with the store's error and is left as it was). It
drives the app with realistic traffic, secrets included, and opens the console
on it, so you can watch requests, provider calls, audit records, logs and
errors arrive, correlated and redacted.

With --headless it prints where to connect instead, one key=value per line on
stdout (stable, for scripts):

  url=http://127.0.0.1:PORT/api/devtools
  token=<64 hex characters>
  app=http://127.0.0.1:PORT
  db=/path/to/devtools.db

and runs until interrupted (SIGINT or SIGTERM).`,
		Example: `  beignet-devtools demo
  beignet-devtools demo --rate 50

  # console in another terminal
  beignet-devtools demo --headless > demo.env &
  BEIGNET_DEVTOOLS_TOKEN=$(sed -n 's/^token=//p' demo.env) \
    beignet-devtools console --url "$(sed -n 's/^url=//p' demo.env)"`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if rate < 0 || rate > 1000 {
				return usageErr("--rate must be between 0 and 1000 requests per second")
			}
			if !headless && !env.StdoutTerminal {
				return usageErr("the console needs a terminal; use --headless to print the URL and token instead")
			}
			return runDemo(cmd.Context(), env, demoConfig{headless: headless, rate: rate, db: db, addr: addr, verbose: verbose})
		},
	}
	f := cmd.Flags()
	f.BoolVar(&headless, "headless", false, "print url=, token=, app= and db= lines instead of opening the console")
	f.Float64Var(&rate, "rate", 5, "traffic in requests per second (0: no traffic)")
	f.StringVar(&db, "db", "", "store file (default: a new temporary folder, removed on exit)")
	f.StringVar(&addr, "addr", "127.0.0.1:0", "loopback address to listen on")
	f.BoolVarP(&verbose, "verbose", "v", false, "with --headless, print the app's logs to stderr")
	_ = cmd.MarkFlagFilename("db", "db")
	return cmd
}

type demoConfig struct {
	headless bool
	rate     float64
	db       string
	addr     string
	verbose  bool
}

func runDemo(ctx context.Context, env *Env, cfg demoConfig) error {
	var logger *slog.Logger
	if cfg.headless && cfg.verbose {
		logger = slog.New(slog.NewTextHandler(env.Stderr, nil))
	}
	srv, err := app.Start(app.Options{StorePath: cfg.db, StoreRequired: cfg.db != "", Logger: logger}, cfg.addr)
	if errors.Is(err, store.ErrLocked) {
		return failErr("demo: %w: %s is held by another process (a running app or demo); stop it, or pass another --db", store.ErrLocked, cfg.db)
	}
	if err != nil {
		return failErr("demo: %w", err)
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()

	var wg sync.WaitGroup
	var sent traffic.Stats
	if cfg.rate > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sent, _ = traffic.Run(runCtx, traffic.Options{BaseURL: srv.URL, Rate: cfg.rate})
		}()
	}
	shutdown := func() error {
		stop()
		wg.Wait()
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			return failErr("demo: %w", err)
		}
		return nil
	}

	token := srv.App.Token()
	if cfg.headless {
		fmt.Fprintf(env.Stdout, "url=%s\ntoken=%s\napp=%s\ndb=%s\n", srv.DevtoolsURL, token, srv.URL, srv.App.StorePath())
		fmt.Fprintf(env.Stderr, "demo: notes app on %s, traffic at %g req/s; stop with Ctrl-C\n", srv.URL, cfg.rate)
		fmt.Fprintf(env.Stderr, "demo: console in another terminal:\n  BEIGNET_DEVTOOLS_TOKEN=%s beignet-devtools console --url %s\n", token, srv.DevtoolsURL)
		<-ctx.Done()
		return shutdown()
	}

	src := tui.NewLiveSource(stream.ClientOptions{URL: srv.DevtoolsURL + "/ws", Token: token})
	runErr := tui.Run(runCtx, tui.Options{Source: src, NoColor: env.getenv("NO_COLOR") != ""})
	if err := shutdown(); err != nil {
		return err
	}
	where := "removed"
	if cfg.db != "" {
		where = "kept at " + srv.App.StorePath()
	}
	fmt.Fprintf(env.Stderr, "demo: stopped after %d requests; the store was %s\n", sent.Requests, where)
	if runErr != nil {
		return failErr("demo: console: %w", runErr)
	}
	return nil
}
