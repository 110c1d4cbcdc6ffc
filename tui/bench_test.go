package tui

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/beignet/devtools/event"
)

func benchModel(b *testing.B, n int) *model {
	b.Helper()
	dark := true
	m := newModel(Options{Source: newFake(nil), Now: fixedNow, Location: time.UTC, Dark: &dark})
	b.Cleanup(func() { m.Close() })
	m.Update(tea.WindowSizeMsg{Width: 200, Height: 50})
	evs := sampleEvents(0, n)
	for i := 0; i < n; i += 1000 {
		m.Update(batchMsg{b: batch{Events: evs[i:min(i+1000, n)]}})
	}
	return m
}

// BenchmarkView: one frame with 50,000 events in memory at 200x50 (rows
// cached, as between arrivals).
func BenchmarkView(b *testing.B) {
	m := benchModel(b, 50_000)
	m.View()
	b.ReportAllocs()
	for b.Loop() {
		_ = m.View()
	}
}

// BenchmarkViewUncached: the same frame with every visible row re-rendered
// (first frame after a resize or palette change).
func BenchmarkViewUncached(b *testing.B) {
	m := benchModel(b, 50_000)
	b.ReportAllocs()
	for b.Loop() {
		m.styleG++
		_ = m.View()
	}
}

// BenchmarkViewDetail: one frame of the split detail (timeline) view.
func BenchmarkViewDetail(b *testing.B) {
	m := benchModel(b, 50_000)
	m.Update(press("k"))
	m.Update(press("enter"))
	for m.det.tab != tabTimeline {
		m.Update(press("tab"))
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = m.View()
	}
}

// BenchmarkArrivals20k: one frame at 20,000 events/s delivered at 50 frames/s
// (a batch of 400 events with a filter active) plus the render that follows.
// The ev/s metric is the sustainable arrival rate of Update+View alone.
func BenchmarkArrivals20k(b *testing.B) {
	m := benchModel(b, 50_000)
	m.Update(press("/"))
	for _, r := range "-kind:log" {
		m.Update(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
	m.Update(press("enter"))
	batches := make([][]event.Event, 16)
	for i := range batches {
		batches[i] = sampleEvents(50_000+i*400, 400)
	}
	b.ReportAllocs()
	i := 0
	start := time.Now()
	for b.Loop() {
		// Fresh IDs each frame, as a stream delivers them.
		bt := batches[i%len(batches)]
		for j := range bt {
			n := 50_000 + i*400 + j
			bt[j].ID = mkID(t0.Add(time.Duration(n)*37*time.Millisecond), n)
		}
		m.Update(batchMsg{b: batch{Events: bt}})
		_ = m.View()
		i++
	}
	el := time.Since(start)
	b.ReportMetric(float64(i*400)/el.Seconds(), "ev/s")
	b.ReportMetric(float64(el.Microseconds())/float64(i)/1000, "ms/frame")
}

// BenchmarkStreamMillion streams 1,000,000 decoded events (each decoded from
// its own JSON, as the live source does) through the model in batches and
// reports the live heap and the process RSS afterwards. Run with
// -benchtime=1x.
func BenchmarkStreamMillion(b *testing.B) {
	tmpl := sampleEvents(0, 8)
	raws := make([][]byte, len(tmpl))
	for i := range tmpl {
		raws[i], _ = event.Marshal(&tmpl[i])
	}
	for b.Loop() {
		dark := true
		m := newModel(Options{Source: newFake(nil), Now: fixedNow, Location: time.UTC, Dark: &dark})
		m.Update(tea.WindowSizeMsg{Width: 200, Height: 50})
		const total, perBatch = 1_000_000, 1000
		evs := make([]event.Event, perBatch)
		for n := 0; n < total; n += perBatch {
			for i := range evs {
				if err := event.Unmarshal(raws[(n+i)%len(raws)], &evs[i]); err != nil {
					b.Fatal(err)
				}
				evs[i].ID = mkID(t0.Add(time.Duration(n+i)*time.Millisecond), n+i)
			}
			m.Update(batchMsg{b: batch{Events: evs}})
			evs = make([]event.Event, perBatch)
			if n%20000 == 0 {
				_ = m.View()
			}
		}
		_ = m.View()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heapMB")
		b.ReportMetric(float64(rssKB())/1024, "rssMB")
		if m.list.buf.len() != defaultRingSize {
			b.Fatalf("ring holds %d", m.list.buf.len())
		}
		m.Close()
	}
}

// rssKB reads VmRSS from /proc (Linux); 0 elsewhere.
func rssKB() int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			f := strings.Fields(l)
			if len(f) >= 2 {
				n, _ := strconv.Atoi(f[1])
				return n
			}
		}
	}
	return 0
}
