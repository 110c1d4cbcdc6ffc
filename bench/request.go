package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strings"
	"testing"
	"time"

	"github.com/beignet/devtools/internal/benchbase"
	"github.com/beignet/devtools/recorder"
	"github.com/beignet/devtools/store"
)

// burst is how many requests serveLoop serves between two pauses.
const burst = 256

// serveLoop is the benchmark body shared by every variant, so that they
// differ only in the handler. It serves bursts of requests and, between
// them, stops the clock and calls settle (when set): the recorder variants
// wait there for the pipeline to take its queue, so every request is
// recorded and its record makes the real round trip (a dropped request
// costs less and would flatter the figure). Every variant pauses alike.
//
// It also reports the serving goroutine's own CPU time per request
// ("goroutine-cpu-ns/op", see threadCPU): what the middleware costs the
// request goroutine, apart from the CPU the recorder's pipeline takes from
// a 2-core machine while it works.
func serveLoop(h http.Handler, body []byte, settle func()) func(b *testing.B) {
	return func(b *testing.B) {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		q := benchbase.NewRequest(body)
		var cpu time.Duration
		c0, cpuOK := threadCPU()
		b.ReportAllocs()
		b.ResetTimer()
		gc0 := gcCycles()
		for i := 0; i < b.N; i++ {
			if i%burst == burst-1 {
				// Thread CPU is read inside the timed span: Stop and
				// StartTimer read memory statistics (a stop-the-world)
				// on this thread.
				c1, _ := threadCPU()
				cpu += c1 - c0
				b.StopTimer()
				if settle != nil {
					settle()
				}
				b.StartTimer()
				c0, _ = threadCPU()
			}
			q.Serve(h)
		}
		c1, _ := threadCPU()
		b.StopTimer()
		// Cycles over the whole run, pauses included: the collections the
		// variant's garbage (the recorder's pipeline's too) set off.
		b.ReportMetric(float64(gcCycles()-gc0)*1e6/float64(b.N), "gc-cycles/Mreq")
		if cpuOK {
			cpu += c1 - c0
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "goroutine-cpu-ns/op")
		}
	}
}

// gcCycles returns how many garbage collections have completed.
func gcCycles() uint64 {
	s := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// queueTaken returns a settle function that waits until rec's queue is
// empty: the pipeline has taken the burst and works on it, on the other
// core, while the next burst is served.
func queueTaken(rec *recorder.Recorder) func() {
	return func() {
		for rec.Stats().Queued > 0 {
			time.Sleep(20 * time.Microsecond)
		}
	}
}

// pipelineIdle returns a settle function that waits until rec's pipeline
// has stored and published everything: the next burst is served while the
// pipeline rests (it takes the burst's first event at once, then lingers),
// as the baselines are served with the other core at rest.
func pipelineIdle(ctx context.Context, rec *recorder.Recorder) func() {
	return func() {
		fctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		_ = rec.Flush(fctx)
	}
}

func newBenchRecorder(dir string, enabled bool) (*recorder.Recorder, error) {
	on := enabled
	return recorder.New(recorder.Config{
		App:          "bench",
		Env:          "development",
		Enabled:      &on,
		StorePath:    filepath.Join(dir, "devtools.db"),
		StoreOptions: store.Options{NoSync: true},
	})
}

func benchRequestCost(ctx context.Context, r *report) error {
	dir, err := os.MkdirTemp("", "beignet-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	recOn, err := newBenchRecorder(filepath.Join(dir, "on"), true)
	if err != nil {
		return err
	}
	defer recOn.Close(context.Background())
	// The body variant records into a store of its own: in the shared one,
	// the no-body variants' retention would delete (and rewrite the pages
	// of) its 3 KB events, work that a store of small events never does.
	recBodyOn, err := newBenchRecorder(filepath.Join(dir, "body"), true)
	if err != nil {
		return err
	}
	defer recBodyOn.Close(context.Background())
	recOff, err := newBenchRecorder(filepath.Join(dir, "off"), false)
	if err != nil {
		return err
	}
	defer recOff.Close(context.Background())

	h := benchbase.NoteHandler()
	logger := slog.New(slog.NewJSONHandler(io.Discard, nil))
	body := benchbase.JSONBody(2048)

	// settle, after each recorder run (off the clock), lets the pipeline
	// finish what it still has, so that its work does not land on the next
	// variant's clock.
	settle := func(rec *recorder.Recorder) func() {
		return func() {
			fctx, cancel := context.WithTimeout(ctx, time.Minute)
			defer cancel()
			if err := rec.Flush(fctx); err != nil {
				fmt.Fprintf(r.progress, "bench:   recorder flush: %v\n", err)
			}
		}
	}
	taken, idle := queueTaken(recOn), pipelineIdle(ctx, recOn)
	ms := r.interleave(
		benchCase{name: "request/bare", fn: serveLoop(h, nil, nil)},
		benchCase{name: "request/status-middleware", fn: serveLoop(benchbase.StatusMiddleware(h), nil, nil)},
		benchCase{name: "request/slog-json-middleware", fn: serveLoop(benchbase.SlogMiddleware(logger, h), nil, nil)},
		benchCase{name: "request/recorder", fn: serveLoop(recOn.Middleware(h), nil, taken), after: settle(recOn)},
		benchCase{name: "request/recorder-off", fn: serveLoop(recOff.Middleware(h), nil, nil)},
		benchCase{name: "request/bare-2KiB-body", fn: serveLoop(h, body, nil)},
		benchCase{name: "request/slog-2KiB-body", fn: serveLoop(benchbase.SlogMiddleware(logger, h), body, nil)},
		benchCase{name: "request/recorder-2KiB-body", fn: serveLoop(recBodyOn.Middleware(h), body, queueTaken(recBodyOn)), after: settle(recBodyOn)},
		benchCase{name: "request/recorder-pipeline-resting", fn: serveLoop(recOn.Middleware(h), nil, idle), after: settle(recOn)},
	)
	bare, status, slogged, rec, off, bareBody, slogBody, recBody := ms[0], ms[1], ms[2], ms[3], ms[4], ms[5], ms[6], ms[7]
	recResting := ms[8]
	st, stBody := recOn.Stats(), recBodyOn.Stats()

	// Two clocks: the serving goroutine's own CPU time (what the
	// middleware costs the request), and wall time (which adds what the
	// recorder's pipeline, working at the same time, takes from a machine
	// with few cores).
	const cpuMetric = "goroutine-cpu-ns/op"
	cpuOf := func(m *measurement) float64 { return median(m.extra[cpuMetric]) }
	wallOf := func(m *measurement) float64 { return median(m.nsPerOp) }
	allocs := func(m *measurement) string {
		return fmt.Sprintf("%.0f allocs, %.0f B", median(m.allocs), median(m.bytes))
	}
	var rows []row
	clocks := []struct {
		name string
		of   func(*measurement) float64
	}{{"request goroutine CPU", cpuOf}, {"wall time", wallOf}}
	if len(bare.extra[cpuMetric]) == 0 {
		clocks = clocks[1:] // no per-thread CPU time on this system
	}
	for _, c := range clocks {
		base, baseBody := c.of(bare), c.of(bareBody)
		added := func(m *measurement) float64 { return c.of(m) - base }
		addedBody := func(m *measurement) float64 { return c.of(m) - baseBody }
		target := "≤ 1× slog"
		if c.name == "wall time" && len(clocks) == 2 {
			target = "reported"
		}
		rows = append(rows,
			row{c.name + ": bare handler", fmtNs(base), "", "", ""},
			row{c.name + ": added by status-capturing middleware", fmtNs(added(status)), "", "", "floor"},
			row{c.name + ": added by slog JSON request log", fmtNs(added(slogged)), "", "", ""},
			row{c.name + ": added by recorder (no body)", fmtNs(added(rec)), fmtNs(added(slogged)) + " (slog)", ratio(added(rec), added(slogged)), target},
			row{c.name + ": recorder off (production), whole request", fmtNs(c.of(off)), fmtNs(base) + " (bare)", ratio(c.of(off), base), "≈ 1× (next itself)"},
			row{c.name + ": added by recorder, 2 KiB JSON body", fmtNs(addedBody(recBody)), fmtNs(addedBody(slogBody)) + " (slog)", ratio(addedBody(recBody), addedBody(slogBody)), "reported"},
			row{c.name + ": added by recorder (no body), pipeline resting during the burst", fmtNs(added(recResting)), fmtNs(added(slogged)) + " (slog)", ratio(added(recResting), added(slogged)), "reported"},
		)
		if c.name == "request goroutine CPU" {
			rows = append(rows, row{c.name + ": recorder (no body) ÷ slog, added costs paired within each round", spread(pairedRatios(rec.extra[cpuMetric], slogged.extra[cpuMetric], bare.extra[cpuMetric])), "", "", "reported"})
		}
	}
	cycles := func(m *measurement) string { return fmt.Sprintf("%.0f", median(m.extra["gc-cycles/Mreq"])) }
	rows = append(rows,
		row{"collections per million requests: bare / slog / recorder / recorder, pipeline resting", cycles(bare) + " / " + cycles(slogged) + " / " + cycles(rec) + " / " + cycles(recResting), "", "", "reported"},
		row{"allocations: bare / status / slog", allocs(bare) + " / " + allocs(status) + " / " + allocs(slogged), "", "", ""},
		row{"allocations: recorder / off / 2 KiB body", allocs(rec) + " / " + allocs(off) + " / " + allocs(recBody), "", "", ""},
	)
	r.add(section{
		title: "Request cost (per request, on the request goroutine)",
		note: strings.Join([]string{
			"A notes handler (`GET /notes/{id}` behind `http.ServeMux`, small JSON response) called directly with a discarding ResponseWriter that is cleared, not reallocated, between requests (`internal/benchbase`, the baseline `go test -bench Middleware ./recorder` uses too), bare and behind each middleware. " +
				"'Added' is the median minus the bare handler's median. The variants run interleaved (one run of each, then the next round) and serve bursts of 256 requests; between bursts the clock stops for every variant, and the recorder variants wait there until the pipeline has taken the queue, so every request is recorded (a dropped one costs less and would flatter the figure) while the pipeline works through the previous burst on the other core, as under sustained load. " +
				"The 'pipeline resting' row waits instead until the pipeline has published and stored the burst, so the next one is served while the pipeline rests (it takes the first event at once, then lingers 5 ms): the difference between the two is what the collection of the pipeline's garbage (about 1.6 KiB per request event, 1.4 KiB of it bbolt's) costs the request goroutine. " +
				"'Request goroutine CPU' is the serving goroutine's own CPU time (its thread's, locked to it; collector assists included): the cost the middleware puts on a request. " +
				"'Wall time' adds what the recorder's pipeline (redaction, encoding, the fsync'd store, ~15 µs of CPU per event) and the collector take from the request while they share the machine's cores with it. " +
				"Allocations are counted across all goroutines, so the recorder's include its pipeline's.",
			"The 2 KiB body variant records into a store of its own: retention in a shared store would have the no-body variants delete its larger events.",
			fmt.Sprintf("Recorders during these runs: %d recorded, %d dropped, %d store errors (no body); %d recorded, %d dropped, %d store errors (2 KiB body).",
				st.Recorded, st.Dropped, st.StoreErrors, stBody.Recorded, stBody.Dropped, stBody.StoreErrors),
		}, " "),
		rows: rows,
	})
	return nil
}
