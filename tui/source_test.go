package tui

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/store"
	"github.com/beignet/devtools/stream"
)

func TestPumpBatchesArrivals(t *testing.T) {
	p := newPump(20*time.Millisecond, 0)
	defer p.Close()
	ctx := context.Background()
	evs := sampleEvents(0, 5000)
	done := make(chan error, 1)
	go func() {
		for i := range evs {
			if err := p.Push(ctx, evs[i]); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	got, batches := 0, 0
	for got < len(evs) {
		b, err := p.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for i := range b.Events {
			if b.Events[i].ID != evs[got+i].ID {
				t.Fatalf("event %d out of order", got+i)
			}
		}
		got += len(b.Events)
		batches++
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if batches > len(evs)/10 {
		t.Fatalf("%d batches for %d events: not batched", batches, len(evs))
	}
}

func TestPumpBackPressureAndClose(t *testing.T) {
	p := newPump(time.Millisecond, 10)
	ctx := context.Background()
	pushed := make(chan error, 1)
	go func() { pushed <- p.Push(ctx, sampleEvents(0, 25)...) }()
	total := 0
	for total < 25 {
		b, err := p.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Events) > 10 {
			t.Fatalf("batch of %d exceeds the bound", len(b.Events))
		}
		total += len(b.Events)
	}
	if err := <-pushed; err != nil {
		t.Fatal(err)
	}
	// A full pump blocks Push until Close.
	if err := p.Push(ctx, sampleEvents(0, 10)...); err != nil {
		t.Fatal(err)
	}
	go func() { pushed <- p.Push(ctx, sampleEvents(10, 1)...) }()
	p.Close()
	if err := <-pushed; !errors.Is(err, errClosed) {
		t.Fatalf("Push after Close = %v", err)
	}
	if _, err := p.Next(ctx); !errors.Is(err, errClosed) {
		t.Fatalf("Next after Close = %v", err)
	}
}

func writeStore(t *testing.T, evs []event.Event) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "devtools.db")
	st, err := store.Open(path, store.Options{NoSync: true, MaxAge: -1, MaxEvents: -1, Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Append(evs...); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestOfflineSourcePages(t *testing.T) {
	evs := sampleEvents(0, 2500)
	path := writeStore(t, evs)
	src, err := NewOfflineSource(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	ctx := context.Background()
	b, err := src.next(ctx)
	if err != nil || b.Conn == nil || b.Conn.State != stream.StateOffline {
		t.Fatalf("first batch: %+v, %v", b.Conn, err)
	}
	if len(b.Events) != 0 || len(b.History) != 1000 || b.History[0].ID != evs[1500].ID || b.History[999].ID != evs[2499].ID || !b.HistoryMore {
		t.Fatalf("first batch holds %d events and %d of history (more %v), want the newest 1000 oldest first as history", len(b.Events), len(b.History), b.HistoryMore)
	}
	older, err := src.older(ctx, b.History[0].ID, 500)
	if err != nil || len(older) != 500 || older[0].ID != evs[1499].ID || older[499].ID != evs[1000].ID {
		t.Fatalf("Older = %d, %v", len(older), err)
	}
	newer, err := src.newer(ctx, evs[10].ID, 3)
	if err != nil || len(newer) != 3 || newer[0].ID != evs[11].ID {
		t.Fatalf("Newer = %d, %v", len(newer), err)
	}
	corr, err := src.correlated(ctx, evs[8].RequestID)
	if err != nil || len(corr) != 4 {
		t.Fatalf("Correlated = %d, %v", len(corr), err)
	}
	// Next then blocks until Close.
	go src.Close()
	if _, err := src.next(ctx); !errors.Is(err, errClosed) {
		t.Fatalf("Next after close = %v", err)
	}
}

func TestOfflineSourceMissingFile(t *testing.T) {
	if _, err := NewOfflineSource(filepath.Join(t.TempDir(), "nope", "devtools.db")); err == nil {
		t.Fatal("opening a missing store read-only should fail")
	}
}

// offlineModel is an 80x24 model over a store file holding evs, with a
// ring of ringSize events, after its first batch (the newest 1,000).
func offlineModel(t *testing.T, evs []event.Event, ringSize int) *model {
	t.Helper()
	src, err := NewOfflineSource(writeStore(t, evs))
	if err != nil {
		t.Fatal(err)
	}
	dark := true
	m := newModel(Options{Source: src, Now: fixedNow, Location: time.UTC, Dark: &dark, RingSize: ringSize})
	t.Cleanup(func() { m.Close() })
	m.Update(windowSize(80, 24))
	b, err := src.next(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	m.Update(batchMsg{b: b})
	return m
}

// The model pages older events in from history when the user reaches the
// top, evicting the newest when the ring is full, and G reloads the newest.
func TestModelPagesHistoryWithBoundedRing(t *testing.T) {
	evs := sampleEvents(0, 3000)
	m := offlineModel(t, evs, 1200)
	if m.list.buf.len() != 1000 || !m.list.follow {
		t.Fatalf("loaded %d, follow %v", m.list.buf.len(), m.list.follow)
	}
	// Home: to the oldest in memory, which asks for an older page.
	_, cmd := m.Update(press("g"))
	if cmd == nil {
		t.Fatal("no history request at the top")
	}
	m.Update(cmd())
	if m.list.buf.len() != 1200 || m.list.atEdge {
		t.Fatalf("after one page: %d in memory, atEdge %v", m.list.buf.len(), m.list.atEdge)
	}
	if m.list.buf.oldest().ev.ID != evs[1500].ID || m.list.buf.newest().ev.ID != evs[2699].ID {
		t.Fatalf("window [%s, %s]", m.list.buf.oldest().ev.ID, m.list.buf.newest().ev.ID)
	}
	if sel := m.selected(); sel == nil || sel.ev.ID != evs[2000].ID {
		t.Fatalf("selection moved while paging")
	}
	// G goes back to the newest page.
	_, cmd = m.Update(press("G"))
	if cmd == nil {
		t.Fatal("G did not reload the newest events")
	}
	m.Update(cmd())
	if !m.list.atEdge || !m.list.follow || m.list.buf.newest().ev.ID != evs[2999].ID {
		t.Fatalf("after G: atEdge %v follow %v", m.list.atEdge, m.list.follow)
	}
}

// Scrolling down from a window paged far back pages newer history in, and
// once it reaches the newest stored event, the live arrivals that came
// meanwhile follow it: none lost, none twice.
func TestModelPagesForwardToLive(t *testing.T) {
	evs := sampleEvents(0, 3000)
	m := offlineModel(t, evs, 1200)
	for range 3 { // page back: [1500, 2699], [1000, 2199], [500, 1699]
		_, cmd := m.Update(press("g"))
		if cmd == nil {
			t.Fatal("no history request at the top")
		}
		m.Update(cmd())
	}
	if m.list.atEdge || m.list.buf.oldest().ev.ID != evs[500].ID || m.list.buf.newest().ev.ID != evs[1699].ID {
		t.Fatalf("window [%s, %s], atEdge %v", m.list.buf.oldest().ev.ID, m.list.buf.newest().ev.ID, m.list.atEdge)
	}
	// The selection stays on the event it was on (the top before the last
	// page), also among events paged in (their sequence numbers are below
	// the first live one's).
	if sel := m.selected(); sel == nil || sel.ev.ID != evs[1000].ID {
		t.Fatalf("selection lost while paging back")
	}
	// Live arrivals while away: two already stored, three not yet.
	more := sampleEvents(3000, 3)
	m.Update(batchMsg{b: batch{Events: append([]event.Event{evs[2998], evs[2999]}, more...)}})
	if m.list.buf.newest().ev.ID != evs[1699].ID {
		t.Fatal("a live arrival landed in an older window")
	}
	pages := 0
	for range 400 {
		_, cmd := m.Update(press(" "))
		if cmd != nil {
			pages++
			m.Update(cmd())
		}
		if m.list.atEdge {
			break
		}
	}
	// Pages of 500 after 1699: [1700, 2199], [2200, 2699], then the
	// short [2700, 2999] reaches the newest stored.
	if !m.list.atEdge || pages != 3 {
		t.Fatalf("after scrolling down: atEdge %v after %d pages, want 3", m.list.atEdge, pages)
	}
	want := append(append([]event.Event(nil), evs[1803:]...), more...)
	if m.list.buf.len() != len(want) {
		t.Fatalf("window holds %d events, want %d", m.list.buf.len(), len(want))
	}
	for i := range want {
		if got := m.list.buf.at(m.list.buf.first + int64(i)); got.ev.ID != want[i].ID {
			t.Fatalf("window[%d] = %s, want %s", i, got.ev.ID, want[i].ID)
		}
	}
	if m.list.follow {
		t.Fatal("paging forward turned follow on")
	}
	// From here on live arrivals are appended again.
	next := sampleEvents(3003, 1)
	m.Update(batchMsg{b: batch{Events: next}})
	if m.list.buf.newest().ev.ID != next[0].ID {
		t.Fatal("live arrival not appended at the edge")
	}
}

// G from a paged-back window reloads the newest page and keeps the live
// arrivals that came meanwhile and are not stored yet.
func TestModelGKeepsArrivalsWhileAway(t *testing.T) {
	evs := sampleEvents(0, 3000)
	m := offlineModel(t, evs, 1200)
	_, cmd := m.Update(press("g"))
	m.Update(cmd())
	m.Update(batchMsg{b: batch{Events: sampleEvents(3000, 2)}})
	_, cmd = m.Update(press("G"))
	if cmd == nil {
		t.Fatal("G did not reload the newest events")
	}
	m.Update(cmd())
	if !m.list.atEdge || !m.list.follow || m.list.buf.newest().ev.ID != sampleEvents(3001, 1)[0].ID {
		t.Fatalf("after G: atEdge %v follow %v, newest %s", m.list.atEdge, m.list.follow, m.list.buf.newest().ev.ID)
	}
}

func TestBufferRing(t *testing.T) {
	b := newBuffer(100)
	evs := sampleEvents(0, 250)
	for i := range evs {
		b.pushBack(evs[i], evs[i].Kind == event.KindRequest)
	}
	if b.len() != 100 || b.oldest().ev.ID != evs[150].ID || b.newest().ev.ID != evs[249].ID {
		t.Fatalf("ring holds %d", b.len())
	}
	if b.visLen() != 25 {
		t.Fatalf("visible %d, want 25 requests", b.visLen())
	}
	for i := 0; i < b.visLen(); i++ {
		if e := b.visAt(i); e.ev.Kind != event.KindRequest {
			t.Fatalf("visible %d is %s", i, e.ev.Kind)
		}
	}
	older := make([]event.Event, 0, 30)
	for i := 149; i >= 120; i-- {
		older = append(older, evs[i])
	}
	if ev := b.pushFront(older, func(e *event.Event) bool { return e.Kind == event.KindRequest }); ev != 30 {
		t.Fatalf("pushFront evicted %d, want 30", ev)
	}
	if b.oldest().ev.ID != evs[120].ID || b.newest().ev.ID != evs[219].ID || b.visLen() != 25 {
		t.Fatalf("window after pushFront wrong (vis %d)", b.visLen())
	}
	prev := int64(-1 << 62)
	for i := 0; i < b.visLen(); i++ {
		e := b.visAt(i)
		if e.seq <= prev {
			t.Fatal("visible list not ascending")
		}
		prev = e.seq
	}
	b.refilter(func(e *event.Event) bool { return true })
	if b.visLen() != 100 {
		t.Fatalf("refilter: %d", b.visLen())
	}
}

// A live source over a real stream server on loopback: events arrive in
// batches with the live state.
func TestLiveSourceReceivesBatches(t *testing.T) {
	hub := stream.NewHub(stream.HubOptions{})
	srv := stream.NewServer(stream.ServerOptions{Hub: hub, Hello: stream.Hello{App: "notes", Env: "development"}})
	hs := httptest.NewServer(srv)
	defer hs.Close()
	defer hub.Close()
	defer srv.Shutdown(context.Background())

	src := NewLiveSource(stream.ClientOptions{URL: hs.URL + "/ws"})
	defer src.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Wait until live, then publish.
	var info string
	for {
		b, err := src.next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if b.Info != "" {
			info = b.Info
		}
		if b.Conn != nil && b.Conn.State == stream.StateLive {
			break
		}
	}
	for hub.Subscribers() == 0 {
		time.Sleep(time.Millisecond)
	}
	evs := sampleEvents(0, 2000)
	for i := range evs {
		enc, _ := event.Marshal(&evs[i])
		hub.Publish(evs[i].ID, evs[i].Kind, evs[i].RequestID, enc)
	}
	got, batches := 0, 0
	for got < len(evs) {
		b, err := src.next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for i := range b.Events {
			if b.Events[i].ID != evs[got+i].ID {
				t.Fatalf("event %d out of order", got+i)
			}
		}
		got += len(b.Events)
		if len(b.Events) > 0 {
			batches++
		}
	}
	if batches >= len(evs)/2 {
		t.Errorf("%d batches for %d events", batches, len(evs))
	}
	if info == "" {
		t.Errorf("hello not reported")
	}
}

// A refused token and a missing route are reported as such and not
// retried.
func TestLiveSourceRefusalsNoRetry(t *testing.T) {
	for _, tc := range []struct {
		status int
		state  stream.ConnState
		err    error
	}{
		{http.StatusUnauthorized, stream.StateAuthRefused, stream.ErrUnauthorized},
		{http.StatusNotFound, stream.StateNotFound, stream.ErrNotFound},
	} {
		t.Run(http.StatusText(tc.status), func(t *testing.T) {
			var hits atomic.Int32
			hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/ws" { // not the history read on connect
					hits.Add(1)
				}
				http.Error(w, http.StatusText(tc.status), tc.status)
			}))
			defer hs.Close()
			src := NewLiveSource(stream.ClientOptions{URL: hs.URL + "/ws", Token: "wrong-token-wrong-token-wrong-token", MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond})
			defer src.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			for {
				b, err := src.next(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if b.Conn != nil && b.Conn.State == tc.state {
					if b.Conn.Err == nil || !errors.Is(b.Conn.Err, tc.err) {
						t.Fatalf("refused without the reason: %v", b.Conn.Err)
					}
					break
				}
			}
			// Nothing more arrives: Next blocks (no retry loop).
			short, cancel2 := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel2()
			if b, err := src.next(short); err == nil {
				t.Fatalf("unexpected batch after refusal: %+v", b)
			}
			if n := hits.Load(); n != 1 {
				t.Fatalf("server hit %d times, want 1", n)
			}
		})
	}
}

// With no live traffic, g pages back on its first press, and on an empty
// view it loads the newest page.
func TestTopPagesBackWithoutLiveTraffic(t *testing.T) {
	evs := sampleEvents(0, 1200)
	src := newFake(evs)
	m := unitModelOn(t, 80, 24, src)
	// The newest page, as a live source hands it over on connect.
	page := append([]event.Event(nil), evs[700:]...)
	m.Update(batchMsg{b: batch{History: page, HistoryMore: true}})
	_, cmd := m.Update(press("g"))
	if cmd == nil {
		t.Fatal("first g asked for no older page")
	}
	runCmd(m, cmd)
	if m.list.buf.len() != 1000 || m.list.buf.oldest().ev.ID != evs[200].ID {
		t.Fatalf("after one g: %d in memory", m.list.buf.len())
	}

	// Empty view (a quiet app whose history was not read yet, or after c).
	empty := unitModelOn(t, 80, 24, src)
	_, cmd = empty.Update(press("g"))
	if cmd == nil {
		t.Fatal("g on an empty view asked for nothing")
	}
	runCmd(empty, cmd)
	if empty.list.buf.len() != pageSize || empty.list.buf.newest().ev.ID != evs[1199].ID || empty.bar.totals[event.KindLog] != pageSize/4 {
		t.Fatalf("g on an empty view: %d in memory, totals %v", empty.list.buf.len(), empty.bar.totals)
	}
	// Paging over counted events does not count them again.
	_, cmd = empty.Update(press("G"))
	runCmd(empty, cmd)
	if empty.bar.totals[event.KindLog] != pageSize/4 {
		t.Fatalf("reload counted again: %v", empty.bar.totals)
	}
}

// The list is in recording (ID) order whatever order events arrive in, so
// the time column never runs backwards; the selection stays on its event
// when a late one is slotted in above it.
func TestListTimeNeverRunsBackwards(t *testing.T) {
	m := unitModel(t, 100, 40)
	evs := sampleEvents(0, 40)
	var odd, even []event.Event
	for i := range evs {
		if i%2 == 0 {
			even = append(even, evs[i])
		} else {
			odd = append(odd, evs[i])
		}
	}
	m.Update(batchMsg{b: batch{Events: even}})
	m.Update(press("k"))
	m.Update(press("k"))
	selID := m.selected().ev.ID
	// A second instance's events come late and out of order.
	slices.Reverse(odd)
	m.Update(batchMsg{b: batch{Events: odd}})
	m.Update(batchMsg{b: batch{Events: evs[10:12]}}) // duplicates are dropped
	if m.list.buf.len() != 40 {
		t.Fatalf("%d in memory, want 40", m.list.buf.len())
	}
	for i := 0; i < m.list.buf.len(); i++ {
		if m.list.buf.entryAt(i).ev.ID != evs[i].ID {
			t.Fatalf("entry %d out of ID order", i)
		}
	}
	if m.selected().ev.ID != selID {
		t.Fatal("selection moved to another event")
	}
	if m.list.newCount != 20 {
		t.Fatalf("+%d new, want 20", m.list.newCount)
	}
	m.Update(press("G"))
	prev := ""
	for _, l := range strings.Split(ansi.Strip(m.Render()), "\n")[2:38] {
		tm := strings.TrimSpace(l)[:12]
		if tm < prev {
			t.Fatalf("time runs backwards: %s after %s", tm, prev)
		}
		prev = tm
	}
}
