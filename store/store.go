package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/beignet/devtools/internal/privfile"
)

// SchemaVersion is the layout version this build writes into the meta
// bucket. A file with a higher version is refused (ErrNewerSchema) and
// never rewritten.
const SchemaVersion = 1

// Bucket and key names. The layout (schema 1):
//
//	meta      schema -> decimal version; count -> uint64 BE event count
//	events    event ID (16 bytes, time-ordered) -> event JSON (event.Marshal)
//	requests  requestId + 0x00 + event ID -> empty (the correlation index)
var (
	bucketMeta     = []byte("meta")
	bucketEvents   = []byte("events")
	bucketRequests = []byte("requests")
	keySchema      = []byte("schema")
	keyCount       = []byte("count")
	// keySweep is present while the requests index may hold entries of
	// deleted events: set in the transaction that deletes events, removed
	// by the transaction that completes an index sweep with no deletion
	// since it began. It survives restarts, so a reopened store resumes
	// sweeping only when there is something to sweep.
	keySweep = []byte("sweep")
)

// eventsFill is the FillPercent of the events bucket: keys are time-ordered
// and appended at the end, so split pages can be filled almost completely
// (bbolt's default 0.5 leaves every page half empty for inserts that never
// come).
const eventsFill = 1.0

// indexFill is the FillPercent of the requests index. The recorder's
// request IDs are time-ordered, so most entries also arrive at the end;
// 0.9 packs those pages while leaving some room for out-of-order request
// IDs (an X-Request-Id header) so they do not split a full page each time.
const indexFill = 0.9

// Store is an open event store. It is safe for concurrent use; writes are
// serialized (it is designed for one batching pipeline writer).
type Store struct {
	path string
	cfg  config

	// wmu serializes writers: appends, purge chunks, compaction.
	wmu sync.Mutex
	// dbmu guards db: read and write transactions hold it shared, the
	// swap at the end of CompactInPlace and Close hold it exclusively.
	dbmu   sync.RWMutex
	db     *bolt.DB
	closed bool
	// pageSize is db's page size, read once when db is opened or swapped:
	// bolt.DB.Info reads the mmap without a lock and races with a writer
	// that grows the file.
	pageSize int64

	// Under wmu.
	appends     int           // Append calls since open, for periodic checks
	autoDeleted int           // events automatic retention deleted since the last compaction check
	maxTx       time.Duration // longest retention write tx since open
	sweep       sweepState    // rolling sweep of the requests index
	delGen      uint64        // bumped by every deletion, to tell whether a sweep pass saw them all
	holes       bool          // events may be missing after the oldest (see sweepState)
	keys        keyScratch    // the keys retention and the sweep collect before deleting them
	// txLog, when set (tests, benchmarks), gets each purge/sweep write
	// transaction's duration.
	txLog func(time.Duration)
}

// Open opens or creates the store at path (see DefaultPath). The zero
// Options means all defaults.
//
// For a read-write open it refuses a path inside a public or static
// directory (see CheckPath), creates the missing folders 0700 and the file
// 0600 (on Windows: with an access list for the owner, SYSTEM and
// Administrators only), and refuses an existing file that anyone else can
// read or write (ErrPermissions: the store does not fix it, see the
// package doc).
// A read-only open skips the guard (it writes nothing) and neither creates
// nor changes the file.
//
// Errors say what to do: ErrLocked (another process, usually the running
// app, holds the file; purge through its route with `beignet-devtools purge
// --url ...`), ErrNewerSchema, ErrNotDatabase, ErrCorrupt (including a
// truncated file), ErrPublicPath, ErrPermissions.
func Open(path string, opts Options) (*Store, error) {
	cfg := opts.config()
	var abs string
	var err error
	if cfg.readOnly {
		if path == "" {
			return nil, fmt.Errorf("%w: empty store path", ErrInvalid)
		}
		if abs, err = filepath.Abs(path); err != nil {
			return nil, fmt.Errorf("store: resolve %s: %w", path, err)
		}
	} else {
		if abs, err = CheckPath(path, cfg.publicDirs); err != nil {
			return nil, err
		}
		if err := privfile.MkdirAll(filepath.Dir(abs)); err != nil {
			return nil, fmt.Errorf("store: create folder for %s: %w", abs, err)
		}
	}
	if err := preflight(abs, cfg.readOnly); err != nil {
		return nil, err
	}
	if !cfg.readOnly {
		// Created here rather than by bbolt so that on Windows it gets an
		// owner-only access list from the start (bbolt's 0600 means
		// nothing there).
		if err := privfile.Create(abs); err != nil {
			return nil, fmt.Errorf("store: create %s: %w", abs, err)
		}
	}
	db, err := openBolt(abs, cfg)
	if err != nil {
		return nil, err
	}
	s := &Store{path: abs, cfg: cfg, db: db, pageSize: int64(db.Info().PageSize)}
	if err := s.initSchema(); err != nil {
		_ = db.Close()
		return nil, err
	}
	if !cfg.readOnly {
		s.removeStaleCompaction()
	}
	return s, nil
}

// CompactTempPath is where CompactInPlace writes its copy of the store at
// path before renaming it over the file. A process that dies while
// compacting leaves it behind, with a copy of (possibly purged) events:
// the next read-write Open removes it, and `beignet-devtools doctor --db`
// reports it.
func CompactTempPath(path string) string { return path + ".compact.tmp" }

// removeStaleCompaction removes the copy an interrupted compaction left.
// It runs with the file's lock held, so no other process is compacting.
func (s *Store) removeStaleCompaction() {
	tmp := CompactTempPath(s.path)
	switch err := os.Remove(tmp); {
	case err == nil:
		s.cfg.log.Warn("store: removed the copy an interrupted compaction left", "path", tmp)
	case !errors.Is(err, fs.ErrNotExist):
		s.cfg.log.Warn("store: cannot remove the copy an interrupted compaction left; delete it by hand", "path", tmp, "err", err)
	}
}

// preflight checks an existing file's mode and header before bbolt maps it.
func preflight(path string, readOnly bool) error {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		if readOnly {
			return fmt.Errorf("store: %s does not exist (nothing recorded yet?): %w", path, err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if err := checkMode(path, fi); err != nil {
		return err
	}
	if fi.Size() == 0 {
		if readOnly {
			return fmt.Errorf("%w: %s is empty", ErrNotDatabase, path)
		}
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer f.Close()
	return inspectFile(path, f, fi.Size())
}

func boltOptions(cfg config) *bolt.Options {
	o := &bolt.Options{
		Timeout:  cfg.timeout,
		ReadOnly: cfg.readOnly,
		NoSync:   cfg.noSync,
		// The freelist is written on every commit (bbolt's default), not
		// rebuilt at Open by walking the file as with NoFreelistSync: that
		// walk runs in a goroutine of bbolt's where a damaged page crashes
		// the process instead of returning an error. The hashmap type keeps
		// big freelists cheap after a large purge.
		FreelistType: bolt.FreelistMapType,
		PageSize:     cfg.pageSize,
	}
	if cfg.maxSize > 0 {
		o.MaxSize = int(cfg.maxSize)
		// Map the whole cap up front (address space only, nothing is
		// allocated): growing the file then never remaps it, and a remap
		// has to copy every dirty node out of the old mapping while
		// holding the writer. (Not on 32-bit, where address space is short.)
		if strconv.IntSize == 64 {
			o.InitialMmapSize = int(cfg.maxSize)
		}
	}
	return o
}

func openBolt(path string, cfg config) (db *bolt.DB, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer recoverCorrupt(path, &err)
	db, err = bolt.Open(path, 0o600, boltOptions(cfg))
	if err != nil {
		return nil, openError(path, cfg.readOnly, err)
	}
	return db, nil
}

func openError(path string, readOnly bool, err error) error {
	switch {
	case errors.Is(err, berrors.ErrTimeout):
		if readOnly {
			return fmt.Errorf("%w: %s is being written by a running app (its recorder holds the lock); watch it live with `beignet-devtools console --url http://127.0.0.1:PORT/api/devtools`, or stop the app to read the file",
				ErrLocked, path)
		}
		return fmt.Errorf("%w: %s is held by a running app (its recorder); purge through the app's devtools route instead: `beignet-devtools purge --url http://127.0.0.1:PORT/api/devtools`, or stop the app first",
			ErrLocked, path)
	case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrVersionMismatch):
		return fmt.Errorf("%w: %s: %v; move it aside or choose another path", ErrNotDatabase, path, err)
	case errors.Is(err, berrors.ErrChecksum):
		return fmt.Errorf("%w: %s: %v; move it aside, a new store will be created", ErrCorrupt, path, err)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("%w: %s: %v", ErrPermissions, path, err)
	}
	return fmt.Errorf("store: open %s: %w", path, err)
}

// initSchema checks the meta bucket, creating the buckets in a new file.
func (s *Store) initSchema() (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer recoverCorrupt(s.path, &err)
	empty := false
	err = s.db.View(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if meta == nil {
			n := 0
			_ = tx.ForEach(func([]byte, *bolt.Bucket) error { n++; return nil })
			if n > 0 {
				return fmt.Errorf("%w: %s is a bbolt database of something else (no devtools meta bucket); choose another path", ErrNotDatabase, s.path)
			}
			empty = true
			return nil
		}
		raw := meta.Get(keySchema)
		v, perr := strconv.Atoi(string(raw))
		if perr != nil || v < 1 {
			return fmt.Errorf("%w: %s has no valid schema version", ErrCorrupt, s.path)
		}
		if v > SchemaVersion {
			return fmt.Errorf("%w: %s has schema %d, this build reads up to %d; upgrade beignet-devtools (the file is left untouched)",
				ErrNewerSchema, s.path, v, SchemaVersion)
		}
		if tx.Bucket(bucketEvents) == nil || tx.Bucket(bucketRequests) == nil {
			return fmt.Errorf("%w: %s is missing its buckets", ErrCorrupt, s.path)
		}
		// A previous process may have left index entries of deleted
		// events: the rolling sweep resumes.
		s.sweep.dirty = meta.Get(keySweep) != nil && !s.cfg.readOnly
		s.holes = s.sweep.dirty // what was deleted before is unknown
		return nil
	})
	if err != nil || !empty || s.cfg.readOnly {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		if err := meta.Put(keySchema, []byte(strconv.Itoa(SchemaVersion))); err != nil {
			return err
		}
		if err := meta.Put(keyCount, make([]byte, 8)); err != nil {
			return err
		}
		if _, err := tx.CreateBucketIfNotExists(bucketEvents); err != nil {
			return err
		}
		_, err = tx.CreateBucketIfNotExists(bucketRequests)
		return err
	})
}

// Path returns the absolute path of the store file.
func (s *Store) Path() string { return s.path }

// Close closes the file. Later calls return ErrClosed.
func (s *Store) Close() error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.dbmu.Lock()
	defer s.dbmu.Unlock()
	if s.closed {
		return ErrClosed
	}
	s.closed = true
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("store: close %s: %w", s.path, err)
	}
	return nil
}

// recoverCorrupt turns a bbolt panic on a damaged page into ErrCorrupt. The
// callers also set debug.SetPanicOnFault, so that a bad page offset that
// faults in the memory map panics (and is recovered here) rather than
// crashing the app.
func recoverCorrupt(path string, err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%w: %s: unreadable page (%v); move it aside, a new store will be created", ErrCorrupt, path, r)
	}
}

// view runs fn in a read transaction.
func (s *Store) view(fn func(tx *bolt.Tx) error) (err error) {
	s.dbmu.RLock()
	defer s.dbmu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer recoverCorrupt(s.path, &err)
	return s.db.View(fn)
}

// update runs fn in a write transaction. The caller holds s.wmu.
func (s *Store) update(fn func(tx *bolt.Tx) error) (err error) {
	if s.cfg.readOnly {
		return fmt.Errorf("%w: %s", ErrReadOnly, s.path)
	}
	s.dbmu.RLock()
	defer s.dbmu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer recoverCorrupt(s.path, &err)
	return s.db.Update(fn)
}

func (s *Store) checkWritable() error {
	if s.cfg.readOnly {
		return fmt.Errorf("%w: %s", ErrReadOnly, s.path)
	}
	return nil
}

func getCount(meta *bolt.Bucket) int {
	if meta == nil {
		return 0
	}
	v := meta.Get(keyCount)
	if len(v) != 8 {
		return 0
	}
	return int(binary.BigEndian.Uint64(v))
}

func addCount(meta *bolt.Bucket, delta int) error {
	if delta == 0 {
		return nil
	}
	n := getCount(meta) + delta
	if n < 0 {
		n = 0
	}
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(n))
	return meta.Put(keyCount, b[:])
}

// indexKey is requestID + 0x00 + id.
func indexKey(requestID string, id []byte) []byte {
	k := make([]byte, 0, len(requestID)+1+len(id))
	k = append(k, requestID...)
	k = append(k, 0)
	return append(k, id...)
}

// MaxIndexedRequestID is the longest requestId the correlation index holds;
// events with a longer one are stored but Correlated does not find them.
const MaxIndexedRequestID = 1024

func indexable(requestID string) bool {
	return requestID != "" && len(requestID) <= MaxIndexedRequestID
}
