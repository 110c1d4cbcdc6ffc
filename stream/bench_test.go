package stream

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/internal/benchbase"
	"github.com/beignet/devtools/internal/testutil"
)

// benchFrames returns n encoded request events of a realistic size (about
// 450 bytes) with increasing IDs.
func benchFrames(n int) ([]event.ID, [][]byte) {
	gen := event.NewGenerator(nil)
	ids := make([]event.ID, n)
	encs := make([][]byte, n)
	for i := range n {
		e := event.Event{
			Kind: event.KindRequest, Name: "GET /notes/{id}", RequestID: "req-0123456789", Status: 200, DurationNs: 1234567,
			HTTP: &event.HTTP{Method: "GET", URL: "http://127.0.0.1:8080/notes/42?page=2", Route: "/notes/{id}", Status: 200,
				RequestHeaders: map[string][]string{"Accept": {"application/json"}, "User-Agent": {"bench/1.0"}}, BytesOut: 512},
			Attrs: event.Attrs{"tenant": "acme", "note": strings.Repeat("n", 120)},
			App:   "notes", Instance: "bench-1",
		}
		e.Stamp(gen, time.Now())
		enc, err := event.Marshal(&e)
		if err != nil {
			panic(err)
		}
		ids[i], encs[i] = e.ID, enc
	}
	return ids, encs
}

// counter is a benchmark client's progress in events; poke wakes a
// waiting publisher.
type counter struct {
	n    atomic.Int64
	poke chan struct{}
}

// readAll counts the events of the data messages on ws until it fails:
// one per event message, one per element of an events message.
func (c *counter) readAll(ws *websocket.Conn) {
	var buf bytes.Buffer
	for {
		_, r, err := ws.Reader(context.Background())
		if err != nil {
			return
		}
		buf.Reset()
		if _, err := buf.ReadFrom(r); err != nil {
			return
		}
		k := countEvents(buf.Bytes())
		if n := c.n.Add(k); (n-k)/256 != n/256 {
			select {
			case c.poke <- struct{}{}:
			default:
			}
		}
	}
}

// benchEventOpening is how every benchmark event's JSON begins (event.Marshal
// writes "v" then "id" first).
var benchEventOpening = []byte(`{"v":1,"id":"`)

// countEvents returns the number of events in a frame: 1 for an event
// message, the number of elements of an events message. It counts event
// openings rather than decoding: exact for the benchmark's events (no
// nested object of theirs begins that way; a quote inside a string is
// escaped), and cheap enough that the readers measure the server's
// delivery, not JSON decoding. The benchmarks check the final counts.
func countEvents(frame []byte) int64 {
	if bytes.HasPrefix(frame, []byte(eventsFramePrefix)) {
		return int64(bytes.Count(frame, benchEventOpening))
	}
	return 1
}

func minCount(cs []*counter) int64 {
	m := cs[0].n.Load()
	for _, c := range cs[1:] {
		m = min(m, c.n.Load())
	}
	return m
}

func waitAll(b *testing.B, cs []*counter, n int64) {
	deadline := time.Now().Add(2 * time.Minute)
	for minCount(cs) < n {
		select {
		case <-cs[0].poke:
		case <-time.After(time.Millisecond):
		}
		if time.Now().After(deadline) {
			b.Fatalf("clients got %d of %d events", minCount(cs), n)
		}
	}
}

// checkCounts fails unless every client got exactly n events.
func checkCounts(b *testing.B, cs []*counter, n int64) {
	for i, c := range cs {
		if got := c.n.Load(); got != n {
			b.Fatalf("client %d got %d events, want %d", i, got, n)
		}
	}
}

func startReaders(b *testing.B, conns []*websocket.Conn) ([]*counter, func()) {
	poke := make(chan struct{}, 1)
	cs := make([]*counter, len(conns))
	done := make(chan struct{}, len(conns))
	for i, ws := range conns {
		cs[i] = &counter{poke: poke}
		go func() {
			defer func() { done <- struct{}{} }()
			cs[i].readAll(ws)
		}()
	}
	return cs, func() {
		for _, ws := range conns {
			_ = ws.CloseNow()
		}
		for range conns {
			<-done
		}
	}
}

// benchFanout publishes b.N events on a hub served to `clients` websocket
// clients and reports the events delivered per second, all clients
// together (msgs/s: one event to one client is one message, whether it
// travelled alone in an event message or batched in an events message). The publisher keeps at most `window` events ahead of the
// slowest client so that the benchmark measures delivery, not drops.
func benchFanout(b *testing.B, clients int) {
	const window = 1 << 14
	ids, encs := benchFrames(1024)
	hub := NewHub(HubOptions{Buffer: 2 * window})
	ts := startServer(b, ServerOptions{Hub: hub})
	conns := make([]*websocket.Conn, clients)
	for i := range conns {
		ws := dialRaw(b, ts.url)
		expectType(b, ws, TypeHello)
		writeMsg(b, ws, Message{Type: TypeSubscribe})
		expectType(b, ws, TypeSynced)
		conns[i] = ws.Conn
	}
	cs, stop := startReaders(b, conns)
	defer stop()
	b.SetBytes(int64(len(EventFrame(encs[0])) * clients))
	b.ReportAllocs()
	b.ResetTimer()
	start, cpu0 := time.Now(), testutil.ProcessCPU()
	for i := range b.N {
		for int64(i)-minCount(cs) > window {
			select {
			case <-cs[0].poke:
			case <-time.After(time.Millisecond): // fallback; pokes come every 256 events
			}
		}
		k := i % len(ids)
		hub.Publish(ids[k], event.KindRequest, "req-0123456789", encs[k])
	}
	waitAll(b, cs, int64(b.N))
	elapsed, cpu := time.Since(start), testutil.ProcessCPU()-cpu0
	b.StopTimer()
	if d := hub.Dropped(); d != 0 {
		b.Fatalf("hub dropped %d deliveries", d)
	}
	checkCounts(b, cs, int64(b.N))
	b.ReportMetric(float64(b.N*clients)/elapsed.Seconds(), "msgs/s")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*clients), "cpu-ns/msg")
}

// benchBareFanout is the baseline (benchbase.Fanout): one bare
// coder/websocket writer per client writing the same frames, no hub, no
// server, read by the same readers.
func benchBareFanout(b *testing.B, clients int) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	ids, encs := benchFrames(1024)
	frames := make([][]byte, len(ids))
	for i := range encs {
		frames[i] = EventFrame(encs[i])
	}
	bare := benchbase.NewFanout(Subprotocol)
	defer bare.Close()
	conns := make([]*websocket.Conn, clients)
	for i := range conns {
		conns[i] = dialRaw(b, bare.URL()).Conn
	}
	if err := bare.Accept(ctx, clients); err != nil {
		b.Fatal(err)
	}
	cs, stop := startReaders(b, conns)
	defer stop()
	b.SetBytes(int64(len(frames[0]) * clients))
	b.ReportAllocs()
	b.ResetTimer()
	start, cpu0 := time.Now(), testutil.ProcessCPU()
	if err := bare.Write(ctx, b.N, frames); err != nil {
		b.Fatal(err)
	}
	waitAll(b, cs, int64(b.N))
	elapsed, cpu := time.Since(start), testutil.ProcessCPU()-cpu0
	b.StopTimer()
	checkCounts(b, cs, int64(b.N))
	b.ReportMetric(float64(b.N*clients)/elapsed.Seconds(), "msgs/s")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*clients), "cpu-ns/msg")
}

func BenchmarkFanout1(b *testing.B)      { benchFanout(b, 1) }
func BenchmarkBareFanout1(b *testing.B)  { benchBareFanout(b, 1) }
func BenchmarkFanout10(b *testing.B)     { benchFanout(b, 10) }
func BenchmarkBareFanout10(b *testing.B) { benchBareFanout(b, 10) }

// BenchmarkPublishNoSubscribers is the publisher's cost with nobody
// listening.
func BenchmarkPublishNoSubscribers(b *testing.B) {
	ids, encs := benchFrames(64)
	hub := NewHub(HubOptions{})
	defer hub.Close()
	b.ReportAllocs()
	for i := range b.N {
		k := i % len(ids)
		hub.Publish(ids[k], event.KindRequest, "", encs[k])
	}
}

// measureLatency publishes n events at `rate` per second through a Hub, a
// Server and a Client, and returns the publish -> callback latencies,
// sorted. The event's time is its publish time.
func measureLatency(tb testing.TB, n, rate int) []time.Duration {
	hub := NewHub(HubOptions{})
	ts := startServer(tb, ServerOptions{Hub: hub})
	gen := event.NewGenerator(nil)
	lat := make([]time.Duration, 0, n)
	live := make(chan struct{})
	done := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	c := NewClient(ClientOptions{URL: ts.url})
	go func() {
		errc <- c.Run(ctx, func(u Update) {
			switch u.Kind {
			case UpdateSynced:
				close(live)
			case UpdateEvent:
				lat = append(lat, time.Since(u.Event.Time))
				if len(lat) == n {
					close(done)
				}
			}
		})
	}()
	select {
	case <-live:
	case err := <-errc:
		tb.Fatalf("client: %v", err)
	}
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	for range n {
		<-tick.C
		e := event.Event{Kind: event.KindRequest, Name: "GET /latency"}
		e.Stamp(gen, time.Now())
		enc, err := event.Marshal(&e)
		if err != nil {
			tb.Fatal(err)
		}
		hub.Publish(e.ID, e.Kind, "", enc)
	}
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		tb.Fatalf("client got %d of %d events", len(lat), n)
	}
	cancel()
	<-errc
	slices.Sort(lat)
	return lat
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted)-1) * p)
	return sorted[i]
}

// BenchmarkLiveLatency1000 measures publish -> client callback latency at
// 1,000 events/s (one op = one event, so run it with -benchtime=3000x or
// so). Reports p50 and p99 in milliseconds.
func BenchmarkLiveLatency1000(b *testing.B) {
	lat := measureLatency(b, max(b.N, 100), 1000)
	b.ReportMetric(float64(percentile(lat, 0.50).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(percentile(lat, 0.99).Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
}

// BenchmarkPublish10Behind is the publisher's cost with ten subscribers
// that never drain: after their buffers fill, every Publish is a counted
// drop, and it still never blocks.
func BenchmarkPublish10Behind(b *testing.B) {
	ids, encs := benchFrames(64)
	hub := NewHub(HubOptions{Buffer: 16})
	defer hub.Close()
	for range 10 {
		hub.impl().Subscribe(nil)
	}
	b.ReportAllocs()
	for i := range b.N {
		k := i % len(ids)
		hub.Publish(ids[k], event.KindRequest, "", encs[k])
	}
}
