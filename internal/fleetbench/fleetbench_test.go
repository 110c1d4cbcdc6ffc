package fleetbench

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/beignet/devtools/event"
)

// TestTally: latencies are seen − recorded, a repeated event counts as a
// duplicate and not twice, an event never seen counts missing, warm-up and
// foreign events are not measured.
func TestTally(t *testing.T) {
	t0 := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	tl := NewTally()
	ev := func(inst, name string, seq int) *event.Event {
		return &event.Event{Instance: inst, Name: name, Time: t0, Attrs: event.Attrs{"seq": json.Number(string(rune('0' + seq)))}}
	}
	tl.Observe(ev("notes-1", WarmName, 0), t0)
	if tl.Warm(2) || !tl.Warm(1) {
		t.Fatal("warm-up counted wrong")
	}
	for seq := range 3 {
		tl.Observe(ev("notes-1", Name, seq), t0.Add(time.Duration(seq+1)*10*time.Millisecond))
	}
	tl.Observe(ev("notes-1", Name, 2), t0.Add(time.Second)) // again
	tl.Observe(ev("notes-2", Name, 0), t0.Add(40*time.Millisecond))
	tl.Observe(ev("notes-2", "other", 1), t0.Add(time.Hour))
	r := tl.Result([]int{3, 2})
	if r.Seen != 4 || r.Missing != 1 || r.Duplicates != 1 {
		t.Fatalf("seen %d missing %d dups %d, want 4 1 1", r.Seen, r.Missing, r.Duplicates)
	}
	if r.P50 != 30*time.Millisecond || r.Max != 40*time.Millisecond {
		t.Fatalf("p50 %v max %v, want 30ms 40ms", r.P50, r.Max)
	}
	if Total([]int{3, 2}) != 5 {
		t.Fatal("Total")
	}
}
