package recorder

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/beignet/devtools/event"
)

// Exporter sends redacted events out of the process: to an OpenTelemetry
// Collector with package otlp, or anywhere else. The recorder defines it so
// that an app that exports nothing links no exporter code.
//
// The recorder hands each Exporter every event after it has been redacted,
// stored and published, on a goroutine of its own (one per exporter), in
// pipeline order, in batches. The events are decoded from the very bytes
// the store and the websocket got, so an exporter sees exactly what they
// hold and nothing unredacted. A slow or failing exporter never holds up
// the pipeline or a request: its bounded queue overflows and the events it
// missed are counted (Stats.ExportDropped).
type Exporter interface {
	// Export sends one batch. It is never called concurrently for the
	// same Exporter. It may keep the events (they are its own), not the
	// slice, which the recorder reuses. ctx ends when the recorder's
	// Close runs out of time; Export should return then. An error counts
	// the batch's events as failed (Stats.ExportFailed); the recorder does
	// not retry.
	Export(ctx context.Context, events []event.Event) error
}

// Defaults of the export queue (Config.ExportQueueSize, ExportQueueBytes).
const (
	DefaultExportQueueSize  = 8192
	DefaultExportQueueBytes = 32 << 20

	// maxExportBatch bounds the events of one Export call: queued
	// batches are merged up to it, so a collector that is slow to answer
	// gets fewer, larger requests.
	maxExportBatch = 1024

	// After a failed export the exporter's goroutine waits before the
	// next try, doubling from minExportBackoff up to maxExportBackoff, and
	// lets its queue fill meanwhile (what does not fit is dropped at the
	// hand-off, uncopied): a collector that is down costs neither the
	// decoding and converting of every event only to fail sending it, nor
	// the collector a storm of retries, and a short outage loses nothing
	// that the queue can hold.
	minExportBackoff = time.Second
	maxExportBackoff = 30 * time.Second
)

// exportBatch is one pipeline batch's encoded events, copied into one
// buffer (ends[i] is where event i ends).
type exportBatch struct {
	buf  []byte
	ends []int
}

// maxPooledExport caps the buffer a recycled exportBatch keeps.
const maxPooledExport = 1 << 20

// exportQueue is one Exporter, its bounded queue and the goroutine that
// feeds it (runExport). The commit stage offers each committed batch;
// nothing on that side waits.
type exportQueue struct {
	exp                 Exporter
	ch                  chan *exportBatch
	free                chan *exportBatch // recycled batches (bounded)
	events, bytes       atomic.Int64      // what waits in ch
	maxEvents, maxBytes int64

	exported, dropped, failed atomic.Uint64
	lastErr                   atomic.Pointer[string]
	done                      chan struct{}
	minBackoff                time.Duration
}

func newExportQueue(exp Exporter, maxEvents int, maxBytes int64) *exportQueue {
	return &exportQueue{
		exp:       exp,
		ch:        make(chan *exportBatch, maxEvents), // every batch holds one event at least
		free:      make(chan *exportBatch, 4),
		maxEvents: int64(maxEvents),
		maxBytes:  maxBytes,
		done:      make(chan struct{}),
	}
}

// offerExport hands a committed batch to every exporter. It runs on the
// commit stage: it copies the encoded events (encs are the pipeline's
// memory, reused for later batches) and never waits. An exporter whose
// queue has no room for the batch misses it, counted.
func (r *Recorder) offerExport(encs [][]byte) {
	for _, q := range r.exports {
		q.offer(encs)
	}
}

func (q *exportQueue) offer(encs [][]byte) {
	n, size := int64(len(encs)), int64(0)
	for _, b := range encs {
		size += int64(len(b))
	}
	events, bytes := q.events.Add(n), q.bytes.Add(size)
	if events > q.maxEvents || bytes > q.maxBytes {
		q.events.Add(-n)
		q.bytes.Add(-size)
		q.dropped.Add(uint64(n))
		return
	}
	var b *exportBatch
	select {
	case b = <-q.free:
	default:
		b = &exportBatch{}
	}
	if cap(b.buf) < int(size) {
		b.buf = make([]byte, 0, size)
	}
	for _, e := range encs {
		b.buf = append(b.buf, e...)
		b.ends = append(b.ends, len(b.buf))
	}
	select {
	case q.ch <- b:
	default: // cannot happen while every batch counts against maxEvents
		q.events.Add(-n)
		q.bytes.Add(-size)
		q.dropped.Add(uint64(n))
		q.recycle(b)
	}
}

func (q *exportQueue) recycle(b *exportBatch) {
	if cap(b.buf) > maxPooledExport {
		return
	}
	b.buf, b.ends = b.buf[:0], b.ends[:0]
	select {
	case q.free <- b:
	default:
	}
}

// take accounts for b leaving the queue.
func (q *exportQueue) take(b *exportBatch) {
	q.events.Add(-int64(len(b.ends)))
	q.bytes.Add(-int64(len(b.buf)))
}

// runExport feeds q's Exporter until q.ch is closed (Close, once the
// pipeline has stopped). It merges whatever is queued into one call, up to
// maxExportBatch events. After a failure it waits (backoff) before taking
// more (waitExport); after a failure once Close has begun, or once ctx has
// ended, it drops what is left, counted, without decoding it.
func (r *Recorder) runExport(ctx context.Context, q *exportQueue) {
	defer close(q.done)
	var events []event.Event
	var backoff time.Duration
	failing, giveUp := false, false
	for b := range q.ch {
		if giveUp || ctx.Err() != nil {
			q.take(b)
			q.dropped.Add(uint64(len(b.ends)))
			q.recycle(b)
			continue
		}
		clear(events)
		var bad int
		events, bad = q.decode(events[:0], b)
	more:
		for len(events) < maxExportBatch {
			select {
			case b, ok := <-q.ch:
				if !ok {
					break more
				}
				var n int
				events, n = q.decode(events, b)
				bad += n
			default:
				break more
			}
		}
		q.failed.Add(uint64(bad))
		if len(events) == 0 {
			continue
		}
		err := q.exp.Export(ctx, events)
		if err == nil {
			q.exported.Add(uint64(len(events)))
			q.lastErr.Store(nil)
			backoff = 0
			if failing {
				failing = false
				r.log.Info("recorder: export recovered", "exporter", fmt.Sprintf("%T", q.exp))
			}
			continue
		}
		q.failed.Add(uint64(len(events)))
		// An exporter's error may quote what it was given or what a
		// collector answered: redact it like a store error.
		msg, _ := r.redactor.String(err.Error())
		q.lastErr.Store(&msg)
		if !failing {
			failing = true
			r.log.Warn("recorder: export failed; events are still stored and streamed, the exporter's share waits in its bounded queue or is dropped", "exporter", fmt.Sprintf("%T", q.exp), "error", msg, "events", len(events))
		}
		backoff = min(max(2*backoff, q.minBackoff), maxExportBackoff)
		giveUp = !r.waitExport(ctx, backoff)
	}
}

// waitExport waits d before the next try. Close cuts the wait short for
// one last try with what is queued; a failure once Close has begun, or ctx
// ending, means no more tries (false).
func (r *Recorder) waitExport(ctx context.Context, d time.Duration) bool {
	if r.closed.Load() {
		return false
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.quit:
		return true
	case <-ctx.Done():
		return false
	}
}

// decode takes b off the queue's count, appends its events to events and
// recycles it; it returns how many events did not decode (the pipeline's
// own encoding: not expected).
func (q *exportQueue) decode(events []event.Event, b *exportBatch) ([]event.Event, int) {
	q.take(b)
	bad, start := 0, 0
	for _, end := range b.ends {
		var e event.Event
		if err := event.Unmarshal(b.buf[start:end], &e); err != nil {
			bad++
		} else {
			events = append(events, e)
		}
		start = end
	}
	q.recycle(b)
	return events, bad
}

// startExport starts one goroutine per exporter. Close stops them
// (stopExport).
func (r *Recorder) startExport(cfg *Config, minBackoff time.Duration) {
	if len(cfg.Exporters) == 0 {
		return
	}
	size := cfg.ExportQueueSize
	if size <= 0 {
		size = DefaultExportQueueSize
	}
	maxBytes := cfg.ExportQueueBytes
	if maxBytes <= 0 {
		maxBytes = DefaultExportQueueBytes
	}
	r.exportCtx, r.exportCancel = context.WithCancel(context.Background())
	for _, exp := range cfg.Exporters {
		if exp == nil {
			continue
		}
		q := newExportQueue(exp, size, maxBytes)
		q.minBackoff = minBackoff
		if q.minBackoff <= 0 {
			q.minBackoff = minExportBackoff
		}
		r.exports = append(r.exports, q)
		go r.runExport(r.exportCtx, q)
	}
}

// stopExport lets the exporters send what is queued, after the pipeline
// has stopped, and waits for them; when ctx ends first, the exporters'
// context is cancelled and what is left is dropped (counted). It reports
// whether everything queued was handed over.
func (r *Recorder) stopExport(ctx context.Context) bool {
	if len(r.exports) == 0 {
		return true
	}
	for _, q := range r.exports {
		close(q.ch)
	}
	var wg sync.WaitGroup
	all := make(chan struct{})
	for _, q := range r.exports {
		wg.Go(func() { <-q.done })
	}
	go func() { wg.Wait(); close(all) }()
	ok := true
	select {
	case <-all:
	case <-ctx.Done():
		ok = false
		r.exportCancel()
		<-all
	}
	r.exportCancel()
	return ok
}

// exportStats adds the exporters' counters to s.
func (r *Recorder) exportStats(s *Stats) {
	for _, q := range r.exports {
		s.Exported += q.exported.Load()
		s.ExportDropped += q.dropped.Load()
		s.ExportFailed += q.failed.Load()
		s.ExportQueued += int(q.events.Load())
		if p := q.lastErr.Load(); p != nil && s.ExportError == "" {
			s.ExportError = *p
		}
	}
}
