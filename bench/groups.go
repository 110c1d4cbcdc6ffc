package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/internal/benchbase"
	"github.com/beignet/devtools/redaction"
	"github.com/beignet/devtools/store"
	"github.com/beignet/devtools/stream"
)

func benchRedaction(ctx context.Context, r *report) error {
	gen := event.NewGenerator(nil)
	base := requestEvent(gen, time.Now())
	enc, _ := event.Marshal(&base)
	red := redaction.New(redaction.Options{})
	marshalFn := func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := json.Marshal(&base); err != nil {
				b.Fatal(err)
			}
		}
	}
	redactFn := func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			e := clone(base)
			red.Event(&e)
		}
	}
	bothFn := func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			e := clone(base)
			red.Event(&e)
			if _, err := event.Marshal(&e); err != nil {
				b.Fatal(err)
			}
		}
	}
	ms := r.interleave(
		benchCase{name: "redaction/json.Marshal", fn: marshalFn},
		benchCase{name: "redaction/Redactor.Event", fn: redactFn},
		benchCase{name: "redaction/Event+Marshal", fn: bothFn},
	)
	marshal, redact, both := ms[0], ms[1], ms[2]
	m, rd := median(marshal.nsPerOp), median(redact.nsPerOp)
	r.add(section{
		title: "Redaction",
		note:  fmt.Sprintf("A %d-byte request event (cookie, bearer token, token query parameter, JSON body with a password), redacted by the default Redactor, against `json.Marshal` of the same event alone.", len(enc)),
		rows: []row{
			{"redact one event", fmtNs(rd), fmtNs(m) + " (marshal)", ratio(rd, m), "≤ 3×"},
			{"redact + encode (the pipeline's work)", fmtNs(median(both.nsPerOp)), fmtNs(m) + " (marshal)", ratio(median(both.nsPerOp), m), ""},
			{"redaction throughput, one core", fmtRate(1e9/rd, "events"), "", "", "≥ 150k events/s"},
		},
	})
	return nil
}

// storeBatch makes n stamped ~600-byte events and their encodings.
func storeBatch(gen *event.Generator, n int) ([]event.Event, [][]byte) {
	evs := make([]event.Event, n)
	enc := make([][]byte, n)
	now := time.Now()
	for i := range evs {
		evs[i] = padTo(requestEvent(gen, now), 600)
		evs[i].RequestID = fmt.Sprintf("req-%s", evs[i].ID)
		enc[i], _ = event.Marshal(&evs[i])
	}
	return evs, enc
}

func benchStore(ctx context.Context, r *report) error {
	const batch = 1000
	gen := event.NewGenerator(nil)
	ingest := func(b *testing.B) {
		dir := b.TempDir()
		//doctor:ignore DT103 the benchmark measures the store without retention
		s, err := store.Open(filepath.Join(dir, "s.db"), store.Options{MaxAge: -1, MaxEvents: -1, MaxSize: -1, CompactFreeRatio: -1})
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			evs, enc := storeBatch(gen, batch)
			b.StartTimer()
			if err := s.AppendEncoded(evs, enc); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "events/s")
	}
	bare := func(b *testing.B) {
		dir := b.TempDir()
		db, err := benchbase.OpenBolt(filepath.Join(dir, "bare.db"), false)
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			evs, enc := storeBatch(gen, batch)
			b.StartTimer()
			err := db.Put(len(evs), func(j int) ([]byte, []byte) { return evs[j].ID[:], enc[j] })
			if err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "events/s")
	}
	ms := r.interleave(
		benchCase{name: "store/Append-batch-1000", fn: ingest},
		benchCase{name: "store/bare-bolt-put-batch-1000", fn: bare},
	)
	st, bb := ms[0], ms[1]
	sr, br := median(st.extra["events/s"]), median(bb.extra["events/s"])
	r.add(section{
		title: "Store ingest",
		note:  "~600-byte encoded events in batches of 1,000 per transaction, fsync on commit. The store writes the event and its requestId index entry and keeps its counters; the bare loop only puts the same bytes under the same keys (bucket FillPercent 1.0). Retention is off in both so they write the same amount.",
		rows: []row{
			{"store.AppendEncoded", fmtRate(sr, "events"), fmtRate(br, "events") + " (bare bbolt)", ratio(sr, br), "≥ 0.70×"},
		},
	})
	return nil
}

func benchPurge(ctx context.Context, r *report, n int) error {
	dir, err := os.MkdirTemp("", "beignet-bench-purge-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "purge.db")
	old := time.Now().Add(-48 * time.Hour)
	gen := event.NewGenerator(func() time.Time { return old })
	//doctor:ignore DT103 the benchmark measures the store without retention
	s, err := store.Open(path, store.Options{MaxAge: -1, MaxEvents: -1, MaxSize: -1, CompactFreeRatio: -1, NoSync: true})
	if err != nil {
		return err
	}
	fmt.Fprintf(r.progress, "bench:   loading %d expired events ...\n", n)
	const chunk = 10_000
	base := padTo(requestEvent(gen, old), 300)
	for done := 0; done < n; done += chunk {
		m := min(chunk, n-done)
		evs := make([]event.Event, m)
		enc := make([][]byte, m)
		for i := range evs {
			e := base
			e.ID = gen.New()
			e.RequestID = fmt.Sprintf("req-%d", (done+i)/4)
			evs[i] = e
			enc[i], _ = event.Marshal(&evs[i])
		}
		if err := s.AppendEncoded(evs, enc); err != nil {
			s.Close()
			return err
		}
		if err := ctx.Err(); err != nil {
			s.Close()
			return err
		}
	}
	if err := s.Close(); err != nil {
		return err
	}
	s, err = store.Open(path, store.Options{CompactFreeRatio: -1})
	if err != nil {
		return err
	}
	defer s.Close()
	start := time.Now()
	removed, err := s.Purge(time.Now().Add(-24 * time.Hour))
	took := time.Since(start)
	if err != nil {
		return err
	}
	if removed != n {
		return fmt.Errorf("purge removed %d of %d expired events", removed, n)
	}
	fmt.Fprintf(r.progress, "bench:   purge of %d events took %s\n", n, took)
	r.add(section{
		title: "Retention purge",
		note:  fmt.Sprintf("%d expired ~300-byte events (4 per requestId, so the index holds %d entries), purged by `store.Purge` in bounded chunks with fsync per chunk. One run: loading the file takes longer than the purge. `go test -bench BenchmarkPurge ./store` reports the longest single write transaction.", n, n),
		rows: []row{
			{fmt.Sprintf("purge %d expired events", n), took.Round(time.Millisecond).String(), "", "", "< 5 s"},
			{"purge rate", fmtRate(float64(n)/took.Seconds(), "events"), "", "", ""},
		},
	})
	return nil
}

// wsCounter connects one websocket client and counts the events it
// receives, whether one per `event` frame or several per `events` frame.
type wsCounter struct {
	n    atomic.Int64
	gaps atomic.Int64
	conn *websocket.Conn
}

// eventMark starts every encoded event (the first two fields are fixed).
var eventMark = []byte(`{"v":1,"id":`)

func dialCounter(ctx context.Context, url string, subscribe bool, wg *sync.WaitGroup) (*wsCounter, error) {
	return dialCounterHeader(ctx, url, nil, subscribe, wg)
}

func dialCounterHeader(ctx context.Context, url string, h http.Header, subscribe bool, wg *sync.WaitGroup) (*wsCounter, error) {
	conn, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{stream.Subprotocol}, HTTPHeader: h})
	if err != nil {
		return nil, err
	}
	conn.SetReadLimit(32 << 20)
	c := &wsCounter{conn: conn}
	if subscribe {
		if err := conn.Write(ctx, websocket.MessageText, []byte(`{"type":"subscribe"}`)); err != nil {
			return nil, err
		}
		for { // up to synced
			_, b, err := conn.Read(ctx)
			if err != nil {
				return nil, err
			}
			if strings.HasPrefix(string(b), `{"type":"synced"`) {
				break
			}
		}
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		var b []byte
		for {
			var err error
			if b, err = readInto(ctx, conn, b[:0]); err != nil {
				return
			}
			switch {
			case bytes.HasPrefix(b, []byte(`{"type":"event`)):
				c.n.Add(int64(bytes.Count(b, eventMark)))
			case bytes.HasPrefix(b, []byte(`{"type":"gap"`)):
				c.gaps.Add(1)
			}
		}
	}()
	return c, nil
}

// readInto reads the next message into buf (grown as needed) and returns
// it. The counting consoles read this way, rather than with Conn.Read (a
// fresh buffer per message), so that their garbage, which a console in
// another process would not put on the app's collector, stays out of the
// figures.
func readInto(ctx context.Context, conn *websocket.Conn, buf []byte) ([]byte, error) {
	_, r, err := conn.Reader(ctx)
	if err != nil {
		return buf, err
	}
	for {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, max(4096, cap(buf)))
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

func minCount(cs []*wsCounter) int64 {
	m := int64(-1)
	for _, c := range cs {
		if v := c.n.Load(); m < 0 || v < m {
			m = v
		}
	}
	return m
}

func waitFor(ctx context.Context, cond func() bool) error {
	for !cond() {
		if err := ctx.Err(); err != nil {
			return err
		}
		time.Sleep(50 * time.Microsecond)
	}
	return nil
}

// fanoutHub measures hub + server delivering to n websocket clients.
func fanoutHub(n int) func(b *testing.B) {
	return func(b *testing.B) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		hub := stream.NewHub(stream.HubOptions{})
		srv := stream.NewServer(stream.ServerOptions{Hub: hub, PingInterval: -1, StatsInterval: time.Hour})
		ts := httptest.NewServer(srv)
		var wg sync.WaitGroup
		defer func() {
			_ = srv.Shutdown(context.Background())
			hub.Close()
			ts.Close()
			cancel()
			wg.Wait()
		}()
		var cs []*wsCounter
		for i := 0; i < n; i++ {
			c, err := dialCounter(ctx, ts.URL, true, &wg)
			if err != nil {
				b.Fatal(err)
			}
			cs = append(cs, c)
		}
		if err := waitFor(ctx, func() bool { return hub.Subscribers() == n }); err != nil {
			b.Fatal(err)
		}
		gen := event.NewGenerator(nil)
		e := padTo(requestEvent(gen, time.Now()), 600)
		enc, _ := event.Marshal(&e)
		ids := make([]event.ID, b.N)
		for i := range ids {
			ids[i] = gen.New()
		}
		const window = 2048 // well under the hub's per-subscriber buffer: no gaps
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if i%256 == 0 {
				if err := waitFor(ctx, func() bool { return int64(i)-minCount(cs) < window }); err != nil {
					b.Fatal(err)
				}
			}
			hub.Publish(ids[i], event.KindRequest, "", enc)
		}
		if err := waitFor(ctx, func() bool { return minCount(cs) >= int64(b.N) }); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if d := hub.Dropped(); d != 0 {
			b.Fatalf("hub dropped %d messages", d)
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "msgs/s")
	}
}

// fanoutBare measures the bare websocket fan-out baseline
// (benchbase.Fanout): a bare coder/websocket writer per client writing the
// same frames, the ceiling for any fan-out over websockets.
func fanoutBare(n int) func(b *testing.B) {
	return func(b *testing.B) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		gen := event.NewGenerator(nil)
		e := padTo(requestEvent(gen, time.Now()), 600)
		enc, _ := event.Marshal(&e)
		frames := [][]byte{stream.EventFrame(enc)}
		bare := benchbase.NewFanout(stream.Subprotocol)
		var wg sync.WaitGroup
		defer func() {
			cancel()
			_ = bare.Close()
			wg.Wait()
		}()
		var cs []*wsCounter
		for i := 0; i < n; i++ {
			c, err := dialCounter(ctx, bare.URL(), false, &wg)
			if err != nil {
				b.Fatal(err)
			}
			cs = append(cs, c)
		}
		if err := bare.Accept(ctx, n); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		if err := bare.Write(ctx, b.N, frames); err != nil {
			b.Fatal(err)
		}
		if err := waitFor(ctx, func() bool { return minCount(cs) >= int64(b.N) }); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "msgs/s")
	}
}

func benchFanout(ctx context.Context, r *report) error {
	var rows []row
	for _, n := range []int{1, 10} {
		ms := r.interleave(
			benchCase{name: fmt.Sprintf("fanout/hub-%d-clients", n), fn: fanoutHub(n)},
			benchCase{name: fmt.Sprintf("fanout/bare-websocket-%d-clients", n), fn: fanoutBare(n)},
		)
		hub, bare := ms[0], ms[1]
		h, bb := median(hub.extra["msgs/s"]), median(bare.extra["msgs/s"])
		if h == 0 || bb == 0 {
			return errors.New("a fan-out benchmark delivered nothing")
		}
		rows = append(rows, row{fmt.Sprintf("hub + server to %d client(s)", n), fmtRate(h, "msgs"), fmtRate(bb, "msgs") + " (bare writer)", ratio(h, bb), "≥ 0.5×"})
	}
	r.add(section{
		title: "Fan-out over websockets (loopback)",
		note:  "~600-byte events published to the hub and delivered through `stream.Server` to raw coder/websocket readers, against a bare coder/websocket writer sending the same frames to the same readers. Figures are total messages delivered per second. The publisher keeps at most 2,048 events ahead of the slowest reader, so no subscriber overflows.",
		rows:  rows,
	})
	return nil
}
