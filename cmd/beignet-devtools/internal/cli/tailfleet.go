package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"sync"

	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/internal/apiclient"
	"github.com/beignet/devtools/stream"
)

// mergeQueue bounds the events held per instance while the merge waits
// for a slower one; a full queue holds back that instance's websocket
// reader (the server marks it behind and tail refetches the gap).
const mergeQueue = 4096

// tailFleet follows several instances at once and prints their union in
// recording order (event IDs are time-ordered across instances). While
// any instance is still replaying (--since), an event prints only once
// every other replaying instance has shown an event at least as new, so
// `--since all --no-follow` prints the whole union in time order; after
// that, events print as they arrive. An instance that cannot connect or
// refuses is reported on stderr, naming it, and the others go on; tail
// fails only when none of them could be followed.
func tailFleet(ctx context.Context, env *Env, apis []*apiclient.Client, since event.ID, noFollow, retry bool, out *eventPrinter) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	m := newMerger(len(apis), out, func(err error) { cancel(err) }, noFollow)
	m.labels = instanceLabels(apis)
	m.stderr = env.Stderr
	out.instances = true
	errs := make([]error, len(apis))
	var wg sync.WaitGroup
	for i, api := range apis {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = followInstance(ctx, m, i, api, since, retry)
			m.settle(i)
		}()
	}
	wg.Wait()
	m.close()

	var failed []error
	for i, err := range errs {
		if err != nil {
			failed = append(failed, fmt.Errorf("%s: %w", instanceName(apis[i]), err))
		}
	}
	if len(failed) == len(apis) {
		return failErr("tail: no instance could be followed: %w", errors.Join(failed...))
	}
	switch cause := context.Cause(ctx); {
	case errors.Is(cause, errEnough):
		return nil
	case cause != nil && !errors.Is(cause, context.Canceled):
		return failErr("tail: write: %w", cause)
	}
	return nil
}

// followInstance runs one instance's stream into m until ctx ends or the
// instance refuses; it returns why it stopped following (nil when tail
// ended it).
func followInstance(ctx context.Context, m *merger, i int, api *apiclient.Client, since event.ID, retry bool) error {
	ictx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	name := instanceName(api)
	connected := false
	err := api.Stream(stream.ClientOptions{Since: since, FillGaps: true}).Run(ictx, func(u stream.Update) {
		switch u.Kind {
		case stream.UpdateHello:
			connected = true
		case stream.UpdateEvent:
			m.push(ictx, i, u.Event, u.Raw)
		case stream.UpdateSynced:
			m.settle(i)
		case stream.UpdateGap:
			m.warnf("tail: %s: the server skipped events after %s (slow reader); refetching them\n", name, u.GapAfter)
		case stream.UpdateError:
			if u.Err != nil {
				m.warnf("tail: %s: %v\n", name, u.Err)
			}
		case stream.UpdateState:
			if u.State != stream.StateReconnecting {
				return
			}
			if !connected && !retry {
				stop(&connectError{u.Err})
				return
			}
			// Until it is back, this instance must not hold the others'
			// replay: it rejoins the merge as a live stream.
			m.settle(i)
			m.warnf("tail: %s: connection lost (%v); reconnecting in %s\n", name, u.Err, u.RetryIn.Round(1e6))
		}
	})
	var ce *connectError
	switch cause := context.Cause(ictx); {
	case errors.As(cause, &ce):
		m.warnf("tail: %s: cannot connect: %v; following the others\n", name, ce.err)
		return ce.err
	case errors.Is(err, stream.ErrUnauthorized), errors.Is(err, stream.ErrOriginRefused), errors.Is(err, stream.ErrNotFound), errors.Is(err, stream.ErrForbidden):
		m.warnf("%v; following the others\n", routeError("tail", api, err))
		return err
	case ctx.Err() != nil, errors.Is(err, stream.ErrClosed):
		return nil
	case err != nil:
		m.warnf("tail: %s: %v; following the others\n", name, err)
		return err
	}
	return nil
}

// merger interleaves several instances' events in ID order.
type merger struct {
	mu       sync.Mutex
	space    *sync.Cond // a queue has room again, or the merger closed
	out      *eventPrinter
	stop     func(error)
	noFollow bool
	stderr   io.Writer
	labels   []string // per instance: names its events that carry none
	queues   [][]queued
	settled  []bool // synced, failed or reconnecting: holds no one back
	pending  int    // instances not settled
	closed   bool
}

type queued struct {
	e   event.Event
	raw []byte
}

func newMerger(n int, out *eventPrinter, stop func(error), noFollow bool) *merger {
	m := &merger{out: out, stop: stop, noFollow: noFollow, queues: make([][]queued, n), settled: make([]bool, n), pending: n}
	m.space = sync.NewCond(&m.mu)
	return m
}

// push queues instance i's event and prints what the merge allows. It
// waits while i's queue is full (ctx ends the wait).
func (m *merger) push(ctx context.Context, i int, e event.Event, raw []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for len(m.queues[i]) >= mergeQueue && !m.closed && ctx.Err() == nil {
		stop := context.AfterFunc(ctx, func() {
			m.mu.Lock()
			m.space.Broadcast()
			m.mu.Unlock()
		})
		m.space.Wait()
		stop()
	}
	if m.closed || ctx.Err() != nil {
		return
	}
	switch {
	case e.Instance == "" && m.labels != nil:
		// The app set no instance name: say which URL the event came
		// from, in the JSON line too (re-encoded from the event).
		e.Instance, raw = m.labels[i], nil
	case raw != nil:
		raw = append([]byte(nil), raw...) // the client reuses its frame buffer
	}
	m.queues[i] = append(m.queues[i], queued{e, raw})
	m.drain()
}

// settle marks instance i as holding no one back: it has replayed its
// history, or it failed.
func (m *merger) settle(i int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.settled[i] {
		return
	}
	m.settled[i] = true
	m.pending--
	m.drain()
	if m.pending == 0 && m.noFollow {
		m.closed = true
		m.stop(errEnough)
	}
}

// warnf writes one line to stderr; the instances' streams share it.
func (m *merger) warnf(format string, args ...any) {
	m.mu.Lock()
	defer m.mu.Unlock()
	fmt.Fprintf(m.stderr, format, args...)
}

// close ends every wait in push.
func (m *merger) close() {
	m.mu.Lock()
	m.closed = true
	m.space.Broadcast()
	m.mu.Unlock()
}

// drain prints the oldest queued event for as long as no unsettled
// instance with an empty queue could still send an older one.
func (m *merger) drain() {
	for !m.closed {
		next := -1
		for j, q := range m.queues {
			if len(q) == 0 {
				if !m.settled[j] {
					return // j may still replay something older
				}
				continue
			}
			if next < 0 || q[0].e.ID.Compare(m.queues[next][0].e.ID) < 0 {
				next = j
			}
		}
		if next < 0 {
			return
		}
		q := m.queues[next][0]
		m.queues[next][0] = queued{}
		m.queues[next] = m.queues[next][1:]
		m.space.Broadcast()
		if err := m.out.print(&q.e, q.raw); err != nil {
			m.closed = true
			m.stop(err)
			return
		}
	}
}

// instanceLabels names each client for events without an instance of
// their own: the host:port of its URL, or the address --each-address
// pinned it to.
func instanceLabels(apis []*apiclient.Client) []string {
	labels := make([]string, len(apis))
	for i, c := range apis {
		labels[i] = c.DialAddress()
		if labels[i] == "" {
			if u, err := url.Parse(c.Base()); err == nil {
				labels[i] = u.Host
			}
		}
	}
	for i := range labels {
		for j := i + 1; j < len(labels); j++ {
			if labels[i] == labels[j] {
				labels[j] = fmt.Sprintf("%s#%d", labels[j], j+1)
			}
		}
	}
	return labels
}
