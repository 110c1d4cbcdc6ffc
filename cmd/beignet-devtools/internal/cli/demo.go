package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
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
		headless  bool
		rate      float64
		db        string
		addr      string
		verbose   bool
		instances int
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

and runs until interrupted (SIGINT or SIGTERM).

With --instances N it starts N instances of the app, as a staging fleet
behind a load balancer would run them: each on its own port with its own
store, all behind the one token, the traffic split over them, and opens the
console on all of them at once. --headless then prints one url= line per
instance, one token= line, and an app= and db= line per instance.

With OTEL_EXPORTER_OTLP_ENDPOINT (or the _TRACES_/_LOGS_ variants) set, the
app also sends its redacted events to that OpenTelemetry Collector over
OTLP/HTTP: requests and provider calls as spans, the rest as log records.`,
		Example: `  beignet-devtools demo
  beignet-devtools demo --rate 50
  beignet-devtools demo --instances 3

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
			if instances < 1 || instances > 16 {
				return usageErr("--instances must be between 1 and 16")
			}
			return runDemo(cmd.Context(), env, demoConfig{instances: instances, headless: headless, rate: rate, db: db, addr: addr, verbose: verbose})
		},
	}
	f := cmd.Flags()
	f.BoolVar(&headless, "headless", false, "print url=, token=, app= and db= lines instead of opening the console")
	f.Float64Var(&rate, "rate", 5, "traffic in requests per second (0: no traffic)")
	f.StringVar(&db, "db", "", "store file (default: a new temporary folder, removed on exit)")
	f.StringVar(&addr, "addr", "127.0.0.1:0", "loopback address to listen on")
	f.BoolVarP(&verbose, "verbose", "v", false, "with --headless, print the app's logs to stderr")
	f.IntVar(&instances, "instances", 1, "start this many app instances (own ports and stores, one token) and open the console on all of them")
	_ = cmd.MarkFlagFilename("db", "db")
	return cmd
}

type demoConfig struct {
	instances int
	headless  bool
	rate      float64
	db        string
	addr      string
	verbose   bool
}

func runDemo(ctx context.Context, env *Env, cfg demoConfig) error {
	var logger *slog.Logger
	if cfg.headless && cfg.verbose {
		logger = slog.New(slog.NewTextHandler(env.Stderr, nil))
	}
	exporters, stopExport, err := demoExporters(ctx, env.Stderr)
	if err != nil {
		return err
	}
	defer stopExport() // after the apps' Close (shutdown) handed them everything
	srvs, err := startInstances(cfg, app.Options{Logger: logger, Exporters: exporters})
	if errors.Is(err, store.ErrLocked) {
		return failErr("demo: %w: %s is held by another process (a running app or demo); stop it, or pass another --db", store.ErrLocked, cfg.db)
	}
	if err != nil {
		return failErr("demo: %w", err)
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()

	// The traffic is split over the instances, as a load balancer would.
	var wg sync.WaitGroup
	sent := make([]traffic.Stats, len(srvs))
	if cfg.rate > 0 {
		for i, srv := range srvs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sent[i], _ = traffic.Run(runCtx, traffic.Options{BaseURL: srv.URL, Rate: cfg.rate / float64(len(srvs))})
			}()
		}
	}
	shutdown := func() error {
		stop()
		wg.Wait()
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		var errs []error
		for _, srv := range srvs {
			errs = append(errs, srv.Shutdown(sctx))
		}
		if err := errors.Join(errs...); err != nil {
			return failErr("demo: %w", err)
		}
		return nil
	}

	token := srvs[0].App.Token()
	if cfg.headless {
		var consoleArgs strings.Builder
		for _, srv := range srvs {
			fmt.Fprintf(env.Stdout, "url=%s\n", srv.DevtoolsURL)
			fmt.Fprintf(&consoleArgs, " --url %s", srv.DevtoolsURL)
		}
		fmt.Fprintf(env.Stdout, "token=%s\n", token)
		for _, srv := range srvs {
			fmt.Fprintf(env.Stdout, "app=%s\ndb=%s\n", srv.URL, srv.App.StorePath())
		}
		fmt.Fprintf(env.Stderr, "demo: %s, traffic at %g req/s; stop with Ctrl-C\n", describeInstances(srvs), cfg.rate)
		fmt.Fprintf(env.Stderr, "demo: console in another terminal:\n  BEIGNET_DEVTOOLS_TOKEN=%s beignet-devtools console%s\n", token, consoleArgs.String())
		<-ctx.Done()
		return shutdown()
	}

	srcs := make([]tui.Source, len(srvs))
	for i, srv := range srvs {
		srcs[i] = tui.NewLiveSource(stream.ClientOptions{URL: srv.DevtoolsURL + "/ws", Token: token, FillGaps: true})
	}
	runErr := tui.Run(runCtx, tui.Options{Sources: srcs, NoColor: env.getenv("NO_COLOR") != ""})
	if err := shutdown(); err != nil {
		return err
	}
	where := "removed"
	if cfg.db != "" {
		where = "kept at " + srvs[0].App.StorePath()
		if len(srvs) > 1 {
			where = "kept at " + filepath.Dir(srvs[0].App.StorePath())
		}
	}
	var total uint64
	for _, st := range sent {
		total += st.Requests
	}
	fmt.Fprintf(env.Stderr, "demo: stopped after %d requests; the store was %s\n", total, where)
	if runErr != nil {
		return failErr("demo: console: %w", runErr)
	}
	return nil
}

// startInstances starts cfg.instances demo apps from base, each on its own
// loopback port with its own store and the one token. With more than one,
// instance i is named notes-i, and --db FILE becomes FILE-i per instance
// (devtools.db: devtools-1.db, devtools-2.db ...). If one fails to start,
// those already started are shut down.
func startInstances(cfg demoConfig, base app.Options) ([]*app.Server, error) {
	n := max(cfg.instances, 1)
	var srvs []*app.Server
	for i := range n {
		opts := base
		opts.StorePath, opts.StoreRequired = cfg.db, cfg.db != ""
		addr := cfg.addr
		if n > 1 {
			opts.Instance = fmt.Sprintf("notes-%d", i+1)
			if cfg.db != "" {
				ext := filepath.Ext(cfg.db)
				opts.StorePath = fmt.Sprintf("%s-%d%s", strings.TrimSuffix(cfg.db, ext), i+1, ext)
			}
			if i > 0 {
				addr = "127.0.0.1:0" // --addr is the first instance's
			}
		}
		if i > 0 {
			opts.Token = srvs[0].App.Token()
		}
		srv, err := app.Start(opts, addr)
		if err != nil {
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			for _, s := range srvs {
				_ = s.Shutdown(sctx)
			}
			return nil, err
		}
		srvs = append(srvs, srv)
	}
	return srvs, nil
}

func describeInstances(srvs []*app.Server) string {
	if len(srvs) == 1 {
		return "notes app on " + srvs[0].URL
	}
	urls := make([]string, len(srvs))
	for i, s := range srvs {
		urls[i] = s.URL
	}
	return fmt.Sprintf("%d notes app instances on %s", len(srvs), strings.Join(urls, ", "))
}
