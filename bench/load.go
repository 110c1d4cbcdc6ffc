package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/beignet/devtools/demo/app"
	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/recorder"
	"github.com/beignet/devtools/store"
	"github.com/beignet/devtools/stream"
)

// loadWorkers is the number of concurrent clients: enough to keep two cores
// busy on loopback without measuring only queueing.
const loadWorkers = 32

// loadConsoles is the number of console processes attached with the
// recorder on.
const loadConsoles = 2

// probeRequestID is the X-Request-Id of the live-latency probe's requests;
// the probe subscribes to it alone (a requestId filter), so it receives
// only its own few events and adds next to nothing to the fan-out.
const probeRequestID = "bench-live-probe"

// probeEvery is the probe's request interval.
const probeEvery = 20 * time.Millisecond

// loadPackages are what the load test builds once per harness run: the
// demo app alone (bench/loadapp) and the CLI whose tail is the console.
const (
	loadAppPkg = "github.com/beignet/devtools/bench/loadapp"
	cliPkg     = "github.com/beignet/devtools/cmd/beignet-devtools"
)

// loadConfig is one configuration of the load test.
type loadConfig struct {
	name     string
	recorder bool
	consoles int
}

var loadConfigs = []loadConfig{
	{name: "recorder off", recorder: false},
	{name: "recorder on, 2 consoles", recorder: true, consoles: loadConsoles},
}

// loadOptions are the harness flags of the load test.
type loadOptions struct {
	duration   time.Duration
	rounds     int
	cpuProfile string // CPU profile of the recorder-on app process (last round)
	memProfile string // allocation profile of the same
}

// procSample is one /proc reading of a process.
type procSample struct {
	at   time.Duration
	rss  uint64
	anon uint64 // RssAnon: without the store's memory-mapped file pages
}

// loadRun is one configuration's result in one round.
type loadRun struct {
	cfg      loadConfig
	requests int64
	failures int64
	elapsed  time.Duration
	lat      *histogram
	appCPU   time.Duration // the app process's user+system CPU over the window
	genCPU   time.Duration // the harness's (load generator's) over the window
	conCPU   []time.Duration
	mem0     memStats // the app's runtime counters at the start and end of the window
	mem1     memStats
	rss      []procSample // the app's RSS over the window
	// recorder on
	stats      recorder.Stats // at the end, after the pipeline drained
	events     uint64         // events recorded in the window
	conGaps    []int          // gap notices each console printed
	live       *histogram     // probe: request end -> event received
	liveN      int
	subscribed int
}

func (r *loadRun) rps() float64 { return float64(r.requests) / r.elapsed.Seconds() }

// cpuPerRequest is the app's CPU time per request served, in ns.
func (r *loadRun) cpuPerRequest() float64 { return float64(r.appCPU) / float64(max(r.requests, 1)) }

type loadReport struct {
	opts   loadOptions
	rounds [][]*loadRun // [round][config]
}

// memStats mirrors bench/loadapp's mem answer.
type memStats struct {
	NumGC      uint32 `json:"numGC"`
	TotalAlloc uint64 `json:"totalAlloc"`
	Mallocs    uint64 `json:"mallocs"`
	HeapAlloc  uint64 `json:"heapAlloc"`
	HeapSys    uint64 `json:"heapSys"`
	Sys        uint64 `json:"sys"`
	PauseNs    uint64 `json:"pauseTotalNs"`
}

func runLoad(ctx context.Context, opts loadOptions, progress io.Writer) (*loadReport, error) {
	dir, err := os.MkdirTemp("", "beignet-bench-load-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	fmt.Fprintf(progress, "bench:   load: building the app and the CLI ...\n")
	appBin, cliBin := filepath.Join(dir, "loadapp"), filepath.Join(dir, "beignet-devtools")
	for _, b := range [][2]string{{appBin, loadAppPkg}, {cliBin, cliPkg}} {
		out, err := exec.CommandContext(ctx, "go", "build", "-o", b[0], b[1]).CombinedOutput()
		if err != nil {
			return nil, fmt.Errorf("go build %s (run the harness inside the module): %w\n%s", b[1], err, out)
		}
	}
	lr := &loadReport{opts: opts}
	for round := range opts.rounds {
		var runs []*loadRun
		for _, cfg := range loadConfigs {
			var prof []string
			if cfg.recorder && round == opts.rounds-1 {
				if opts.cpuProfile != "" {
					prof = append(prof, "-cpuprofile", opts.cpuProfile)
				}
				if opts.memProfile != "" {
					prof = append(prof, "-memprofile", opts.memProfile)
				}
			}
			fmt.Fprintf(progress, "bench:   load: round %d/%d: %s ...\n", round+1, opts.rounds, cfg.name)
			run, err := loadOnce(ctx, dir, appBin, cliBin, cfg, opts.duration, prof)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", cfg.name, err)
			}
			fmt.Fprintf(progress, "bench:   load: %s: %.0f req/s, p50 %s, p99 %s, app CPU %.1f µs/request\n",
				cfg.name, run.rps(), run.lat.quantile(0.5), run.lat.quantile(0.99), run.cpuPerRequest()/1e3)
			runs = append(runs, run)
		}
		lr.rounds = append(lr.rounds, runs)
	}
	return lr, nil
}

// appProc is the app in its own process (bench/loadapp).
type appProc struct {
	cmd      *exec.Cmd
	stdin    io.WriteCloser
	out      *bufio.Scanner
	url      string
	devtools string
	token    string
	pid      int
	stderr   bytes.Buffer
}

func startApp(ctx context.Context, bin, db string, on bool, extra []string) (*appProc, error) {
	args := append([]string{"-recorder=" + strconv.FormatBool(on), "-db", db}, extra...)
	a := &appProc{cmd: exec.Command(bin, args...)}
	a.cmd.Stderr = &a.stderr
	var err error
	if a.stdin, err = a.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	stdout, err := a.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := a.cmd.Start(); err != nil {
		return nil, err
	}
	a.out = bufio.NewScanner(stdout)
	for a.out.Scan() {
		line := a.out.Text()
		if line == "ready" {
			return a, nil
		}
		k, v, _ := strings.Cut(line, "=")
		switch k {
		case "url":
			a.url = v
		case "devtools":
			a.devtools = v
		case "token":
			a.token = v
		case "pid":
			a.pid, _ = strconv.Atoi(v)
		}
	}
	_ = a.cmd.Process.Kill()
	_ = a.cmd.Wait()
	return nil, fmt.Errorf("the app did not start: %s", strings.TrimSpace(a.stderr.String()))
}

// mem asks the app for its runtime counters.
func (a *appProc) mem() (memStats, error) {
	var ms memStats
	if _, err := io.WriteString(a.stdin, "mem\n"); err != nil {
		return ms, err
	}
	if !a.out.Scan() {
		return ms, fmt.Errorf("the app ended: %s", strings.TrimSpace(a.stderr.String()))
	}
	return ms, json.Unmarshal(a.out.Bytes(), &ms)
}

// stop asks the app to shut down (which writes its CPU profile) and waits.
func (a *appProc) stop() error {
	_, _ = io.WriteString(a.stdin, "quit\n")
	a.stdin.Close()
	done := make(chan error, 1)
	go func() { done <- a.cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(30 * time.Second):
		_ = a.cmd.Process.Kill()
		<-done
		return fmt.Errorf("the app did not stop within 30s")
	}
}

// console is a `beignet-devtools tail --json` process writing to /dev/null.
type console struct {
	cmd    *exec.Cmd
	stderr syncBuffer
}

func startConsole(bin string, a *appProc) (*console, error) {
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return nil, err
	}
	defer null.Close()
	c := &console{cmd: exec.Command(bin, "tail", "--url", a.devtools, "--json")}
	c.cmd.Env = append(os.Environ(), "BEIGNET_DEVTOOLS_TOKEN="+a.token)
	c.cmd.Stdout = null
	c.cmd.Stderr = &c.stderr
	if err := c.cmd.Start(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *console) stop() {
	_ = c.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = c.cmd.Process.Kill()
		<-done
	}
}

// gaps counts the gap notices tail printed (it refetches the skipped
// events from the store, so nothing is lost, but it fell behind).
func (c *console) gaps() int { return strings.Count(c.stderr.String(), "skipped events") }

// syncBuffer is a bytes.Buffer for one writer and readers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.b.Len() > 1<<20 {
		return len(p), nil // enough to count from
	}
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// procCPU returns a process's user+system CPU time (all its threads) from
// /proc/<pid>/stat, in clock ticks of 10 ms (USER_HZ 100 on Linux).
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name may hold spaces; the fields follow its ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	utime, err1 := strconv.ParseUint(f[11], 10, 64) // field 14
	stime, err2 := strconv.ParseUint(f[12], 10, 64) // field 15
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond, nil
}

// procRSS returns a process's resident set size from /proc/<pid>/status.
func procRSS(pid int) uint64 { return procStatus(pid, "VmRSS:") }

// procStatus returns a kB field of /proc/<pid>/status, in bytes.
func procStatus(pid int, field string) uint64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, field) {
			if f := strings.Fields(line); len(f) >= 2 {
				kb, _ := strconv.ParseUint(f[1], 10, 64)
				return kb << 10
			}
		}
	}
	return 0
}

// sampleProc reads the app's RSS at.
func sampleProc(pid int, at time.Duration) procSample {
	return procSample{at: at, rss: procRSS(pid), anon: procStatus(pid, "RssAnon:")}
}

// appStats reads the recorder's stats from the devtools route.
func appStats(ctx context.Context, client *http.Client, a *appProc) (recorder.Stats, int, error) {
	var out struct {
		Recorder    recorder.Stats `json:"recorder"`
		Subscribers int            `json:"subscribers"`
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, a.devtools+"/stats", nil)
	req.Header.Set("Authorization", "Bearer "+a.token)
	resp, err := client.Do(req)
	if err != nil {
		return out.Recorder, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return out.Recorder, 0, fmt.Errorf("GET /stats: %s", resp.Status)
	}
	err = json.NewDecoder(resp.Body).Decode(&out)
	return out.Recorder, out.Subscribers, err
}

// prefill fills a new store at path to its default cap (store.DefaultMaxEvents)
// with ~700-byte events of the last hour, so that the app's store is at its
// cap from the first request, as a store that has been recording for a
// while is: every batch then also deletes the oldest events (retention).
func prefill(path string) error {
	st, err := store.Open(path, store.Options{NoSync: true, MaxAge: -1, MaxEvents: -1, CompactFreeRatio: -1})
	if err != nil {
		return err
	}
	at := time.Now().Add(-time.Hour)
	gen := event.NewGenerator(func() time.Time { return at })
	const batch = 5000
	evs := make([]event.Event, batch)
	encs := make([][]byte, batch)
	for n := 0; n < store.DefaultMaxEvents; n += batch {
		for i := range evs {
			at = at.Add(time.Millisecond / 4)
			e := padTo(event.Event{V: 1, ID: gen.New(), Time: at.UTC(), Kind: event.KindRequest, Name: "GET /notes",
				RequestID: fmt.Sprintf("prefill-%d", n+i), DurationNs: 1e6, Status: 200, App: "notes-demo",
				HTTP: &event.HTTP{Method: http.MethodGet, URL: "http://127.0.0.1/notes", Route: "GET /notes", Status: 200,
					RequestHeaders: map[string][]string{"Accept": {"application/json"}}}}, 700)
			evs[i] = e
			if encs[i], err = event.Marshal(&e); err != nil {
				st.Close()
				return err
			}
		}
		if err := st.AppendEncoded(evs, encs); err != nil {
			st.Close()
			return err
		}
	}
	return st.Close() // not synced: the app reads it through the same page cache
}

func loadOnce(ctx context.Context, dir, appBin, cliBin string, cfg loadConfig, d time.Duration, profFlags []string) (*loadRun, error) {
	db := filepath.Join(dir, "store", "devtools.db")
	_ = os.RemoveAll(filepath.Dir(db))
	defer os.RemoveAll(filepath.Dir(db))
	if cfg.recorder {
		if err := prefill(db); err != nil {
			return nil, fmt.Errorf("prefill the store: %w", err)
		}
	}
	a, err := startApp(ctx, appBin, db, cfg.recorder, profFlags)
	if err != nil {
		return nil, err
	}
	stopped := false
	defer func() {
		if !stopped {
			_ = a.stop()
		}
	}()
	tr := &http.Transport{MaxIdleConnsPerHost: loadWorkers + 2, Proxy: nil}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var bg sync.WaitGroup
	defer bg.Wait()
	defer cancel()

	run := &loadRun{cfg: cfg, lat: newHistogram()}
	var consoles []*console
	defer func() {
		for _, c := range consoles {
			c.stop()
		}
	}()
	var live struct {
		mu   sync.Mutex
		h    *histogram
		n    int
		from time.Time // events of requests that ended before this are not counted
	}
	live.h = newHistogram()
	if cfg.recorder {
		for range cfg.consoles {
			c, err := startConsole(cliBin, a)
			if err != nil {
				return nil, err
			}
			consoles = append(consoles, c)
		}
		// The probe: a websocket client of its own that receives only the
		// probe's requests (requestId filter) and times each from the end
		// of its request in the app to its arrival.
		probe := stream.NewClient(stream.ClientOptions{URL: a.devtools + "/ws", Token: a.token, Filter: &stream.Filter{RequestID: probeRequestID}})
		bg.Add(1)
		go func() {
			defer bg.Done()
			_ = probe.Run(runCtx, func(u stream.Update) {
				if u.Kind != stream.UpdateEvent {
					return
				}
				now := time.Now()
				end := u.Event.Time.Add(time.Duration(u.Event.DurationNs))
				live.mu.Lock()
				if !live.from.IsZero() && end.After(live.from) {
					live.h.add(now.Sub(end))
					live.n++
				}
				live.mu.Unlock()
			})
		}()
		wctx, wcancel := context.WithTimeout(ctx, time.Minute)
		err := waitFor(wctx, func() bool {
			_, subs, err := appStats(wctx, client, a)
			if err == nil && subs == cfg.consoles+1 {
				return true
			}
			time.Sleep(250 * time.Millisecond) // /stats reads every stored record: not too often
			return false
		})
		wcancel()
		if err != nil {
			return nil, fmt.Errorf("consoles did not attach: %w; console stderr: %q", err, consoles[0].stderr.String())
		}
	}

	cookie, err := signIn(ctx, client, a.url)
	if err != nil {
		return nil, err
	}

	// The workers run from now until the window ends; the window begins
	// after a warm-up (connections open, the store past its first pages).
	warm := min(2*time.Second, d/10)
	var measuring, stop atomic.Bool
	var requests, failures atomic.Int64
	hists := make([]*histogram, loadWorkers)
	var wg sync.WaitGroup
	paths := []string{"/notes", "/notes", "/search?q=groceries&api_key=" + url.QueryEscape(app.SearchAPIKey), "/healthz"}
	for w := range loadWorkers {
		hists[w] = newHistogram()
		wg.Add(1)
		go func() {
			defer wg.Done()
			reqs := make([]*http.Request, len(paths))
			for i, p := range paths {
				reqs[i], _ = http.NewRequestWithContext(runCtx, http.MethodGet, a.url+p, nil)
				reqs[i].Header.Set("Cookie", cookie)
			}
			for i := w; !stop.Load() && runCtx.Err() == nil; i++ {
				t0 := time.Now()
				resp, err := client.Do(reqs[i%len(reqs)])
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				el := time.Since(t0)
				if !measuring.Load() {
					continue
				}
				requests.Add(1)
				if err != nil || resp.StatusCode >= 500 {
					failures.Add(1)
				}
				hists[w].add(el)
			}
		}()
	}
	if cfg.recorder {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequestWithContext(runCtx, http.MethodGet, a.url+"/healthz", nil)
			req.Header.Set("X-Request-Id", probeRequestID)
			t := time.NewTicker(probeEvery)
			defer t.Stop()
			for !stop.Load() && runCtx.Err() == nil {
				if resp, err := client.Do(req); err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				select {
				case <-t.C:
				case <-runCtx.Done():
				}
			}
		}()
	}
	select {
	case <-time.After(warm):
	case <-ctx.Done():
	}

	// The window.
	self := os.Getpid()
	cpu := func(pid int) time.Duration { c, _ := procCPU(pid); return c }
	if run.mem0, err = a.mem(); err != nil {
		stop.Store(true)
		wg.Wait()
		return nil, err
	}
	var stats0 recorder.Stats
	if cfg.recorder {
		if stats0, _, err = appStats(ctx, client, a); err != nil {
			stop.Store(true)
			wg.Wait()
			return nil, err
		}
	}
	conCPU0 := make([]time.Duration, len(consoles))
	for i, c := range consoles {
		conCPU0[i] = cpu(c.cmd.Process.Pid)
	}
	app0, gen0 := cpu(a.pid), cpu(self)
	start := time.Now()
	measuring.Store(true)
	live.mu.Lock()
	live.from = start
	live.mu.Unlock()
	every := max(time.Second, d/60)
	tick := time.NewTicker(every)
	run.rss = append(run.rss, sampleProc(a.pid, 0))
	deadline := time.NewTimer(d)
	for done := false; !done; {
		select {
		case <-tick.C:
			run.rss = append(run.rss, sampleProc(a.pid, time.Since(start).Round(time.Second)))
		case <-deadline.C:
			done = true
		case <-ctx.Done():
			done = true
		}
	}
	tick.Stop()
	measuring.Store(false)
	run.elapsed = time.Since(start)
	run.appCPU, run.genCPU = cpu(a.pid)-app0, cpu(self)-gen0
	for i, c := range consoles {
		run.conCPU = append(run.conCPU, cpu(c.cmd.Process.Pid)-conCPU0[i])
	}
	run.rss = append(run.rss, sampleProc(a.pid, run.elapsed.Round(time.Second)))
	mem1, err := a.mem()
	stop.Store(true)
	wg.Wait()
	if err != nil {
		return nil, err
	}
	run.mem1 = mem1
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	run.requests, run.failures = requests.Load(), failures.Load()
	for _, h := range hists {
		run.lat.merge(h)
	}

	if cfg.recorder {
		st, subs, err := appStats(ctx, client, a)
		if err != nil {
			return nil, err
		}
		run.events = st.Recorded - stats0.Recorded
		// Let the pipeline drain, then read the final counts.
		wctx, wcancel := context.WithTimeout(ctx, time.Minute)
		err = waitFor(wctx, func() bool {
			s, n, err := appStats(wctx, client, a)
			if err == nil && s.Queued == 0 && s.Recorded == st.Recorded && s.Published == st.Published {
				st, subs = s, n
				return true
			}
			if err == nil {
				st, subs = s, n
			}
			time.Sleep(250 * time.Millisecond)
			return false
		})
		wcancel()
		if err != nil {
			return nil, fmt.Errorf("the pipeline did not drain: %w", err)
		}
		run.stats, run.subscribed = st, subs
		live.mu.Lock()
		run.live, run.liveN = live.h, live.n
		live.mu.Unlock()
		cancel() // the probe
		for _, c := range consoles {
			c.stop()
			run.conGaps = append(run.conGaps, c.gaps())
		}
		consoles = nil
	}
	stopped = true
	if err := a.stop(); err != nil {
		return nil, fmt.Errorf("app: %w: %s", err, strings.TrimSpace(a.stderr.String()))
	}
	return run, nil
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

// histogram counts durations in buckets 2% wide (log scale), from 1 µs.
type histogram struct {
	n       int64
	buckets []int64
}

const (
	histBase    = 1.02
	histBuckets = 1200 // 1 µs * 1.02^1200 > 20 min
)

func newHistogram() *histogram { return &histogram{buckets: make([]int64, histBuckets)} }

func (h *histogram) add(d time.Duration) {
	i := 0
	if us := float64(d) / 1e3; us > 1 {
		i = min(int(math.Log(us)/math.Log(histBase)), histBuckets-1)
	}
	h.buckets[i]++
	h.n++
}

func (h *histogram) merge(o *histogram) {
	for i, c := range o.buckets {
		h.buckets[i] += c
	}
	h.n += o.n
}

// quantile returns the q-quantile, to the bucket's 2% (its midpoint).
func (h *histogram) quantile(q float64) time.Duration {
	if h == nil || h.n == 0 {
		return 0
	}
	rank := int64(math.Ceil(q * float64(h.n)))
	var seen int64
	for i, c := range h.buckets {
		seen += c
		if seen >= max(rank, 1) {
			us := math.Pow(histBase, float64(i)+0.5)
			if i == 0 {
				us = 1
			}
			return time.Duration(us * 1e3).Round(time.Microsecond)
		}
	}
	return 0
}

func mib(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// medianOf returns the median over rounds of f applied to configuration i.
func (lr *loadReport) medianOf(i int, f func(*loadRun) float64) float64 {
	var xs []float64
	for _, runs := range lr.rounds {
		xs = append(xs, f(runs[i]))
	}
	return median(xs)
}

func (lr *loadReport) write(w io.Writer) {
	d := lr.opts.duration
	fmt.Fprintf(w, "## Load (%s per configuration, %d round(s))\n\n", d, len(lr.rounds))
	fmt.Fprintf(w, "What a user of the app sees. The demo app runs in its own process (`bench/loadapp`, built once), on 127.0.0.1, with the store's defaults (fsync per batch, retention 24 h / 100k events), its store filled to the 100k-event cap beforehand so that every batch also deletes the oldest events, as in an app that has been recording for a while. The load generator is this harness: %d concurrent Go HTTP clients (GET /notes with a session cookie ×2, GET /search with an api_key in the query, GET /healthz) as fast as the app answers: saturation. With the recorder on, %d consoles run, each in its own process: `beignet-devtools tail --json > /dev/null`; and a probe (a websocket client in the harness subscribed to its own request ID only) sends a request every %s and times its event from the end of the request in the app to its arrival (live latency). Every process shares the machine's %d cores. CPU is each process's user+system time from /proc/<pid>/stat over the measured window (after a %s warm-up; 10 ms ticks); RSS is the app's VmRSS, which counts the pages of the memory-mapped store file it has touched (tens of MiB at the cap), and RssAnon, which does not (heap, stacks). The configurations alternate within each round; figures are medians over rounds, and ratios are paired within a round (median, range).\n\n",
		loadWorkers, loadConsoles, probeEvery, runtime.NumCPU(), min(2*time.Second, d/10))
	fmt.Fprintln(w, "| configuration | requests/s | p50 | p99 | app CPU per request | app CPU | allocations per request | GCs per 10k requests | app RSS start → end | app RssAnon start → end |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |")
	for i, cfg := range loadConfigs {
		rps := lr.medianOf(i, (*loadRun).rps)
		p50 := lr.medianOf(i, func(r *loadRun) float64 { return float64(r.lat.quantile(0.5)) })
		p99 := lr.medianOf(i, func(r *loadRun) float64 { return float64(r.lat.quantile(0.99)) })
		cpuReq := lr.medianOf(i, (*loadRun).cpuPerRequest)
		cores := lr.medianOf(i, func(r *loadRun) float64 { return float64(r.appCPU) / float64(r.elapsed) })
		allocs := lr.medianOf(i, func(r *loadRun) float64 {
			return float64(r.mem1.Mallocs-r.mem0.Mallocs) / float64(max(r.requests, 1))
		})
		allocB := lr.medianOf(i, func(r *loadRun) float64 {
			return float64(r.mem1.TotalAlloc-r.mem0.TotalAlloc) / float64(max(r.requests, 1))
		})
		gcs := lr.medianOf(i, func(r *loadRun) float64 {
			return float64(r.mem1.NumGC-r.mem0.NumGC) * 1e4 / float64(max(r.requests, 1))
		})
		last := lr.rounds[len(lr.rounds)-1][i]
		r0, r1 := last.rss[0], last.rss[len(last.rss)-1]
		fmt.Fprintf(w, "| %s | %.0f | %s | %s | %s | %.2f cores | %.1f (%.0f B) | %.2f | %s → %s | %s → %s |\n", cfg.name, rps,
			time.Duration(p50), time.Duration(p99), fmtNs(cpuReq), cores, allocs, allocB, gcs,
			mib(r0.rss), mib(r1.rss), mib(r0.anon), mib(r1.anon))
	}
	fmt.Fprintln(w)
	if len(loadConfigs) < 2 {
		return
	}
	var ratios, cpuRatios, perEvent, evPerReq, conPerEvent, genPerReq, genOnPerReq []float64
	for _, runs := range lr.rounds {
		off, on := runs[0], runs[1]
		ratios = append(ratios, on.rps()/off.rps())
		cpuRatios = append(cpuRatios, on.cpuPerRequest()/off.cpuPerRequest())
		epr := float64(on.events) / float64(max(on.requests, 1))
		evPerReq = append(evPerReq, epr)
		if epr > 0 {
			perEvent = append(perEvent, (on.cpuPerRequest()-off.cpuPerRequest())/epr)
		}
		var con time.Duration
		for _, c := range on.conCPU {
			con += c
		}
		if on.events > 0 && len(on.conCPU) > 0 {
			conPerEvent = append(conPerEvent, float64(con)/float64(len(on.conCPU))/float64(on.events))
		}
		genPerReq = append(genPerReq, float64(off.genCPU)/float64(max(off.requests, 1)))
		genOnPerReq = append(genOnPerReq, float64(on.genCPU)/float64(max(on.requests, 1)))
	}
	fmt.Fprintf(w, "Throughput with the recorder on is %.2f× of the throughput with it off.\n\n", median(ratios))
	fmt.Fprintf(w, "- throughput on ÷ off, paired per round: %s; target ≥ 0.70×\n", spread(ratios))
	fmt.Fprintf(w, "- app CPU per request on ÷ off: %s\n", spread(cpuRatios))
	fmt.Fprintf(w, "- app CPU the recorder adds per recorded event (CPU per request on − off, ÷ %.2f events per request): %s; everything the recorder costs the process (capture on the request goroutine, pipeline, fan-out, collection of its garbage); target for pipeline + fan-out ≤ 5 µs\n", median(evPerReq), fmtNs(median(perEvent)))
	on := lr.rounds[len(lr.rounds)-1][1]
	var liveP50, liveP99 []float64
	for _, runs := range lr.rounds {
		liveP50 = append(liveP50, float64(runs[1].live.quantile(0.5)))
		liveP99 = append(liveP99, float64(runs[1].live.quantile(0.99)))
	}
	fmt.Fprintf(w, "- live latency at saturation (request end in the app → event at the probe), p50 / p99: %s / %s (last round: %d samples); target p99 < 50 ms\n",
		time.Duration(median(liveP50)).Round(time.Microsecond), time.Duration(median(liveP99)).Round(time.Microsecond), on.liveN)
	fmt.Fprintf(w, "- each console process's CPU per event it printed: %s; the load generator's CPU per request: %s with the recorder off, %s with it on (with the probe); they share the cores with the app\n", fmtNs(median(conPerEvent)), fmtNs(median(genPerReq)), fmtNs(median(genOnPerReq)))
	var dropped, recorded, gaps uint64
	for _, runs := range lr.rounds {
		s := runs[1].stats
		dropped += s.Dropped
		recorded += s.Recorded
		for _, g := range runs[1].conGaps {
			gaps += uint64(g)
		}
	}
	fmt.Fprintf(w, "- recorder, all rounds: %d events recorded, %d dropped (queue full), %d store errors; consoles' gap notices: %d\n\n", recorded, dropped, on.stats.StoreErrors, gaps)

	fmt.Fprintln(w, "App RSS / RssAnon over the last round with the recorder on:")
	fmt.Fprintln(w)
	step := max(1, (len(on.rss)-1)/6)
	for i := 0; i < len(on.rss); i += step {
		fmt.Fprintf(w, "- %s: %s / %s\n", on.rss[i].at, mib(on.rss[i].rss), mib(on.rss[i].anon))
	}
	if l := on.rss[len(on.rss)-1]; (len(on.rss)-1)%step != 0 {
		fmt.Fprintf(w, "- %s: %s / %s\n", l.at, mib(l.rss), mib(l.anon))
	}
	ref := min(time.Minute, d/4)
	for _, s := range on.rss {
		if s.at >= ref {
			end := on.rss[len(on.rss)-1]
			fmt.Fprintf(w, "\nGrowth from %s to the end: RSS %+.0f%%, RssAnon %+.0f%% (target for a 10-minute soak, `-runs 1 -only load -load 10m`: ≤ +20%% after the first minute).\n", s.at, (float64(end.rss)/float64(s.rss)-1)*100, (float64(end.anon)/float64(max(s.anon, 1))-1)*100)
			break
		}
	}
	fmt.Fprintln(w)
}
