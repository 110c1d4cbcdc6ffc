package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"
)

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want float64
	}{
		{nil, 0},
		{[]float64{3}, 3},
		{[]float64{5, 1, 3}, 3},
		{[]float64{4, 1, 3, 2}, 2.5},
	} {
		in := append([]float64(nil), c.in...)
		if got := median(c.in); got != c.want {
			t.Errorf("median(%v) = %v, want %v", c.in, got, c.want)
		}
		for i := range in {
			if in[i] != c.in[i] {
				t.Fatalf("median reordered its input")
			}
		}
	}
}

func TestPairedRatios(t *testing.T) {
	// Round 2 runs twice as slow for every variant: its ratio stays 0.5.
	a, b, base := []float64{150, 300, 140}, []float64{200, 400, 0}, []float64{100, 200, 100}
	got := pairedRatios(a, b, base)
	if len(got) != 2 || got[0] != 0.5 || got[1] != 0.5 {
		t.Fatalf("pairedRatios = %v, want [0.5 0.5] (the round where b added nothing skipped)", got)
	}
	if s := spread([]float64{0.9, 0.7, 1.2}); s != "0.90× (rounds 0.70–1.20×)" {
		t.Fatalf("spread = %q", s)
	}
	if s := spread(nil); s != "–" {
		t.Fatalf("spread(nil) = %q", s)
	}
}

func TestReportTable(t *testing.T) {
	r := &report{}
	r.add(section{title: "Group", note: "why", rows: []row{{"thing", fmtNs(1500), fmtNs(500), ratio(1500, 500), "≤ 3×"}}})
	var buf bytes.Buffer
	r.write(&buf)
	want := "## Group\n\nwhy\n\n| measurement | value | baseline | ratio | target |\n| --- | ---: | ---: | ---: | --- |\n| thing | 1.50 µs | 500 ns | 3.00× | ≤ 3× |\n\n"
	if buf.String() != want {
		t.Fatalf("table:\n%s\nwant:\n%s", buf.String(), want)
	}
	if got := ratio(1, 0); got != "–" {
		t.Errorf("ratio over zero = %q", got)
	}
	if got := fmtRate(152_300, "events"); !strings.HasPrefix(got, "152.3k") {
		t.Errorf("fmtRate = %q", got)
	}
}

// TestInterleave checks that interleave runs the cases round-robin, calls
// each case's after once per run of it, and returns one measurement per
// case, in order, with one result per run.
func TestInterleave(t *testing.T) {
	var order []string
	r := &report{runs: 3, progress: &bytes.Buffer{}}
	step := func(name string) func(*testing.B) {
		return func(b *testing.B) {
			if b.N == 1 { // testing.Benchmark's first, sizing call
				order = append(order, name)
			}
		}
	}
	afters := 0
	ms := r.interleave(
		benchCase{name: "a", fn: step("a"), after: func() { afters++ }},
		benchCase{name: "b", fn: step("b")},
	)
	if got := strings.Join(order, ""); got != "ababab" {
		t.Fatalf("run order %q, want ababab", got)
	}
	if afters != 3 {
		t.Fatalf("after ran %d times, want 3", afters)
	}
	if len(ms) != 2 || ms[0].name != "a" || ms[1].name != "b" || len(ms[0].nsPerOp) != 3 || len(ms[1].nsPerOp) != 3 {
		t.Fatalf("measurements %+v", ms)
	}
}

func TestHistogramQuantile(t *testing.T) {
	h := newHistogram()
	for i := 1; i <= 100; i++ {
		h.add(time.Duration(i) * time.Millisecond)
	}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 50 * time.Millisecond}, {0.99, 99 * time.Millisecond}, {1, 100 * time.Millisecond}} {
		got := h.quantile(c.q)
		if d := float64(got-c.want) / float64(c.want); d < -0.02 || d > 0.02 {
			t.Errorf("quantile(%v) = %s, want %s within 2%%", c.q, got, c.want)
		}
	}
	o := newHistogram()
	o.add(time.Hour)
	h.merge(o)
	if got := h.quantile(1); got < 59*time.Minute {
		t.Errorf("after merge, max = %s, want about 1h", got)
	}
	if got := newHistogram().quantile(0.5); got != 0 {
		t.Errorf("empty histogram quantile = %s, want 0", got)
	}
}

func TestProcCPUAndRSS(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	c0, err := procCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		if c, _ := procCPU(os.Getpid()); c > c0 {
			break
		}
	}
	if c, _ := procCPU(os.Getpid()); c <= c0 {
		t.Errorf("procCPU did not advance while this test spun for 5s: %s then %s", c0, c)
	}
	if procRSS(os.Getpid()) == 0 {
		t.Error("procRSS = 0 for this process")
	}
}

// TestSpliceReport: -update replaces the harness's part and keeps the
// go test -bench sections below the marker, byte for byte; a file without
// the marker is refused, not overwritten.
func TestSpliceReport(t *testing.T) {
	kept := keptMarker + "\n\n## Redaction rule table (`go test -bench`)\n\n| row | 1 |\n"
	old := "# Benchmarks\n\nold figures\n\n" + kept
	got, err := spliceReport([]byte(old), []byte("# Benchmarks\n\nnew figures\n\n\n"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "# Benchmarks\n\nnew figures\n\n" + kept; string(got) != want {
		t.Fatalf("spliced:\n%s\nwant:\n%s", got, want)
	}
	if _, err := spliceReport([]byte("# Benchmarks\n\nno marker\n"), []byte("new")); err == nil {
		t.Fatal("a file without the marker was accepted")
	}
}
