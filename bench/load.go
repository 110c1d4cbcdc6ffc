package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/beignet/devtools/demo/app"
	"github.com/beignet/devtools/store"
	"github.com/beignet/devtools/stream"
)

// loadWorkers is the number of concurrent clients: enough to keep two cores
// busy on loopback without measuring only queueing.
const loadWorkers = 32

// memSample is heap and RSS at one moment of a load run.
type memSample struct {
	at   time.Duration
	heap uint64
	rss  uint64
}

// loadRun is one configuration's result.
type loadRun struct {
	name        string
	requests    int64
	failures    int64
	elapsed     time.Duration
	p50, p99    time.Duration
	mem         []memSample
	recorded    uint64
	dropped     uint64
	wireDropped []uint64 // the last stats message each console got
	consoleGot  []int64
	consoleGaps []int64
	storeCount  int
	storeBytes  int64
	maxEvents   int
}

type loadReport struct {
	duration time.Duration
	runs     []*loadRun
}

func runLoad(ctx context.Context, d time.Duration, progress io.Writer) (*loadReport, error) {
	lr := &loadReport{duration: d}
	for _, on := range []bool{false, true} {
		run, err := loadOnce(ctx, d, on, progress)
		if err != nil {
			return nil, err
		}
		lr.runs = append(lr.runs, run)
	}
	return lr, nil
}

func rssBytes() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				kb, _ := strconv.ParseUint(f[1], 10, 64)
				return kb << 10
			}
		}
	}
	return 0
}

func sampleMem(start time.Time) memSample {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return memSample{at: time.Since(start).Round(time.Second), heap: ms.HeapAlloc, rss: rssBytes()}
}

// console is an attached websocket client, as the console would be.
type console struct {
	got, gaps   atomic.Int64
	lastDropped atomic.Uint64
	stats       atomic.Bool
}

func loadOnce(ctx context.Context, d time.Duration, recorderOn bool, progress io.Writer) (*loadRun, error) {
	name := "recorder off"
	if recorderOn {
		name = "recorder on, 2 consoles"
	}
	fmt.Fprintf(progress, "bench:   load: %s ...\n", name)
	dir, err := os.MkdirTemp("", "beignet-bench-load-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	srv, err := app.Start(app.Options{
		StorePath:       filepath.Join(dir, "devtools.db"),
		SlowDelay:       time.Millisecond,
		DisableRecorder: !recorderOn,
	}, "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	defer srv.Shutdown(context.Background())

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()

	var consoles []*console
	if recorderOn {
		for i := 0; i < 2; i++ {
			c := &console{}
			consoles = append(consoles, c)
			cl := stream.NewClient(stream.ClientOptions{URL: srv.DevtoolsURL + "/ws", Token: srv.App.Token()})
			wg.Add(1)
			go func() {
				defer wg.Done()
				_ = cl.Run(runCtx, func(u stream.Update) {
					switch u.Kind {
					case stream.UpdateEvent:
						c.got.Add(1)
					case stream.UpdateGap:
						c.gaps.Add(1)
					case stream.UpdateStats:
						if u.Stats != nil {
							c.lastDropped.Store(u.Stats.Dropped)
							c.stats.Store(true)
						}
					}
				})
			}()
		}
		for _, c := range consoles {
			if err := waitFor(ctx, func() bool { return c.stats.Load() }); err != nil {
				return nil, fmt.Errorf("console did not attach: %w", err)
			}
		}
	}

	tr := &http.Transport{MaxIdleConnsPerHost: loadWorkers, Proxy: nil}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	cookie, err := signIn(ctx, client, srv.URL)
	if err != nil {
		return nil, err
	}

	run := &loadRun{name: name}
	start := time.Now()
	run.mem = append(run.mem, sampleMem(start))
	deadline := start.Add(d)
	var requests, failures atomic.Int64
	lat := make([][]time.Duration, loadWorkers)
	var lwg sync.WaitGroup
	for w := 0; w < loadWorkers; w++ {
		lwg.Add(1)
		go func() {
			defer lwg.Done()
			paths := []string{"/notes", "/notes", "/search?q=groceries&api_key=" + url.QueryEscape(app.SearchAPIKey), "/healthz"}
			for i := 0; time.Now().Before(deadline) && ctx.Err() == nil; i++ {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+paths[(w+i)%len(paths)], nil)
				req.Header.Set("Cookie", cookie)
				t0 := time.Now()
				resp, err := client.Do(req)
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				el := time.Since(t0)
				requests.Add(1)
				if err != nil || resp.StatusCode >= 500 {
					failures.Add(1)
				}
				if len(lat[w]) < 4_000_000 {
					lat[w] = append(lat[w], el)
				}
			}
		}()
	}
	tick := time.NewTicker(d / 6)
	for done := false; !done; {
		select {
		case <-tick.C:
			if time.Now().Before(deadline) {
				run.mem = append(run.mem, sampleMem(start))
			}
		case <-ctx.Done():
			done = true
		case <-time.After(time.Until(deadline)):
			done = true
		}
	}
	tick.Stop()
	lwg.Wait()
	run.elapsed = time.Since(start)
	run.mem = append(run.mem, sampleMem(start))
	run.requests, run.failures = requests.Load(), failures.Load()
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	if len(all) > 0 {
		run.p50 = all[len(all)*50/100]
		run.p99 = all[len(all)*99/100]
	}

	if recorderOn {
		rec := srv.App.Recorder()
		// Let the pipeline drain and a fresh stats message reach both consoles.
		if err := rec.Flush(ctx); err != nil {
			return nil, err
		}
		st := rec.Stats()
		for _, c := range consoles {
			c.stats.Store(false)
		}
		for _, c := range consoles {
			if err := waitFor(ctx, func() bool { return c.stats.Load() }); err != nil {
				return nil, err
			}
		}
		run.recorded, run.dropped = st.Recorded, st.Dropped
		for _, c := range consoles {
			run.wireDropped = append(run.wireDropped, c.lastDropped.Load())
			run.consoleGot = append(run.consoleGot, c.got.Load())
			run.consoleGaps = append(run.consoleGaps, c.gaps.Load())
		}
		ss, err := openStats(srv)
		if err != nil {
			return nil, err
		}
		run.storeCount, run.storeBytes, run.maxEvents = ss.Count, ss.Bytes, store.DefaultMaxEvents
	}
	fmt.Fprintf(progress, "bench:   load: %s: %.0f req/s, p50 %s, p99 %s\n", name, float64(run.requests)/run.elapsed.Seconds(), run.p50, run.p99)
	return run, nil
}

// openStats reads the store's stats through the recorder that holds it.
func openStats(srv *app.Server) (store.Stats, error) {
	s := srv.App.Recorder().Store()
	if s == nil {
		return store.Stats{}, fmt.Errorf("recorder has no store")
	}
	return s.Stats()
}

func signIn(ctx context.Context, client *http.Client, base string) (string, error) {
	body, _ := json.Marshal(map[string]any{"email": app.UserEmails()[0], "password": app.DemoPassword})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/signin", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("sign-in answered %s", resp.Status)
	}
	var parts []string
	for _, c := range resp.Cookies() {
		parts = append(parts, c.Name+"="+c.Value)
	}
	return strings.Join(parts, "; "), nil
}

func mib(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

func (lr *loadReport) write(w io.Writer) {
	fmt.Fprintf(w, "## Load and soak (%s per configuration)\n\n", lr.duration)
	fmt.Fprintf(w, "The demo app on 127.0.0.1 driven by %d concurrent Go clients in the same process (GET /notes with a session cookie, GET /search with an api_key in the query, GET /healthz) as fast as it answers. With the recorder on, two consoles (`stream.Client`) are attached over websockets for the whole run. Heap and RSS are of the whole process (app, recorder, load generator and consoles), sampled after a GC.\n\n", loadWorkers)
	fmt.Fprintln(w, "| configuration | requests/s | p50 | p99 | failures | heap start → end | RSS start → end |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | --- | --- |")
	var base float64
	for i, r := range lr.runs {
		rps := float64(r.requests) / r.elapsed.Seconds()
		if i == 0 {
			base = rps
		}
		first, last := r.mem[0], r.mem[len(r.mem)-1]
		fmt.Fprintf(w, "| %s | %.0f | %s | %s | %d | %s → %s | %s → %s |\n", r.name, rps, r.p50.Round(time.Microsecond), r.p99.Round(time.Microsecond), r.failures, mib(first.heap), mib(last.heap), mib(first.rss), mib(last.rss))
	}
	fmt.Fprintln(w)
	if len(lr.runs) == 2 {
		on := lr.runs[1]
		fmt.Fprintf(w, "Throughput with the recorder on is %s of the throughput with it off.\n\n", ratio(float64(on.requests)/on.elapsed.Seconds(), base))
		fmt.Fprintf(w, "Recorder: %d events recorded, %d dropped (queue full). The dropped count the consoles last received on the wire: %v. Events each console received: %v; gaps: %v.\n\n", on.recorded, on.dropped, on.wireDropped, on.consoleGot, on.consoleGaps)
		fmt.Fprintf(w, "Store at the end: %d events (retention cap %d), %s on disk.\n\n", on.storeCount, on.maxEvents, mib(uint64(on.storeBytes)))
		fmt.Fprintln(w, "Memory over the run with the recorder on (heap / RSS):")
		fmt.Fprintln(w)
		for _, s := range on.mem {
			fmt.Fprintf(w, "- %s: %s / %s\n", s.at, mib(s.heap), mib(s.rss))
		}
		fmt.Fprintln(w)
	}
}
