package tui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/stream"
)

// liveSource follows a recorder's websocket stream through stream.Client:
// connect, subscribe, resume after drops from the last event seen. Updates
// are accumulated in a pump and delivered one batch per frame. A refused
// token or origin ends the source (no retry loop).
type liveSource struct {
	opts stream.ClientOptions
	pump *pump
	hist historySource // optional history for paging back; nil: none

	start  sync.Once
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// NewLiveSource returns a Source following the stream at opts.URL. Nothing
// connects until the console asks for the first batch. When the URL is a
// devtools websocket route ({base}/ws), history (paging back, correlated
// events) comes from the same route's JSON API ({base}/events,
// {base}/requests/{id}) with the same token; withHistory replaces it.
// Setting opts.FillGaps is recommended: the client then re-reads skipped
// events from the server's history instead of leaving holes.
func NewLiveSource(opts stream.ClientOptions) Source {
	ctx, cancel := context.WithCancel(context.Background())
	s := &liveSource{opts: opts, pump: newPump(0, 0), ctx: ctx, cancel: cancel}
	if h := newRouteHistory(opts); h != nil {
		s.hist = h
	}
	return s
}

// Describe returns the stream URL.
func (s *liveSource) Describe() string { return s.opts.URL }

// historyTimeout bounds the read of the newest page on connect, so a slow
// history route delays the live stream by at most that long.
const historyTimeout = 5 * time.Second

// loadNewest reads the newest page of history and hands it to the model,
// and makes the stream resume right after it: the page and the stream
// meet with no hole and no duplicate. Without history (or when it fails:
// the stream reports refusals itself) the stream starts live.
func (s *liveSource) loadNewest() {
	if s.hist == nil || !s.opts.Since.IsZero() {
		return
	}
	ctx, cancel := context.WithTimeout(s.ctx, historyTimeout)
	defer cancel()
	page, err := s.hist.Older(ctx, event.ID{}, pageSize)
	if err != nil || len(page) == 0 {
		return
	}
	slices.Reverse(page) // oldest first
	more := len(page) == pageSize
	s.pump.Update(func(b *batch) { b.History, b.HistoryMore = page, more })
	s.opts.Since = page[len(page)-1].ID
}

func (s *liveSource) run() {
	defer s.wg.Done()
	s.loadNewest()
	client := stream.NewClient(s.opts)
	err := client.Run(s.ctx, func(u stream.Update) {
		switch u.Kind {
		case stream.UpdateEvent:
			// Blocks while the console is behind: back-pressure to the
			// websocket reader; the server reports a gap if it must skip.
			_ = s.pump.Push(s.ctx, u.Event)
		case stream.UpdateState:
			c := &status{State: u.State, RetryIn: u.RetryIn, Since: time.Now(), Err: u.Err}
			s.pump.Update(func(b *batch) { b.Conn = c })
		case stream.UpdateHello:
			if h := u.Hello; h != nil {
				info := h.App
				if h.Env != "" {
					info += " (" + h.Env
					if h.Retention != "" {
						info += ", retention " + h.Retention
					}
					info += ")"
				}
				if h.Instance != "" {
					info += " " + h.Instance
				}
				s.pump.Update(func(b *batch) { b.Info = info })
			}
		case stream.UpdateSynced:
			c := &status{State: stream.StateLive, Since: time.Now()}
			s.pump.Update(func(b *batch) { b.Conn = c })
		case stream.UpdateGap:
			s.pump.Update(func(b *batch) { b.Gaps++ })
		case stream.UpdateStats:
			if st := u.Stats; st != nil {
				ss := &serverStats{Recorded: st.Recorded, Dropped: st.Dropped, StoreErrors: st.StoreErrors, Subscribers: st.Subscribers}
				s.pump.Update(func(b *batch) { b.Stats = ss })
			}
		case stream.UpdateError:
			if u.Err != nil {
				err := u.Err
				s.pump.Update(func(b *batch) { b.Err = err })
			}
		}
	})
	if err != nil && s.ctx.Err() == nil {
		// Refusals were already reported as states; anything else (bad
		// URL, protocol) is shown as an error. Either way: no retry loop.
		if !errors.Is(err, stream.ErrUnauthorized) && !errors.Is(err, stream.ErrOriginRefused) && !errors.Is(err, stream.ErrNotFound) {
			e := fmt.Errorf("tui: live source stopped: %w", err)
			s.pump.Update(func(b *batch) { b.Conn = &status{State: stream.StateClosed, Since: time.Now(), Err: e}; b.Err = e })
		}
	}
}

// next starts the client on first use and returns the next batch.
func (s *liveSource) next(ctx context.Context) (batch, error) {
	s.start.Do(func() {
		if s.ctx.Err() != nil {
			return
		}
		s.wg.Add(1)
		go s.run()
	})
	return s.pump.Next(ctx)
}

// older pages back through the history source, if any.
func (s *liveSource) older(ctx context.Context, before event.ID, limit int) ([]event.Event, error) {
	if s.hist == nil {
		return nil, errNoHistory
	}
	return s.hist.Older(ctx, before, limit)
}

// newer pages forward through the history source, if any.
func (s *liveSource) newer(ctx context.Context, after event.ID, limit int) ([]event.Event, error) {
	if s.hist == nil {
		return nil, errNoHistory
	}
	return s.hist.Newer(ctx, after, limit)
}

// correlated asks the history source, if any.
func (s *liveSource) correlated(ctx context.Context, requestID string) ([]event.Event, error) {
	if s.hist == nil {
		return nil, errNoHistory
	}
	return s.hist.Correlated(ctx, requestID)
}

// Close stops the client, waits for it and closes the history source.
func (s *liveSource) Close() error {
	s.start.Do(func() {}) // never start after Close
	s.cancel()
	s.pump.Close()
	s.wg.Wait()
	if c, ok := s.hist.(io.Closer); ok {
		return c.Close()
	}
	return nil
}
