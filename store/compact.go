package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"

	bolt "go.etcd.io/bbolt"

	"github.com/beignet/devtools/internal/privfile"
)

// compactTxSize bounds one transaction of a compaction copy.
const compactTxSize = 32 << 20

// Compact writes a compacted copy of the store to dst: only live records
// are copied, into fully packed pages, so nothing of a purged event is in
// the copy. The copy is written to dst+".tmp", fsynced, then renamed over
// dst, and the folder fsynced. dst is checked by the same path guard as
// Open. Writers are not held: the copy is a consistent snapshot of the
// moment it starts.
func (s *Store) Compact(dst string) error {
	abs, err := CheckPath(dst, s.cfg.publicDirs)
	if err != nil {
		return err
	}
	if abs == s.path {
		return fmt.Errorf("%w: Compact destination is the store itself; use CompactInPlace", ErrInvalid)
	}
	if err := privfile.MkdirAll(filepath.Dir(abs)); err != nil {
		return fmt.Errorf("store: compact: %w", err)
	}
	s.dbmu.RLock()
	defer s.dbmu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	tmp := abs + ".tmp"
	ndb, err := s.compactTo(tmp)
	if err != nil {
		return err
	}
	if err := ndb.Close(); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("store: compact: %w", err)
	}
	return renameDurable(tmp, abs)
}

// compactTo copies the live records of s.db into a new file at tmp and
// fsyncs it; it returns the new database, still open. The caller holds
// dbmu (shared at least).
func (s *Store) compactTo(tmp string) (_ *bolt.DB, err error) {
	if err := os.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("store: compact: remove stale %s: %w", tmp, err)
	}
	if err := privfile.Create(tmp); err != nil {
		return nil, fmt.Errorf("store: compact: create %s: %w", tmp, err)
	}
	// The same options as the store's own file (it replaces it), so the
	// whole cap is mapped up front: a copy that grows the file then never
	// remaps it, which would copy every dirty node each time. The copy
	// itself is fsynced once, at the end.
	o := boltOptions(s.cfg)
	o.ReadOnly, o.NoSync = false, true
	ndb, err := bolt.Open(tmp, 0o600, o)
	if err != nil {
		return nil, fmt.Errorf("store: compact: create %s: %w", tmp, err)
	}
	// Grow the copy only as far as each commit needs (bbolt grows a big
	// file 16 MiB ahead), so the compacted file is no larger than its data.
	alloc := ndb.AllocSize
	ndb.AllocSize = ndb.Info().PageSize
	defer func() {
		if err != nil {
			_ = ndb.Close()
			_ = os.Remove(tmp)
		}
	}()
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer recoverCorrupt(s.path, &err)
	if err := bolt.Compact(ndb, s.db, compactTxSize); err != nil {
		return nil, fmt.Errorf("store: compact %s: %w", s.path, err)
	}
	if err := ndb.Sync(); err != nil {
		return nil, fmt.Errorf("store: compact: sync %s: %w", tmp, err)
	}
	ndb.NoSync = s.cfg.noSync
	ndb.AllocSize = alloc
	return ndb, nil
}

// renameDurable renames tmp over dst and fsyncs the folder so the rename
// survives a crash.
func renameDurable(tmp, dst string) error {
	if err := os.Rename(tmp, dst); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("store: compact: rename into %s: %w", dst, err)
	}
	d, err := os.Open(filepath.Dir(dst))
	if err != nil {
		return fmt.Errorf("store: compact: sync folder of %s: %w", dst, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("store: compact: sync folder of %s: %w", dst, err)
	}
	return nil
}

// CompactInPlace rewrites the store file with only its live records
// (Compact to a temporary file beside it, fsync, atomic rename) and
// continues on the new file. Writers wait for the whole rewrite (appends
// queue in the recorder meanwhile); readers only for the final swap. After
// a purge, this is what makes the purged bytes leave the file.
func (s *Store) CompactInPlace() error {
	if err := s.checkWritable(); err != nil {
		return err
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	return s.compactInPlaceLocked()
}

func (s *Store) compactInPlaceLocked() error {
	tmp := CompactTempPath(s.path)
	s.dbmu.RLock()
	if s.closed {
		s.dbmu.RUnlock()
		return ErrClosed
	}
	ndb, err := s.compactTo(tmp)
	s.dbmu.RUnlock()
	if err != nil {
		return err
	}
	s.dbmu.Lock()
	defer s.dbmu.Unlock()
	if err := os.Rename(tmp, s.path); err != nil {
		_ = ndb.Close()
		_ = os.Remove(tmp)
		return fmt.Errorf("store: compact in place: rename into %s: %w", s.path, err)
	}
	old := s.db
	s.db = ndb
	s.pageSize = int64(ndb.Info().PageSize)
	if d, err := os.Open(filepath.Dir(s.path)); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	if err := old.Close(); err != nil {
		s.cfg.log.Warn("store: closing the pre-compaction file", "path", s.path, "err", err)
	}
	return nil
}

// maybeCompactLocked compacts in place when free pages make up at least
// CompactFreeRatio of the used file and at least MinAutoCompactBytes. The
// caller holds wmu.
func (s *Store) maybeCompactLocked() {
	if s.cfg.readOnly || s.cfg.compactFreeRatio < 0 {
		return
	}
	free, size := s.freeSpace()
	if free < MinAutoCompactBytes || size <= 0 || float64(free)/float64(size) < s.cfg.compactFreeRatio {
		return
	}
	if err := s.compactInPlaceLocked(); err != nil {
		s.cfg.log.Warn("store: automatic compaction failed", "path", s.path, "err", err)
		return
	}
	_, after := s.freeSpace()
	s.cfg.log.Info("store: compacted", "path", s.path, "freeBefore", free, "sizeBefore", size, "sizeAfter", after)
}

// freeSpace returns the free-page bytes and the used size of the file (its
// high-water mark: bbolt grows the file ahead in steps of up to 16 MiB, and
// that unused tail comes back after a compaction, so it does not count).
func (s *Store) freeSpace() (free, used int64) {
	s.dbmu.RLock()
	defer s.dbmu.RUnlock()
	if s.closed {
		return 0, 0
	}
	st := s.db.Stats()
	free = int64(st.FreePageN+st.PendingPageN) * s.pageSize
	_ = s.db.View(func(tx *bolt.Tx) error {
		used = tx.Size()
		return nil
	})
	return free, used
}
