package recorder

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/beignet/devtools/event"
)

// DefaultSlow is Sample.Slow's default: requests that take this long or
// longer are always kept.
const DefaultSlow = 500 * time.Millisecond

// Sample is a load policy, for when recording every request costs more
// than the app can spare (as tracing SDKs have one): it keeps every error,
// panic, audit record and slow request, and keeps the other ("ordinary")
// requests at a rate, under an events-per-second budget, or both.
//
// The decision is made once per request, when it starts, and lives in the
// request's context: a kept request keeps its provider calls, logs and
// custom events; a request left out leaves them out too. A left-out
// request that turns out to be an error (a 5xx answer, a panic, an error
// event, an ERROR log, a failed provider call) or slow is kept after all,
// with the events it produced so far: those are held back (at most
// maxHeld, on the request's context, off the pipeline) until the request
// ends, and dropped then if nothing promoted it.
//
// What the policy leaves out is counted in Stats.Sampled, apart from
// Stats.Dropped (the queue was full): sampling is a choice, dropping a
// loss. Consoles show both.
type Sample struct {
	// Rate is the share of ordinary requests kept, from 0 to 1; 0 means 1
	// (all of them, EventsPerSecond alone deciding); negative keeps none
	// (only errors, audits and slow requests).
	Rate float64
	// EventsPerSecond, when > 0, caps the events of kept ordinary requests
	// per second: a request is kept only while the budget, a bucket that
	// holds one second's worth, has room, and every event a kept request
	// records is charged to it. Errors, audits and slow requests are
	// neither checked nor charged.
	EventsPerSecond float64
	// Slow is the duration from which a request is always kept; default
	// DefaultSlow. Negative: no request is kept for being slow.
	Slow time.Duration
	// Rand returns a uniformly distributed number in [0, 1) and must be
	// safe for concurrent use; nil means math/rand/v2's Float64. Tests
	// inject a deterministic one.
	Rand func() float64
}

// maxHeld bounds the events a left-out request holds back in case it turns
// out to be an error or slow; more are counted as sampled at once.
const maxHeld = 16

// sampler applies a Sample. Its budget is a GCRA (generic cell rate
// algorithm) over one atomic: tat, the theoretical arrival time, in Unix
// nanoseconds of the recorder's clock; an event costs every nanoseconds,
// and there is room while tat is less than a second ahead of now.
type sampler struct {
	rate  float64 // in [0, 1]
	every int64   // budget cost of one event, ns; 0: no budget
	slow  int64   // ns; < 0: never
	rand  func() float64
	tat   atomic.Int64
}

func newSampler(s *Sample) *sampler {
	if s == nil {
		return nil
	}
	sm := &sampler{rate: s.Rate, slow: int64(s.Slow), rand: s.Rand}
	switch {
	case sm.rate == 0 || sm.rate > 1:
		sm.rate = 1
	case sm.rate < 0:
		sm.rate = 0
	}
	if s.EventsPerSecond > 0 {
		sm.every = max(int64(float64(time.Second)/s.EventsPerSecond), 1)
	}
	if sm.slow == 0 {
		sm.slow = int64(DefaultSlow)
	}
	if sm.rand == nil {
		sm.rand = rand.Float64
	}
	return sm
}

// keep decides for an ordinary request starting at now (Unix ns) and, when
// it is kept under a budget, charges its first event.
func (s *sampler) keep(now int64) bool {
	if s.rate < 1 && !(s.rate > 0 && s.rand() < s.rate) {
		return false
	}
	if s.every == 0 {
		return true
	}
	const burst = int64(time.Second)
	for {
		tat := s.tat.Load()
		next := max(tat, now) + s.every
		if next-now > burst {
			return false
		}
		if s.tat.CompareAndSwap(tat, next) {
			return true
		}
	}
}

// charge charges one more event of a kept request to the budget, without a
// check: the request was kept, so its events are.
func (s *sampler) charge(now int64) {
	if s.every == 0 {
		return
	}
	for {
		tat := s.tat.Load()
		if s.tat.CompareAndSwap(tat, max(tat, now)+s.every) {
			return
		}
	}
}

// sampledOut is the state of a request the policy left out; its reqInfo
// points to it. The request's goroutine and any goroutine it started may
// record events for it at the same time, hence the lock.
type sampledOut struct {
	mu       sync.Mutex
	promoted bool // an error made the request kept after all
	ended    bool // the request ended
	held     []*record
}

// errorEvent reports whether e is one of the errors the policy always
// keeps (and that make a left-out request kept after all).
func errorEvent(e *event.Event) bool {
	switch e.Kind {
	case event.KindError:
		return true
	case event.KindLog:
		return strings.HasPrefix(e.Level, "ERROR")
	case event.KindProvider:
		return e.Provider != nil && (e.Provider.Error != "" || e.Provider.Status >= http.StatusInternalServerError)
	}
	return false
}

// submit hands an event captured for the request info belongs to (nil:
// none) to the pipeline under the load policy. Middleware request records
// go through finishSampled instead.
func (r *Recorder) submit(info *reqInfo, rec *record) {
	s := r.sampler
	if s == nil || info == nil {
		r.enqueue(rec)
		return
	}
	e := &rec.ev
	o := info.out
	if o == nil { // a kept request
		if s.every > 0 && e.Kind != event.KindAudit && !errorEvent(e) {
			s.charge(r.now().UnixNano())
		}
		r.enqueue(rec)
		return
	}
	isErr := errorEvent(e)
	o.mu.Lock()
	switch {
	case o.promoted:
		o.mu.Unlock()
	case isErr && !o.ended:
		o.promoted = true
		held := o.held
		o.held = nil
		o.mu.Unlock()
		for _, h := range held {
			r.enqueue(h)
		}
	case isErr || e.Kind == event.KindAudit:
		o.mu.Unlock()
	case o.ended || len(o.held) >= maxHeld:
		o.mu.Unlock()
		r.sampled.Add(1)
		return
	default:
		o.held = append(o.held, rec)
		o.mu.Unlock()
		return
	}
	r.enqueue(rec)
}

// submitCtx is submit for the request ctx belongs to.
func (r *Recorder) submitCtx(ctx context.Context, rec *record) {
	if r.sampler == nil {
		r.enqueue(rec)
		return
	}
	r.submit(infoFrom(ctx), rec)
}

// finishSampled ends a left-out request whose middleware record is rec:
// kept after all (with what it held back) when it failed, was slow or
// recorded an error; else counted as sampled with what it held.
func (r *Recorder) finishSampled(o *sampledOut, rec *record) {
	c := &rec.req
	s := r.sampler
	failed := c.status >= http.StatusInternalServerError
	slow := s.slow >= 0 && c.durationNs >= s.slow
	o.mu.Lock()
	o.ended = true
	keep := o.promoted || failed || slow
	o.promoted = keep // later events of a kept request are kept
	held := o.held
	o.held = nil
	o.mu.Unlock()
	if !keep {
		r.sampled.Add(uint64(len(held)) + 1)
		r.putRecord(rec)
		return
	}
	for _, h := range held {
		r.enqueue(h)
	}
	r.enqueue(rec)
}
