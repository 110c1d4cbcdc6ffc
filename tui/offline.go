package tui

import (
	"context"
	"fmt"
	"sync"

	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/store"
	"github.com/beignet/devtools/stream"
)

// offlineSource reads a store file opened read-only: the newest page first,
// older pages on demand.
type offlineSource struct {
	st    *store.Store
	owned bool
	first int

	mu   sync.Mutex
	sent bool
	done chan struct{}
	once sync.Once
}

// NewOfflineSource opens the store at path read-only.
func NewOfflineSource(path string) (Source, error) {
	st, err := store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("tui: offline source: %w", err)
	}
	s := newOfflineSourceFrom(st)
	s.owned = true
	return s, nil
}

// newOfflineSourceFrom reads an already open store; Close does not close it.
func newOfflineSourceFrom(st *store.Store) *offlineSource {
	return &offlineSource{st: st, first: 2 * pageSize, done: make(chan struct{})}
}

// Describe returns the store's path.
func (s *offlineSource) Describe() string { return s.st.Path() }

// next returns the newest page (and the offline state) once, then blocks
// until ctx ends or the source closes.
func (s *offlineSource) next(ctx context.Context) (batch, error) {
	s.mu.Lock()
	sent := s.sent
	s.sent = true
	s.mu.Unlock()
	if !sent {
		b := batch{Conn: &status{State: stream.StateOffline}}
		page, err := s.st.List(store.Query{Limit: s.first})
		if err != nil {
			b.Err = fmt.Errorf("tui: offline source: %w", err)
			return b, nil
		}
		if page.Skipped > 0 {
			b.Err = fmt.Errorf("tui: offline source: %d undecodable records skipped", page.Skipped)
		}
		b.History = make([]event.Event, len(page.Events))
		for i, e := range page.Events {
			b.History[len(page.Events)-1-i] = e
		}
		b.HistoryMore = len(page.Events) == s.first
		return b, nil
	}
	select {
	case <-ctx.Done():
		return batch{}, ctx.Err()
	case <-s.done:
		return batch{}, errClosed
	}
}

// older returns up to limit events older than before, newest first.
func (s *offlineSource) older(ctx context.Context, before event.ID, limit int) ([]event.Event, error) {
	page, err := s.st.List(store.Query{Before: before, Limit: limit})
	if err != nil {
		return nil, fmt.Errorf("tui: offline source: %w", err)
	}
	return page.Events, nil
}

// newer returns up to limit events newer than after, oldest first.
func (s *offlineSource) newer(ctx context.Context, after event.ID, limit int) ([]event.Event, error) {
	evs, err := s.st.Since(after, limit)
	if err != nil {
		return nil, fmt.Errorf("tui: offline source: %w", err)
	}
	return evs, nil
}

// correlated returns the events of one request, oldest first.
func (s *offlineSource) correlated(ctx context.Context, requestID string) ([]event.Event, error) {
	evs, err := s.st.Correlated(requestID)
	if err != nil {
		return nil, fmt.Errorf("tui: offline source: %w", err)
	}
	return evs, nil
}

// Close unblocks Next and closes the store if this source opened it.
func (s *offlineSource) Close() error {
	var err error
	s.once.Do(func() {
		close(s.done)
		if s.owned {
			err = s.st.Close()
		}
	})
	return err
}
