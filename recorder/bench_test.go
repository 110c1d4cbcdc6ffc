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

// cheapWriter is a ResponseWriter that costs next to nothing, so the
// benchmarks measure the middleware, not the writer.
type cheapWriter struct {
	h      http.Header
	status int
	n      int
}

func (w *cheapWriter) Header() http.Header         { return w.h }
func (w *cheapWriter) WriteHeader(code int)        { w.status = code }
func (w *cheapWriter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }

// resetBody is a request body that can be rewound without allocating.
type resetBody struct{ bytes.Reader }

func (*resetBody) Close() error { return nil }

// statusWriter is the bare status-capturing middleware's writer.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) { w.status = code; w.ResponseWriter.WriteHeader(code) }
func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = 200
	}
	n, err := w.ResponseWriter.Write(p)
	w.bytes += n
	return n, err
}

func statusCapture(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		_ = sw.status
	})
}

// slogMiddleware is the usual request-logging middleware: one JSON line
// per request.
func slogMiddleware(next http.Handler, logger *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		logger.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", sw.status),
			slog.Int("bytes", sw.bytes),
			slog.Duration("duration", time.Since(start)),
		)
	})
}

var (
	benchResp = []byte(`{"id":"42","title":"hello","done":false}`)
	bench2KiB = []byte(`{"items":[` + strings.TrimSuffix(strings.Repeat(`{"id":12345,"title":"a note title here","done":false},`, 38), ",") + `]}`)
)

func benchApp(w http.ResponseWriter, r *http.Request) {
	if r.Body != nil && r.Body != http.NoBody {
		_, _ = io.Copy(io.Discard, r.Body)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	if r.ContentLength > 0 {
		_, _ = w.Write(bench2KiB)
		return
	}
	_, _ = w.Write(benchResp)
}

// drainedRecorder is an enabled recorder whose pipeline runs as in
// production (batching, linger) but discards each batch: the per-request
// cost measured is capture plus hand-off; the pipeline's own work (redact,
// encode, store, publish) is measured by BenchmarkEndToEnd.
func drainedRecorder(b *testing.B) (*Recorder, func()) {
	r := newTestRecorderHooks(b, Config{}, hooks{process: func([]*record) {}})
	return r, func() {}
}

func BenchmarkMiddleware(b *testing.B) {
	app := http.HandlerFunc(benchApp)
	logger := slog.New(slog.NewJSONHandler(io.Discard, nil))
	rec, stop := drainedRecorder(b)
	defer stop()
	off, err := New(Config{Env: "production"})
	if err != nil {
		b.Fatal(err)
	}
	run := func(b *testing.B, h http.Handler, body []byte) {
		req := httptest.NewRequest("GET", "/notes/42?expand=1", nil)
		req.Header.Set("User-Agent", "bench/1.0")
		req.Header.Set("Accept", "application/json")
		req.Header.Set("Accept-Encoding", "gzip")
		req.Header.Set("Cookie", "theme=dark")
		var rb *resetBody
		if body != nil {
			req.Method = "POST"
			req.Header.Set("Content-Type", "application/json")
			req.ContentLength = int64(len(body))
			rb = &resetBody{}
		}
		w := &cheapWriter{h: http.Header{}}
		b.ReportAllocs()
		b.ResetTimer()
		cpu0 := testutil.ProcessCPU()
		for b.Loop() {
			clear(w.h)
			if rb != nil {
				rb.Reset(body)
				req.Body = rb
			}
			h.ServeHTTP(w, req)
		}
		b.ReportMetric(float64(testutil.ProcessCPU()-cpu0)/float64(b.N), "cpu-ns/op")
	}
	b.Run("bare", func(b *testing.B) { run(b, app, nil) })
	b.Run("statusCapture", func(b *testing.B) { run(b, statusCapture(app), nil) })
	b.Run("slogJSON", func(b *testing.B) { run(b, slogMiddleware(app, logger), nil) })
	b.Run("recorder", func(b *testing.B) { run(b, rec.Middleware(app), nil) })
	b.Run("recorderOff", func(b *testing.B) { run(b, off.Middleware(app), nil) })
	b.Run("bare2KiBBody", func(b *testing.B) { run(b, app, bench2KiB) })
	b.Run("recorder2KiBBody", func(b *testing.B) { run(b, rec.Middleware(app), bench2KiB) })
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
		w := &cheapWriter{h: http.Header{}}
		r.Middleware(http.HandlerFunc(benchApp)).ServeHTTP(w, benchRequest())
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
		mw := r.Middleware(http.HandlerFunc(benchApp))
		req := benchRequest()
		w := &cheapWriter{h: http.Header{}}
		half := cap(r.queue) / 2
		b.SetBytes(int64(sampleLen))
		b.ResetTimer()
		start := time.Now()
		cpu0 := testutil.ProcessCPU()
		for range b.N {
			for len(r.queue) > half {
				time.Sleep(200 * time.Microsecond) // pace, without spinning a core away from the pipeline
			}
			clear(w.h)
			mw.ServeHTTP(w, req)
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

func benchRequest() *http.Request {
	req := httptest.NewRequest("GET", "/notes/42?expand=1", nil)
	req.Header.Set("User-Agent", "bench/1.0")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Accept-Encoding", "gzip")
	req.Header.Set("Cookie", "theme=dark")
	return req
}
