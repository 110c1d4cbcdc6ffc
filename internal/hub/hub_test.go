package hub

import (
	"strings"
	"testing"
	"time"

	"github.com/beignet/devtools/event"
)

// kinds is a Filter taking the listed kinds.
type kinds []event.Kind

func (k kinds) Match(kind event.Kind, _ string) bool {
	for _, x := range k {
		if x == kind {
			return true
		}
	}
	return false
}

// requestID is a Filter taking one request's events.
type requestID string

func (r requestID) Match(_ event.Kind, id string) bool { return string(r) == id }

func makeEvent(gen *event.Generator, kind event.Kind, name string, _ int) (event.Event, []byte) {
	e := event.Event{Kind: kind, Name: name}
	e.Stamp(gen, time.Now())
	enc, err := event.Marshal(&e)
	if err != nil {
		panic(err)
	}
	return e, enc
}

// TestNilFilterTakesEverything: a nil Filter, and a Filter whose
// Match says yes, take every event.
func TestNilFilterTakesEverything(t *testing.T) {
	h := New(Options{})
	defer h.Close()
	s := h.Subscribe(nil)
	e, enc := makeEvent(event.NewGenerator(nil), event.KindLog, "x", 0)
	h.Publish(e.ID, e.Kind, "", enc)
	enc[0] = 'X' // the hub keeps its own copy
	items, _ := s.Drain(nil)
	if len(items) != 1 || string(items[0].Enc) != `{`+string(enc[1:]) {
		t.Fatalf("drained %q", items)
	}
	s.Rearm()
	select {
	case <-s.Ready():
	default:
		t.Fatal("Rearm did not signal Ready")
	}
}

func TestHubFanoutAndFilter(t *testing.T) {
	hub := New(Options{})
	defer hub.Close()
	all := hub.Subscribe(nil)
	audits := hub.Subscribe(kinds{event.KindAudit})
	req := hub.Subscribe(requestID("r1"))
	if got := hub.Subscribers(); got != 3 {
		t.Fatalf("Subscribers = %d, want 3", got)
	}
	gen := event.NewGenerator(nil)
	var ids []event.ID
	for i, k := range []event.Kind{event.KindRequest, event.KindAudit, event.KindLog} {
		e, enc := makeEvent(gen, k, "e", 0)
		rid := ""
		if i == 2 {
			rid = "r1"
		}
		hub.Publish(e.ID, e.Kind, rid, enc)
		ids = append(ids, e.ID)
	}
	check := func(name string, s *Subscription, want ...event.ID) {
		t.Helper()
		items, gap := s.Drain(nil)
		if gap.Dropped != 0 {
			t.Errorf("%s: unexpected gap %+v", name, gap)
		}
		if len(items) != len(want) {
			t.Fatalf("%s: got %d items, want %d", name, len(items), len(want))
		}
		for i := range want {
			if items[i].ID != want[i] {
				t.Errorf("%s: item %d = %s, want %s", name, i, items[i].ID, want[i])
			}
		}
	}
	check("all", all, ids...)
	check("audits", audits, ids[1])
	check("request", req, ids[2])

	req.Close()
	req.Close() // idempotent
	if got := hub.Subscribers(); got != 2 {
		t.Fatalf("Subscribers after Close = %d, want 2", got)
	}
	select {
	case <-req.Done():
	default:
		t.Fatal("Done not closed after Close")
	}
}

// A subscriber that is never drained overflows: Publish does not block, the
// drops are counted, and once drained the subscriber learns about the gap
// after the last event it got, then receives live events again.
func TestHubSlowSubscriberGap(t *testing.T) {
	hub := New(Options{Buffer: 8})
	defer hub.Close()
	slow := hub.Subscribe(nil)
	fast := hub.Subscribe(nil)
	gen := event.NewGenerator(nil)
	var ids []event.ID
	var fastGot []Item
	start := time.Now()
	for range 10_000 {
		e, enc := makeEvent(gen, event.KindLog, "e", 0)
		ids = append(ids, e.ID)
		hub.Publish(e.ID, e.Kind, "", enc)
		items, gap := fast.Drain(nil)
		if gap.Dropped != 0 {
			t.Fatalf("fast subscriber got a gap")
		}
		fastGot = append(fastGot, items...)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("publishing 10k events took %v", d)
	}
	if len(fastGot) != len(ids) {
		t.Fatalf("fast got %d, want %d", len(fastGot), len(ids))
	}
	items, gap := slow.Drain(nil)
	if len(items) != 8 || items[7].ID != ids[7] {
		t.Fatalf("slow drained %d items", len(items))
	}
	if gap.Dropped != uint64(len(ids)-8) || gap.Last != ids[len(ids)-1] {
		t.Fatalf("gap = %+v, want %d dropped, last %s", gap, len(ids)-8, ids[len(ids)-1])
	}
	if slow.Dropped() != uint64(len(ids)-8) || hub.Dropped() != uint64(len(ids)-8) || fast.Dropped() != 0 {
		t.Fatalf("drop counts: slow %d hub %d fast %d", slow.Dropped(), hub.Dropped(), fast.Dropped())
	}
	// Live again after the drain, no further gap.
	e, enc := makeEvent(gen, event.KindLog, "e", 0)
	hub.Publish(e.ID, e.Kind, "", enc)
	items, gap = slow.Drain(items)
	if len(items) != 1 || items[0].ID != e.ID || gap.Dropped != 0 {
		t.Fatalf("after drain: %d items, gap %+v", len(items), gap)
	}
}

// TestHubBufferBytes: a subscriber's queue is bounded in bytes as well as
// in events, so that a slow console cannot hold hundreds of MiB of large
// events in the app; an empty queue still takes one event of any size, and
// what the byte bound skips is a gap like any other.
func TestHubBufferBytes(t *testing.T) {
	gen := event.NewGenerator(nil)
	big := func(n int) (event.ID, []byte) {
		e, enc := makeEvent(gen, event.KindLog, strings.Repeat("b", n), 0)
		return e.ID, enc
	}
	id0, enc0 := big(2000)
	limit := 3*len(enc0) + len(enc0)/2 // room for three such events, not four
	hub := New(Options{Buffer: 100, BufferBytes: limit})
	defer hub.Close()
	sub := hub.Subscribe(nil)

	hub.Publish(id0, event.KindLog, "", enc0)
	var ids []event.ID
	ids = append(ids, id0)
	for range 5 {
		id, enc := big(2000)
		ids = append(ids, id)
		hub.Publish(id, event.KindLog, "", enc)
	}
	items, gap := sub.Drain(nil)
	if len(items) != 3 || items[0].ID != ids[0] || items[2].ID != ids[2] {
		t.Fatalf("drained %d items, want the first 3 (%d-byte bound, %d-byte events)", len(items), limit, len(enc0))
	}
	if gap.Dropped != 3 || gap.Last != ids[5] || sub.Dropped() != 3 {
		t.Fatalf("gap %+v (dropped %d), want 3 dropped up to %s", gap, sub.Dropped(), ids[5])
	}

	// Draining frees the bytes; an event larger than the whole bound is
	// taken by an empty queue, and the next one waits for a drain.
	huge, encHuge := big(2 * limit)
	hub.Publish(huge, event.KindLog, "", encHuge)
	next, encNext := big(10)
	hub.Publish(next, event.KindLog, "", encNext)
	items, gap = sub.Drain(items)
	if len(items) != 1 || items[0].ID != huge || gap.Dropped != 1 || gap.Last != next {
		t.Fatalf("after a huge event: %d items, gap %+v", len(items), gap)
	}
	after, encAfter := big(10)
	hub.Publish(after, event.KindLog, "", encAfter)
	if items, gap = sub.Drain(items); len(items) != 1 || items[0].ID != after || gap.Dropped != 0 {
		t.Fatalf("live again: %d items, gap %+v", len(items), gap)
	}
}

func TestHubResetAndClose(t *testing.T) {
	hub := New(Options{Buffer: 2})
	s := hub.Subscribe(nil)
	gen := event.NewGenerator(nil)
	for range 5 {
		e, enc := makeEvent(gen, event.KindLog, "e", 0)
		hub.Publish(e.ID, e.Kind, "", enc)
	}
	s.Reset(kinds{event.KindAudit})
	e, enc := makeEvent(gen, event.KindLog, "e", 0)
	hub.Publish(e.ID, e.Kind, "", enc)
	a, aenc := makeEvent(gen, event.KindAudit, "a", 0)
	hub.Publish(a.ID, a.Kind, "", aenc)
	items, gap := s.Drain(nil)
	if len(items) != 1 || items[0].ID != a.ID || gap.Dropped != 0 {
		t.Fatalf("after Reset: %d items, gap %+v", len(items), gap)
	}
	hub.Close()
	hub.Close()
	select {
	case <-s.Done():
	default:
		t.Fatal("subscription not closed by Hub.Close")
	}
	if hub.Subscribers() != 0 {
		t.Fatal("subscribers left after Close")
	}
	late := hub.Subscribe(nil)
	select {
	case <-late.Done():
	default:
		t.Fatal("Subscribe after Close returned an open subscription")
	}
	hub.Publish(a.ID, a.Kind, "", aenc) // no-op, no panic
}

func TestHubPublishOwnedKeepsBuffer(t *testing.T) {
	hub := New(Options{})
	defer hub.Close()
	a, b := hub.Subscribe(nil), hub.Subscribe(nil)
	e, enc := makeEvent(event.NewGenerator(nil), event.KindLog, "x", 0)
	hub.PublishOwned(e.ID, e.Kind, "", enc)
	for _, s := range []*Subscription{a, b} {
		items, _ := s.Drain(nil)
		if len(items) != 1 || &items[0].Enc[0] != &enc[0] {
			t.Fatal("PublishOwned copied the buffer or lost the event")
		}
	}
	hub.Publish(e.ID, e.Kind, "", enc)
	ia, _ := a.Drain(nil)
	ib, _ := b.Drain(nil)
	if &ia[0].Enc[0] == &enc[0] || &ia[0].Enc[0] != &ib[0].Enc[0] {
		t.Fatal("Publish must copy once and share the copy between subscribers")
	}
}

// TestHubPublishOwnedReportsKept: PublishOwned says whether a subscriber
// kept the buffer (so the caller knows when it may reuse it): not with no
// subscribers, not when the filter passes it by, not when the subscriber
// is behind and drops it; yes when one queued it.
func TestHubPublishOwnedReportsKept(t *testing.T) {
	hub := New(Options{Buffer: 1})
	defer hub.Close()
	gen := event.NewGenerator(nil)
	publish := func() bool {
		e, enc := makeEvent(gen, event.KindLog, "x", 0)
		return hub.PublishOwned(e.ID, e.Kind, "", enc)
	}
	if publish() {
		t.Fatal("kept with no subscribers")
	}
	audits := hub.Subscribe(kinds{event.KindAudit})
	if publish() {
		t.Fatal("kept by a subscriber whose filter passes it by")
	}
	all := hub.Subscribe(nil)
	if !publish() {
		t.Fatal("not kept, though a subscriber queued it")
	}
	if publish() {
		t.Fatal("kept by a subscriber that is behind (its buffer of 1 is full)")
	}
	if items, gap := all.Drain(nil); len(items) != 1 || gap.Dropped != 1 {
		t.Fatalf("drained %d, gap %+v", len(items), gap)
	}
	audits.Close()
}
