package store

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/beignet/devtools/event"
)

// testClock is a settable clock for retention tests.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *testClock { return &testClock{t: t} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// openTemp opens a store in a fresh temporary folder. The cleanup checks
// the file (Tx.Check must be clean after every scenario) and closes it.
// Retention is off unless opts says otherwise.
func openTemp(t testing.TB, opts *Options) *Store {
	t.Helper()
	o := Options{NoSync: true, MaxAge: -1, MaxEvents: -1}
	if opts != nil {
		o = *opts
	}
	path := filepath.Join(t.TempDir(), "data", "devtools.db")
	s, err := Open(path, o)
	if err != nil {
		t.Fatalf("open temp store: %v", err)
	}
	t.Cleanup(func() { closeChecked(t, s) })
	return s
}

// closeChecked runs Check then Close on a store that may already be closed.
func closeChecked(t testing.TB, s *Store) {
	t.Helper()
	if err := s.Check(); err != nil && !errors.Is(err, ErrClosed) {
		t.Errorf("Check after the scenario: %v", err)
	}
	if err := s.Close(); err != nil && !errors.Is(err, ErrClosed) {
		t.Errorf("close: %v", err)
	}
}

// mustCheck fails the test when the store's file is not consistent.
func mustCheck(t testing.TB, s *Store) {
	t.Helper()
	if err := s.Check(); err != nil {
		t.Fatalf("Check: %v", err)
	}
}

// padding makes events about 600 bytes, like a small real request.
var padding = strings.Repeat("x", 300)

// mkEvent builds a stamped event of about 600 bytes.
func mkEvent(gen *event.Generator, now time.Time, kind event.Kind, requestID string, i int) event.Event {
	e := event.Event{
		Kind:      kind,
		Name:      fmt.Sprintf("GET /notes/%d", i),
		RequestID: requestID,
		Status:    200 + i%4*100,
		HTTP: &event.HTTP{
			Method: []string{"GET", "POST"}[i%2], URL: fmt.Sprintf("/api/notes/%d?x=1", i), Status: 200 + i%4*100,
			RequestHeaders: map[string][]string{"Accept": {"application/json"}, "User-Agent": {"bench/1.0"}},
			ResponseBody:   &event.Body{ContentType: "application/json", Size: int64(len(padding)), Text: padding},
		},
		App: "notes", Instance: "host-1",
	}
	e.Stamp(gen, now)
	return e
}

// appendN appends n events in one batch and returns them.
func appendN(t testing.TB, s *Store, gen *event.Generator, now time.Time, n int, kind event.Kind, requestID string) []event.Event {
	t.Helper()
	evs := make([]event.Event, n)
	for i := range evs {
		evs[i] = mkEvent(gen, now, kind, requestID, i)
	}
	if err := s.Append(evs...); err != nil {
		t.Fatalf("append: %v", err)
	}
	return evs
}

// indexProblems compares the requests index with the events: every entry
// must point to a stored event with that requestId, and every indexable
// event must have its entry.
func indexProblems(t testing.TB, s *Store) []string {
	t.Helper()
	var probs []string
	err := s.view(func(tx *boltTx) error {
		eb, rb := tx.Bucket(bucketEvents), tx.Bucket(bucketRequests)
		_ = rb.ForEach(func(k, _ []byte) error {
			if len(k) < 17 || k[len(k)-17] != 0 {
				probs = append(probs, fmt.Sprintf("malformed index key %x", k))
				return nil
			}
			id, rid := k[len(k)-16:], string(k[:len(k)-17])
			v := eb.Get(id)
			if v == nil {
				probs = append(probs, fmt.Sprintf("index entry for missing event %s", event.ID(id)))
				return nil
			}
			if h, ok := peek(v); !ok || h.requestID != rid {
				probs = append(probs, fmt.Sprintf("index entry %s does not match its event", event.ID(id)))
			}
			return nil
		})
		return eb.ForEach(func(k, v []byte) error {
			h, ok := peek(v)
			if ok && indexable(h.requestID) && rb.Get(indexKey(h.requestID, k)) == nil {
				probs = append(probs, fmt.Sprintf("event %s missing from the index", event.ID(k)))
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return probs
}

type boltTx = bolt.Tx
