package store

import (
	"fmt"
	"testing"
	"time"

	"github.com/beignet/devtools/event"
)

// TestSweepLooksUpOnlyWhenEventsMayBeMissingInTheMiddle: with retention
// deleting only the oldest events, the rolling sweep decides each index
// entry by the oldest stored ID and leaves every live entry alone; after a
// kind-filtered purge (events deleted from the middle) or a reopen, its
// next pass looks entries up and drops those whose event is gone.
func TestSweepLooksUpOnlyWhenEventsMayBeMissingInTheMiddle(t *testing.T) {
	clock := newClock(t0)
	s := openTemp(t, &Options{NoSync: true, MaxAge: -1, MaxEvents: 300, CompactFreeRatio: -1, Now: clock.Now})
	gen := event.NewGenerator(clock.Now)
	for i := range 6 {
		appendN(t, s, gen, clock.Now(), 100, event.KindRequest, fmt.Sprint("a", i))
		clock.Set(clock.Now().Add(time.Second))
	}
	// Retention deleted the oldest 300 at the cap; the no-lookup sweep
	// catches up with their entries.
	for i := 0; i < 50 && s.sweep.running; i++ {
		appendN(t, s, gen, clock.Now(), 1, event.KindLog, "tick")
	}
	if p := indexProblems(t, s); len(p) > 0 {
		t.Fatalf("after retention at the cap: %d index problems, first: %s", len(p), p[0])
	}
	if s.holes {
		t.Fatal("holes set though only the oldest events were deleted")
	}

	// Delete events from the middle the way a kind-filtered purge's chunk
	// does, without its full sweep: the index keeps their entries.
	var mid []event.Event
	if err := s.view(func(tx *boltTx) error {
		c := tx.Bucket(bucketEvents).Cursor()
		k, v := c.First()
		for range 120 {
			k, v = c.Next()
		}
		for range 5 {
			var e event.Event
			if err := event.Unmarshal(v, &e); err != nil {
				return err
			}
			mid = append(mid, e)
			k, v = c.Next()
		}
		_ = k
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.writeChunk(func(tx *boltTx) error {
		keys := make([][]byte, len(mid))
		for i := range mid {
			keys[i] = mid[i].ID[:]
		}
		s.holes = true
		return deleteEvents(tx.Bucket(bucketEvents), tx.Bucket(bucketMeta), keys)
	}); err != nil {
		t.Fatal(err)
	}
	s.sweep.dirty = true
	if p := indexProblems(t, s); len(p) != len(mid) {
		t.Fatalf("%d index problems before the sweep, want %d", len(p), len(mid))
	}
	for i := 0; i < 50 && (s.sweep.running || s.sweep.dirty); i++ {
		appendN(t, s, gen, clock.Now(), 1, event.KindLog, "tick")
	}
	if p := indexProblems(t, s); len(p) > 0 {
		t.Fatalf("after the sweep: %d index problems, first: %s", len(p), p[0])
	}
	mustCheck(t, s)
}
