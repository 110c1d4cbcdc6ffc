package stream

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/goleak"

	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/internal/testutil"
)

func TestHelloSubscribeLive(t *testing.T) {
	ts := startServer(t, ServerOptions{Hello: Hello{App: "notes", Env: "development", Retention: "24h"}})
	src := newSource(ts.hub, nil)
	ws := dialRaw(t, ts.url)

	m, raw := readMsg(t, ws)
	if !bytes.HasPrefix(raw, []byte(`{"type":"hello","hello":{`)) {
		t.Fatalf("hello frame = %s", raw)
	}
	if m.Hello == nil || m.Hello.Protocol != Subprotocol || m.Hello.Version != ProtocolVersion || m.Hello.App != "notes" || m.Hello.Env != "development" {
		t.Fatalf("hello = %+v", m.Hello)
	}
	if ws.Subprotocol() != Subprotocol {
		t.Fatalf("subprotocol = %q", ws.Subprotocol())
	}

	writeMsg(t, ws, Message{Type: TypeSubscribe})
	_, raw = readMsg(t, ws)
	if string(raw) != `{"type":"synced"}` {
		t.Fatalf("want synced, got %s", raw)
	}
	testutil.WaitFor(t, 10*time.Second, "subscriber", func() bool { return ts.hub.Subscribers() == 1 })

	var sent []event.Event
	for i := range 3 {
		sent = append(sent, src.publish(event.KindRequest, "GET /notes/"+string(rune('a'+i)), 0))
	}
	for i := range 3 {
		m, raw := readMsg(t, ws)
		if m.Type != TypeEvent || !bytes.HasPrefix(raw, []byte(`{"type":"event","event":{"v":1,`)) {
			t.Fatalf("event frame = %s", raw)
		}
		var e event.Event
		if err := event.Unmarshal(m.Event, &e); err != nil {
			t.Fatal(err)
		}
		if e.ID != sent[i].ID || e.Name != sent[i].Name {
			t.Fatalf("event %d = %s %q, want %s %q", i, e.ID, e.Name, sent[i].ID, sent[i].Name)
		}
	}

	// Application-level ping.
	writeMsg(t, ws, Message{Type: TypePing})
	expectType(t, ws, TypePong)
}

func TestReplayThenLiveNoDuplicates(t *testing.T) {
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
	for i := 10; i < 50; i++ {
		m := expectType(t, ws, TypeEvent)
		var e event.Event
		if err := event.Unmarshal(m.Event, &e); err != nil || e.ID != ids[i] {
			t.Fatalf("replayed event %d = %s (%v), want %s", i, e.ID, err, ids[i])
		}
	}
	expectType(t, ws, TypeSynced)
	live := src.publish(event.KindLog, "new", 0)
	m := expectType(t, ws, TypeEvent)
	if !bytes.Contains(m.Event, []byte(live.ID.String())) {
		t.Fatalf("live event = %s", m.Event)
	}
}

func TestReplayFilter(t *testing.T) {
	hist := &memHistory{}
	ts := startServer(t, ServerOptions{History: hist})
	src := newSource(ts.hub, hist)
	first := src.publish(event.KindLog, "a", 0)
	src.publish(event.KindLog, "b", 0)
	audit := src.publish(event.KindAudit, "c", 0)
	ws := dialRaw(t, ts.url)
	expectType(t, ws, TypeHello)
	writeMsg(t, ws, Message{Type: TypeSubscribe, Since: first.ID, Filter: &Filter{Kinds: []event.Kind{event.KindAudit}}})
	m := expectType(t, ws, TypeEvent)
	if !bytes.Contains(m.Event, []byte(audit.ID.String())) {
		t.Fatalf("filtered replay = %s", m.Event)
	}
	expectType(t, ws, TypeSynced)
	src.publish(event.KindLog, "d", 0)
	audit2 := src.publish(event.KindAudit, "e", 0)
	m = expectType(t, ws, TypeEvent)
	if !bytes.Contains(m.Event, []byte(audit2.ID.String())) {
		t.Fatalf("filtered live = %s", m.Event)
	}
}

func TestHistoryFailureReportsGap(t *testing.T) {
	hist := &memHistory{fail: true}
	ts := startServer(t, ServerOptions{History: hist})
	since := event.IDFromTime(time.Now())
	ws := dialRaw(t, ts.url)
	expectType(t, ws, TypeHello)
	writeMsg(t, ws, Message{Type: TypeSubscribe, Since: since})
	if m := expectType(t, ws, TypeError); m.Code != CodeHistory {
		t.Fatalf("code = %q", m.Code)
	}
	if m := expectType(t, ws, TypeGap); m.After != since {
		t.Fatalf("gap after %s, want %s", m.After, since)
	}
	expectType(t, ws, TypeSynced)
}

func TestMalformedAndUnknownMessages(t *testing.T) {
	ts := startServer(t, ServerOptions{})
	ws := dialRaw(t, ts.url)
	expectType(t, ws, TypeHello)

	writeRaw(t, ws, []byte(`{"type":"subscribe",`))
	if m := expectType(t, ws, TypeError); m.Code != CodeBadRequest {
		t.Fatalf("malformed: code %q", m.Code)
	}
	writeRaw(t, ws, []byte(`{"since":""}`))
	if m := expectType(t, ws, TypeError); m.Code != CodeBadRequest {
		t.Fatalf("no type: code %q", m.Code)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := ws.Write(ctx, websocket.MessageBinary, []byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	if m := expectType(t, ws, TypeError); m.Code != CodeBadRequest {
		t.Fatalf("binary: code %q", m.Code)
	}
	writeRaw(t, ws, []byte(`{"type":"frobnicate","x":1}`))
	m := expectType(t, ws, TypeError)
	if m.Code != CodeUnknownType || !strings.Contains(m.Message, "frobnicate") {
		t.Fatalf("unknown: %+v", m)
	}
	// The connection is still usable.
	writeMsg(t, ws, Message{Type: TypeSubscribe})
	expectType(t, ws, TypeSynced)
}

func TestTooManyBadMessagesCloses(t *testing.T) {
	ts := startServer(t, ServerOptions{})
	ws := dialRaw(t, ts.url)
	expectType(t, ws, TypeHello)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	go func() {
		for i := 0; i < 100; i++ {
			if ws.Write(ctx, websocket.MessageText, []byte(`nope`)) != nil {
				return
			}
		}
	}()
	for {
		_, _, err := ws.Read(ctx)
		if err != nil {
			if got := websocket.CloseStatus(err); got != websocket.StatusPolicyViolation {
				t.Fatalf("close status %v (%v), want 1008", got, err)
			}
			return
		}
	}
}

// A 1 MiB frame closes that connection with 1009 while the server keeps
// serving the others and accepting new ones.
func TestOversizedFrame(t *testing.T) {
	ts := startServer(t, ServerOptions{})
	src := newSource(ts.hub, nil)
	other := dialRaw(t, ts.url)
	expectType(t, other, TypeHello)
	writeMsg(t, other, Message{Type: TypeSubscribe})
	expectType(t, other, TypeSynced)

	big := dialRaw(t, ts.url)
	expectType(t, big, TypeHello)
	payload := append([]byte(`{"type":"subscribe","filter":{"requestId":"`), bytes.Repeat([]byte("a"), 1<<20)...)
	payload = append(payload, `"}}`...)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = big.Write(ctx, websocket.MessageText, payload) // may fail once the server closes
	_, _, err := big.Read(ctx)
	if got := websocket.CloseStatus(err); got != websocket.StatusMessageTooBig && got != websocket.StatusPolicyViolation {
		t.Fatalf("oversized frame: close status %v (%v), want 1009 or 1008", got, err)
	}

	e := src.publish(event.KindLog, "still here", 0)
	m := expectType(t, other, TypeEvent)
	if !bytes.Contains(m.Event, []byte(e.ID.String())) {
		t.Fatalf("other client got %s", m.Event)
	}
	fresh := dialRaw(t, ts.url)
	expectType(t, fresh, TypeHello)
	testutil.WaitFor(t, 10*time.Second, "oversized connection gone", func() bool { return ts.srv.Connections() == 2 })
}

// A thousand subscribes on one connection replace each other: one hub
// subscriber, bounded memory, and the last subscribe wins.
func TestThousandSubscribes(t *testing.T) {
	hist := &memHistory{}
	ts := startServer(t, ServerOptions{History: hist})
	src := newSource(ts.hub, hist)
	a := src.publish(event.KindLog, "a", 0)
	b := src.publish(event.KindAudit, "b", 0)
	ws := dialRaw(t, ts.url)
	expectType(t, ws, TypeHello)

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range 999 {
		writeMsg(t, ws, Message{Type: TypeSubscribe, Filter: &Filter{Kinds: []event.Kind{event.KindLog}}})
	}
	writeMsg(t, ws, Message{Type: TypeSubscribe, Since: a.ID, Filter: &Filter{Kinds: []event.Kind{event.KindAudit}}})
	// Only the last subscribe replays: the first event is b.
	expectReplayOf(t, ws, b.ID)
	if n := ts.hub.Subscribers(); n != 1 {
		t.Fatalf("hub subscribers = %d, want 1", n)
	}
	src.publish(event.KindLog, "filtered out", 0)
	c := src.publish(event.KindAudit, "c", 0)
	m := expectType(t, ws, TypeEvent)
	if !bytes.Contains(m.Event, []byte(c.ID.String())) {
		t.Fatalf("live = %s, want %s", m.Event, c.ID)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if growth := int64(after.HeapInuse) - int64(before.HeapInuse); growth > 8<<20 {
		t.Fatalf("heap grew by %d bytes over 1000 subscribes", growth)
	}
}

// expectReplayOf reads past the synced messages of earlier subscribes to
// the replay of the last one: the event id, then synced.
func expectReplayOf(t *testing.T, ws *testConn, id event.ID) {
	t.Helper()
	for {
		m, raw := readMsg(t, ws)
		if m.Type == TypeSynced {
			continue
		}
		if m.Type != TypeEvent || !bytes.Contains(m.Event, []byte(id.String())) {
			t.Fatalf("got %s, want event %s", raw, id)
		}
		break
	}
	expectType(t, ws, TypeSynced)
}

// countingHistory counts the replays that read it.
type countingHistory struct {
	*memHistory
	calls atomic.Int64
}

func (h *countingHistory) SinceEncoded(ctx context.Context, after event.ID, limit int) ([]event.ID, [][]byte, error) {
	h.calls.Add(1)
	return h.memHistory.SinceEncoded(ctx, after, limit)
}

// TestSubscribesRateLimited: a client that subscribes in a loop gets at
// most one replay per SubscribeInterval, and its last subscribe still wins.
func TestSubscribesRateLimited(t *testing.T) {
	const interval = 40 * time.Millisecond
	hist := &countingHistory{memHistory: &memHistory{}}
	ts := startServer(t, ServerOptions{History: hist, SubscribeInterval: interval})
	src := newSource(ts.hub, hist.memHistory)
	a := src.publish(event.KindLog, "a", 0)
	b := src.publish(event.KindAudit, "b", 0)
	ws := dialRaw(t, ts.url)
	expectType(t, ws, TypeHello)

	start := time.Now()
	for range 300 {
		writeMsg(t, ws, Message{Type: TypeSubscribe, Since: a.ID, Filter: &Filter{Kinds: []event.Kind{event.KindLog}}})
	}
	writeMsg(t, ws, Message{Type: TypeSubscribe, Since: a.ID, Filter: &Filter{Kinds: []event.Kind{event.KindAudit}}})
	expectReplayOf(t, ws, b.ID) // the earlier subscribes replay nothing (b is an audit event)
	elapsed := time.Since(start)
	// Each processed subscribe replays with one read (the history is
	// shorter than a page); they started at least interval apart.
	replays := hist.calls.Load()
	if limit := 1 + int64(elapsed/interval); replays > limit {
		t.Fatalf("%d replays in %v, want at most %d (one per %v)", replays, elapsed, limit, interval)
	}
}

func TestSubprotocolRequired(t *testing.T) {
	ts := startServer(t, ServerOptions{})
	ws := dialRaw(t, ts.url, []string{}...)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _, err := ws.Read(ctx)
	var ce websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.StatusPolicyViolation || !strings.Contains(ce.Reason, Subprotocol) {
		t.Fatalf("no subprotocol: %v, want close 1008 naming %s", err, Subprotocol)
	}
}

func TestOriginRefusedByServer(t *testing.T) {
	ts := startServer(t, ServerOptions{OriginPatterns: []string{"devtools.localhost"}})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for origin, ok := range map[string]bool{"http://evil.example": false, "http://devtools.localhost": true} {
		ws, resp, err := websocket.Dial(ctx, ts.url, &websocket.DialOptions{
			Subprotocols: []string{Subprotocol},
			HTTPHeader:   http.Header{"Origin": {origin}},
		})
		if ok {
			if err != nil {
				t.Fatalf("%s: %v", origin, err)
			}
			_ = ws.CloseNow()
			continue
		}
		if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Fatalf("%s: err %v, resp %v; want 403", origin, err, resp)
		}
	}
}

func TestStatsMessages(t *testing.T) {
	var calls atomic.Int64
	ts := startServer(t, ServerOptions{
		StatsInterval: 5 * time.Millisecond,
		Stats: func() ServerStats {
			calls.Add(1)
			return ServerStats{Recorded: 42, Dropped: 3}
		},
	})
	ws := dialRaw(t, ts.url)
	expectType(t, ws, TypeHello)
	writeMsg(t, ws, Message{Type: TypeSubscribe})
	synced := false
	for {
		m, _ := readMsg(t, ws)
		if m.Type == TypeSynced {
			synced = true
		}
		if m.Type != TypeStats || !synced {
			continue // stats can come before the subscription is in place
		}
		if m.Stats.Recorded != 42 || m.Stats.Dropped != 3 || m.Stats.Subscribers != 1 {
			t.Fatalf("stats = %+v", m.Stats)
		}
		return
	}
}

// A slow subscriber (not reading) gets a gap while a fast one gets every
// event, and the publisher never waits for the slow one.
func TestSlowSubscriberGetsGap(t *testing.T) {
	// No keepalive: the slow client does not read, so it would not answer
	// pings, and on a loaded machine the test can outlast a ping timeout.
	ts := startServer(t, ServerOptions{Hub: NewHub(HubOptions{Buffer: 64}), PingInterval: -1})
	src := newSource(ts.hub, nil)
	slow := dialRaw(t, ts.url)
	fast := dialRaw(t, ts.url)
	for _, ws := range []*testConn{slow, fast} {
		expectType(t, ws, TypeHello)
		writeMsg(t, ws, Message{Type: TypeSubscribe})
		expectType(t, ws, TypeSynced)
	}
	testutil.WaitFor(t, 10*time.Second, "two subscribers", func() bool { return ts.hub.Subscribers() == 2 })

	// Enough bytes to fill the slow client's socket buffers and its queue.
	const n, pad = 1500, 16 << 10
	var fastGot atomic.Int64
	fastDone := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		for fastGot.Load() < n+1 {
			_, b, err := fast.Read(ctx)
			if err != nil {
				fastDone <- err
				return
			}
			// Count events, not frames: a burst comes as events messages.
			ids, typ, err := frameEventIDs(b)
			if err != nil || (typ != TypeEvent && typ != TypeEvents) {
				fastDone <- fmt.Errorf("fast client got %.64s (%v)", b, err)
				return
			}
			fastGot.Add(int64(len(ids)))
		}
		fastDone <- nil
	}()
	var ids []event.ID
	for i := range n {
		// Pace on the fast client only, so that its 64-event queue never
		// overflows; the slow one is left behind.
		for int64(i)-fastGot.Load() > 32 {
			runtime.Gosched()
		}
		ids = append(ids, src.publish(event.KindLog, "e", pad).ID)
	}
	testutil.WaitFor(t, 10*time.Second, "fast client to catch up", func() bool { return fastGot.Load() == n })
	last := src.publish(event.KindLog, "after", 0)
	if err := <-fastDone; err != nil {
		t.Fatal(err)
	}
	if ts.hub.Dropped() == 0 {
		t.Fatal("slow subscriber dropped nothing; the test did not overflow it")
	}

	// The slow client reads now: a prefix of the events, a gap after the
	// last of them, then the live event.
	var got []event.ID
	for {
		m, raw := readMsg(t, slow)
		if m.Type == TypeGap {
			if len(got) == 0 || m.After != got[len(got)-1] {
				t.Fatalf("gap after %s, want the last event received", m.After)
			}
			break
		}
		if m.Type != TypeEvent {
			t.Fatalf("slow got %s", raw[:min(len(raw), 80)])
		}
		var e event.Event
		if err := event.Unmarshal(m.Event, &e); err != nil {
			t.Fatal(err)
		}
		got = append(got, e.ID)
	}
	for i, id := range got {
		if id != ids[i] {
			t.Fatalf("slow event %d = %s, want %s", i, id, ids[i])
		}
	}
	// last was published while the slow subscriber was still behind: it is
	// part of the gap. An event published now arrives live.
	live := src.publish(event.KindLog, "live", 0)
	m := expectType(t, slow, TypeEvent)
	_ = last
	if !bytes.Contains(m.Event, []byte(live.ID.String())) {
		t.Fatalf("after the gap: %s", m.Event[:min(len(m.Event), 80)])
	}
	t.Logf("slow client got %d events, then a gap; hub dropped %d", len(got), ts.hub.Dropped())
}

func TestShutdownClosesEverything(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	hub := NewHub(HubOptions{})
	defer hub.Close()
	srv := NewServer(ServerOptions{Hub: hub, PingInterval: 10 * time.Millisecond})
	ts := newLoopbackServer(t, srv)
	url := "ws" + strings.TrimPrefix(ts.URL, "http")
	var conns []*testConn
	for range 3 {
		ws := dialRaw(t, url)
		expectType(t, ws, TypeHello)
		writeMsg(t, ws, Message{Type: TypeSubscribe})
		expectType(t, ws, TypeSynced)
		conns = append(conns, ws)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	errc := make(chan error, len(conns))
	for _, ws := range conns {
		go func() {
			for {
				if _, _, err := ws.Read(ctx); err != nil {
					errc <- err
					return
				}
			}
		}()
	}
	start := time.Now()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Shutdown took %v", d)
	}
	for range conns {
		err := <-errc
		if got := websocket.CloseStatus(err); got != websocket.StatusGoingAway {
			t.Fatalf("close status %v (%v), want 1001", got, err)
		}
	}
	if n := srv.Connections(); n != 0 || hub.Subscribers() != 0 {
		t.Fatalf("after Shutdown: %d connections, %d subscribers", n, hub.Subscribers())
	}
	resp, err := http.Get(ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("after Shutdown: HTTP %d, want 503", resp.StatusCode)
	}
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("second Shutdown: %v", err)
	}
	ts.Close()
	goleak.VerifyNone(t, ignore)
}

// Shutdown with an expired context drops connections whose peer does not
// answer the close handshake and still waits for every goroutine.
func TestShutdownDeadline(t *testing.T) {
	hub := NewHub(HubOptions{})
	defer hub.Close()
	srv := NewServer(ServerOptions{Hub: hub})
	ts := newLoopbackServer(t, srv)
	ws := dialRaw(t, "ws"+strings.TrimPrefix(ts.URL, "http"))
	expectType(t, ws, TypeHello) // then never read again: no close reply
	testutil.WaitFor(t, 10*time.Second, "connection", func() bool { return srv.Connections() == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := srv.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown = %v, want deadline exceeded", err)
	}
	if n := srv.Connections(); n != 0 {
		t.Fatalf("%d connections left", n)
	}
}

// A client that stops answering pings (it never reads) is dropped.
func TestKeepaliveDropsUnresponsiveClient(t *testing.T) {
	ts := startServer(t, ServerOptions{PingInterval: 20 * time.Millisecond, PingTimeout: 20 * time.Millisecond})
	ws := dialRaw(t, ts.url) // never read: pings go unanswered
	_ = ws
	testutil.WaitFor(t, 10*time.Second, "connection", func() bool { return ts.srv.Connections() == 1 })
	testutil.WaitFor(t, 10*time.Second, "unresponsive client dropped", func() bool { return ts.srv.Connections() == 0 })
	if n := ts.hub.Subscribers(); n != 0 {
		t.Fatalf("%d subscribers left", n)
	}
}

func TestClosedHubRefusesAndCloses(t *testing.T) {
	ts := startServer(t, ServerOptions{})
	ws := dialRaw(t, ts.url)
	expectType(t, ws, TypeHello)
	writeMsg(t, ws, Message{Type: TypeSubscribe})
	expectType(t, ws, TypeSynced)
	ts.hub.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, _, err := ws.Read(ctx); websocket.CloseStatus(err) != websocket.StatusGoingAway {
		t.Fatalf("after Hub.Close: %v, want close 1001", err)
	}
	_, resp, err := websocket.Dial(ctx, ts.url, &websocket.DialOptions{Subprotocols: []string{Subprotocol}})
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("dial after Hub.Close: %v, %v; want 503", err, resp)
	}
}

// hookHistory runs hook once, on the first SinceEncoded call, before
// answering it.
type hookHistory struct {
	*memHistory
	once sync.Once
	hook func()
}

func (h *hookHistory) SinceEncoded(ctx context.Context, after event.ID, limit int) ([]event.ID, [][]byte, error) {
	h.once.Do(h.hook)
	return h.memHistory.SinceEncoded(ctx, after, limit)
}

// Events published during the replay land both in the subscriber's queue
// (which overflows) and in the history: the replay covers them, so the
// client gets each exactly once and no spurious gap.
func TestReplayCoversOverflowNoGap(t *testing.T) {
	mem := &memHistory{}
	hist := &hookHistory{memHistory: mem}
	ts := startServer(t, ServerOptions{Hub: NewHub(HubOptions{Buffer: 4}), History: hist, ReplayPage: 5})
	src := newSource(ts.hub, mem)
	first := src.publish(event.KindLog, "first", 0)
	for range 10 {
		src.publish(event.KindLog, "old", 0)
	}
	hist.hook = func() {
		for range 20 {
			src.publish(event.KindLog, "during replay", 0)
		}
	}
	ws := dialRaw(t, ts.url)
	expectType(t, ws, TypeHello)
	writeMsg(t, ws, Message{Type: TypeSubscribe, Since: first.ID})
	want := src.published
	var got []event.ID
	for {
		m, raw := readMsg(t, ws)
		if m.Type == TypeSynced {
			break
		}
		if m.Type != TypeEvent {
			t.Fatalf("got %s", raw)
		}
		var e event.Event
		if err := event.Unmarshal(m.Event, &e); err != nil {
			t.Fatal(err)
		}
		got = append(got, e.ID)
	}
	live := src.publish(event.KindLog, "live", 0)
	m, raw := readMsg(t, ws)
	if m.Type != TypeEvent || !bytes.Contains(m.Event, []byte(live.ID.String())) {
		t.Fatalf("after synced: %s (want the live event, no gap)", raw)
	}
	all := want()
	if !slices.Equal(got, all[1:len(all)-1]) {
		t.Fatalf("replayed %d events, want %d in order", len(got), len(all)-2)
	}
	if ts.hub.Dropped() == 0 {
		t.Fatal("the queue did not overflow; the test proves nothing")
	}
}

// Shutdown closes cleanly even while events stream without pause.
func TestShutdownUnderSteadyStream(t *testing.T) {
	hub := NewHub(HubOptions{})
	defer hub.Close()
	srv := NewServer(ServerOptions{Hub: hub})
	ts := newLoopbackServer(t, srv)
	ws := dialRaw(t, "ws"+strings.TrimPrefix(ts.URL, "http"))
	expectType(t, ws, TypeHello)
	writeMsg(t, ws, Message{Type: TypeSubscribe})
	expectType(t, ws, TypeSynced)
	stop := make(chan struct{})
	pubDone := make(chan struct{})
	go func() {
		defer close(pubDone)
		ids, encs := benchFrames(1024)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			// Pre-encoded: faster than the connection can write.
			hub.Publish(ids[i%len(ids)], event.KindRequest, "", encs[i%len(ids)])
		}
	}()
	defer func() { close(stop); <-pubDone }()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		for {
			if _, _, err := ws.Read(ctx); err != nil {
				errc <- err
				return
			}
		}
	}()
	expectNoDeadline, cancel2 := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel2()
	if err := srv.Shutdown(expectNoDeadline); err != nil {
		t.Fatalf("Shutdown: %v (the writer never saw it)", err)
	}
	if got := websocket.CloseStatus(<-errc); got != websocket.StatusGoingAway {
		t.Fatalf("close status %v, want 1001", got)
	}
}

// TestServerMaxConnections: connections over the cap are refused before
// the upgrade with 503, a message and Retry-After, and counted; a slot
// freed by a leaving client is reused.
func TestServerMaxConnections(t *testing.T) {
	ts := startServer(t, ServerOptions{MaxConnections: 2})
	a := dialRaw(t, ts.url)
	expectType(t, a, TypeHello)
	b := dialRaw(t, ts.url)
	expectType(t, b, TypeHello)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, resp, err := websocket.Dial(ctx, ts.url, &websocket.DialOptions{Subprotocols: []string{Subprotocol}})
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("third connection: %v %v", err, resp)
	}
	herr := ResponseError(resp, nil)
	if !strings.Contains(herr.Message, "too many devtools connections") || herr.RetryAfter <= 0 {
		t.Fatalf("refusal: %q retry %v", herr.Message, herr.RetryAfter)
	}
	if n := ts.srv.Refused(); n != 1 {
		t.Fatalf("Refused = %d", n)
	}
	_ = a.Close(websocket.StatusNormalClosure, "")
	testutil.WaitFor(t, 10*time.Second, "the slot to free", func() bool { return ts.srv.Connections() == 1 })
	c := dialRaw(t, ts.url)
	expectType(t, c, TypeHello)
	if ts.srv.MaxConnections() != 2 {
		t.Fatalf("MaxConnections = %d", ts.srv.MaxConnections())
	}
	if s := NewServer(ServerOptions{Hub: ts.hub}); s.MaxConnections() != DefaultMaxConnections {
		t.Fatalf("default cap %d", s.MaxConnections())
	}
	if s := NewServer(ServerOptions{Hub: ts.hub, MaxConnections: -1}); s.MaxConnections() != 0 {
		t.Fatalf("no cap: %d", s.MaxConnections())
	}
}
