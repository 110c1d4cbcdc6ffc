package main

import (
	"bytes"
	"strings"
	"testing"
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
