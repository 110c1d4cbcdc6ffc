// Package fleetbench runs a fleet of in-process recorders, each with its
// devtools route on a loopback server, and records into them at a steady
// rate: the load of the benchmarks of the consoles that merge several
// instances (tui's merged list, tail over several URLs). It is test
// machinery; nothing but tests and benchmarks imports it.
package fleetbench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/recorder"
)

// Token is the fleet's loopback-only devtools token (not a secret).
const Token = "fleetbench-token-0123456789abcdef0123456789"

// Name is the name of the measured events; warm-up events are named
// WarmName.
const (
	Name     = "bench.fleet"
	WarmName = "bench.fleet.warm"
)

// Options configure a fleet. Zero values mean the defaults.
type Options struct {
	// Instances is the number of recorders (default 3).
	Instances int
	// Dir holds the stores (required: a test's TempDir).
	Dir string
	// Pad is the size of a padding attribute, so events weigh about what
	// a request event does (default 360 bytes: ~600-byte events).
	Pad int
}

// Fleet is Instances recorders, instance i named "notes-<i+1>", each
// serving its devtools route under /api/devtools on 127.0.0.1.
type Fleet struct {
	// URLs are the apps' base URLs (http://127.0.0.1:port), the form
	// `tail --url` and `console --url` take.
	URLs []string
	recs []*recorder.Recorder
	srvs []*httptest.Server
	pad  string
}

// Start starts a fleet.
func Start(opts Options) (*Fleet, error) {
	if opts.Instances <= 0 {
		opts.Instances = 3
	}
	if opts.Pad <= 0 {
		opts.Pad = 360
	}
	if opts.Dir == "" {
		return nil, errors.New("fleetbench: Options.Dir is required")
	}
	f := &Fleet{pad: strings.Repeat("x", opts.Pad)}
	auth, err := recorder.TokenAuth(Token)
	if err != nil {
		return nil, fmt.Errorf("fleetbench: %w", err)
	}
	on := true
	for i := range opts.Instances {
		rec, err := recorder.New(recorder.Config{
			App: "notes", Instance: fmt.Sprintf("notes-%d", i+1), Env: "development", Enabled: &on,
			StorePath: filepath.Join(opts.Dir, fmt.Sprintf("notes-%d", i+1), "devtools.db"),
		})
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("fleetbench: %w", err)
		}
		f.recs = append(f.recs, rec)
		h, err := rec.Handler(recorder.HandlerOptions{Authorize: auth})
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("fleetbench: %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle("/api/devtools/", h)
		srv := httptest.NewServer(mux)
		f.srvs = append(f.srvs, srv)
		f.URLs = append(f.URLs, srv.URL)
	}
	return f, nil
}

// WSURLs are the devtools websocket URLs of the instances.
func (f *Fleet) WSURLs() []string {
	out := make([]string, len(f.URLs))
	for i, u := range f.URLs {
		out[i] = u + "/api/devtools/ws"
	}
	return out
}

// Close stops the servers and the recorders.
func (f *Fleet) Close() {
	for _, s := range f.srvs {
		s.Close()
	}
	for _, r := range f.recs {
		_ = r.Close(context.Background())
	}
}

// WarmUp records a warm-up event in every instance every 20 ms until
// ready reports true (the consumer saw one from each) or ctx ends.
func (f *Fleet) WarmUp(ctx context.Context, ready func() bool) error {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for !ready() {
		for _, r := range f.recs {
			r.Event(ctx, event.KindCustom, WarmName, nil)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("fleetbench: warm-up: %w", ctx.Err())
		case <-t.C:
		}
	}
	return nil
}

// Run records rate events per second into every instance for d, paced
// every millisecond (catching up on the schedule, so the rate holds on a
// busy machine), each event carrying its instance's sequence number in
// the "seq" attribute. It returns how many events each instance recorded
// and how many each recorder dropped.
func (f *Fleet) Run(ctx context.Context, rate int, d time.Duration) (sent []int, dropped uint64) {
	sent = make([]int, len(f.recs))
	before := make([]uint64, len(f.recs))
	for i, r := range f.recs {
		before[i] = r.Stats().Dropped
	}
	var wg sync.WaitGroup
	start := time.Now()
	for i, r := range f.recs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTicker(time.Millisecond)
			defer t.Stop()
			n := 0
			for {
				el := time.Since(start)
				if el >= d {
					el = d
				}
				due := int(el.Seconds() * float64(rate))
				for ; n < due; n++ {
					r.Event(ctx, event.KindCustom, Name, map[string]any{"seq": n, "pad": f.pad})
				}
				if el >= d {
					break
				}
				select {
				case <-ctx.Done():
					sent[i] = n
					return
				case <-t.C:
				}
			}
			sent[i] = n
		}()
	}
	wg.Wait()
	for i, r := range f.recs {
		_ = r.Flush(ctx)
		dropped += r.Stats().Dropped - before[i]
	}
	return sent, dropped
}

// Tally collects what a consumer saw: each measured event's latency (seen
// − recorded) and which sequence numbers arrived from which instance. It
// is safe for concurrent use.
type Tally struct {
	mu   sync.Mutex
	lat  []time.Duration
	seen map[string]map[int64]bool
	warm map[string]bool
	dups int
}

// NewTally returns an empty tally.
func NewTally() *Tally {
	return &Tally{seen: map[string]map[int64]bool{}, warm: map[string]bool{}}
}

// Observe counts e, seen at now. Events that are not the fleet's are
// ignored.
func (t *Tally) Observe(e *event.Event, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch e.Name {
	case WarmName:
		t.warm[e.Instance] = true
		return
	case Name:
	default:
		return
	}
	seq, ok := seqOf(e.Attrs["seq"])
	if !ok {
		return
	}
	s := t.seen[e.Instance]
	if s == nil {
		s = map[int64]bool{}
		t.seen[e.Instance] = s
	}
	if s[seq] {
		t.dups++
		return
	}
	s[seq] = true
	t.lat = append(t.lat, now.Sub(e.Time))
}

func seqOf(v any) (int64, bool) {
	switch n := v.(type) {
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	case float64:
		return int64(n), true
	case int:
		return int64(n), true
	case int64:
		return n, true
	}
	return 0, false
}

// Warm reports whether a warm-up event arrived from n instances.
func (t *Tally) Warm(n int) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.warm) >= n
}

// Seen is how many distinct measured events arrived.
func (t *Tally) Seen() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.lat)
}

// Result is a tally's summary.
type Result struct {
	Seen, Missing, Duplicates int
	P50, P99, Max             time.Duration
}

// Result summarises the tally against what was sent (per instance, in
// the fleet's order: instance i is "notes-<i+1>").
func (t *Tally) Result(sent []int) Result {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := Result{Seen: len(t.lat), Duplicates: t.dups}
	for i, n := range sent {
		r.Missing += n - len(t.seen[fmt.Sprintf("notes-%d", i+1)])
	}
	if len(t.lat) > 0 {
		l := slices.Clone(t.lat)
		slices.Sort(l)
		r.P50, r.P99, r.Max = l[len(l)/2], l[len(l)*99/100], l[len(l)-1]
	}
	return r
}

// Total is the sum of sent.
func Total(sent []int) int {
	n := 0
	for _, s := range sent {
		n += s
	}
	return n
}

// Report reports a benchmark's runs: delivered and offered events/s over
// d (the runs' recording time), latency p50, p99 and max (medians over
// the runs, in ms), missing and duplicate events (sums).
func Report(b *testing.B, res []Result, offered int, d time.Duration) {
	b.Helper()
	var seen, missing, dups int
	var p50, p99, mx []float64
	for _, r := range res {
		seen += r.Seen
		missing += r.Missing
		dups += r.Duplicates
		p50 = append(p50, float64(r.P50)/1e6)
		p99 = append(p99, float64(r.P99)/1e6)
		mx = append(mx, float64(r.Max)/1e6)
	}
	b.ReportMetric(float64(seen)/d.Seconds(), "ev/s")
	b.ReportMetric(float64(offered)/d.Seconds(), "offered-ev/s")
	b.ReportMetric(median(p50), "p50-ms")
	b.ReportMetric(median(p99), "p99-ms")
	b.ReportMetric(median(mx), "max-ms")
	b.ReportMetric(float64(missing), "missing")
	b.ReportMetric(float64(dups), "dups")
	b.ReportMetric(0, "ns/op")
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
