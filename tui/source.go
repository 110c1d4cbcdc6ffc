package tui

import (
	"context"
	"sync"
	"time"

	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/stream"
)

// ConnState is the connection state shown in the status bar: the stream
// client's own enum (one definition), whose StateOffline marks a source
// that reads a store file.
type ConnState = stream.ConnState

// Connection states, as stream defines them. Offline sources report
// StateOffline once loaded.
const (
	StateConnecting    = stream.StateConnecting
	StateLive          = stream.StateLive
	StateReconnecting  = stream.StateReconnecting
	StateOffline       = stream.StateOffline
	StateAuthRefused   = stream.StateAuthRefused
	StateOriginRefused = stream.StateOriginRefused
	StateClosed        = stream.StateClosed
	StateNotFound      = stream.StateNotFound // nothing serves devtools at the URL (HTTP 404)
)

// Conn is a connection state change.
type Conn struct {
	State   ConnState
	RetryIn time.Duration // when reconnecting
	// Since is when the state was entered (used to count down RetryIn).
	Since time.Time
	Err   error // why, for refused / reconnecting states
}

// ServerStats are the recorder-side counters a live source reports.
type ServerStats struct {
	Recorded, Dropped, StoreErrors uint64
	Subscribers                    int
	Sampled                        uint64 // events the recorder's load policy left out on purpose
}

// Batch is everything a Source delivered since its previous batch: the model
// receives one Batch per message, never one message per event.
type Batch struct {
	Events []event.Event // live arrivals, oldest first
	// History is the newest page of the source's store, oldest first, read
	// on connect so a quiet app's console is not empty. It is shown like
	// any page of history: not counted as arrivals in events/s.
	History []event.Event
	// HistoryMore reports that older events exist before History[0].
	HistoryMore bool
	Conn        *Conn        // latest state change, nil when unchanged
	Stats       *ServerStats // latest server stats, nil when none arrived
	Info        string       // server identity (app, env, retention) when (re)announced
	Gaps        int          // gaps the server reported (events skipped for this subscriber)
	// Dropped counts events the source itself discarded (its buffer overflowed).
	Dropped int
	Err     error // latest error worth showing
}

func (b *Batch) empty() bool {
	return len(b.Events) == 0 && len(b.History) == 0 && b.Conn == nil && b.Stats == nil && b.Info == "" && b.Gaps == 0 && b.Dropped == 0 && b.Err == nil
}

// Source feeds the console. A live source follows a recorder's stream; an
// offline source reads a store file. The model only sees this interface.
//
// Next and the history methods are called from tea.Cmd goroutines, never from
// Update or View; implementations must be safe for concurrent use.
type Source interface {
	// Describe names the source for the status bar: a URL or a file path.
	Describe() string
	// Next blocks until something is available (or ctx ends, or the source is
	// closed) and returns all of it as one batch. It paces itself so that
	// batches are at least a frame apart. After Close it returns ErrClosed.
	Next(ctx context.Context) (Batch, error)
	// Older returns up to limit events strictly older than before (zero: the
	// newest), newest first. Sources without history return ErrNoHistory.
	Older(ctx context.Context, before event.ID, limit int) ([]event.Event, error)
	// Newer returns up to limit events strictly newer than after, oldest
	// first. Sources without history return ErrNoHistory.
	Newer(ctx context.Context, after event.ID, limit int) ([]event.Event, error)
	// Correlated returns every event with the given request ID, oldest first,
	// or ErrNoHistory.
	Correlated(ctx context.Context, requestID string) ([]event.Event, error)
	// Close stops the source and unblocks Next.
	Close() error
}

// Pump accumulates what a producer goroutine pushes and hands it to Next in
// batches at most one per Interval. It is the building block of the live
// source and of test sources. The pending event buffer is bounded: when it is
// full, Push blocks (back-pressure to the producer, e.g. the websocket reader)
// until the consumer drains it, ctx ends or the pump closes.
type Pump struct {
	interval time.Duration
	max      int

	mu      sync.Mutex
	pending Batch
	last    time.Time
	closed  bool
	notify  chan struct{} // signalled (non-blocking) when pending changes
	drained chan struct{} // signalled when Next takes a batch
	done    chan struct{}
}

// NewPump returns a Pump delivering at most one batch per interval (default
// 25ms) and holding at most max pending events (default 65536).
func NewPump(interval time.Duration, max int) *Pump {
	if interval <= 0 {
		interval = 25 * time.Millisecond
	}
	if max <= 0 {
		max = 65536
	}
	return &Pump{interval: interval, max: max, notify: make(chan struct{}, 1), drained: make(chan struct{}, 1), done: make(chan struct{})}
}

func (p *Pump) signal() {
	select {
	case p.notify <- struct{}{}:
	default:
	}
}

// Push adds events, blocking while the pending buffer is full.
func (p *Pump) Push(ctx context.Context, evs ...event.Event) error {
	for len(evs) > 0 {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return ErrClosed
		}
		room := p.max - len(p.pending.Events)
		if room > 0 {
			n := min(room, len(evs))
			p.pending.Events = append(p.pending.Events, evs[:n]...)
			evs = evs[n:]
			p.mu.Unlock()
			p.signal()
			continue
		}
		p.mu.Unlock()
		p.signal()
		select {
		case <-p.drained:
		case <-ctx.Done():
			return ctx.Err()
		case <-p.done:
			return ErrClosed
		}
	}
	return nil
}

// Update merges non-event information into the pending batch: f is called
// with the pending batch under the pump's lock.
func (p *Pump) Update(f func(b *Batch)) {
	p.mu.Lock()
	if !p.closed {
		f(&p.pending)
	}
	p.mu.Unlock()
	p.signal()
}

// Next waits for something to deliver and returns it, no sooner than one
// interval after the previous batch.
func (p *Pump) Next(ctx context.Context) (Batch, error) {
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return Batch{}, ErrClosed
		}
		ready := !p.pending.empty()
		wait := p.interval - time.Since(p.last)
		if ready && wait <= 0 {
			b := p.pending
			p.pending = Batch{}
			p.last = time.Now()
			p.mu.Unlock()
			select {
			case p.drained <- struct{}{}:
			default:
			}
			return b, nil
		}
		p.mu.Unlock()
		if ready {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return Batch{}, ctx.Err()
			case <-p.done:
				t.Stop()
				return Batch{}, ErrClosed
			}
			continue
		}
		select {
		case <-p.notify:
		case <-ctx.Done():
			return Batch{}, ctx.Err()
		case <-p.done:
			return Batch{}, ErrClosed
		}
	}
}

// Close unblocks Next and Push; later calls return ErrClosed.
func (p *Pump) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.closed {
		p.closed = true
		close(p.done)
	}
}
