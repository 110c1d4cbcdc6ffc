// Command bench runs beignet-devtools' side-by-side benchmarks in one process
// and prints a Markdown table of absolute figures and ratios against their
// baselines, with the machine's core count. With -load it also runs the load
// test: the demo app in its own process (bench/loadapp), driven from here,
// with consoles in processes of their own (see load.go). BENCHMARKS.md holds
// its latest output above a marker line; the sections below the marker are
// the packages' `go test -bench` figures, which -update keeps.
//
//	go run ./bench -runs 5 -load 60s -update BENCHMARKS.md
//	go run ./bench -runs 1 -only load -load 20s -app-cpuprofile app.prof
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"
)

func main() {
	runs := flag.Int("runs", 5, "runs of each benchmark; the table shows medians")
	only := flag.String("only", "", "comma-separated groups to run (request,redaction,store,fanout,e2e,purge,load); empty runs all")
	purgeN := flag.Int("purge-events", 1_000_000, "expired events to purge in the purge benchmark")
	load := flag.Duration("load", 0, "duration of the load test per configuration and round (rounds: -runs); 0 skips it")
	appProfile := flag.String("app-cpuprofile", "", "write a CPU profile of the load test's app process (recorder on, last round) to this file")
	appMemProfile := flag.String("app-memprofile", "", "write an allocation profile of the load test's app process (recorder on, last round) to this file")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	memProfile := flag.String("memprofile", "", "write an allocation profile of the whole run to this file")
	update := flag.String("update", "", "write the report into this Markdown file (BENCHMARKS.md) above its marker line, keeping the go test -bench sections below it, instead of printing it")
	flag.Parse()

	if *memProfile != "" {
		runtime.MemProfileRate = 4096
		defer func() {
			if err := writeHeapProfile(*memProfile); err != nil {
				fmt.Fprintln(os.Stderr, "bench:", err)
			}
		}()
	}

	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var out io.Writer = os.Stdout
	var report bytes.Buffer
	if *update != "" {
		out = &report
	}
	err := run(ctx, out, os.Stderr, config{runs: *runs, only: *only, purgeN: *purgeN, load: *load, appProfile: *appProfile, appMemProfile: *appMemProfile})
	if err == nil && *update != "" {
		err = updateReport(*update, report.Bytes())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		stop()
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

// keptMarker separates the harness's report from the sections that the
// packages' `go test -bench` runs write by hand; -update replaces only what
// is above it.
const keptMarker = "<!-- Below: figures from the packages' go test -bench runs, kept by `go run ./bench -update`. -->"

// updateReport writes report into the file at path above its marker line,
// keeping the marker and everything after it. A file without the marker
// is an error rather than overwritten: its hand-written sections would be
// lost.
func updateReport(path string, report []byte) error {
	old, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("update: %w", err)
	}
	merged, err := spliceReport(old, report)
	if err != nil {
		return fmt.Errorf("update %s: %w", path, err)
	}
	return os.WriteFile(path, merged, 0o644)
}

// spliceReport returns report followed by old's marker line and what
// follows it.
func spliceReport(old, report []byte) ([]byte, error) {
	i := bytes.Index(old, []byte(keptMarker))
	if i < 0 {
		return nil, fmt.Errorf("no marker line %q: add it above the sections to keep", keptMarker)
	}
	out := append(bytes.TrimRight(report, "\n"), "\n\n"...)
	return append(out, old[i:]...), nil
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

type config struct {
	runs   int
	only   string
	purgeN int
	load   time.Duration
	// appProfile is the load test's app CPU profile file (-app-cpuprofile).
	appProfile string
	// appMemProfile is its allocation profile file (-app-memprofile).
	appMemProfile string
}

func (c config) want(group string) bool {
	if c.only == "" {
		return true
	}
	for _, g := range strings.Split(c.only, ",") {
		if strings.TrimSpace(g) == group {
			return true
		}
	}
	return false
}

func run(ctx context.Context, out, progress io.Writer, cfg config) error {
	if cfg.runs < 1 {
		return fmt.Errorf("-runs must be at least 1")
	}
	r := &report{runs: cfg.runs, progress: progress}
	start := time.Now()
	groups := []struct {
		name string
		fn   func(context.Context, *report) error
	}{
		{"request", benchRequestCost},
		{"redaction", benchRedaction},
		{"store", benchStore},
		{"fanout", benchFanout},
		{"e2e", benchEndToEnd},
		{"purge", func(ctx context.Context, r *report) error { return benchPurge(ctx, r, cfg.purgeN) }},
	}
	for _, g := range groups {
		if !cfg.want(g.name) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		fmt.Fprintf(progress, "bench: %s ...\n", g.name)
		if err := g.fn(ctx, r); err != nil {
			return fmt.Errorf("%s: %w", g.name, err)
		}
	}
	var lr *loadReport
	if cfg.load > 0 && cfg.want("load") {
		fmt.Fprintf(progress, "bench: load, %s per configuration, %d round(s) ...\n", cfg.load, cfg.runs)
		var err error
		lr, err = runLoad(ctx, loadOptions{duration: cfg.load, rounds: cfg.runs, cpuProfile: cfg.appProfile, memProfile: cfg.appMemProfile}, progress)
		if err != nil {
			return fmt.Errorf("load: %w", err)
		}
	}
	fmt.Fprintf(out, "# Benchmarks\n\n")
	fmt.Fprintf(out, "Made by `go run ./bench -runs %d", cfg.runs)
	if cfg.only != "" {
		fmt.Fprintf(out, " -only %s", cfg.only)
	}
	if cfg.load > 0 {
		fmt.Fprintf(out, " -load %s", cfg.load)
	}
	fmt.Fprintf(out, "` on %s/%s, %d cores (GOMAXPROCS %d), %s, %s; took %s.\n",
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version(), time.Now().UTC().Format("2006-01-02"), time.Since(start).Round(time.Second))
	fmt.Fprintf(out, "Every figure is the median of %d runs in this one process; ratios divide medians. The machine is shared and noisy: read ratios, not third digits.\n\n", cfg.runs)
	r.write(out)
	if lr != nil {
		lr.write(out)
	}
	return nil
}
