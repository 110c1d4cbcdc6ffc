package store

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"

	bolt "go.etcd.io/bbolt"
)

// Check runs bbolt's consistency check (Tx.Check) over the whole file and
// returns every problem it finds, joined and wrapped in ErrCorrupt; nil
// when the file is sound. Writers wait while it runs. Messages name pages
// and event IDs, never record contents.
func (s *Store) Check() error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	var errs []error
	err := s.view(func(tx *bolt.Tx) error {
		for e := range tx.Check(bolt.WithKVStringer(quietStringer{})) {
			errs = append(errs, e)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %s failed its consistency check: %w", ErrCorrupt, s.path, errors.Join(errs...))
	}
	return nil
}

// quietStringer keeps record contents and request IDs out of Check's
// messages: event keys show as hex IDs, other keys and values by length.
type quietStringer struct{}

func (quietStringer) KeyToString(k []byte) string {
	if len(k) == 16 {
		return hex.EncodeToString(k)
	}
	return "<" + strconv.Itoa(len(k)) + "-byte key>"
}

func (quietStringer) ValueToString(v []byte) string {
	return "<" + strconv.Itoa(len(v)) + " bytes>"
}
