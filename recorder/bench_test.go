package recorder

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/internal/benchbase"
	"github.com/beignet/devtools/internal/testutil"
	"github.com/beignet/devtools/store"
	"github.com/beignet/devtools/store/storetest"
	"github.com/beignet/devtools/stream"
)

// drainedRecorder is an enabled recorder whose pipeline runs as in
// production (batching, linger) but discards each batch: the per-request
// cost measured is capture plus hand-off; the pipeline's own work (redact,
// encode, store, publish) is measured by BenchmarkEndToEnd.
func drainedRecorder(b *testing.B) (*Recorder, func()) {
	r := newTestRecorderHooks(b, Config{}, hooks{process: func([]*record) {}})
	return r, func() {}
}

// BenchmarkMiddleware is the request cost against the baselines of
// internal/benchbase (the bare handler, a status-capturing middleware and
// a slog JSON request line), the same ones `go run ./bench` measures.
func BenchmarkMiddleware(b *testing.B) {
	app := benchbase.NoteHandler()
	logger := slog.New(slog.NewJSONHandler(io.Discard, nil))
	body := benchbase.JSONBody(2048)
	rec, stop := drainedRecorder(b)
	defer stop()
	off, err := New(Config{Env: "production"})
	if err != nil {
		b.Fatal(err)
	}
	run := func(b *testing.B, h http.Handler, body []byte) {
		q := benchbase.NewRequest(body)
		b.ReportAllocs()
		b.ResetTimer()
		cpu0 := testutil.ProcessCPU()
		for b.Loop() {
			q.Serve(h)
		}
		b.ReportMetric(float64(testutil.ProcessCPU()-cpu0)/float64(b.N), "cpu-ns/op")
	}
	b.Run("bare", func(b *testing.B) { run(b, app, nil) })
	b.Run("statusCapture", func(b *testing.B) { run(b, benchbase.StatusMiddleware(app), nil) })
	b.Run("slogJSON", func(b *testing.B) { run(b, benchbase.SlogMiddleware(logger, app), nil) })
	b.Run("recorder", func(b *testing.B) { run(b, rec.Middleware(app), nil) })
	b.Run("recorderOff", func(b *testing.B) { run(b, off.Middleware(app), nil) })
	b.Run("bare2KiBBody", func(b *testing.B) { run(b, app, body) })
	b.Run("slogJSON2KiBBody", func(b *testing.B) { run(b, benchbase.SlogMiddleware(logger, app), body) })
	b.Run("recorder2KiBBody", func(b *testing.B) { run(b, rec.Middleware(app), body) })
	if d := rec.Stats().Dropped; d != 0 {
		b.Logf("dropped %d (drain goroutine behind)", d)
	}
}

// BenchmarkEndToEnd records request events through the middleware into a
// real store with 10 websocket clients attached, against a bare bbolt
// batched put of the same encoded bytes in the same run. The producer keeps
// the queue under half full (it is measuring throughput, not drops); drops
// are reported and must be zero.
func BenchmarkEndToEnd(b *testing.B) {
	// One recorded event's bytes: what both sides write.
	sample := func() []byte {
		r := newTestRecorder(b, Config{App: "bench"})
		benchbase.NewRequest(nil).Serve(r.Middleware(benchbase.NoteHandler()))
		flush(b, r)
		_, enc, err := r.Store().SinceEncoded(event.ID{}, 1)
		if err != nil || len(enc) != 1 {
			b.Fatal(err)
		}
		return enc[0]
	}()

	b.Run("bboltBatched", func(b *testing.B) {
		db, err := benchbase.OpenBolt(filepath.Join(b.TempDir(), "bare.db"), true)
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		var seq uint64
		b.SetBytes(int64(len(sample)))
		b.ResetTimer()
		start := time.Now()
		cpu0 := testutil.ProcessCPU()
		for left := b.N; left > 0; {
			n := min(left, maxBatch)
			left -= n
			err := db.Put(n, func(int) ([]byte, []byte) {
				seq++
				k := make([]byte, 16)
				binary.BigEndian.PutUint64(k[:8], uint64(time.Now().UnixMilli()))
				binary.BigEndian.PutUint64(k[8:], seq)
				return k, sample
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
		b.ReportMetric(float64(testutil.ProcessCPU()-cpu0)/float64(b.N), "cpu-ns/event")
	})

	for _, clients := range []int{0, 10} {
		b.Run(fmt.Sprintf("recorder%dws", clients), func(b *testing.B) { benchRecorderWS(b, clients, len(sample)) })
	}
}

func benchRecorderWS(b *testing.B, clients, sampleLen int) {
	{
		st := storetest.Open(b, store.Options{MaxEvents: -1, MaxAge: -1})
		r, err := New(Config{Env: "development", App: "bench", Store: st})
		if err != nil {
			b.Fatal(err)
		}
		defer r.Close(context.Background())
		h, err := r.Handler(HandlerOptions{})
		if err != nil {
			b.Fatal(err)
		}
		dev := httptest.NewServer(h)
		defer dev.Close()
		got := make([]atomic.Int64, clients)
		var gaps atomic.Int64
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		defer func() { cancel(); wg.Wait() }()
		for i := range clients {
			c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(dev.URL, "http")+"/api/devtools/ws", &websocket.DialOptions{Subprotocols: []string{stream.Subprotocol}})
			if err != nil {
				b.Fatal(err)
			}
			c.SetReadLimit(16 << 20)
			_ = c.Write(ctx, websocket.MessageText, []byte(`{"type":"subscribe"}`))
			for {
				_, msg, err := c.Read(ctx)
				if err != nil {
					b.Fatal(err)
				}
				if bytes.Contains(msg, []byte(`"type":"synced"`)) {
					break
				}
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.CloseNow()
				var buf bytes.Buffer
				for {
					_, rd, err := c.Reader(ctx)
					if err != nil {
						return
					}
					buf.Reset()
					if _, err := buf.ReadFrom(rd); err != nil {
						return
					}
					msg := buf.Bytes()
					switch {
					case bytes.HasPrefix(msg, []byte(`{"type":"event"`)):
						got[i].Add(1)
					case bytes.HasPrefix(msg, []byte(`{"type":"events"`)):
						// Batched: count the events (each begins so).
						got[i].Add(int64(bytes.Count(msg, []byte(`{"v":1,"id":`))))
					case bytes.HasPrefix(msg, []byte(`{"type":"gap"`)):
						gaps.Add(1)
					}
				}
			}()
		}
		mw := r.Middleware(benchbase.NoteHandler())
		req := benchbase.NewRequest(nil)
		half := cap(r.queue) / 2
		b.SetBytes(int64(sampleLen))
		b.ResetTimer()
		start := time.Now()
		cpu0 := testutil.ProcessCPU()
		for range b.N {
			for len(r.queue) > half {
				time.Sleep(200 * time.Microsecond) // pace, without spinning a core away from the pipeline
			}
			req.Serve(mw)
		}
		if err := r.Flush(context.Background()); err != nil {
			b.Fatal(err)
		}
		elapsed := time.Since(start)
		cpu := testutil.ProcessCPU() - cpu0
		b.StopTimer()
		b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
		b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/event")
		s := r.Stats()
		b.ReportMetric(float64(s.Dropped), "drops")
		deadline := time.Now().Add(30 * time.Second)
		for i := range clients {
			for got[i].Load() < int64(b.N) && gaps.Load() == 0 && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
		}
		minGot := int64(b.N)
		for i := range clients {
			minGot = min(minGot, got[i].Load())
		}
		b.ReportMetric(float64(minGot)/float64(b.N), "delivered")
		b.ReportMetric(float64(gaps.Load()), "gaps")
		if s.Dropped != 0 || s.StoreErrors != 0 {
			b.Errorf("drops %d store errors %d", s.Dropped, s.StoreErrors)
		}
	}
}
