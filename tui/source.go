package tui

import (
	"context"
	"sync"
	"time"

	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/stream"
)

// status is a connection state change. The state is the stream client's
// own enum (one definition), whose stream.StateOffline marks a source that reads
// a store file.
type status struct {
	State   stream.ConnState
	RetryIn time.Duration // when reconnecting
	// Since is when the state was entered (used to count down RetryIn).
	Since time.Time
	Err   error // why, for refused / reconnecting states
}

// serverStats are the recorder-side counters a live source reports.
type serverStats struct {
	Recorded, Dropped, StoreErrors uint64
	Subscribers                    int
}

// batch is everything a Source delivered since its previous batch: the model
// receives one batch per message, never one message per event.
type batch struct {
	Events []event.Event // live arrivals, oldest first
	// History is the newest page of the source's store, oldest first, read
	// on connect so a quiet app's console is not empty. It is shown like
	// any page of history: not counted as arrivals in events/s.
	History []event.Event
	// HistoryMore reports that older events exist before History[0].
	HistoryMore bool
	Conn        *status      // latest state change, nil when unchanged
	Stats       *serverStats // latest server stats, nil when none arrived
	Info        string       // server identity (app, env, retention) when (re)announced
	Gaps        int          // gaps the server reported (events skipped for this subscriber)
	// Dropped counts events the source itself discarded (its buffer overflowed).
	Dropped int
	Err     error // latest error worth showing
}

func (b *batch) empty() bool {
	return len(b.Events) == 0 && len(b.History) == 0 && b.Conn == nil && b.Stats == nil && b.Info == "" && b.Gaps == 0 && b.Dropped == 0 && b.Err == nil
}

// Source feeds the console: NewLiveSource follows a recorder's stream,
// NewOfflineSource reads a store file; Options.Sources takes several. The
// model only sees this interface. Its console-side methods are unexported:
// sources are made by this package's constructors (and its tests' fakes),
// not implemented elsewhere.
//
// next and the history methods are called from tea.Cmd goroutines, never from
// Update or View; implementations must be safe for concurrent use.
type Source interface {
	// Describe names the source for the status bar: a URL or a file path.
	Describe() string
	// next blocks until something is available (or ctx ends, or the source is
	// closed) and returns all of it as one batch. It paces itself so that
	// batches are at least a frame apart. After Close it returns errClosed.
	next(ctx context.Context) (batch, error)
	// older returns up to limit events strictly older than before (zero: the
	// newest), newest first. Sources without history return errNoHistory.
	older(ctx context.Context, before event.ID, limit int) ([]event.Event, error)
	// newer returns up to limit events strictly newer than after, oldest
	// first. Sources without history return errNoHistory.
	newer(ctx context.Context, after event.ID, limit int) ([]event.Event, error)
	// correlated returns every event with the given request ID, oldest first,
	// or errNoHistory.
	correlated(ctx context.Context, requestID string) ([]event.Event, error)
	// Close stops the source and unblocks next.
	Close() error
}

// pump accumulates what a producer goroutine pushes and hands it to Next in
// batches at most one per Interval. It is the building block of the live
// source and of test sources. The pending event buffer is bounded: when it is
// full, Push blocks (back-pressure to the producer, e.g. the websocket reader)
// until the consumer drains it, ctx ends or the pump closes.
type pump struct {
	interval time.Duration
	max      int

	mu      sync.Mutex
	pending batch
	last    time.Time
	closed  bool
	notify  chan struct{} // signalled (non-blocking) when pending changes
	drained chan struct{} // signalled when Next takes a batch
	done    chan struct{}
}

// newPump returns a pump delivering at most one batch per interval (default
// 25ms) and holding at most max pending events (default 65536).
func newPump(interval time.Duration, max int) *pump {
	if interval <= 0 {
		interval = 25 * time.Millisecond
	}
	if max <= 0 {
		max = 65536
	}
	return &pump{interval: interval, max: max, notify: make(chan struct{}, 1), drained: make(chan struct{}, 1), done: make(chan struct{})}
}

func (p *pump) signal() {
	select {
	case p.notify <- struct{}{}:
	default:
	}
}

// Push adds events, blocking while the pending buffer is full.
func (p *pump) Push(ctx context.Context, evs ...event.Event) error {
	for len(evs) > 0 {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return errClosed
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
			return errClosed
		}
	}
	return nil
}

// Update merges non-event information into the pending batch: f is called
// with the pending batch under the pump's lock.
func (p *pump) Update(f func(b *batch)) {
	p.mu.Lock()
	if !p.closed {
		f(&p.pending)
	}
	p.mu.Unlock()
	p.signal()
}

// Next waits for something to deliver and returns it, no sooner than one
// interval after the previous batch.
func (p *pump) Next(ctx context.Context) (batch, error) {
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return batch{}, errClosed
		}
		ready := !p.pending.empty()
		wait := p.interval - time.Since(p.last)
		if ready && wait <= 0 {
			b := p.pending
			p.pending = batch{}
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
				return batch{}, ctx.Err()
			case <-p.done:
				t.Stop()
				return batch{}, errClosed
			}
			continue
		}
		select {
		case <-p.notify:
		case <-ctx.Done():
			return batch{}, ctx.Err()
		case <-p.done:
			return batch{}, errClosed
		}
	}
}

// Close unblocks Next and Push; later calls return errClosed.
func (p *pump) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.closed {
		p.closed = true
		close(p.done)
	}
}
