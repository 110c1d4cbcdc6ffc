// Command loadapp runs the demo app alone in its own process for the bench
// harness's load test (go run ./bench -only load -load 20s): the app,
// the load generator and the consoles each in a process of their own, so
// that the app's CPU and memory can be read from /proc without the others'.
//
// It prints "url=", "devtools=", "token=" and "pid=" lines, then "ready",
// on stdout, and then answers commands read from stdin, one per line:
//
//	mem     one JSON line of the process's runtime.MemStats counters (memStats)
//	quit    shut down (also on end of input, SIGINT or SIGTERM)
//
// It is not part of the product: it exists so that the harness builds the
// real demo app once and runs it the way an app runs.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/beignet/devtools/demo/app"
	"github.com/beignet/devtools/store"
)

// memStats is what the mem command prints: counters the harness subtracts
// over its measurement window.
type memStats struct {
	NumGC      uint32 `json:"numGC"`
	TotalAlloc uint64 `json:"totalAlloc"`
	Mallocs    uint64 `json:"mallocs"`
	HeapAlloc  uint64 `json:"heapAlloc"`
	HeapSys    uint64 `json:"heapSys"`
	Sys        uint64 `json:"sys"`
	PauseNs    uint64 `json:"pauseTotalNs"`
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadapp:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("loadapp", flag.ContinueOnError)
	recorderOn := fs.Bool("recorder", true, "record (false: the recorder is off, as in production)")
	db := fs.String("db", "", "store file (default: a temporary one, removed on exit)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the process to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return err
		}
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	srv, err := app.Start(app.Options{
		StorePath:       *db,
		StoreOptions:    store.Options{}, // defaults: fsync per batch, 24h / 100k events
		SlowDelay:       time.Millisecond,
		DisableRecorder: !*recorderOn,
	}, "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	fmt.Fprintf(stdout, "url=%s\ndevtools=%s\ntoken=%s\npid=%d\nready\n", srv.URL, srv.DevtoolsURL, srv.App.Token(), os.Getpid())

	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdin)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case line, ok := <-lines:
			if !ok || line == "quit" {
				return nil
			}
			if line == "mem" {
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				b, _ := json.Marshal(memStats{ms.NumGC, ms.TotalAlloc, ms.Mallocs, ms.HeapAlloc, ms.HeapSys, ms.Sys, ms.PauseTotalNs})
				fmt.Fprintf(stdout, "%s\n", b)
			}
		}
	}
}
