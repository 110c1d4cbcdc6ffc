package store

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/beignet/devtools/event"
)

// Page limits for List.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
	// MaxSinceLimit caps one Since/SinceEncoded call; resume pages on.
	MaxSinceLimit = 10000
)

// untilSlack is how long after its Time an event may have been recorded and
// still be found by Query.Until.
const untilSlack = 10 * time.Minute

// Query selects events for List. Zero fields do not filter.
type Query struct {
	Kinds []event.Kind
	// Since and Until bound the event's Time, inclusive. (The scan uses
	// the time in the ID, when the event was recorded: an event recorded
	// more than 10 minutes after its Time can escape Until.)
	Since, Until time.Time
	// StatusMin and StatusMax bound the status (the event's Status, else
	// its HTTP status, else its provider status); 0 = unbounded.
	StatusMin, StatusMax int
	Method               string // case-insensitive
	PathPrefix           string
	RequestID            string
	// Text is a case-insensitive substring of the name, path or message.
	Text string
	// Before and After are exclusive cursors: Before pages older (pass
	// Page.Next), After pages newer (pass Page.Newer). With only After, the
	// page holds the oldest matching events after it (still newest first).
	Before, After event.ID
	Limit         int // default 100, max 1000
}

// Page is one page of List results.
type Page struct {
	// Events are newest first.
	Events []event.Event
	// Next, when not zero, is the cursor for the next older page: pass it
	// as Query.Before. It is zero when the scan reached the oldest match
	// (a non-zero Next can still lead to an empty page).
	Next event.ID
	// Newer, when not zero, is the cursor for the next newer page: pass it
	// as Query.After.
	Newer event.ID
	// Skipped counts records that did not decode and were left out.
	Skipped int
}

// List returns one page of events matching q, newest first.
//
// It walks the events in key (time) order from the cursor and decodes what
// the cheap checks (kind, text) do not reject; with RequestID it walks the
// correlation index instead. A selective filter over a large store can
// therefore read many records: its cost is linear in the events it passes.
func (s *Store) List(q Query) (Page, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	limit = min(limit, MaxLimit)
	m := newMatcher(q)
	var page Page
	err := s.view(func(tx *bolt.Tx) error {
		eb := tx.Bucket(bucketEvents)
		if eb == nil {
			return nil
		}
		var upper, lower []byte // upper exclusive, lower inclusive
		if !q.Before.IsZero() {
			upper = bytes.Clone(q.Before[:])
		}
		if !q.Until.IsZero() {
			// IDs are made when an event is recorded, at or after its
			// Time (a request is recorded when it ends): bound the scan
			// with some slack, and filter on Time exactly below.
			u := event.IDFromTime(q.Until.Add(untilSlack))
			if upper == nil || bytes.Compare(u[:], upper) < 0 {
				upper = u[:]
			}
		}
		if !q.Since.IsZero() {
			l := event.IDFromTime(q.Since)
			lower = l[:]
		}
		after := q.After
		forward := !after.IsZero() && q.Before.IsZero()

		// Candidate source: the index for a request, else the events bucket.
		var it iterator
		if q.RequestID != "" {
			it = newIndexIter(tx, q.RequestID)
		} else {
			it = &bucketIter{c: eb.Cursor()}
		}
		var k, v []byte
		if forward {
			k, v = it.seekAfter(after[:])
		} else {
			k, v = it.seekBefore(upper)
		}
		hitLimit := false
		for ; k != nil; k, v = it.step(forward) {
			if forward {
				if upper != nil && bytes.Compare(k, upper) >= 0 {
					break
				}
			} else {
				if !after.IsZero() && bytes.Compare(k, after[:]) <= 0 {
					break
				}
				if lower != nil && bytes.Compare(k, lower) < 0 {
					break
				}
			}
			if len(page.Events) >= limit {
				hitLimit = true
				break
			}
			if v == nil {
				continue
			}
			e, ok, bad := m.match(v)
			if bad {
				page.Skipped++
			}
			if ok {
				page.Events = append(page.Events, e)
			}
		}
		if forward {
			slices.Reverse(page.Events)
		}
		if n := len(page.Events); n > 0 {
			if !forward && hitLimit || forward {
				page.Next = page.Events[n-1].ID
			}
			if forward && hitLimit || !forward && !q.Before.IsZero() {
				page.Newer = page.Events[0].ID
			}
		}
		return nil
	})
	return page, err
}

// iterator walks candidate records in key order in either direction.
type iterator interface {
	seekBefore(upper []byte) (k, v []byte) // newest key < upper (nil: the newest)
	seekAfter(after []byte) (k, v []byte)  // oldest key > after
	step(forward bool) (k, v []byte)
}

type bucketIter struct{ c *bolt.Cursor }

func (b *bucketIter) seekBefore(upper []byte) ([]byte, []byte) {
	if upper == nil {
		return b.c.Last()
	}
	if k, _ := b.c.Seek(upper); k == nil {
		return b.c.Last()
	}
	return b.c.Prev()
}

func (b *bucketIter) seekAfter(after []byte) ([]byte, []byte) {
	k, v := b.c.Seek(after)
	if k != nil && bytes.Equal(k, after) {
		return b.c.Next()
	}
	return k, v
}

func (b *bucketIter) step(forward bool) ([]byte, []byte) {
	if forward {
		return b.c.Next()
	}
	return b.c.Prev()
}

// indexIter walks the events of one request through the index; a stale
// index entry yields a nil value, which callers skip.
type indexIter struct {
	eb  *bolt.Bucket
	ids [][]byte
	i   int
}

func newIndexIter(tx *bolt.Tx, requestID string) *indexIter {
	it := &indexIter{eb: tx.Bucket(bucketEvents)}
	it.ids = indexIDs(tx, requestID)
	return it
}

// indexIDs returns the IDs the index holds for requestID, oldest first.
func indexIDs(tx *bolt.Tx, requestID string) [][]byte {
	rb := tx.Bucket(bucketRequests)
	if rb == nil || !indexable(requestID) {
		return nil
	}
	prefix := append([]byte(requestID), 0)
	var ids [][]byte
	c := rb.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		if len(k) == len(prefix)+16 {
			ids = append(ids, k[len(prefix):])
		}
	}
	return ids
}

func (it *indexIter) at() ([]byte, []byte) {
	if it.i < 0 || it.i >= len(it.ids) {
		return nil, nil
	}
	k := it.ids[it.i]
	return k, it.eb.Get(k)
}

func (it *indexIter) seekBefore(upper []byte) ([]byte, []byte) {
	it.i = len(it.ids) - 1
	for it.i >= 0 && upper != nil && bytes.Compare(it.ids[it.i], upper) >= 0 {
		it.i--
	}
	return it.at()
}

func (it *indexIter) seekAfter(after []byte) ([]byte, []byte) {
	it.i = 0
	for it.i < len(it.ids) && bytes.Compare(it.ids[it.i], after) <= 0 {
		it.i++
	}
	return it.at()
}

func (it *indexIter) step(forward bool) ([]byte, []byte) {
	if it.i < 0 || it.i >= len(it.ids) {
		return nil, nil
	}
	if forward {
		it.i++
	} else {
		it.i--
	}
	return it.at()
}

// matcher applies a Query's filters to stored records.
type matcher struct {
	q      Query
	kinds  map[event.Kind]bool
	text   string // lower case
	rawTxt []byte // lower-case ASCII needle for the raw prefilter, nil if unusable
}

func newMatcher(q Query) *matcher {
	m := &matcher{q: q, kinds: kindSet(q.Kinds), text: strings.ToLower(q.Text)}
	if m.text != "" && isPlainASCII(m.text) {
		m.rawTxt = []byte(m.text)
	}
	return m
}

// isPlainASCII reports whether s is printable ASCII that JSON encodes as is
// (no quote, no backslash), so a raw byte search is a sound prefilter.
func isPlainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// match decodes v when it can match: ok means it matches, bad that it did
// not decode.
func (m *matcher) match(v []byte) (e event.Event, ok, bad bool) {
	if m.kinds != nil {
		h, hok := peek(v)
		if !hok {
			return e, false, true
		}
		if !m.kinds[h.kind] {
			return e, false, false
		}
	}
	if m.rawTxt != nil && !containsFoldASCII(v, m.rawTxt) {
		return e, false, false
	}
	if err := event.Unmarshal(v, &e); err != nil {
		return e, false, true
	}
	if e.ID.IsZero() {
		return e, false, true
	}
	return e, m.matchEvent(&e), false
}

func (m *matcher) matchEvent(e *event.Event) bool {
	q := &m.q
	if m.kinds != nil && !m.kinds[e.Kind] {
		return false
	}
	if !q.Since.IsZero() && e.Time.Before(q.Since) {
		return false
	}
	if !q.Until.IsZero() && e.Time.After(q.Until) {
		return false
	}
	if q.StatusMin != 0 || q.StatusMax != 0 {
		st := e.StatusCode()
		if q.StatusMin != 0 && st < q.StatusMin || q.StatusMax != 0 && st > q.StatusMax {
			return false
		}
	}
	if q.Method != "" && !strings.EqualFold(e.Method(), q.Method) {
		return false
	}
	if q.PathPrefix != "" && !strings.HasPrefix(e.Path(), q.PathPrefix) {
		return false
	}
	if q.RequestID != "" && e.RequestID != q.RequestID {
		return false
	}
	if m.text != "" {
		if !strings.Contains(strings.ToLower(e.Name), m.text) &&
			!strings.Contains(strings.ToLower(e.Path()), m.text) &&
			!strings.Contains(strings.ToLower(e.Message), m.text) {
			return false
		}
	}
	return true
}

// containsFoldASCII reports whether b contains the lower-case ASCII needle,
// ignoring ASCII case in b.
func containsFoldASCII(b, needle []byte) bool {
	n := len(needle)
	if n == 0 {
		return true
	}
	first := needle[0]
	upper := first
	if first >= 'a' && first <= 'z' {
		upper = first - 'a' + 'A'
	}
	for i := 0; i+n <= len(b); i++ {
		c := b[i]
		if c != first && c != upper {
			continue
		}
		j := 1
		for ; j < n; j++ {
			c := b[i+j]
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != needle[j] {
				break
			}
		}
		if j == n {
			return true
		}
	}
	return false
}

// Get returns the event with that ID: ErrNotFound when there is none,
// ErrCorrupt when its record does not decode.
func (s *Store) Get(id event.ID) (event.Event, error) {
	var e event.Event
	err := s.view(func(tx *bolt.Tx) error {
		eb := tx.Bucket(bucketEvents)
		var v []byte
		if eb != nil {
			v = eb.Get(id[:])
		}
		if v == nil {
			return fmt.Errorf("%w: %s", ErrNotFound, id)
		}
		if err := event.Unmarshal(v, &e); err != nil {
			return fmt.Errorf("%w: record %s does not decode", ErrCorrupt, id)
		}
		return nil
	})
	return e, err
}

// Correlated returns the events of one request, oldest first, through the
// requests index (no scan). Records that do not decode are left out. A
// requestId longer than MaxIndexedRequestID is not indexed: nil.
func (s *Store) Correlated(requestID string) ([]event.Event, error) {
	var out []event.Event
	err := s.view(func(tx *bolt.Tx) error {
		eb := tx.Bucket(bucketEvents)
		for _, id := range indexIDs(tx, requestID) {
			v := eb.Get(id)
			if v == nil {
				continue // index entry of a purged event, not yet swept
			}
			var e event.Event
			if event.Unmarshal(v, &e) != nil {
				continue
			}
			out = append(out, e)
		}
		return nil
	})
	return out, err
}

// Since returns up to limit events stored strictly after the ID after (the
// zero ID: from the oldest), oldest first: the resume read of a console.
// limit <= 0 means MaxLimit; it is capped at MaxSinceLimit. Records that do
// not decode are left out.
func (s *Store) Since(after event.ID, limit int) ([]event.Event, error) {
	ids, enc, err := s.SinceEncoded(after, limit)
	if err != nil {
		return nil, err
	}
	out := make([]event.Event, 0, len(ids))
	for i := range enc {
		var e event.Event
		if event.Unmarshal(enc[i], &e) == nil {
			out = append(out, e)
		}
	}
	return out, nil
}

// SinceEncoded is Since returning the stored JSON (copies) with the IDs,
// for the wire: no decode, no re-encode. Records are not validated; a
// record that is not a JSON object is left out.
func (s *Store) SinceEncoded(after event.ID, limit int) ([]event.ID, [][]byte, error) {
	if limit <= 0 {
		limit = MaxLimit
	}
	limit = min(limit, MaxSinceLimit)
	var ids []event.ID
	var enc [][]byte
	err := s.view(func(tx *bolt.Tx) error {
		eb := tx.Bucket(bucketEvents)
		if eb == nil {
			return nil
		}
		it := &bucketIter{c: eb.Cursor()}
		var k, v []byte
		if after.IsZero() {
			k, v = it.c.First()
		} else {
			k, v = it.seekAfter(after[:])
		}
		for ; k != nil && len(ids) < limit; k, v = it.c.Next() {
			if len(k) != 16 || len(v) == 0 || v[0] != '{' {
				continue
			}
			ids = append(ids, event.ID(k))
			enc = append(enc, bytes.Clone(v))
		}
		return nil
	})
	return ids, enc, err
}

// Stats describes the store.
type Stats struct {
	Count          int
	Oldest, Newest time.Time // times of the oldest and newest events
	Bytes          int64     // file size on disk
	PerKind        map[event.Kind]int
	Skipped        int   // records that did not decode
	FreeBytes      int64 // free pages inside the file (reused before growing; see Compact)
	// Retention in force (after defaults; < 0 disabled).
	MaxAge    time.Duration
	MaxEvents int
	MaxSize   int64
}

// Stats counts the events by kind: it reads every record's header, so its
// cost is linear in the count (about 20 ms per 100,000 events).
func (s *Store) Stats() (Stats, error) {
	st := Stats{PerKind: map[event.Kind]int{}, MaxAge: s.cfg.maxAge, MaxEvents: s.cfg.maxEvents, MaxSize: s.cfg.maxSize}
	err := s.view(func(tx *bolt.Tx) error {
		eb := tx.Bucket(bucketEvents)
		if eb == nil {
			return nil
		}
		c := eb.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			h, ok := peek(v)
			if !ok {
				st.Skipped++
				continue
			}
			st.Count++
			st.PerKind[h.kind]++
		}
		st.Oldest = edgeTime(c, true)
		st.Newest = edgeTime(c, false)
		return nil
	})
	if err != nil {
		return st, err
	}
	if fi, err := os.Stat(s.path); err == nil {
		st.Bytes = fi.Size()
	}
	s.dbmu.RLock()
	if !s.closed {
		bs := s.db.Stats()
		st.FreeBytes = int64(bs.FreePageN+bs.PendingPageN) * s.pageSize
	}
	s.dbmu.RUnlock()
	return st, nil
}

// edgeTime returns the time of the oldest (or newest) event that decodes,
// looking at a few records from that end; else the time in its ID.
func edgeTime(c *bolt.Cursor, oldest bool) time.Time {
	var k, v []byte
	if oldest {
		k, v = c.First()
	} else {
		k, v = c.Last()
	}
	var idTime time.Time
	for i := 0; k != nil && i < 16; i++ {
		if len(k) == 16 && idTime.IsZero() {
			idTime = event.ID(k).Time()
		}
		var e event.Event
		if event.Unmarshal(v, &e) == nil && !e.Time.IsZero() {
			return e.Time
		}
		if oldest {
			k, v = c.Next()
		} else {
			k, v = c.Prev()
		}
	}
	return idTime
}
