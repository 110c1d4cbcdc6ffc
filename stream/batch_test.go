package stream

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/internal/testutil"
)

// frameShape is one message as sent: its type and how many events it holds.
type frameShape struct {
	typ string
	n   int
}

// readEventFrames reads frames until want events have arrived (failing on
// anything but event and events messages) and returns the events and the
// shape of each frame.
func readEventFrames(t *testing.T, ws *testConn, want int) ([]event.ID, []frameShape, [][]byte) {
	t.Helper()
	var ids []event.ID
	var shapes []frameShape
	var encs [][]byte
	for len(ids) < want {
		m, raw := readFrame(t, ws)
		var raws []json.RawMessage
		switch m.Type {
		case TypeEvent:
			if !bytes.Equal(raw, EventFrame(m.Event)) {
				t.Fatalf("event message is not the stored event between prefix and suffix: %.120s", raw)
			}
			raws = []json.RawMessage{m.Event}
		case TypeEvents:
			raws = m.Events
		default:
			t.Fatalf("got %.120s, want event or events (%d of %d events so far)", raw, len(ids), want)
		}
		shapes = append(shapes, frameShape{m.Type, len(raws)})
		for _, r := range raws {
			var e event.Event
			if err := event.Unmarshal(r, &e); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, e.ID)
			encs = append(encs, r)
		}
	}
	return ids, shapes, encs
}

// subscribeWhileBlocked subscribes ws with since and runs burst while the
// server's writer is held up in the replay (on its first History call), so
// that everything burst publishes is pending on the subscriber at once when
// the writer gets to it. The history holds only what the test put there.
func subscribeWhileBlocked(t *testing.T, hist *hookHistory, ws *testConn, since event.ID, burst func()) {
	t.Helper()
	hist.hook = burst
	expectType(t, ws, TypeHello)
	writeMsg(t, ws, Message{Type: TypeSubscribe, Since: since})
	expectType(t, ws, TypeSynced)
}

// A burst pending on a subscriber goes out as events messages of at most
// maxBatchEvents, in published order, each event exactly once; a lone event
// afterwards goes out as an event message.
func TestBurstComesBatched(t *testing.T) {
	mem := &memHistory{}
	hist := &hookHistory{memHistory: mem}
	ts := startServer(t, ServerOptions{History: hist})
	src := newSource(ts.hub, nil) // live only: the history holds just `first`
	first, enc := makeEvent(src.gen, event.KindLog, "first", 0)
	mem.add(first.ID, enc)
	const n = 2*maxBatchEvents + 88
	ws := dialRaw(t, ts.url)
	subscribeWhileBlocked(t, hist, ws, first.ID, func() {
		for range n {
			src.publish(event.KindRequest, "GET /burst", 0)
		}
	})
	got, shapes, encs := readEventFrames(t, ws, n)
	want := src.published()
	if !slices.Equal(got, want) {
		t.Fatalf("got %d events, want the %d published in order", len(got), len(want))
	}
	wantShapes := []frameShape{{TypeEvents, maxBatchEvents}, {TypeEvents, maxBatchEvents}, {TypeEvents, 88}}
	if !slices.Equal(shapes, wantShapes) {
		t.Fatalf("frames %v, want %v", shapes, wantShapes)
	}
	for i, e := range encs {
		if !bytes.HasPrefix(e, []byte(`{"v":1,"id":"`+got[i].String()+`"`)) {
			t.Fatalf("event %d is not as stored: %.80s", i, e)
		}
	}

	// Quiet again: one event, one event message.
	lone := src.publish(event.KindAudit, "note.delete", 0)
	m, raw := readFrame(t, ws)
	if m.Type != TypeEvent || !bytes.Contains(m.Event, []byte(lone.ID.String())) {
		t.Fatalf("lone event came as %.120s", raw)
	}
}

// A single event on a quiet stream arrives as an event message, byte for
// byte what it was before batching existed.
func TestQuietStreamSendsEventMessages(t *testing.T) {
	ts := startServer(t, ServerOptions{})
	src := newSource(ts.hub, nil)
	ws := dialRaw(t, ts.url)
	expectType(t, ws, TypeHello)
	writeMsg(t, ws, Message{Type: TypeSubscribe})
	expectType(t, ws, TypeSynced)
	for i := range 5 {
		e, enc := makeEvent(src.gen, event.KindLog, "quiet", i)
		ts.hub.Publish(e.ID, e.Kind, "", enc)
		_, raw := readFrame(t, ws)
		if !bytes.Equal(raw, EventFrame(enc)) {
			t.Fatalf("event %d came as %.120s, want an event message", i, raw)
		}
	}
}

// Events messages stay within maxBatchBytes; an event too big to share a
// frame goes alone, as an event message.
func TestBatchByteLimit(t *testing.T) {
	mem := &memHistory{}
	hist := &hookHistory{memHistory: mem}
	ts := startServer(t, ServerOptions{History: hist})
	src := newSource(ts.hub, nil)
	first, enc := makeEvent(src.gen, event.KindLog, "first", 0)
	mem.add(first.ID, enc)
	const big = 100 << 10 // ten fit in maxBatchBytes, eleven do not
	ws := dialRaw(t, ts.url)
	subscribeWhileBlocked(t, hist, ws, first.ID, func() {
		for range 12 {
			src.publish(event.KindLog, "big", big)
		}
		src.publish(event.KindLog, "huge", maxBatchBytes+big/2)
		for range 3 {
			src.publish(event.KindLog, "small", 0)
		}
	})
	got, shapes, encs := readEventFrames(t, ws, 16)
	if !slices.Equal(got, src.published()) {
		t.Fatal("events out of order, duplicated or missing")
	}
	want := []frameShape{{TypeEvents, 10}, {TypeEvents, 2}, {TypeEvent, 1}, {TypeEvents, 3}}
	if !slices.Equal(shapes, want) {
		t.Fatalf("frames %v, want %v", shapes, want)
	}
	if n := len(eventsFrame(encs[:10])); n > maxBatchBytes || len(eventsFrame(encs[:11])) <= maxBatchBytes {
		t.Fatalf("first events message is %d bytes; the limit is %d and one more event would fit", n, maxBatchBytes)
	}
}

// A replay goes out a page at a time, each page batched.
func TestReplayBatched(t *testing.T) {
	hist := &memHistory{}
	ts := startServer(t, ServerOptions{History: hist, ReplayPage: 7})
	src := newSource(ts.hub, hist)
	var ids []event.ID
	for range 50 {
		ids = append(ids, src.publish(event.KindLog, "old", 0).ID)
	}
	ws := dialRaw(t, ts.url)
	expectType(t, ws, TypeHello)
	writeMsg(t, ws, Message{Type: TypeSubscribe, Since: ids[9]})
	got, shapes, _ := readEventFrames(t, ws, 40)
	expectType(t, ws, TypeSynced)
	if !slices.Equal(got, ids[10:]) {
		t.Fatal("replay out of order, duplicated or missing")
	}
	want := []frameShape{{TypeEvents, 7}, {TypeEvents, 7}, {TypeEvents, 7}, {TypeEvents, 7}, {TypeEvents, 7}, {TypeEvents, 5}}
	if !slices.Equal(shapes, want) {
		t.Fatalf("replay frames %v, want %v", shapes, want)
	}
}

// A publisher faster than the connection: the subscriber gets events
// messages, whose concatenation is the published sequence.
func TestLiveBurstConcatenation(t *testing.T) {
	const n = 20000
	ts := startServer(t, ServerOptions{Hub: NewHub(HubOptions{Buffer: 2 * n})})
	ws := dialRaw(t, ts.url)
	expectType(t, ws, TypeHello)
	writeMsg(t, ws, Message{Type: TypeSubscribe})
	expectType(t, ws, TypeSynced)
	testutil.WaitFor(t, 10*time.Second, "subscriber", func() bool { return ts.hub.Subscribers() == 1 })
	ids, encs := benchFrames(n)
	pubDone := make(chan struct{})
	go func() {
		defer close(pubDone)
		for i := range n {
			// Pre-encoded: faster than one frame per event.
			ts.hub.Publish(ids[i], event.KindRequest, "", encs[i])
		}
	}()
	defer func() { <-pubDone }()
	got, shapes, _ := readEventFrames(t, ws, n)
	if !slices.Equal(got, ids) {
		t.Fatal("events out of order, duplicated or missing")
	}
	batches := 0
	for _, s := range shapes {
		if s.typ == TypeEvents {
			batches++
		}
	}
	if batches == 0 {
		t.Fatalf("%d events in %d frames, none batched", n, len(shapes))
	}
	if d := ts.hub.Dropped(); d != 0 {
		t.Fatalf("hub dropped %d", d)
	}
	t.Logf("%d events in %d frames (%d events messages)", n, len(shapes), batches)
}

// Resume across forced disconnects under load, with batching: every event
// exactly once, in order, with gaps refilled from history on resubscribe.
func TestResumeBatchedUnderLoad(t *testing.T) {
	hist := &memHistory{}
	ts := startServer(t, ServerOptions{Hub: NewHub(HubOptions{Buffer: 128}), History: hist, ReplayPage: 100})
	src := newSource(ts.hub, hist)
	const total = 20000
	// Every session resumes, the first one too: from an event published
	// before the load.
	first := src.publish(event.KindLog, "first", 0)
	pubDone := make(chan struct{})
	go func() {
		defer close(pubDone)
		for i := range total {
			src.publish(event.KindRequest, "GET /load", 100)
			if i%200 == 199 {
				time.Sleep(100 * time.Microsecond) // bursts of 200
			}
		}
	}()
	defer func() { <-pubDone }()

	var (
		got                          []event.ID
		last                         = first.ID
		batches, gaps, kills, dialed int
	)
	nextKill := 2500
	deadline := time.Now().Add(60 * time.Second)
	for len(got) < total {
		if time.Now().After(deadline) {
			t.Fatalf("got %d of %d events", len(got), total)
		}
		ws := dialRaw(t, ts.url)
		dialed++
		expectType(t, ws, TypeHello)
		writeMsg(t, ws, Message{Type: TypeSubscribe, Since: last})
	session:
		for len(got) < total {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			_, b, err := ws.Read(ctx)
			cancel()
			if err != nil {
				break // killed (or stuck): resume from last
			}
			ids, typ, err := frameEventIDs(b)
			if err != nil {
				t.Fatal(err)
			}
			switch typ {
			case TypeEvents:
				batches++
			case TypeGap:
				var m Message
				if err := json.Unmarshal(b, &m); err != nil || m.After != last {
					t.Fatalf("gap %s, want after %s", b, last)
				}
				gaps++
				break session // resubscribe from last: the replay fills it
			}
			for _, id := range ids {
				if id.Compare(last) <= 0 {
					t.Fatalf("event %s after %s: duplicate or out of order", id, last)
				}
				got = append(got, id)
				last = id
			}
			if len(got) >= nextKill {
				if ts.srv.killConnections() > 0 {
					kills++
				}
				nextKill += 2500
			}
		}
		_ = ws.CloseNow()
	}
	<-pubDone
	if want := src.published()[1:]; !slices.Equal(got, want) {
		t.Fatalf("got %d events, want the %d published, in order", len(got), len(want))
	}
	if kills == 0 || batches == 0 {
		t.Fatalf("kills %d, events messages %d: the test proves nothing", kills, batches)
	}
	t.Logf("%d events, %d events messages, %d kills, %d gaps, %d connections", len(got), batches, kills, gaps, dialed)
}

// The client delivers each event of an events message in order, as if it
// had come alone: one UpdateEvent each with its own Raw, LastID advancing
// per event, replay overlaps skipped, a bad element reported and skipped.
func TestClientHandlesEventsMessages(t *testing.T) {
	gen := event.NewGenerator(nil)
	var evs []event.Event
	var encs [][]byte
	for i := range 5 {
		e, enc := makeEvent(gen, event.KindLog, "e", i)
		evs = append(evs, e)
		encs = append(encs, enc)
	}
	url := fakeServer(t, func(n int, ws *websocket.Conn) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = ws.Write(ctx, websocket.MessageText, []byte(`{"type":"hello","hello":{"protocol":"beignet-devtools.v1","version":1}}`))
		if _, _, err := ws.Read(ctx); err != nil {
			return
		}
		frames := [][]byte{
			[]byte(`{"type":"synced"}`),
			eventsFrame(encs[0:2]),
			eventsFrame([][]byte{encs[1], encs[2]}), // encs[1] again: a replay overlap
			eventsFrame([][]byte{[]byte(`"not an event"`), encs[3]}),
			EventFrame(encs[4]),
		}
		for _, f := range frames {
			if ws.Write(ctx, websocket.MessageText, f) != nil {
				return
			}
		}
		_, _, _ = ws.Read(ctx) // until the client leaves
	})
	var (
		mu     sync.Mutex
		got    []event.ID
		raws   [][]byte
		errs   []error
		lastOK = true
	)
	done := make(chan struct{})
	c := NewClient(ClientOptions{URL: url, MinBackoff: time.Millisecond})
	stop := runClient(t, c, func(u Update) {
		mu.Lock()
		defer mu.Unlock()
		switch u.Kind {
		case UpdateEvent:
			got = append(got, u.Event.ID)
			raws = append(raws, u.Raw)
			if c.LastID() != u.Event.ID {
				lastOK = false
			}
			if u.Event.ID == evs[4].ID {
				close(done)
			}
		case UpdateError:
			errs = append(errs, u.Err)
		}
	})
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("timeout")
	}
	stop()
	mu.Lock()
	defer mu.Unlock()
	want := []event.ID{evs[0].ID, evs[1].ID, evs[2].ID, evs[3].ID, evs[4].ID}
	if !slices.Equal(got, want) {
		t.Fatalf("events = %v, want %v", got, want)
	}
	for i := range raws {
		if !bytes.Equal(raws[i], encs[i]) {
			t.Fatalf("Raw %d = %s, want %s", i, raws[i], encs[i])
		}
	}
	if !lastOK {
		t.Fatal("LastID did not advance event by event")
	}
	if len(errs) != 1 || !errors.Is(errs[0], ErrProtocol) {
		t.Fatalf("errors = %v, want one ErrProtocol for the bad element", errs)
	}
}
