package main

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"testing"
	"time"
)

// measurement is one benchmark's runs.
type measurement struct {
	name    string
	nsPerOp []float64
	allocs  []float64
	bytes   []float64
	extra   map[string][]float64 // custom metrics, e.g. events/s
}

func (m *measurement) add(r testing.BenchmarkResult) {
	m.nsPerOp = append(m.nsPerOp, float64(r.NsPerOp()))
	m.allocs = append(m.allocs, float64(r.AllocsPerOp()))
	m.bytes = append(m.bytes, float64(r.AllocedBytesPerOp()))
	for k, v := range r.Extra {
		if m.extra == nil {
			m.extra = map[string][]float64{}
		}
		m.extra[k] = append(m.extra[k], v)
	}
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// row is one line of a table: a measurement against its baseline.
type row struct {
	what     string
	value    string
	baseline string
	ratio    string
	target   string
}

type section struct {
	title string
	note  string
	rows  []row
}

type report struct {
	runs     int
	progress io.Writer
	sections []section
}

// benchCase is one variant of an interleaved comparison. after, when set,
// runs after each of its runs (outside the timing), to settle what the run
// left behind (a recorder's queued events) before the next variant runs.
type benchCase struct {
	name  string
	fn    func(b *testing.B)
	after func()
}

// interleave runs each case r.runs times, round-robin (run 1 of every
// case, then run 2, ...), so that a slow patch of a noisy machine falls on
// every variant alike instead of on one. The measurements come back in the
// order of cases.
func (r *report) interleave(cases ...benchCase) []*measurement {
	ms := make([]*measurement, len(cases))
	for i, c := range cases {
		ms[i] = &measurement{name: c.name}
	}
	for range r.runs {
		for i, c := range cases {
			ms[i].add(testing.Benchmark(c.fn))
			if c.after != nil {
				c.after()
			}
		}
	}
	for _, m := range ms {
		fmt.Fprintf(r.progress, "bench:   %-40s %12.0f ns/op %8.0f allocs/op\n", m.name, median(m.nsPerOp), median(m.allocs))
	}
	return ms
}

func (r *report) add(s section) { r.sections = append(r.sections, s) }

func (r *report) write(w io.Writer) {
	for _, s := range r.sections {
		fmt.Fprintf(w, "## %s\n\n", s.title)
		if s.note != "" {
			fmt.Fprintf(w, "%s\n\n", s.note)
		}
		fmt.Fprintln(w, "| measurement | value | baseline | ratio | target |")
		fmt.Fprintln(w, "| --- | ---: | ---: | ---: | --- |")
		for _, row := range s.rows {
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", row.what, row.value, row.baseline, row.ratio, row.target)
		}
		fmt.Fprintln(w)
	}
}

func fmtNs(ns float64) string {
	d := time.Duration(ns)
	switch {
	case ns < 1000:
		return fmt.Sprintf("%.0f ns", ns)
	case ns < 1e6:
		return fmt.Sprintf("%.2f µs", ns/1e3)
	case ns < 1e9:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	}
	return d.Round(time.Millisecond).String()
}

func fmtRate(perSec float64, unit string) string {
	switch {
	case perSec >= 1e6:
		return fmt.Sprintf("%.2fM %s/s", perSec/1e6, unit)
	case perSec >= 1e3:
		return fmt.Sprintf("%.1fk %s/s", perSec/1e3, unit)
	}
	return fmt.Sprintf("%.0f %s/s", perSec, unit)
}

// pairedRatios returns, for each round i, (a[i]-base[i]) / (b[i]-base[i]):
// the ratio of two variants' added costs as measured in the same round,
// which the machine's drift from one round to the next does not skew as it
// can skew a ratio of medians. Rounds where b added nothing are skipped.
func pairedRatios(a, b, base []float64) []float64 {
	n := min(len(a), len(b), len(base))
	out := make([]float64, 0, n)
	for i := range n {
		if d := b[i] - base[i]; d > 0 {
			out = append(out, (a[i]-base[i])/d)
		}
	}
	return out
}

// spread formats ratios as their median and range.
func spread(rs []float64) string {
	if len(rs) == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f× (rounds %.2f–%.2f×)", median(rs), slices.Min(rs), slices.Max(rs))
}

func ratio(a, b float64) string {
	if b == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f×", a/b)
}
