package store

import (
	"sync"
	"testing"
	"time"

	"github.com/beignet/devtools/event"
)

// TestStatsWhileAppending reads Stats while a writer grows the file: under
// the race detector this fails if Stats reads bbolt's mmap unguarded (as
// bolt.DB.Info does).
func TestStatsWhileAppending(t *testing.T) {
	s := openTemp(t, nil)
	gen := event.NewGenerator(nil)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 40; i++ {
			appendN(t, s, gen, time.Now(), 200, event.KindRequest, "r")
		}
	}()
	last := 0
	for i := 0; i < 200; i++ {
		st, err := s.Stats()
		if err != nil {
			t.Fatal(err)
		}
		if st.Count < last {
			t.Fatalf("count went back from %d to %d", last, st.Count)
		}
		last = st.Count
	}
	wg.Wait()
	if st, _ := s.Stats(); st.Count != 8000 || st.FreeBytes < 0 {
		t.Fatalf("after the writer: %+v", st)
	}
}
