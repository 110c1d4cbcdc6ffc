// Command demo runs the beignet-devtools demo app alone: a notes API with the
// recorder embedded, on a free loopback port, with a fresh devtools token.
//
//	go run ./demo                 # the app only; drive it yourself with curl
//	go run ./demo -traffic 5      # plus generated traffic, 5 requests/second
//
// It prints the app URL, the devtools URL and the token, then runs until
// interrupted. Attach a console from another terminal with the printed
// command. `go run ./cmd/beignet-devtools demo` does all of this in one step.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/beignet/devtools/demo/app"
	"github.com/beignet/devtools/demo/traffic"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

// run serves until ctx ends.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:0", "loopback address to listen on")
	db := fs.String("db", "", "store file (default: a new temporary directory, removed on exit)")
	rate := fs.Float64("traffic", 0, "also generate traffic at this many requests per second (0: none)")
	verbose := fs.Bool("v", false, "print the app's own logs to stderr")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var logger *slog.Logger
	if *verbose {
		logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	srv, err := app.Start(app.Options{StorePath: *db, Logger: logger}, *addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "url=%s\ntoken=%s\napp=%s\ndb=%s\n", srv.DevtoolsURL, srv.App.Token(), srv.URL, srv.App.StorePath())
	fmt.Fprintf(stderr, "\nnotes demo listening on %s (devtools at %s)\n", srv.URL, srv.DevtoolsURL)
	fmt.Fprintf(stderr, "attach a console in another terminal:\n  BEIGNET_DEVTOOLS_TOKEN=%s go run ./cmd/beignet-devtools console --url %s\n", srv.App.Token(), srv.DevtoolsURL)
	fmt.Fprintf(stderr, "try: curl -s -X POST -d 'email=ada@example.com' -d 'password=%s' -c /tmp/cj %s/signin\n", app.DemoPassword, srv.URL)
	fmt.Fprintln(stderr, "press Ctrl-C to stop")

	var trafficDone chan struct{}
	if *rate > 0 {
		trafficDone = make(chan struct{})
		go func() {
			defer close(trafficDone)
			_, _ = traffic.Run(ctx, traffic.Options{BaseURL: srv.URL, Rate: *rate})
		}()
	}
	<-ctx.Done()
	if trafficDone != nil {
		<-trafficDone
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}
