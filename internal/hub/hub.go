// Package hub is the fan-out machinery behind stream.Hub: the bounded
// per-subscriber queues, the speed-only PublishOwned and the drain/ready
// interface the websocket server and the recorder use. It is not API:
// stream.Hub (a defined type over Hub) is what users see, and the
// recorder and stream reach this package's methods by converting it,
// (*hub.Hub)(h).
package hub

import (
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/beignet/devtools/event"
)

// DefaultBuffer is the default per-subscriber buffer, in events.
const DefaultBuffer = 4096

// DefaultBufferBytes is the default per-subscriber buffer, in bytes of
// queued event JSON. 4,096 ordinary events take a few MiB; with bodies
// near the recorder's 64 KiB limit they could take over 500 MiB per slow
// console, which this bound keeps out of the app's memory.
const DefaultBufferBytes = 32 << 20

// Options configures a Hub; the zero value means the defaults.
type Options struct {
	// Buffer is the number of events queued per subscriber before it is
	// marked behind; default DefaultBuffer.
	Buffer int
	// BufferBytes bounds the bytes of event JSON queued per subscriber:
	// an event that would take the queue past it marks the subscriber
	// behind, as a full Buffer does (an empty queue takes one event of
	// any size). Default DefaultBufferBytes.
	BufferBytes int
	// Logger receives diagnostics; nil discards them.
	Logger *slog.Logger
}

// Filter decides which events a subscription takes; a nil Filter takes
// every event. stream.Filter implements it.
type Filter interface {
	Match(kind event.Kind, requestID string) bool
}

// Hub fans published events out to subscribers. Publish never blocks and
// never waits for a subscriber: each subscriber has a bounded queue, and a
// subscriber whose queue is full is marked behind; the events it misses are
// counted and, once it has drained its queue, it is told about the gap.
//
// Events must be published in ID order (one publisher, or publishers
// serialized by the caller): gap and resume bookkeeping relies on it.
type Hub struct {
	buffer      int
	bufferBytes int
	log         *slog.Logger

	mu     sync.Mutex // guards changes to subs and closed
	subs   atomic.Pointer[[]*Subscription]
	closed bool

	published atomic.Uint64
	dropped   atomic.Uint64
}

// New returns a Hub with the given options.
func New(o Options) *Hub {
	if o.Buffer <= 0 {
		o.Buffer = DefaultBuffer
	}
	if o.BufferBytes <= 0 {
		o.BufferBytes = DefaultBufferBytes
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	h := &Hub{buffer: o.Buffer, bufferBytes: o.BufferBytes, log: o.Logger}
	h.subs.Store(&[]*Subscription{})
	return h
}

// Item is one queued event: its ID and its JSON as stored. The server
// wraps it into an event message when writing, or, with other pending
// events, into an events message.
type Item struct {
	ID  event.ID
	Enc []byte
}

// Publish hands an encoded event (enc, the event JSON as stored) to every
// subscriber whose filter matches kind and requestID. It never blocks. The
// hub keeps its own copy of enc (made once, and only if a subscriber takes
// it); the caller may reuse enc.
func (h *Hub) Publish(id event.ID, kind event.Kind, requestID string, enc []byte) {
	h.publish(id, kind, requestID, enc, true)
}

// PublishOwned is Publish without the copy: the hub keeps enc itself, so
// the caller must never modify enc afterwards (for example a buffer freshly
// allocated per event, as event.Marshal returns). It reports whether a
// subscriber kept enc; when none did, enc is the caller's again.
func (h *Hub) PublishOwned(id event.ID, kind event.Kind, requestID string, enc []byte) (kept bool) {
	return h.publish(id, kind, requestID, enc, false)
}

func (h *Hub) publish(id event.ID, kind event.Kind, requestID string, enc []byte, copyEnc bool) (kept bool) {
	subs := *h.subs.Load()
	h.published.Add(1)
	if len(subs) == 0 {
		return false
	}
	it := Item{ID: id}
	if !copyEnc {
		it.Enc = enc
	}
	for _, s := range subs {
		kept = s.offer(&it, enc, kind, requestID) || kept
	}
	return kept && !copyEnc
}

// Subscribers returns the number of open subscriptions.
func (h *Hub) Subscribers() int { return len(*h.subs.Load()) }

// Published returns the number of Publish calls so far.
func (h *Hub) Published() uint64 { return h.published.Load() }

// Dropped returns the number of deliveries skipped because a subscriber was
// behind, over all subscribers, past and present.
func (h *Hub) Dropped() uint64 { return h.dropped.Load() }

// Close closes every subscription (their Done channels close) and makes
// further Subscribe calls return closed subscriptions. Publish after Close
// is a no-op. Close is idempotent.
func (h *Hub) Close() {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	h.closed = true
	subs := *h.subs.Load()
	h.subs.Store(&[]*Subscription{})
	h.mu.Unlock()
	for _, s := range subs {
		s.markClosed()
	}
}

// IsClosed reports whether Close was called.
func (h *Hub) IsClosed() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.closed
}

// Subscribe registers a new subscription with filter f (nil: everything).
// Events published from now on are queued for it until Close. The caller
// must drain it (Ready, Drain) and Close it when done. The hub keeps f:
// the caller must not change it.
func (h *Hub) Subscribe(f Filter) *Subscription {
	s := &Subscription{
		hub:        h,
		limit:      h.buffer,
		limitBytes: h.bufferBytes,
		ready:      make(chan struct{}, 1),
		done:       make(chan struct{}),
		filter:     f,
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		s.markClosed()
		return s
	}
	old := *h.subs.Load()
	next := make([]*Subscription, len(old), len(old)+1)
	copy(next, old)
	next = append(next, s)
	h.subs.Store(&next)
	return s
}

func (h *Hub) remove(s *Subscription) {
	h.mu.Lock()
	defer h.mu.Unlock()
	old := *h.subs.Load()
	for i, x := range old {
		if x == s {
			next := make([]*Subscription, 0, len(old)-1)
			next = append(next, old[:i]...)
			next = append(next, old[i+1:]...)
			h.subs.Store(&next)
			return
		}
	}
}

// Subscription is one subscriber's bounded queue on a Hub.
type Subscription struct {
	hub        *Hub
	limit      int           // events
	limitBytes int           // bytes of event JSON
	ready      chan struct{} // capacity 1: something was queued or a gap is pending
	done       chan struct{} // closed by Close or Hub.Close

	closeOnce sync.Once

	mu          sync.Mutex
	filter      Filter
	queue       []Item
	queued      int      // bytes of event JSON in queue
	behind      bool     // queue overflowed; new events are dropped until drained
	lastDropped event.ID // newest event dropped while behind
	gapDropped  uint64   // events dropped since the last reported gap
	dropped     uint64   // all events dropped for this subscription
}

// Gap describes events a subscription missed because it was behind.
// Dropped is zero when nothing was missed.
type Gap struct {
	Dropped uint64   // how many matching events were skipped
	Last    event.ID // the newest skipped event
}

func (s *Subscription) offer(it *Item, enc []byte, kind event.Kind, requestID string) (queued bool) {
	s.mu.Lock()
	if s.filter != nil && !s.filter.Match(kind, requestID) {
		s.mu.Unlock()
		return false
	}
	if s.behind || len(s.queue) >= s.limit || len(s.queue) > 0 && s.queued+len(enc) > s.limitBytes {
		s.behind = true
		s.lastDropped = it.ID
		s.gapDropped++
		s.dropped++
		s.mu.Unlock()
		s.hub.dropped.Add(1)
		return false
	}
	if it.Enc == nil {
		it.Enc = append(make([]byte, 0, len(enc)), enc...)
	}
	s.queue = append(s.queue, *it)
	s.queued += len(enc)
	s.mu.Unlock()
	select {
	case s.ready <- struct{}{}:
	default:
	}
	return true
}

// Ready is signalled (capacity-1 channel) when events were queued since the
// last Drain.
func (s *Subscription) Ready() <-chan struct{} { return s.ready }

// Rearm signals Ready again (if it is not already), for a reader that
// stopped draining with events possibly still queued.
func (s *Subscription) Rearm() {
	select {
	case s.ready <- struct{}{}:
	default:
	}
}

// Done is closed when the subscription or its hub is closed.
func (s *Subscription) Done() <-chan struct{} { return s.done }

// Drain returns the queued events, oldest first, and, when the subscription
// had fallen behind, the gap that follows them: the skipped events are all
// newer than the returned ones. The subscription is live again afterwards.
// spare, if not nil, is a slice whose backing array the subscription may
// reuse: pass the previous Drain's result once done with it, to avoid
// allocation (Drain clears it).
func (s *Subscription) Drain(spare []Item) ([]Item, Gap) {
	clear(spare)
	s.mu.Lock()
	items := s.queue
	s.queue = spare[:0]
	s.queued = 0
	var g Gap
	if s.behind {
		g = Gap{Dropped: s.gapDropped, Last: s.lastDropped}
		s.behind = false
		s.gapDropped = 0
	}
	s.mu.Unlock()
	return items, g
}

// Reset replaces the filter and empties the queue, forgetting any pending
// gap: a re-subscribe. The subscription stays registered, so no event
// published around the call is missed by a caller that replays history
// after Reset. The hub keeps f, as Subscribe does.
func (s *Subscription) Reset(f Filter) {
	s.mu.Lock()
	s.filter = f
	clear(s.queue)
	s.queue = s.queue[:0]
	s.queued = 0
	s.behind = false
	s.gapDropped = 0
	s.lastDropped = event.ID{}
	s.mu.Unlock()
}

// Dropped returns the number of events this subscription missed.
func (s *Subscription) Dropped() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dropped
}

// Close unregisters the subscription. It is idempotent.
func (s *Subscription) Close() {
	s.hub.remove(s)
	s.markClosed()
}

func (s *Subscription) markClosed() {
	s.closeOnce.Do(func() { close(s.done) })
}
