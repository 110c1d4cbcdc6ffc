package store

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/internal/filter"
)

// Selection picks events for Do (purge) and Export: the events matching
// Match that are older than OlderThan and of one of Kinds (each empty field
// selects everything), then, with WithRequests, every event that shares a
// requestId or a traceId with one of those, whatever its age or kind.
//
// It is also the JSON of the devtools route's POST {base}/export body and
// part of the POST {base}/purge body (see PurgeRequest):
//
//	{"match":"actor:ada@example.com","olderThan":"24h","kinds":["audit"],"withRequests":true}
type Selection struct {
	// Match is a query in the console's filter language (actor:,
	// tenant:, req:, path:, status:, kind:, free words; see
	// `beignet-devtools console` help). Fields match exactly, ignoring
	// case (actor:ada@example.com does not select adam@example.com); a
	// glob (actor:*@example.com) matches a pattern; free words match a
	// substring of the name, URL, message and audit fields.
	Match string `json:"match,omitempty"`
	// OlderThan is a Go duration ("24h", "90m"): only events recorded
	// more than that long ago, to the millisecond. "0" means every age,
	// as does "".
	OlderThan string `json:"olderThan,omitempty"`
	// Kinds limits the selection to these kinds.
	Kinds []event.Kind `json:"kinds,omitempty"`
	// WithRequests widens the selection to every event sharing a
	// requestId or traceId with a selected one (one step: the widened
	// events do not widen further), so a person's requests and provider
	// calls go with their audit records.
	WithRequests bool `json:"withRequests,omitempty"`
}

// PurgeRequest says what Do removes. It is the JSON body of the devtools
// route's POST {base}/purge, which the CLI's `purge --url` sends; `purge
// --db` runs the same request against the file. Every field is optional,
// but a request must select or do something.
//
//	{"match":"tenant:acme","withRequests":true,"dryRun":true}
//	{"olderThan":"24h","kinds":["log"],"keep":1000,"compact":true}
type PurgeRequest struct {
	Selection
	// Keep, when > 0, then removes all but the newest Keep events.
	Keep int `json:"keep,omitempty"`
	// DryRun counts what would be removed and changes nothing.
	DryRun bool `json:"dryRun,omitempty"`
	// Compact rewrites the file afterwards (CompactInPlace) so that the
	// removed events' bytes leave the disk file. Unset (null) means: yes
	// when Match is given (an erasure), no otherwise; automatic
	// compaction may still run when the file is mostly free pages.
	Compact *bool `json:"compact,omitempty"`
}

// Tally describes a set of selected events.
type Tally struct {
	// PerKind counts them by kind.
	PerKind map[event.Kind]int `json:"perKind,omitempty"`
	// Oldest and Newest are when the oldest and newest of them were
	// recorded (the time in their IDs).
	Oldest time.Time `json:"oldest,omitzero"`
	Newest time.Time `json:"newest,omitzero"`
	// Widened is how many of them WithRequests added.
	Widened int `json:"widened,omitempty"`
	// Unreadable counts records that might have matched but do not decode;
	// they are neither removed nor exported (see Check).
	Unreadable int `json:"unreadable,omitempty"`
}

// PurgeResult is what Do did (or, with DryRun, would do). It is the JSON
// answer of POST {base}/purge:
//
//	{"removed":12,"trimmed":0,"dryRun":false,"compacted":true,
//	 "perKind":{"audit":3,"request":9},"oldest":"...","newest":"...","widened":9}
type PurgeResult struct {
	// Removed counts the events the selection removed (would remove).
	Removed int `json:"removed"`
	// Trimmed counts the events Keep removed (would remove) after that.
	Trimmed int `json:"trimmed"`
	// DryRun echoes the request: nothing was changed.
	DryRun bool `json:"dryRun"`
	// Compacted: the file was rewritten, the removed bytes are gone from it.
	Compacted bool `json:"compacted"`
	// Tally describes the events the selection removed, as selected (a
	// few may have expired meanwhile).
	Tally
}

// ExportResult is what Export wrote.
type ExportResult struct {
	// Exported counts the events written.
	Exported int `json:"exported"`
	Tally
}

// CompactDefault reports whether Do compacts the file after r: r.Compact
// when set, else whether r is an erasure (has a Match).
func (r PurgeRequest) CompactDefault() bool {
	if r.Compact != nil {
		return *r.Compact
	}
	return strings.TrimSpace(r.Match) != ""
}

// compiled is a validated Selection.
type compiled struct {
	f      *filter.Filter // nil: no match
	lits   []foldNeedle   // the filter's literals usable as a byte prefilter
	cutoff []byte         // exclusive upper key bound; nil: any age
	kinds  map[event.Kind]bool
	widen  bool
}

// any reports whether the selection selects something.
func (c *compiled) any() bool {
	return c.f != nil || c.cutoff != nil || c.kinds != nil
}

// ParseOlderThan parses a Selection.OlderThan: "" (not set), "0" (every
// age) or a positive Go duration.
func ParseOlderThan(s string) (d time.Duration, set bool, err error) {
	s = strings.TrimSpace(s)
	switch s {
	case "":
		return 0, false, nil
	case "0":
		return 0, true, nil
	}
	d, err = time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, false, fmt.Errorf("%w: olderThan %q: want a duration such as 24h or 90m, or 0 for every age", ErrInvalid, clipText(s))
	}
	return d, true, nil
}

func clipText(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// compile validates sel and prepares it for a scan at now.
func (sel Selection) compile(now time.Time) (compiled, error) {
	var c compiled
	if q := strings.TrimSpace(sel.Match); q != "" {
		f, err := filter.Parse(q)
		if err != nil {
			return c, fmt.Errorf("%w: match: %w", ErrInvalid, err)
		}
		if !f.Empty() {
			c.f = f
			for _, l := range f.Literals() {
				if rawSafe(l) {
					c.lits = append(c.lits, newFoldNeedle(l))
				}
			}
		}
	}
	d, set, err := ParseOlderThan(sel.OlderThan)
	if err != nil {
		return c, err
	}
	if set {
		c.cutoff = cutoffKey(now.Add(-d))
	}
	for _, k := range sel.Kinds {
		if !k.Valid() {
			return c, fmt.Errorf("%w: kind %q: want request, provider, audit, log, error or custom", ErrInvalid, clipText(string(k)))
		}
	}
	c.kinds = kindSet(sel.Kinds)
	c.widen = sel.WithRequests
	return c, nil
}

// rawSafe reports whether a lower-case literal appears in a stored record's
// bytes exactly as in the decoded string: printable ASCII that no JSON
// encoder escapes (not even with HTML escaping).
func rawSafe(l string) bool {
	return l != "" && isPlainASCII(l) && !strings.ContainsAny(l, "<>&")
}

// Characters whose strings.ToLower is (or starts with) ASCII, so a field
// holding them can match a literal its bytes do not hold: KELVIN SIGN
// (lower case k) and LATIN CAPITAL LETTER I WITH DOT ABOVE (i + U+0307).
var (
	kelvinSign  = []byte("\u212a")
	capitalIDot = []byte("\u0130")
)

// mayMatch is the byte prefilter: false when the record cannot match.
func (c *compiled) mayMatch(v []byte) bool {
	for i := range c.lits {
		if !c.lits[i].in(v) {
			return bytes.Contains(v, kelvinSign) || bytes.Contains(v, capitalIDot)
		}
	}
	return true
}

// selected is the outcome of a selection scan.
type selected struct {
	keys  []selKey // sorted by key; nil unless asked for
	count int
	Tally
}

// selKey is a selected event's key and requestId (to delete its index
// entry with it).
type selKey struct {
	key []byte
	rid string
}

func compareSelKey(a, b selKey) int { return bytes.Compare(a.key, b.key) }

func (t *Tally) add(k []byte, kind event.Kind) {
	if t.PerKind == nil {
		t.PerKind = map[event.Kind]int{}
	}
	t.PerKind[kind]++
	at := event.ID(k).Time()
	if t.Oldest.IsZero() || at.Before(t.Oldest) {
		t.Oldest = at
	}
	if at.After(t.Newest) {
		t.Newest = at
	}
}

// ctxCheckEvery is how many records a scan reads between context checks.
const ctxCheckEvery = 4096

// selectKeys finds the keys c selects, in one read transaction: a scan up
// to the cutoff that decodes only what the byte prefilter (the filter's
// literals) and the kind cannot rule out, then, to widen, a scan of every
// record's header for the collected requestIds and traceIds. It keeps the
// keys when keep is set or the selection widens, else only counts.
func (s *Store) selectKeys(ctx context.Context, c *compiled, keep bool) (selected, error) {
	var out selected
	keep = keep || c.widen
	err := s.view(func(tx *bolt.Tx) error {
		eb := tx.Bucket(bucketEvents)
		if eb == nil {
			return nil
		}
		rids, tids := map[string]bool{}, map[string]bool{}
		cur := eb.Cursor()
		n := 0
		for k, v := cur.First(); k != nil; k, v = cur.Next() {
			if c.cutoff != nil && bytes.Compare(k, c.cutoff) >= 0 {
				break
			}
			if n++; n%ctxCheckEvery == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			if len(k) != 16 {
				continue
			}
			var kind event.Kind
			var rid, tid string
			if c.f != nil {
				if !c.mayMatch(v) {
					continue
				}
				if c.kinds != nil {
					if h, ok := peekHeader(v, false); ok && !c.kinds[h.kind] {
						continue
					}
				}
				var e event.Event
				if event.Unmarshal(v, &e) != nil || e.ID.IsZero() {
					out.Unreadable++
					continue
				}
				if c.kinds != nil && !c.kinds[e.Kind] || !c.f.Match(&e) {
					continue
				}
				kind, rid, tid = e.Kind, e.RequestID, e.TraceID
			} else {
				h, ok := peekHeader(v, c.widen)
				if !ok {
					out.Unreadable++
					continue
				}
				if c.kinds != nil && !c.kinds[h.kind] {
					continue
				}
				kind, rid, tid = h.kind, h.requestID, h.traceID
			}
			if keep {
				out.keys = append(out.keys, selKey{bytes.Clone(k), rid})
			}
			out.count++
			out.add(k, kind)
			if c.widen {
				if rid != "" {
					rids[rid] = true
				}
				if tid != "" {
					tids[tid] = true
				}
			}
		}
		if !c.widen || len(rids)+len(tids) == 0 {
			return nil
		}
		var more []selKey
		j := 0 // out.keys[j] is the first selected key >= k
		n = 0
		for k, v := cur.First(); k != nil; k, v = cur.Next() {
			if n++; n%ctxCheckEvery == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			for j < len(out.keys) && bytes.Compare(out.keys[j].key, k) < 0 {
				j++
			}
			if j < len(out.keys) && bytes.Equal(out.keys[j].key, k) || len(k) != 16 {
				continue
			}
			h, ok := peekHeader(v, true)
			if !ok || !(h.requestID != "" && rids[h.requestID] || h.traceID != "" && tids[h.traceID]) {
				continue
			}
			more = append(more, selKey{bytes.Clone(k), h.requestID})
			out.count++
			out.add(k, h.kind)
			out.Widened++
		}
		if len(more) > 0 {
			out.keys = append(out.keys, more...)
			slices.SortFunc(out.keys, compareSelKey)
		}
		return nil
	})
	if err != nil {
		return selected{}, fmt.Errorf("store: select in %s: %w", s.path, err)
	}
	return out, nil
}

// deleteSelected deletes the given sorted keys (those still there) with
// their index entries, one adaptive chunk per write transaction, and
// returns how many it deleted. The index entries are deleted by key, so no
// sweep is needed. A cancelled ctx stops it between chunks.
func (s *Store) deleteSelected(ctx context.Context, keys []selKey) (int, error) {
	total := 0
	chunk := firstChunk
	var ks, idx [][]byte
	for len(keys) > 0 {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		part := keys[:min(chunk, len(keys))]
		keys = keys[len(part):]
		ks, idx = ks[:0], idx[:0]
		for _, k := range part {
			ks = append(ks, k.key)
			if indexable(k.rid) {
				idx = append(idx, indexKey(k.rid, k.key))
			}
		}
		slices.SortFunc(idx, bytes.Compare)
		deleted := 0
		d, err := s.writeChunk(func(tx *bolt.Tx) error {
			eb, rb, meta := tx.Bucket(bucketEvents), tx.Bucket(bucketRequests), tx.Bucket(bucketMeta)
			var err error
			if deleted, err = deleteKeys(eb, ks); err != nil || deleted == 0 {
				return err
			}
			if _, err := deleteKeys(rb, idx); err != nil {
				return err
			}
			return addCount(meta, -deleted)
		})
		if err != nil {
			return total, fmt.Errorf("store: purge %s: %w", s.path, err)
		}
		total += deleted
		chunk = adapt(chunk, d)
	}
	return total, nil
}

// Do runs a purge request: it removes the selected events (Selection),
// then all but the newest Keep, then compacts the file (see
// PurgeRequest.Compact), and says what it removed; with DryRun it only
// counts. now is the time OlderThan counts back from. It is the one
// implementation behind `beignet-devtools purge --db` and the devtools
// route's POST {base}/purge.
//
// A selection by age and kind alone deletes in bounded chunks as it scans
// (like Purge); one with Match or WithRequests first collects the selected
// keys in one read transaction (a byte search of every record up to the
// cutoff, decoding only the candidates), then deletes them in chunks. A
// cancelled ctx stops it between chunks: what was deleted stays deleted.
//
// Errors: ErrInvalid for a bad request (a malformed query, duration or
// kind, a negative Keep, or nothing to do), ErrReadOnly, ErrClosed.
func (s *Store) Do(ctx context.Context, req PurgeRequest, now time.Time) (PurgeResult, error) {
	res := PurgeResult{DryRun: req.DryRun}
	c, err := req.Selection.compile(now)
	if err != nil {
		return res, err
	}
	if req.Keep < 0 {
		return res, fmt.Errorf("%w: keep %d: want a number >= 0", ErrInvalid, req.Keep)
	}
	compact := req.CompactDefault()
	if c.widen && !c.any() {
		return res, fmt.Errorf("%w: withRequests widens a selection: give match, olderThan or kinds too", ErrInvalid)
	}
	if !c.any() && req.Keep == 0 && !compact {
		return res, fmt.Errorf("%w: nothing to purge: give match, olderThan, kinds, keep or compact", ErrInvalid)
	}
	if !req.DryRun {
		if err := s.checkWritable(); err != nil {
			return res, err
		}
	}
	if c.any() {
		byAge := c.f == nil && !c.widen
		sel, err := s.selectKeys(ctx, &c, !req.DryRun && !byAge)
		if err != nil {
			return res, err
		}
		res.Tally = sel.Tally
		switch {
		case req.DryRun:
			res.Removed = sel.count
		case byAge:
			// By age and kind only: delete as the purge scans, in bounded
			// chunks, rather than by the collected keys.
			res.Removed, err = s.purge(c.cutoff, c.kinds, -1)
		default:
			res.Removed, err = s.deleteSelected(ctx, sel.keys)
			if err == nil && res.Removed > 0 {
				s.cfg.log.Info("store: purged selection", "path", s.path, "events", res.Removed)
			}
		}
		if err != nil {
			return res, err
		}
	}
	if req.Keep > 0 {
		if req.DryRun {
			var count int
			if err := s.view(func(tx *bolt.Tx) error {
				count = getCount(tx.Bucket(bucketMeta))
				return nil
			}); err != nil {
				return res, err
			}
			res.Trimmed = max(0, count-res.Removed-req.Keep)
		} else if res.Trimmed, err = s.trim(req.Keep); err != nil {
			return res, err
		}
	}
	if compact && !req.DryRun {
		if err := s.CompactInPlace(); err != nil {
			return res, err
		}
		res.Compacted = true
	} else if !req.DryRun && res.Removed+res.Trimmed > 0 {
		s.wmu.Lock()
		s.maybeCompactLocked()
		s.wmu.Unlock()
	}
	return res, nil
}

// Export writes the events sel selects to w as JSON lines, oldest first,
// each exactly as stored (schema v1, already redacted), for a data-subject
// access request. now is the time OlderThan counts back from. The keys are
// selected in one read transaction, then read and written in small
// batches, so a slow writer does not hold a transaction open; an event
// removed meanwhile is left out. Errors: ErrInvalid for a bad or empty
// selection (Match, OlderThan or Kinds must be given), a write error of w.
func (s *Store) Export(ctx context.Context, sel Selection, w io.Writer, now time.Time) (ExportResult, error) {
	var res ExportResult
	c, err := sel.compile(now)
	if err != nil {
		return res, err
	}
	if !c.any() {
		return res, fmt.Errorf("%w: nothing selected: give match, olderThan or kinds", ErrInvalid)
	}
	found, err := s.selectKeys(ctx, &c, true)
	if err != nil {
		return res, err
	}
	res.Tally = found.Tally
	const batch = 256
	var buf []byte
	for keys := found.keys; len(keys) > 0; {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		part := keys[:min(batch, len(keys))]
		keys = keys[len(part):]
		buf = buf[:0]
		n := 0
		if err := s.view(func(tx *bolt.Tx) error {
			eb := tx.Bucket(bucketEvents)
			for _, k := range part {
				if v := eb.Get(k.key); v != nil {
					buf = append(append(buf, bytes.TrimSpace(v)...), '\n')
					n++
				}
			}
			return nil
		}); err != nil {
			return res, fmt.Errorf("store: export from %s: %w", s.path, err)
		}
		if _, err := w.Write(buf); err != nil {
			return res, fmt.Errorf("store: export: write: %w", err)
		}
		res.Exported += n
	}
	return res, nil
}
