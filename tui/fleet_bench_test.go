package tui

import (
	"context"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/internal/fleetbench"
	"github.com/beignet/devtools/stream"
)

// fleetLoad is how long each run of the fleet benchmarks records.
const fleetLoad = 5 * time.Second

// measured wraps the console's model in a real tea.Program: every batch a
// source delivers goes through the model's own Update (the merge of the
// instances' events into one list), and its events count as seen when the
// next frame is rendered (View) after it.
type measured struct {
	*model
	tally *fleetbench.Tally

	mu      sync.Mutex
	pending []event.Event // merged, not yet rendered
	live    map[int]bool  // sources that reached live
}

func (w *measured) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if f, ok := msg.(probeMsg); ok {
		f()
		return w, nil
	}
	if bm, ok := msg.(batchMsg); ok {
		w.mu.Lock()
		w.pending = append(w.pending, bm.b.Events...)
		if bm.b.Conn != nil && bm.b.Conn.State == stream.StateLive {
			w.live[bm.src] = true
		}
		w.mu.Unlock()
	}
	_, cmd := w.model.Update(msg)
	return w, cmd
}

func (w *measured) View() tea.View {
	v := w.model.View()
	now := time.Now()
	w.mu.Lock()
	for i := range w.pending {
		w.tally.Observe(&w.pending[i], now)
	}
	w.pending = w.pending[:0]
	w.mu.Unlock()
	return v
}

// BenchmarkFleetConsole measures the merged console over a fleet of
// in-process recorders (their devtools routes on loopback) recording at a
// steady rate: three instances at 2,000 events/s each, beside one instance
// at 6,000 events/s (the same total through one stream), and beside bare
// stream.Clients on the three instances (what the machine and the
// recorders' pipelines cost without the console). Each run records
// for 5 s; latency is recorded → rendered in a frame of the console (a
// real tea.Program, output discarded). Run with -benchtime 1x:
//
//	go test -run '^$' -bench FleetConsole -benchtime 1x -count 3 ./tui
func BenchmarkFleetConsole(b *testing.B) {
	for _, c := range []struct {
		instances, rate int
		raw             bool
	}{{1, 6000, false}, {3, 2000, false}, {3, 2000, true}} {
		name := fmt.Sprintf("instances=%d/rate=%d", c.instances, c.rate)
		if c.raw {
			name += "/raw-clients"
		}
		b.Run(name, func(b *testing.B) {
			var res []fleetbench.Result
			var offered, gaps, drops int
			var recDropped uint64
			for i := 0; i < b.N; i++ {
				run := runFleetConsole
				if c.raw {
					run = runFleetRaw
				}
				r, total, g, d, rd := run(b, c.instances, c.rate)
				res = append(res, r)
				offered += total
				gaps += g
				drops += d
				recDropped += rd
			}
			fleetbench.Report(b, res, offered, fleetLoad*time.Duration(b.N))
			b.ReportMetric(float64(gaps), "gaps")
			b.ReportMetric(float64(drops), "console-dropped")
			b.ReportMetric(float64(recDropped), "recorder-dropped")
		})
	}
}

func runFleetConsole(b *testing.B, instances, rate int) (fleetbench.Result, int, int, int, uint64) {
	b.Helper()
	f, err := fleetbench.Start(fleetbench.Options{Instances: instances, Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	var srcs []Source
	for _, u := range f.WSURLs() {
		srcs = append(srcs, NewLiveSource(stream.ClientOptions{URL: u, Token: fleetbench.Token, FillGaps: true}))
	}
	dark := true
	m := newModel(Options{Sources: srcs, Dark: &dark, Location: time.UTC})
	w := &measured{model: m, tally: fleetbench.NewTally(), live: map[int]bool{}}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	p := tea.NewProgram(w, tea.WithContext(ctx), tea.WithInput(nil), tea.WithOutput(io.Discard), tea.WithWindowSize(160, 40))
	done := make(chan error, 1)
	go func() { _, err := p.Run(); done <- err }()
	defer func() {
		p.Quit()
		<-done
		m.Close()
	}()
	if err := f.WarmUp(ctx, func() bool { return w.tally.Warm(instances) }); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	sent, dropped := f.Run(ctx, rate, fleetLoad)
	b.StopTimer()
	total := fleetbench.Total(sent)
	// Whatever has not arrived 5 s after the last event was recorded is
	// counted missing.
	deadline := time.Now().Add(5 * time.Second)
	for w.tally.Seen() < total && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	// Read the model's counters on its own goroutine.
	type counts struct{ gaps, dropped int }
	got := make(chan counts, 1)
	p.Send(probeMsg(func() { got <- counts{m.bar.gaps, m.bar.dropped} }))
	var cs counts
	select {
	case cs = <-got:
	case <-ctx.Done():
		b.Fatal("the console did not answer")
	}
	return w.tally.Result(sent), total, cs.gaps, cs.dropped, dropped
}

// runFleetRaw is the baseline of runFleetConsole: the same fleet and load
// read by bare stream.Clients (one per instance, events counted in their
// callback), without the console's sources, merge or rendering.
func runFleetRaw(b *testing.B, instances, rate int) (fleetbench.Result, int, int, int, uint64) {
	b.Helper()
	f, err := fleetbench.Start(fleetbench.Options{Instances: instances, Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	tally := fleetbench.NewTally()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	var mu sync.Mutex
	gaps := 0
	for _, u := range f.WSURLs() {
		c := stream.NewClient(stream.ClientOptions{URL: u, Token: fleetbench.Token, FillGaps: true})
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = c.Run(ctx, func(u stream.Update) {
				switch u.Kind {
				case stream.UpdateEvent:
					tally.Observe(&u.Event, time.Now())
				case stream.UpdateGap:
					mu.Lock()
					gaps++
					mu.Unlock()
				}
			})
		}()
	}
	defer func() { cancel(); wg.Wait() }()
	if err := f.WarmUp(ctx, func() bool { return tally.Warm(instances) }); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	sent, dropped := f.Run(ctx, rate, fleetLoad)
	b.StopTimer()
	total := fleetbench.Total(sent)
	deadline := time.Now().Add(5 * time.Second)
	for tally.Seen() < total && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	return tally.Result(sent), total, gaps, 0, dropped
}

// probeMsg runs on the program's goroutine (see measured.Update).
type probeMsg func()
