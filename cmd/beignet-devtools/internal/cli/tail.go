package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/internal/apiclient"
	"github.com/beignet/devtools/internal/filter"
	"github.com/beignet/devtools/store"
	"github.com/beignet/devtools/stream"
)

func newTailCmd(env *Env) *cobra.Command {
	var (
		t        target
		ts       tokenSource
		since    string
		query    string
		asJSON   bool
		count    int
		noFollow bool
		retry    bool
	)
	cmd := &cobra.Command{
		Use:   "tail --url URL | --db PATH [--since ID] [--filter QUERY] [--json]",
		Short: "Print events as JSON lines or one readable line each",
		Long: `tail prints events to stdout, for grep, jq and other tools: with --json one
event per line exactly as stored (schema v1), else one readable line each:

  2026-11-29T09:00:00.123Z request  POST /checkout 402 41.2ms  req=4bf9… id=01J…

With --url it follows a running app live (Ctrl-C stops); --since replays from
the store first (an event ID, a duration such as 10m or 2d, or "all"), then
goes live without duplicates or holes. --no-follow stops once the replay is
done; --count stops after N events. If the first connection fails or the token
is refused, tail exits 1 with the reason.

With --url given more than once, or with --each-address (every address the
host resolves to), it follows every instance and prints their union in time
order, each readable line naming its instance (--json lines keep the
event's instance field, filled with the instance's address when the app set
none). An instance that cannot be reached or refuses is reported on stderr
and the others go on; tail fails only when none can be followed.

With --db it prints the matching events of a store file, oldest first, and
exits; with -n N only the newest N of them (like Unix tail), still oldest
first.

--filter takes the console's query language: kind:request status:>=500
method:POST path:/api/* provider:stripe actor:alice level:error req:ID
dur:>200ms, and free words.`,
		Example: `  BEIGNET_DEVTOOLS_TOKEN=... beignet-devtools tail --url http://127.0.0.1:8080 --json | jq .name
  beignet-devtools tail --url https://staging.example.com --token-file ~/.t --since 15m --filter 'status:>=500'
  beignet-devtools tail --db .beignet/devtools.db --filter 'kind:audit actor:ada*'
  beignet-devtools tail --url https://a.staging.example.com --url https://b.staging.example.com --token-file ~/.t --since all --no-follow --json
  beignet-devtools tail --db .beignet/devtools.db -n 20`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) (err error) {
			if err := t.check(cmd); err != nil {
				return err
			}
			f, err := filter.Parse(query)
			if err != nil {
				return usageErr("--filter: %w", err)
			}
			after, err := parseSince(since, env.now())
			if err != nil {
				return usageErr("%w", err)
			}
			if count < 0 {
				return usageErr("--count must be >= 0")
			}
			fw := &flushWriter{w: bufio.NewWriterSize(env.Stdout, 64<<10)}
			defer func() {
				if ferr := fw.Flush(); err == nil && ferr != nil {
					err = failErr("tail: write: %w", ferr)
				}
			}()
			out := &eventPrinter{w: fw, json: asJSON, filter: f, max: count}
			if t.db != "" {
				return tailDB(t.db, after, out)
			}
			cs, err := t.clients(cmd.Context(), env, &ts, "tail")
			if err != nil {
				return err
			}
			if len(cs) == 1 {
				// JSON lines without a filter pass each event's JSON on as
				// received: decoding its nested parts would be wasted.
				headOnly := asJSON && strings.TrimSpace(query) == ""
				return tailURL(cmd.Context(), env, cs[0], after, noFollow, retry, headOnly, out)
			}
			return tailFleet(cmd.Context(), env, cs, after, noFollow, retry, out)
		},
	}
	t.flags(cmd, "to read (the app must not hold its lock)")
	t.fleetFlags(cmd)
	ts.flags(cmd)
	f := cmd.Flags()
	f.StringVar(&since, "since", "", "replay after this event ID, or this long ago (10m, 2d), or all")
	f.StringVar(&query, "filter", "", "filter query in the console's language, e.g. 'kind:request status:>=500'")
	f.BoolVar(&asJSON, "json", false, "print each event as one line of JSON (schema v1)")
	f.IntVarP(&count, "count", "n", 0, "with --db, print only the newest N events (like tail -n); with --url, stop after N events (0: no limit)")
	f.BoolVar(&noFollow, "no-follow", false, "with --url, stop once the replay (--since) is done instead of following live")
	f.BoolVar(&retry, "retry", false, "with --url, keep retrying when the first connection fails")
	return cmd
}

// flushEvery bounds how long tail's output waits in its buffer.
const flushEvery = 50 * time.Millisecond

// flushWriter buffers tail's output and writes it out flushEvery after the
// first byte that waits: one write per burst of events instead of one per
// event (a tail following a busy app otherwise makes a system call per
// event), with the output still appearing at once to a person or a pipe.
type flushWriter struct {
	mu    sync.Mutex
	w     *bufio.Writer
	timer *time.Timer // pending flush, nil when none
	err   error       // the first write error, returned from then on
}

func (f *flushWriter) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return 0, f.err
	}
	n, err := f.w.Write(p)
	if err != nil {
		f.err = err
		return n, err
	}
	if f.timer == nil && f.w.Buffered() > 0 {
		f.timer = time.AfterFunc(flushEvery, f.tick)
	}
	return n, nil
}

func (f *flushWriter) tick() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.timer = nil
	if f.err == nil {
		f.err = f.w.Flush()
	}
}

// Flush writes out what waits and stops the pending flush.
func (f *flushWriter) Flush() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.timer != nil {
		f.timer.Stop()
		f.timer = nil
	}
	if f.err == nil {
		f.err = f.w.Flush()
	}
	return f.err
}

type eventPrinter struct {
	w    io.Writer
	json bool
	// instances puts each event's instance in readable lines (several
	// --url).
	instances bool
	filter    *filter.Filter
	max       int
	n         int
	line      []byte // JSON line being written
}

// print writes e if it matches; it returns errEnough once max events were
// written, or the write error.
func (p *eventPrinter) print(e *event.Event, raw []byte) error {
	if p.max > 0 && p.n >= p.max {
		return errEnough
	}
	if !p.filter.Match(e) {
		return nil
	}
	var err error
	if p.json {
		if raw == nil {
			if raw, err = event.Marshal(e); err != nil {
				return err
			}
		}
		p.line = append(append(p.line[:0], raw...), '\n') // one Write per event
		_, err = p.w.Write(p.line)
	} else {
		_, err = fmt.Fprintln(p.w, formatLine(e, p.instances))
	}
	if err != nil {
		return err
	}
	p.n++
	if p.max > 0 && p.n >= p.max {
		return errEnough
	}
	return nil
}

func tailDB(path string, after event.ID, out *eventPrinter) error {
	s, err := store.Open(path, store.Options{ReadOnly: true, MaxAge: -1, MaxEvents: -1})
	if err != nil {
		return failErr("tail: %w", storeHint(err, path))
	}
	defer s.Close()
	if out.max > 0 {
		return tailNewest(s, after, out)
	}
	for {
		ids, encs, err := s.SinceEncoded(after, 1000)
		if err != nil {
			return failErr("tail: %w", err)
		}
		if len(ids) == 0 {
			return nil
		}
		for i := range ids {
			var e event.Event
			if err := event.Unmarshal(encs[i], &e); err != nil {
				continue
			}
			if err := out.print(&e, encs[i]); err != nil {
				if errors.Is(err, errEnough) {
					return nil
				}
				return failErr("tail: write: %w", err)
			}
		}
		after = ids[len(ids)-1]
	}
}

// tailNewest prints the newest out.max matching events after after,
// oldest first, as Unix tail -n does: it pages back from the newest and
// keeps at most out.max events.
func tailNewest(s *store.Store, after event.ID, out *eventPrinter) error {
	keep := make([]event.Event, 0, min(out.max, 1000))
	q := store.Query{Limit: 1000}
	for len(keep) < out.max {
		page, err := s.List(q)
		if err != nil {
			return failErr("tail: %w", err)
		}
		for i := range page.Events {
			e := &page.Events[i]
			if e.ID.Compare(after) <= 0 {
				page.Next = event.ID{} // older than --since: done
				break
			}
			if out.filter.Match(e) {
				if keep = append(keep, *e); len(keep) == out.max {
					break
				}
			}
		}
		if page.Next.IsZero() {
			break
		}
		q.Before = page.Next
	}
	for i := len(keep) - 1; i >= 0; i-- {
		if err := out.print(&keep[i], nil); err != nil {
			if errors.Is(err, errEnough) {
				return nil
			}
			return failErr("tail: write: %w", err)
		}
	}
	return nil
}

// connectError is the reason tail gives up before its first connection.
type connectError struct{ err error }

func (c *connectError) Error() string { return c.err.Error() }

func tailURL(ctx context.Context, env *Env, api *apiclient.Client, since event.ID, noFollow, retry, headOnly bool, out *eventPrinter) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	wsURL := api.WebsocketURL()
	// print writes each event's JSON out before it returns: it can
	// borrow the client's copy instead of taking one.
	c := api.Stream(stream.ClientOptions{Since: since, FillGaps: true, HeadOnly: headOnly, BorrowRaw: true})
	connected := false
	err := c.Run(ctx, func(u stream.Update) {
		switch u.Kind {
		case stream.UpdateHello:
			connected = true
		case stream.UpdateEvent:
			if err := out.print(&u.Event, u.Raw); err != nil {
				cancel(err)
			}
		case stream.UpdateSynced:
			if noFollow {
				cancel(errEnough)
			}
		case stream.UpdateGap:
			fmt.Fprintf(env.Stderr, "tail: the server skipped events after %s (slow reader); refetching them\n", u.GapAfter)
		case stream.UpdateError:
			if u.Err != nil {
				fmt.Fprintf(env.Stderr, "tail: %v\n", u.Err)
			}
		case stream.UpdateState:
			if u.State == stream.StateReconnecting {
				if !connected && !retry {
					cancel(&connectError{u.Err})
					return
				}
				if errors.Is(u.Err, stream.ErrRateLimited) {
					fmt.Fprintf(env.Stderr, "tail: rate-limited, retry in %d s\n", stream.RetrySeconds(u.RetryIn))
					return
				}
				fmt.Fprintf(env.Stderr, "tail: connection lost (%v); reconnecting in %s\n", u.Err, u.RetryIn.Round(1e6))
			}
		}
	})
	cause := context.Cause(ctx)
	var ce *connectError
	switch {
	case errors.Is(err, stream.ErrUnauthorized), errors.Is(err, stream.ErrOriginRefused), errors.Is(err, stream.ErrNotFound):
		return routeError("tail", api, err)
	case errors.As(cause, &ce) && errors.Is(ce.err, stream.ErrRateLimited):
		return routeError("tail", api, ce.err)
	case errors.As(cause, &ce):
		return failErr("tail: cannot connect to %s: %v (is the app running? --retry keeps trying)", wsURL, ce.err)
	case errors.Is(cause, errEnough):
		return nil
	case cause != nil && !errors.Is(cause, context.Canceled):
		return failErr("tail: write: %w", cause)
	case errors.Is(err, stream.ErrClosed):
		return nil // interrupted
	case err != nil:
		return failErr("tail: %w", err)
	}
	return nil
}
