package store

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"
)

// Defaults applied by Open to zero fields of Options.
const (
	DefaultTimeout          = time.Second
	DefaultMaxAge           = 24 * time.Hour
	DefaultMaxEvents        = 100_000
	DefaultMaxSize          = 512 << 20
	DefaultCompactFreeRatio = 0.5
	// DefaultPageSize is four times the usual OS page. The store's writes
	// are appends of ~1 KiB events and deletes of the oldest: bbolt writes
	// each dirty page with a system call of its own, so larger pages mean
	// a quarter of the calls and of the per-page work for the same bytes:
	// 4.5 against 7.6 µs of CPU per event at the retention cap, groups of
	// 1,000 ~1.1 KiB events, fsync on (BenchmarkAppendAtCapPageSize).
	DefaultPageSize = 16 << 10
	// MinAutoCompactBytes is the free space below which automatic
	// compaction never runs, whatever the ratio: rewriting a small file to
	// win a few pages is not worth holding the writer.
	MinAutoCompactBytes = 4 << 20
)

// Options configure Open. The zero value means all defaults: every zero
// field takes the default documented on it.
type Options struct {
	// Timeout is how long Open waits for the file lock; default 1s. After
	// it Open returns ErrLocked.
	Timeout time.Duration
	// ReadOnly opens the file with a shared lock for reading only (the
	// console's offline mode). Write methods return ErrReadOnly. A
	// read-only open neither creates nor changes the file.
	ReadOnly bool
	// PublicDirs are extra public/static roots to refuse (the app's
	// file-server roots), on top of the names in PublicNames.
	PublicDirs []string
	// MaxAge is the retention age; default 24h; < 0 disables.
	MaxAge time.Duration
	// MaxEvents is the retention count; default 100,000; < 0 disables.
	MaxEvents int
	// MaxSize is a hard cap on the file size in bytes (bbolt's MaxSize);
	// default 512 MiB; < 0 disables. When a write would grow the file past
	// it the store purges its oldest events and retries once.
	MaxSize int64
	// CompactFreeRatio is the share of the file's used pages (up to its
	// high-water mark) that may be free before a purge (explicit, or
	// automatic retention, checked every 256 Appends that deleted
	// something) compacts the file in place; default 0.5; < 0 disables.
	// Compaction also needs at least MinAutoCompactBytes of free space.
	CompactFreeRatio float64
	// NoSync skips fsync on commit: for tests and benchmarks only, a crash
	// can lose or corrupt data.
	NoSync bool
	// PageSize is the page size of a new file (and of a compacted copy);
	// default DefaultPageSize. An existing file keeps its own.
	PageSize int
	// Now is the clock used by retention; nil means time.Now.
	Now func() time.Time
	// Logger receives retention and compaction notes; nil discards.
	Logger *slog.Logger
}

type config struct {
	timeout          time.Duration
	readOnly         bool
	publicDirs       []string
	maxAge           time.Duration
	maxEvents        int
	maxSize          int64
	compactFreeRatio float64
	noSync           bool
	pageSize         int
	now              func() time.Time
	log              *slog.Logger
}

func (o Options) config() config {
	c := config{o.Timeout, o.ReadOnly, o.PublicDirs, o.MaxAge, o.MaxEvents, o.MaxSize, o.CompactFreeRatio, o.NoSync, o.PageSize, o.Now, o.Logger}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.maxAge == 0 {
		c.maxAge = DefaultMaxAge
	}
	if c.maxEvents == 0 {
		c.maxEvents = DefaultMaxEvents
	}
	if c.maxSize == 0 {
		c.maxSize = DefaultMaxSize
	}
	if c.compactFreeRatio == 0 {
		c.compactFreeRatio = DefaultCompactFreeRatio
	}
	if c.pageSize <= 0 {
		c.pageSize = DefaultPageSize
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.log == nil {
		c.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return c
}

// DefaultDir and DefaultFile make up DefaultPath.
const (
	DefaultDir  = ".beignet"
	DefaultFile = "devtools.db"
)

// DefaultPath returns <working directory>/.beignet/devtools.db.
//
// The folder sits beside the app's code, where `go run` starts, and is
// hidden; it is not one of the folder names a web server usually serves
// (see PublicNames), and Open creates it 0700. Add ".beignet/" to the
// project's .gitignore. An app whose working directory is itself served
// should pass an explicit path (for example under os.UserCacheDir()).
func DefaultPath() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("store: default path: %w", err)
	}
	return filepath.Join(wd, DefaultDir, DefaultFile), nil
}
