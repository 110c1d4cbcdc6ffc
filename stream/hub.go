package stream

import (
	"log/slog"

	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/internal/hub"
)

// DefaultBuffer is the default per-subscriber buffer, in events.
const DefaultBuffer = 4096

// DefaultBufferBytes is the default per-subscriber buffer, in bytes of
// queued event JSON (32 MiB): 4,096 events with bodies near the recorder's
// 64 KiB limit would otherwise hold over 500 MiB per slow console.
const DefaultBufferBytes = hub.DefaultBufferBytes

// HubOptions configures a Hub; the zero value means the defaults.
type HubOptions struct {
	// Buffer is the number of events queued per subscriber (per console)
	// before it is marked behind; default DefaultBuffer.
	Buffer int
	// BufferBytes bounds the bytes of event JSON queued per subscriber in
	// the same way (an empty queue takes one event of any size); default
	// DefaultBufferBytes. A subscriber past either bound misses events
	// and is told of the gap, which a resuming client refetches.
	BufferBytes int
	// Logger receives diagnostics; nil discards them.
	Logger *slog.Logger
}

// Hub fans published events out to the Server's subscribers. Publish never
// blocks and never waits for a subscriber: each subscriber has a bounded
// queue, and a subscriber whose queue is full is marked behind; the events
// it misses are counted and, once it has drained its queue, it is told
// about the gap.
//
// Events must be published in ID order (one publisher, or publishers
// serialized by the caller): gap and resume bookkeeping relies on it.
type Hub hub.Hub

// NewHub returns a Hub with the given options.
func NewHub(opts HubOptions) *Hub {
	if opts.Buffer <= 0 {
		opts.Buffer = DefaultBuffer
	}
	return (*Hub)(hub.New(hub.Options{Buffer: opts.Buffer, BufferBytes: opts.BufferBytes, Logger: opts.Logger}))
}

func (h *Hub) impl() *hub.Hub { return (*hub.Hub)(h) }

// Publish hands an encoded event (enc, the event JSON as stored) to every
// subscriber whose filter matches kind and requestID. It never blocks. The
// hub keeps its own copy of enc (made once, and only if a subscriber takes
// it); the caller may reuse enc.
func (h *Hub) Publish(id event.ID, kind event.Kind, requestID string, enc []byte) {
	h.impl().Publish(id, kind, requestID, enc)
}

// Subscribers returns the number of open subscriptions.
func (h *Hub) Subscribers() int { return h.impl().Subscribers() }

// Published returns the number of Publish calls so far.
func (h *Hub) Published() uint64 { return h.impl().Published() }

// Dropped returns the number of deliveries skipped because a subscriber was
// behind, over all subscribers, past and present.
func (h *Hub) Dropped() uint64 { return h.impl().Dropped() }

// Close closes every subscription (their connections end with status 1001)
// and makes further subscriptions closed at once. Publish after Close is a
// no-op. Close is idempotent.
func (h *Hub) Close() { h.impl().Close() }
