package recorder

import (
	"maps"
	"testing"
	"time"

	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/internal/testutil"
)

// exportBenchEvent is a realistic request event before redaction: a
// bearer token, a cookie, a token query parameter and a password in the
// body.
func exportBenchEvent() event.Event {
	return event.Event{
		V: 1, ID: event.IDFromTime(time.Unix(1_700_000_000, 0)), Time: time.Unix(1_700_000_000, 0).UTC(), Kind: event.KindRequest,
		Name: "POST /signin", RequestID: "01HZX3K4M5N6P7Q8R9S0T1V2W3", TraceID: "4bf92f3577b34da6a3ce929d0e0e4736", SpanID: "00f067aa0ba902b7",
		DurationNs: 1_234_567, Status: 200,
		HTTP: &event.HTTP{
			Method: "POST", URL: "http://127.0.0.1:8080/signin?next=%2Fnotes&token=tok_live_8c1f2e3d4c5b6a79", Route: "POST /signin", Status: 200,
			RequestHeaders: map[string][]string{
				"Accept":        {"application/json"},
				"Authorization": {"Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZGEifQ.c2lnbmF0dXJlLXNpZw"},
				"Cookie":        {"session=s3ss10n-abcdef0123456789; theme=dark"},
				"Content-Type":  {"application/json"},
				"User-Agent":    {"Mozilla/5.0 (X11; Linux x86_64)"},
			},
			ResponseHeaders: map[string][]string{"Content-Type": {"application/json"}},
			RequestBody:     &event.Body{ContentType: "application/json", Size: 64, Text: `{"email":"ada@example.com","password":"correct-horse-battery","remember":true}`},
			ResponseBody:    &event.Body{ContentType: "application/json", Size: 27, Text: `{"ok":true,"user":"ada"}`},
			BytesIn:         64, BytesOut: 27, RemoteAddr: "127.0.0.1:53124",
		},
		App: "notes-demo", Instance: "bench",
	}
}

// cloneForRedaction copies what redaction replaces, so that every
// iteration redacts the original.
func cloneForRedaction(e event.Event) event.Event {
	h := *e.HTTP
	h.RequestHeaders = maps.Clone(h.RequestHeaders)
	h.ResponseHeaders = maps.Clone(h.ResponseHeaders)
	rb, sb := *h.RequestBody, *h.ResponseBody
	h.RequestBody, h.ResponseBody = &rb, &sb
	e.HTTP = &h
	return e
}

// BenchmarkExportCost measures, in one run, what export adds to the
// pipeline per event against the pipeline's own redact + encode of the
// same event: the commit stage copies each batch's encoded events into
// the exporter's queue (handoff: one offer per batch of 256, taken back at
// once so the queue never fills; what the exporter's goroutine does is
// measured in package otlp).
func BenchmarkExportCost(b *testing.B) {
	r := newTestRecorderHooks(b, Config{}, hooks{noPipeline: true})
	base := exportBenchEvent()
	b.Run("redact+encode", func(b *testing.B) {
		b.ReportAllocs()
		var paths []string
		var scratch []byte
		cpu := testutil.ProcessCPU()
		for b.Loop() {
			e := cloneForRedaction(base)
			paths = r.redactor.AppendEvent(paths[:0], &e)
			var err error
			if scratch, err = encodeEvent(scratch[:0], &e); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(testutil.ProcessCPU()-cpu)/float64(b.N), "cpu-ns/event")
	})
	b.Run("handoff", func(b *testing.B) {
		const batch = maxBatch
		e := cloneForRedaction(base)
		r.redactor.AppendEvent(nil, &e)
		enc, err := encodeEvent(nil, &e)
		if err != nil {
			b.Fatal(err)
		}
		encs := make([][]byte, batch)
		for i := range encs {
			encs[i] = enc
		}
		q := newExportQueue(nil, DefaultExportQueueSize, DefaultExportQueueBytes)
		b.ReportAllocs()
		cpu := testutil.ProcessCPU()
		for b.Loop() {
			q.offer(encs)
			bt := <-q.ch
			q.take(bt)
			q.recycle(bt)
		}
		if q.dropped.Load() != 0 {
			b.Fatalf("%d dropped", q.dropped.Load())
		}
		b.ReportMetric(float64(testutil.ProcessCPU()-cpu)/float64(b.N*batch), "cpu-ns/event")
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/event")
		b.ReportMetric(float64(len(enc)), "bytes/event")
	})
}
