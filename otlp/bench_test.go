package otlp_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/internal/benchbase"
	"github.com/beignet/devtools/internal/testutil"
	"github.com/beignet/devtools/otlp"
	"github.com/beignet/devtools/recorder"
	"github.com/beignet/devtools/redaction"
	"github.com/beignet/devtools/store"
)

// benchEvent is a realistic request event before redaction (a bearer
// token, a cookie, a token query parameter, a password in the body), the
// one the redaction benchmarks use.
func benchEvent() event.Event {
	e := benchbase.RequestEvent(event.IDFromTime(t0), t0)
	e.TraceID, e.SpanID = traceHex, reqSpan
	return e
}

type nopLogs struct{}

func (nopLogs) Export(context.Context, []sdklog.Record) error { return nil }
func (nopLogs) Shutdown(context.Context) error                { return nil }
func (nopLogs) ForceFlush(context.Context) error              { return nil }

// otlpSink is a stand-in collector: it reads each OTLP/HTTP request and
// answers with an empty (valid) protobuf response.
func otlpSink(b *testing.B) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.WriteHeader(http.StatusOK)
	}))
	b.Cleanup(srv.Close)
	return srv
}

// BenchmarkExport measures, in one run, the work export adds per event
// against the pipeline's redact + encode of the same event. The exporter
// runs on the recorder's export goroutine, off the pipeline; its work is
// decoding the stored bytes and building spans (decode+convert), then
// encoding them as OTLP protobuf and posting them (+OTLP/HTTP, to a
// loopback stand-in collector whose own work is counted too). Batches of
// 256, as the pipeline's. cpu-ns/event is the process's CPU time.
func BenchmarkExport(b *testing.B) {
	base := benchEvent()
	red := redaction.New(redaction.Options{})
	b.Run("redact+encode", func(b *testing.B) {
		b.ReportAllocs()
		cpu := testutil.ProcessCPU()
		for b.Loop() {
			e := benchbase.CloneForRedaction(base)
			red.Event(&e)
			if _, err := event.Marshal(&e); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(testutil.ProcessCPU()-cpu)/float64(b.N), "cpu-ns/event")
	})

	const batch = 256
	e := benchbase.CloneForRedaction(base)
	red.Event(&e)
	enc, err := event.Marshal(&e)
	if err != nil {
		b.Fatal(err)
	}
	run := func(b *testing.B, x *otlp.Exporter) {
		evs := make([]event.Event, batch)
		b.ReportAllocs()
		cpu := testutil.ProcessCPU()
		for b.Loop() {
			for i := range evs {
				if err := event.Unmarshal(enc, &evs[i]); err != nil {
					b.Fatal(err)
				}
			}
			if err := x.Export(context.Background(), evs); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(testutil.ProcessCPU()-cpu)/float64(b.N*batch), "cpu-ns/event")
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/event")
	}
	b.Run("decode+convert", func(b *testing.B) {
		x, err := otlp.New(context.Background(), &otlp.Options{SpanExporter: tracetest.NewNoopExporter(), LogExporter: nopLogs{}})
		if err != nil {
			b.Fatal(err)
		}
		defer x.Shutdown(context.Background())
		run(b, x)
	})
	b.Run("decode+convert+OTLP/HTTP", func(b *testing.B) {
		srv := otlpSink(b)
		x, err := otlp.New(context.Background(), &otlp.Options{
			TraceOptions: []otlptracehttp.Option{otlptracehttp.WithEndpointURL(srv.URL + "/v1/traces")},
			LogOptions:   []otlploghttp.Option{otlploghttp.WithEndpointURL(srv.URL + "/v1/logs")},
		})
		if err != nil {
			b.Fatal(err)
		}
		defer x.Shutdown(context.Background())
		run(b, x)
	})
}

// benchWriter is a ResponseWriter that costs next to nothing.
type benchWriter struct{ h http.Header }

func (w *benchWriter) Header() http.Header         { return w.h }
func (w *benchWriter) WriteHeader(int)             {}
func (w *benchWriter) Write(p []byte) (int, error) { return len(p), nil }

// BenchmarkCollectorDown measures the request path (a handler behind the
// recorder's middleware, called directly) with export off and with export
// on to a collector that is down (nothing listens on its port), in one
// run. Between bursts of 256 requests the clock stops while the pipeline
// stores the burst, so every request is recorded, as under sustained load
// the pipeline keeps up with. With the collector down the exporter's
// queue fills and the rest of its share is dropped (export-drops/op); the
// requests do not wait for any of it.
func BenchmarkCollectorDown(b *testing.B) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	down := "http://" + l.Addr().String()
	l.Close()

	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, `{"id":"42","title":"hello","done":false}`)
	})
	serve := func(b *testing.B, exporters []recorder.Exporter) {
		rec, err := recorder.New(recorder.Config{
			Env: "development", StorePath: filepath.Join(b.TempDir(), "devtools.db"),
			StoreOptions: store.Options{NoSync: true}, Exporters: exporters,
		})
		if err != nil {
			b.Fatal(err)
		}
		defer func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			_ = rec.Close(ctx) // with the collector down, what is queued for it is dropped
		}()
		h := rec.Middleware(app)
		req := httptest.NewRequest("GET", "/notes/42", nil)
		req.Header.Set("Authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZGEifQ.c2lnbmF0dXJlLXNpZw")
		w := &benchWriter{h: http.Header{}}
		ctx := context.Background()
		b.ReportAllocs()
		cpu := testutil.ProcessCPU()
		n := 0
		for b.Loop() {
			clear(w.h)
			h.ServeHTTP(w, req)
			if n++; n%256 == 0 {
				b.StopTimer()
				if err := rec.Flush(ctx); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		}
		b.StopTimer()
		_ = rec.Flush(ctx)
		st := rec.Stats()
		if st.Dropped != 0 {
			b.Fatalf("the recorder dropped %d requests", st.Dropped)
		}
		b.ReportMetric(float64(testutil.ProcessCPU()-cpu)/float64(b.N), "cpu-ns/op")
		b.ReportMetric(float64(st.ExportDropped+st.ExportFailed)/float64(b.N), "export-drops/op")
	}
	b.Run("export=off", func(b *testing.B) { serve(b, nil) })
	b.Run("export=collector-down", func(b *testing.B) {
		x, err := otlp.New(context.Background(), &otlp.Options{
			TraceOptions: []otlptracehttp.Option{otlptracehttp.WithEndpointURL(down + "/v1/traces")},
			LogOptions:   []otlploghttp.Option{otlploghttp.WithEndpointURL(down + "/v1/logs")},
		})
		if err != nil {
			b.Fatal(err)
		}
		defer x.Shutdown(context.Background())
		serve(b, []recorder.Exporter{x})
	})
}
