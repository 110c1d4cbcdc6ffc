package store

import (
	"bytes"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/beignet/devtools/event"
)

// Append stores events in one transaction, keyed by their IDs. Events must
// be stamped (ID, time, kind; see event.Event.Stamp): an invalid event fails
// the whole call with ErrInvalid and nothing is written. A zero V is stored
// as event.SchemaVersion. An event whose ID is already stored replaces it.
//
// Retention runs in the same transaction at a bounded cost (see the package
// doc); when the size cap is hit the oldest events are purged and the
// append retried once.
func (s *Store) Append(events ...event.Event) error {
	if len(events) == 0 {
		return nil
	}
	enc := make([][]byte, len(events))
	for i := range events {
		e := events[i]
		if err := e.Validate(); err != nil {
			return fmt.Errorf("%w: event %d of %d: %w", ErrInvalid, i+1, len(events), err)
		}
		if e.V == 0 {
			e.V = event.SchemaVersion
		}
		b, err := event.Marshal(&e)
		if err != nil {
			return fmt.Errorf("%w: event %d of %d (id %s) does not encode", ErrInvalid, i+1, len(events), e.ID)
		}
		enc[i] = b
	}
	return s.appendEncoded(events, enc)
}

// AppendEncoded is Append for events already encoded: enc[i] must be
// event.Marshal(&events[i]). It saves the pipeline a second encode; the
// bytes are stored as given (and served as given by SinceEncoded).
func (s *Store) AppendEncoded(events []event.Event, enc [][]byte) error {
	if len(events) != len(enc) {
		return fmt.Errorf("%w: %d events but %d encodings", ErrInvalid, len(events), len(enc))
	}
	for i := range events {
		if err := events[i].Validate(); err != nil {
			return fmt.Errorf("%w: event %d of %d: %w", ErrInvalid, i+1, len(events), err)
		}
		if len(enc[i]) == 0 {
			return fmt.Errorf("%w: event %d of %d (id %s) has an empty encoding", ErrInvalid, i+1, len(events), events[i].ID)
		}
	}
	if len(events) == 0 {
		return nil
	}
	return s.appendEncoded(events, enc)
}

func (s *Store) appendEncoded(events []event.Event, enc [][]byte) error {
	if err := s.checkWritable(); err != nil {
		return err
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	var res retainResult
	put := func(tx *bolt.Tx) error {
		var err error
		res, err = s.putBatch(tx, events, enc)
		return err
	}
	err := s.update(put)
	if errors.Is(err, berrors.ErrMaxSizeReached) {
		need := int64(0)
		for _, b := range enc {
			need += int64(len(b)) + 64
		}
		freed, ferr := s.makeRoomLocked(need)
		if ferr != nil {
			return ferr
		}
		s.cfg.log.Warn("store: size cap reached; purged the oldest events", "path", s.path, "maxSize", s.cfg.maxSize, "purged", freed)
		err = s.update(put)
		if errors.Is(err, berrors.ErrMaxSizeReached) {
			return fmt.Errorf("%w: %s is at its cap of %d bytes even after purging %d old events; raise Options.MaxSize or compact",
				ErrFull, s.path, s.cfg.maxSize, freed)
		}
	}
	if err != nil {
		if errors.Is(err, ErrClosed) || errors.Is(err, ErrReadOnly) || errors.Is(err, ErrCorrupt) {
			return err
		}
		return fmt.Errorf("store: append %d events to %s: %w", len(events), s.path, err)
	}
	s.appends++
	s.sweep = res.sweep
	if res.tookHoles {
		s.holes = false
	}
	s.autoDeleted += res.deleted
	if s.appends%autoCompactEvery == 0 && s.autoDeleted > 0 {
		s.autoDeleted = 0
		s.maybeCompactLocked()
	}
	return nil
}

// autoCompactEvery: every this many Append calls, if automatic retention
// deleted something since the last look, the free ratio is checked (the
// check is cheap; the point is not to compact twice in a row while a burst
// of retention frees pages).
const autoCompactEvery = 256

// putBatch writes one batch and applies automatic retention, in tx.
func (s *Store) putBatch(tx *bolt.Tx, events []event.Event, enc [][]byte) (retainResult, error) {
	eb, rb, meta := tx.Bucket(bucketEvents), tx.Bucket(bucketRequests), tx.Bucket(bucketMeta)
	if eb == nil || rb == nil || meta == nil {
		return retainResult{}, fmt.Errorf("%w: %s is missing its buckets", ErrCorrupt, s.path)
	}
	eb.FillPercent = eventsFill
	rb.FillPercent = indexFill
	var last [16]byte
	if k, _ := eb.Cursor().Last(); k != nil {
		copy(last[:], k)
	}
	added := 0
	empty := []byte{}
	var ikey []byte // reused: Put copies keys
	for i := range events {
		key := events[i].ID[:]
		if bytes.Compare(key, last[:]) > 0 {
			added++
			last = events[i].ID
		} else if old := eb.Get(key); old == nil {
			added++
		} else if h, ok := peek(old); ok && h.requestID != events[i].RequestID && indexable(h.requestID) {
			if err := rb.Delete(indexKey(h.requestID, key)); err != nil {
				return retainResult{}, err
			}
		}
		if err := eb.Put(key, enc[i]); err != nil {
			return retainResult{}, err
		}
		if rid := events[i].RequestID; indexable(rid) {
			ikey = append(append(append(ikey[:0], rid...), 0), key...)
			if err := rb.Put(ikey, empty); err != nil {
				return retainResult{}, err
			}
		}
	}
	if err := addCount(meta, added); err != nil {
		return retainResult{}, err
	}
	return s.retainInTx(tx, len(events))
}
