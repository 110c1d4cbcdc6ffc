package recorder

import (
	"testing"
	"time"

	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/internal/benchbase"
	"github.com/beignet/devtools/internal/testutil"
)

// exportBenchEvent is a realistic request event before redaction: a
// bearer token, a cookie, a token query parameter and a password in the
// body.
// BenchmarkExportCost measures, in one run, what export adds to the
// pipeline per event against the pipeline's own redact + encode of the
// same event: the commit stage copies each batch's encoded events into
// the exporter's queue (handoff: one offer per batch of 256, taken back at
// once so the queue never fills; what the exporter's goroutine does is
// measured in package otlp).
func BenchmarkExportCost(b *testing.B) {
	r := newTestRecorderHooks(b, Config{}, hooks{noPipeline: true})
	base := benchbase.RequestEvent(event.IDFromTime(time.Unix(1_700_000_000, 0)), time.Unix(1_700_000_000, 0))
	b.Run("redact+encode", func(b *testing.B) {
		b.ReportAllocs()
		var paths []string
		var scratch []byte
		cpu := testutil.ProcessCPU()
		for b.Loop() {
			e := benchbase.CloneForRedaction(base)
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
		e := benchbase.CloneForRedaction(base)
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
