package store

import (
	"bytes"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/beignet/devtools/event"
)

// Chunk sizes for deletions. Each chunk is one short write transaction, so
// the pipeline writer never waits for more than one chunk. Explicit purges
// adapt the chunk to the measured transaction time, aiming at chunkTarget
// (so a slow disk or a busy machine gets smaller chunks), between
// minChunk and maxChunk events.
const (
	chunkTarget = 20 * time.Millisecond
	minChunk    = 250
	maxChunk    = 10000
	// firstChunk is the first explicit purge chunk, before any measurement.
	firstChunk = 2000
	// scanFactor: a kind-filtered purge looks at up to this many times its
	// chunk per transaction (it skips most of what it sees).
	scanFactor = 4
	// sweepFactor: index entries are small and deleted in key order, so a
	// sweep transaction handles this many times the event chunk.
	sweepFactor = 4
	// autoChunk is the least automatic retention may delete per Append
	// (at least twice the batch, so retention always catches up).
	autoChunk = 1024
	// autoSweep is the least number of index entries automatic retention
	// sweeps per Append while stale entries may exist; it sweeps four times
	// what the Append deleted when that is more, so a pass over an index
	// of N entries leaves at most about N/4 stale entries behind.
	autoSweep = 64
)

// adapt returns the next chunk size after a transaction of chunk items
// took d.
func adapt(chunk int, d time.Duration) int {
	switch {
	case d > chunkTarget*3/2:
		chunk = chunk * 2 / 3
	case d < chunkTarget/2:
		chunk = chunk * 3 / 2
	}
	return min(max(chunk, minChunk), maxChunk)
}

// retainResult is what a write transaction did beyond its main work; sweep
// state is applied to the Store only after the transaction committed.
type retainResult struct {
	deleted int
	sweep   sweepState
}

// sweepState tracks the rolling sweep of the requests index. Deleting
// events never touches the index directly: requestIds are not time-ordered,
// so deleting their entries one by one would dirty a page per entry. The
// index is instead swept in key order, a contiguous run of pages per
// transaction, dropping entries whose event is gone.
type sweepState struct {
	dirty   bool   // events were deleted since the current pass began
	running bool   // a pass is under way
	pos     []byte // next index key to look at in the current pass
}

// retainInTx applies automatic retention inside an Append transaction:
// deletes at most max(autoChunk, 2*batch) of the oldest events that are
// past MaxAge or beyond MaxEvents (or, near the size cap, to keep a reserve
// of free pages), then advances the index sweep by a bounded step.
func (s *Store) retainInTx(tx *bolt.Tx, batch int) (retainResult, error) {
	eb, meta := tx.Bucket(bucketEvents), tx.Bucket(bucketMeta)
	budget := max(autoChunk, 2*batch)
	excess := 0
	if s.cfg.maxEvents > 0 {
		excess = getCount(meta) - s.cfg.maxEvents
	}
	if s.nearCap(tx) {
		excess = max(excess, budget/4)
	}
	var cutoff []byte
	if s.cfg.maxAge > 0 {
		id := event.IDFromTime(s.cfg.now().Add(-s.cfg.maxAge))
		cutoff = id[:]
	}
	keys := &s.keys
	keys.reset()
	c := eb.Cursor()
	for k, _ := c.First(); k != nil && len(keys.list) < budget; k, _ = c.Next() {
		if len(keys.list) < excess || (cutoff != nil && bytes.Compare(k, cutoff) < 0) {
			keys.add(k)
			continue
		}
		break
	}
	res := retainResult{sweep: s.sweep}
	if n := len(keys.list); n > 0 {
		if err := deleteEvents(eb, meta, keys.list); err != nil {
			return res, err
		}
		res.deleted = n
		res.sweep.dirty = true
		s.delGen++
	}
	var err error
	res.sweep, _, err = sweepStep(tx, res.sweep, max(autoSweep, 4*res.deleted), keys)
	return res, err
}

// keyScratch is reusable memory for the keys a write transaction collects
// before deleting them (a key bbolt returns is valid only in its
// transaction, and deleting while a cursor moves skips entries): one buffer
// for their bytes and one for the list, instead of an allocation per key.
// The Store's is used under wmu.
type keyScratch struct {
	flat []byte
	list [][]byte // slices of flat (or of an earlier flat, when it grew)
}

// maxKeyScratch caps the key bytes a keyScratch keeps between uses.
const maxKeyScratch = 1 << 20

func (s *keyScratch) reset() {
	if cap(s.flat) > maxKeyScratch {
		s.flat, s.list = nil, nil
	}
	clear(s.list)
	s.flat, s.list = s.flat[:0], s.list[:0]
}

// add copies k into the scratch and appends the copy to the list.
func (s *keyScratch) add(k []byte) {
	start := len(s.flat)
	s.flat = append(s.flat, k...)
	s.list = append(s.list, s.flat[start:len(s.flat):len(s.flat)])
}

// nearCap reports whether the file is close to MaxSize with little free
// space left: bbolt writes copies of every page a transaction touches, so
// even a delete needs free pages, and the store keeps a reserve.
func (s *Store) nearCap(tx *bolt.Tx) bool {
	if s.cfg.maxSize <= 0 {
		return false
	}
	if tx.Size() < s.cfg.maxSize*9/10 {
		return false
	}
	st := s.db.Stats()
	free := int64(st.FreePageN) * s.pageSize
	return free < s.cfg.maxSize/20
}

// deleteEvents deletes the collected keys (never through a moving cursor),
// updates the count and marks the index for sweeping.
func deleteEvents(eb, meta *bolt.Bucket, keys [][]byte) error {
	n, err := deleteKeys(eb, keys)
	if err != nil {
		return err
	}
	if err := meta.Put(keySweep, []byte{1}); err != nil {
		return err
	}
	return addCount(meta, -n)
}

// deleteKeys deletes keys from b through one cursor, sought afresh for
// each key (deleting while a cursor moves on skips entries): Bucket.Delete
// would make a cursor, and grow its stack, per key. It returns how many
// keys were there and are now deleted.
func deleteKeys(b *bolt.Bucket, keys [][]byte) (int, error) {
	c := b.Cursor()
	n := 0
	for _, k := range keys {
		if got, _ := c.Seek(k); !bytes.Equal(got, k) {
			continue // not there: nothing to delete, as with Bucket.Delete
		}
		if err := c.Delete(); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// sweepStep looks at up to limit index entries from st.pos and deletes
// those whose event is gone, collecting them in stale first. It returns
// the new state and how many entries it deleted.
func sweepStep(tx *bolt.Tx, st sweepState, limit int, stale *keyScratch) (sweepState, int, error) {
	if !st.running {
		if !st.dirty {
			return st, 0, nil
		}
		st = sweepState{running: true}
	}
	eb, rb := tx.Bucket(bucketEvents), tx.Bucket(bucketRequests)
	first, _ := eb.Cursor().First()
	first = bytes.Clone(first)
	c := rb.Cursor()
	var k []byte
	if st.pos == nil {
		k, _ = c.First()
	} else {
		k, _ = c.Seek(st.pos)
	}
	stale.reset()
	ec := eb.Cursor() // one cursor for every lookup: Bucket.Get makes one each
	for n := 0; k != nil && n < limit; n++ {
		if staleIndexKey(ec, first, k) {
			stale.add(k)
		}
		k, _ = c.Next()
	}
	if k == nil {
		st.running, st.pos = false, nil
		if !st.dirty { // nothing deleted since the pass began: all clean
			if err := tx.Bucket(bucketMeta).Delete(keySweep); err != nil {
				return st, 0, err
			}
		}
	} else {
		st.pos = bytes.Clone(k)
	}
	if _, err := deleteKeys(rb, stale.list); err != nil {
		return st, 0, err
	}
	return st, len(stale.list), nil
}

// staleIndexKey reports whether index key k is malformed or points to an
// event that is no longer stored. first is the oldest stored key (nil when
// there is none): IDs before it are gone without a lookup.
func staleIndexKey(events *bolt.Cursor, first, k []byte) bool {
	if len(k) < 17 || k[len(k)-17] != 0 {
		return true
	}
	id := k[len(k)-16:]
	if first == nil || bytes.Compare(id, first) < 0 {
		return true
	}
	got, _ := events.Seek(id)
	return !bytes.Equal(got, id)
}

// Purge deletes the events older than olderThan (to the millisecond: events
// in olderThan's own millisecond are kept) and their index entries, in
// bounded chunks, and returns how many it deleted. A zero olderThan purges
// everything stored when the call began.
func (s *Store) Purge(olderThan time.Time) (int, error) {
	return s.purgeKinds(olderThan)
}

// purgeKinds is Purge limited to the given kinds (no kinds: all). A zero
// olderThan deletes every event of those kinds. Records that do not decode
// are deleted only when no kinds are given.
func (s *Store) purgeKinds(olderThan time.Time, kinds ...event.Kind) (int, error) {
	return s.purge(cutoffKey(olderThan), kindSet(kinds), -1)
}

// trim deletes the oldest events until at most maxEvents remain, in bounded
// chunks, and returns how many it deleted.
func (s *Store) trim(maxEvents int) (int, error) {
	if maxEvents < 0 {
		return 0, fmt.Errorf("%w: keep %d: want a number >= 0", ErrInvalid, maxEvents)
	}
	if err := s.checkWritable(); err != nil {
		return 0, err
	}
	var count int
	if err := s.view(func(tx *bolt.Tx) error {
		count = getCount(tx.Bucket(bucketMeta))
		return nil
	}); err != nil {
		return 0, err
	}
	if count <= maxEvents {
		return 0, nil
	}
	return s.purge(nil, nil, count-maxEvents)
}

// countPurgeable reports how many events Purge or purgeKinds with the same
// arguments would delete now (a dry run).
func (s *Store) countPurgeable(olderThan time.Time, kinds ...event.Kind) (int, error) {
	cutoff, set := cutoffKey(olderThan), kindSet(kinds)
	n := 0
	err := s.view(func(tx *bolt.Tx) error {
		eb := tx.Bucket(bucketEvents)
		if eb == nil {
			return nil
		}
		if cutoff == nil && set == nil {
			n = getCount(tx.Bucket(bucketMeta))
			return nil
		}
		c := eb.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if cutoff != nil && bytes.Compare(k, cutoff) >= 0 {
				break
			}
			if set == nil {
				n++
			} else if h, ok := peek(v); ok && set[h.kind] {
				n++
			}
		}
		return nil
	})
	return n, err
}

func cutoffKey(olderThan time.Time) []byte {
	if olderThan.IsZero() {
		return nil
	}
	id := event.IDFromTime(olderThan)
	return id[:]
}

func kindSet(kinds []event.Kind) map[event.Kind]bool {
	if len(kinds) == 0 {
		return nil
	}
	m := make(map[event.Kind]bool, len(kinds))
	for _, k := range kinds {
		m[k] = true
	}
	return m
}

// purge deletes events with keys below cutoff (nil: up to the newest key
// when the call began) whose kind is in set (nil: any), at most limit of
// them (< 0: no limit), one chunk per write transaction; then sweeps the
// index and compacts when the free ratio passes the threshold.
func (s *Store) purge(cutoff []byte, set map[event.Kind]bool, limit int) (int, error) {
	if err := s.checkWritable(); err != nil {
		return 0, err
	}
	if cutoff == nil {
		var last []byte
		if err := s.view(func(tx *bolt.Tx) error {
			last, _ = tx.Bucket(bucketEvents).Cursor().Last()
			last = bytes.Clone(last)
			return nil
		}); err != nil {
			return 0, err
		}
		if last == nil {
			return 0, nil
		}
		cutoff = append(last, 0) // just above the newest key
	}
	total := 0
	chunk := firstChunk
	var resume []byte
	for done := false; !done; {
		var keys [][]byte
		d, err := s.writeChunk(func(tx *bolt.Tx) error {
			eb, meta := tx.Bucket(bucketEvents), tx.Bucket(bucketMeta)
			c := eb.Cursor()
			var k, v []byte
			if resume == nil {
				k, v = c.First()
			} else if k, v = c.Seek(resume); k != nil && bytes.Equal(k, resume) {
				k, v = c.Next()
			}
			keys = keys[:0]
			for scanned := 0; ; scanned++ {
				if k == nil || bytes.Compare(k, cutoff) >= 0 || (limit >= 0 && total+len(keys) >= limit) {
					done = true
					break
				}
				if scanned >= scanFactor*chunk || len(keys) >= chunk {
					break
				}
				if set == nil {
					keys = append(keys, bytes.Clone(k))
				} else if h, ok := peek(v); ok && set[h.kind] {
					keys = append(keys, bytes.Clone(k))
				}
				resume = bytes.Clone(k)
				k, v = c.Next()
			}
			if len(keys) == 0 {
				return nil
			}
			s.delGen++
			return deleteEvents(eb, meta, keys)
		})
		if err != nil {
			return total, fmt.Errorf("store: purge %s: %w", s.path, err)
		}
		total += len(keys)
		chunk = adapt(chunk, d)
		if len(keys) > 0 {
			s.wmu.Lock()
			s.sweep.dirty = true
			s.wmu.Unlock()
		}
	}
	if total > 0 {
		if err := s.sweepIndex(); err != nil {
			return total, err
		}
		s.wmu.Lock()
		s.maybeCompactLocked()
		s.wmu.Unlock()
		s.cfg.log.Info("store: purged", "path", s.path, "events", total)
	}
	return total, nil
}

// writeChunk runs fn as one write transaction under the writer lock and
// records and returns its duration.
func (s *Store) writeChunk(fn func(tx *bolt.Tx) error) (time.Duration, error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	start := time.Now()
	err := s.update(fn)
	d := time.Since(start)
	if d > s.maxTx {
		s.maxTx = d
	}
	if s.txLog != nil {
		s.txLog(d)
	}
	return d, err
}

// sweepIndex runs a complete pass over the requests index, in chunks.
func (s *Store) sweepIndex() error {
	s.wmu.Lock()
	gen := s.delGen
	s.wmu.Unlock()
	st := sweepState{running: true} // a full pass from the first entry
	chunk := firstChunk
	for {
		var next sweepState
		d, err := s.writeChunk(func(tx *bolt.Tx) error {
			// Deletions by others since the pass began (under wmu, as
			// this closure runs) keep the index marked for sweeping.
			st.dirty = s.delGen != gen
			var err error
			next, _, err = sweepStep(tx, st, sweepFactor*chunk, &s.keys)
			return err
		})
		chunk = adapt(chunk, d)
		if err != nil {
			return fmt.Errorf("store: sweep index of %s: %w", s.path, err)
		}
		st = next
		if !st.running {
			break
		}
	}
	// The rolling sweep of Append keeps its own dirty mark: deletions by
	// automatic retention while this pass ran may sit behind its position.
	return nil
}

// makeRoomLocked deletes the oldest events, in small chunks (even a delete
// needs free pages when the file is at its cap), until their bytes add up
// to enough room for need bytes plus a reserve. The caller holds wmu.
func (s *Store) makeRoomLocked(need int64) (int, error) {
	target := max(2*need, s.cfg.maxSize/16)
	var freed int64
	deleted := 0
	chunk := 64
	for freed < target {
		var keys [][]byte
		var bytesInChunk int64
		err := s.update(func(tx *bolt.Tx) error {
			eb, meta := tx.Bucket(bucketEvents), tx.Bucket(bucketMeta)
			c := eb.Cursor()
			for k, v := c.First(); k != nil && len(keys) < chunk; k, v = c.Next() {
				keys = append(keys, bytes.Clone(k))
				bytesInChunk += int64(len(k) + len(v))
			}
			if len(keys) == 0 {
				return nil
			}
			return deleteEvents(eb, meta, keys)
		})
		if err != nil {
			return deleted, fmt.Errorf("%w: %s is at its cap of %d bytes and purging old events failed: %w; raise Options.MaxSize, or move the file aside",
				ErrFull, s.path, s.cfg.maxSize, err)
		}
		if len(keys) == 0 {
			break
		}
		deleted += len(keys)
		freed += bytesInChunk
		s.sweep.dirty = true
		s.delGen++
		chunk = min(chunk*2, firstChunk)
	}
	return deleted, nil
}
