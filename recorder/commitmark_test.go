package recorder

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/stream"
)

// TestCommitMarkWait: a reader waits for exactly the batches published
// before it started, and no longer than its context or the pipeline.
func TestCommitMarkWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newCommitMark()
		stop := make(chan struct{})
		if err := m.wait(t.Context(), stop); err != nil {
			t.Fatalf("nothing published: %v", err)
		}

		start := func(ctx context.Context) <-chan error {
			res := make(chan error, 1)
			go func() { res <- m.wait(ctx, stop) }()
			synctest.Wait() // the reader has read its target and blocks, or returned
			return res
		}
		returned := func(res <-chan error) (error, bool) {
			synctest.Wait()
			select {
			case err := <-res:
				return err, true
			default:
				return nil, false
			}
		}

		m.publish(1)
		m.publish(2)
		first := start(t.Context())
		m.publish(3) // after the reader began: not its concern
		m.commit(1)
		if _, ok := returned(first); ok {
			t.Fatal("reader returned with batch 2 published but not committed")
		}
		m.commit(2)
		if err, ok := returned(first); !ok || err != nil {
			t.Fatalf("reader after batch 2 committed: returned %v, err %v", ok, err)
		}

		ctx, cancel := context.WithCancel(t.Context())
		second := start(ctx)
		cancel()
		if err, ok := returned(second); !ok || !errors.Is(err, context.Canceled) {
			t.Fatalf("canceled reader: returned %v, err %v", ok, err)
		}

		third := start(t.Context())
		close(stop) // the pipeline stopped: batch 3 will never be committed
		if err, ok := returned(third); !ok || err != nil {
			t.Fatalf("reader after the pipeline stopped: returned %v, err %v", ok, err)
		}
	})
}

// TestLiveBeforeStored: a batch goes to the consoles before the commit
// stage stores it, and a history read that starts while it is not yet
// stored (a console resuming right after seeing it live) still gets it.
func TestLiveBeforeStored(t *testing.T) {
	release := newGate()
	first := true
	r := newTestRecorderHooks(t, Config{}, hooks{handoff: func() {
		if first { // the prepare stage holds the first batch, published, before the commit stage has it
			first = false
			<-release.ch
		}
	}})
	t.Cleanup(release.open) // after the recorder's: runs before its Close
	sub := r.hub.Subscribe((*stream.Filter)(nil))
	defer sub.Close()
	r.Event(t.Context(), event.KindCustom, "live.first", nil)
	<-sub.Ready()
	items, _ := sub.Drain(nil)
	if len(items) != 1 {
		t.Fatalf("live: %d events, want 1", len(items))
	}
	id := items[0].ID
	if _, err := r.Store().Get(id); err == nil {
		t.Fatal("the store has the event while the pipeline still holds its batch")
	}

	read := make(chan []event.ID, 1)
	go func() {
		ids, _, err := storeHistory{r}.SinceEncoded(context.Background(), event.ID{}, 10)
		if err != nil {
			t.Errorf("history: %v", err)
		}
		read <- ids
	}()
	release.open()
	ids := <-read
	if len(ids) != 1 || ids[0] != id {
		t.Fatalf("history read begun after the event was seen live: %v, want [%s] (stats %+v)", ids, id, r.Stats())
	}
}

// TestGroupCommit: while a store write is slow, the pipeline goes on
// preparing and publishing batches, and the commit stage then stores all
// of them in one write, in order.
func TestGroupCommit(t *testing.T) {
	entered, release := make(chan struct{}), newGate()
	handoffs := make(chan struct{}, 16)
	var writes [][]string // the names of each store write (commit stage only, read after Flush)
	r := newTestRecorderHooks(t, Config{}, hooks{
		sink: func(evs []event.Event, _ [][]byte) error {
			if writes == nil {
				close(entered)
				<-release.ch
			}
			var names []string
			for _, e := range evs {
				names = append(names, e.Name)
			}
			writes = append(writes, names)
			return nil
		},
		handoff: func() { handoffs <- struct{}{} },
	})
	t.Cleanup(release.open) // after the recorder's: runs before its Close
	sub := r.hub.Subscribe((*stream.Filter)(nil))
	defer sub.Close()
	ctx := t.Context()
	r.Event(ctx, event.KindCustom, "a", nil)
	<-entered
	<-handoffs
	names := []string{"b1", "b2", "b3", "c"}
	for _, n := range names { // one batch each: the next is recorded after the hand-over
		r.Event(ctx, event.KindCustom, n, nil)
		<-handoffs
	}
	var live []string
	for len(live) < 1+len(names) {
		<-sub.Ready()
		items, _ := sub.Drain(nil)
		for _, it := range items {
			var e event.Event
			if err := event.Unmarshal(it.Enc, &e); err != nil {
				t.Fatal(err)
			}
			live = append(live, e.Name)
		}
	}
	if want := append([]string{"a"}, names...); !slices.Equal(live, want) {
		t.Fatalf("published while the store write was held: %v, want %v", live, want)
	}
	release.open()
	flush(t, r)
	// "c" was handed over after b3's hand-over completed; it may or may
	// not have made the same write.
	if len(writes) < 2 || !slices.Equal(writes[0], []string{"a"}) || len(writes[1]) < 3 || !slices.Equal(writes[1][:3], names[:3]) {
		t.Fatalf("store writes: %v, want [a] then one write starting [b1 b2 b3]", writes)
	}
	if got := slices.Concat(writes...); !slices.Equal(got, append([]string{"a"}, names...)) {
		t.Fatalf("stored in order: %v", got)
	}
	if st := r.Stats(); st.Recorded != 5 || st.Published != 5 {
		t.Fatalf("stats: recorded %d published %d, want 5 and 5", st.Recorded, st.Published)
	}
}

// TestCommitPacing: a steady trickle of events, each batch of its own, is
// published at once but committed at most once per commitEvery (plus the
// first, which goes at once), and a Flush does not wait for the pace.
func TestCommitPacing(t *testing.T) {
	var commits atomic.Int64
	handoffs := make(chan struct{}, 1)
	r := newTestRecorderHooks(t, Config{}, hooks{
		sink: func([]event.Event, [][]byte) error {
			commits.Add(1)
			return nil
		},
		handoff: func() {
			select {
			case handoffs <- struct{}{}:
			default:
			}
		},
	})
	const n = 40
	start := time.Now()
	for i := range n {
		r.Event(t.Context(), event.KindCustom, fmt.Sprint("tick-", i), nil)
		<-handoffs // its own batch: the next event comes after its hand-over
	}
	flush(t, r)
	elapsed := time.Since(start)
	if got, most := commits.Load(), int64(elapsed/commitEvery)+2; got > most {
		t.Fatalf("%d batches over %v made %d commits, want at most %d (one per %v)", n, elapsed, got, most, commitEvery)
	}
	if st := r.Stats(); st.Recorded != n {
		t.Fatalf("recorded %d, want %d", st.Recorded, n)
	}
}

// TestSetPoolBudget: the first stage gets no further set while the sets in
// flight hold the byte budget, except the first, whatever its size.
func TestSetPoolBudget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pool := newSetPool(4, 100)
		fill := func(s *stageSet, n int) {
			s.p.encs = [][]byte{make([]byte, n)}
			pool.hold(s)
		}
		a := pool.get()
		fill(a, 60)
		b := pool.get() // 60 of 100 held: another set
		fill(b, 300)    // one set may go past the budget
		if !pool.over() {
			t.Fatal("360 bytes held, budget 100: not over")
		}
		got := make(chan *stageSet, 1)
		go func() { got <- pool.get() }()
		synctest.Wait()
		select {
		case <-got:
			t.Fatal("a set was handed out with the budget held")
		default:
		}
		pool.put(b) // 60 held again
		synctest.Wait()
		c := <-got
		if pool.over() {
			t.Fatal("60 bytes held, budget 100: over")
		}
		pool.put(a)
		fill(c, 500) // alone in flight: allowed, and the budget is held
		pool.put(c)
		if pool.over() {
			t.Fatal("nothing in flight, yet over the budget")
		}
	})
}

// TestInFlightBudget: while a store write is slow, the first stage goes
// on with further batches only as long as the sets in flight hold less
// than the byte budget; then the queue holds the rest, and every event is
// still stored, in order. With a budget smaller than any batch, nothing
// beyond the batch being written is published.
func TestInFlightBudget(t *testing.T) {
	for _, tc := range []struct {
		budget    int64
		published uint64 // while the first write is held
	}{
		{budget: 1, published: 1},       // "a" only: "b" waits in the queue
		{budget: 1 << 20, published: 2}, // "b" too, as TestGroupCommit shows
	} {
		t.Run(fmt.Sprint("budget=", tc.budget), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				entered, release := make(chan struct{}), newGate()
				var stored []string
				r := newTestRecorderHooks(t, Config{}, hooks{
					inFlightBytes: tc.budget,
					sink: func(evs []event.Event, _ [][]byte) error {
						if stored == nil {
							close(entered)
							<-release.ch
						}
						for _, e := range evs {
							stored = append(stored, e.Name)
						}
						return nil
					},
				})
				t.Cleanup(release.open) // after the recorder's: runs before its Close
				r.Event(t.Context(), event.KindCustom, "a", nil)
				<-entered
				r.Event(t.Context(), event.KindCustom, "b", nil)
				time.Sleep(2 * linger) // the bubble's clock: the first stage's linger passes at once
				synctest.Wait()        // the pipeline has gone as far as it can
				if got := r.published.Load(); got != tc.published {
					t.Fatalf("published %d events while the first write was held, want %d", got, tc.published)
				}
				release.open()
				flush(t, r)
				if !slices.Equal(stored, []string{"a", "b"}) {
					t.Fatalf("stored %v, want [a b]", stored)
				}
			})
		})
	}
}

// gate holds a pipeline stage on purpose until opened. A test opens it
// itself and in a cleanup registered after the recorder's (cleanups run
// last in, first out), so the recorder's Close never waits on it.
type gate struct {
	ch   chan struct{}
	once sync.Once
}

func newGate() *gate { return &gate{ch: make(chan struct{})} }

func (g *gate) open() { g.once.Do(func() { close(g.ch) }) }
