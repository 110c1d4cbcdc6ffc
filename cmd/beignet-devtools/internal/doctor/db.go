package doctor

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/beignet/devtools/internal/privfile"
	"github.com/beignet/devtools/store"
)

// DBOptions configures CheckDB.
type DBOptions struct {
	// Now is the clock for the staleness check; nil means time.Now.
	Now func() time.Time
	// Timeout is how long to wait for the file lock; default 500ms.
	Timeout time.Duration
}

// CheckDB checks a store file: its permissions and its folder's, whether it
// sits in a public directory, whether it opens, and whether it holds events
// older than the retention it should have.
func CheckDB(path string, opts DBOptions) ([]Finding, error) {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = 500 * time.Millisecond
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("doctor: %w", err)
	}
	var out []Finding
	fi, err := os.Stat(abs)
	if err != nil {
		return append(out, Finding{ID: IDDBUnreadable, Severity: Error, Where: abs,
			Message: "cannot stat the store file: " + errors.Unwrap(err).Error(),
			Fix:     "check --db (the app's StorePath, default .beignet/devtools.db)"}), nil
	}
	if fi.IsDir() {
		return append(out, Finding{ID: IDDBUnreadable, Severity: Error, Where: abs,
			Message: "--db names a directory, not a store file", Fix: "pass the file, e.g. .beignet/devtools.db"}), nil
	}
	if p, err := privfile.Check(abs, fi); err != nil {
		out = append(out, Finding{ID: IDDBPermissions, Severity: Warning, Where: abs,
			Message: "could not read the store file's permissions: " + err.Error(),
			Fix:     "check who can read it by hand"})
	} else if p != nil {
		out = append(out, Finding{ID: IDDBPermissions, Severity: Error, Where: abs,
			Message: "store file " + p.Detail + ": others can read recorded traffic",
			Fix:     p.Fix})
	}
	dir := filepath.Dir(abs)
	if di, err := os.Stat(dir); err == nil {
		if p, err := privfile.Check(dir, di); err == nil && p != nil {
			out = append(out, Finding{ID: IDDBDirPermissions, Severity: Warning, Where: dir,
				Message: "store folder " + p.Detail + ": others can list it or, with write access, replace the file",
				Fix:     p.Fix + " (or move the store to its own folder)"})
		}
	}
	if _, err := store.CheckPath(abs, nil); err != nil {
		var pe *store.PublicPathError
		if errors.As(err, &pe) {
			out = append(out, Finding{ID: IDDBPublic, Severity: Error, Where: abs,
				Message: "store file is inside the public/static directory " + pe.PublicDir,
				Fix:     moveFix(pe.Suggest)})
		}
	}
	if tmp := store.CompactTempPath(abs); fileExists(tmp) {
		out = append(out, Finding{ID: IDDBCompactLeftover, Severity: Warning, Where: tmp,
			Message: "an interrupted compaction left a copy of the store's events (purged ones included) beside it",
			Fix:     "open the store read-write (start the app, or beignet-devtools purge --db " + abs + " --compact), which removes it, or delete it: rm " + tmp})
	}
	s, err := store.Open(abs, store.Options{ReadOnly: true, Timeout: timeout, MaxAge: -1, MaxEvents: -1})
	switch {
	case errors.Is(err, store.ErrLocked):
		out = append(out, Finding{ID: IDDBLocked, Severity: Info, Where: abs,
			Message: "the file is locked by a running app; its contents were not checked",
			Fix:     "run doctor --url against the running app, or again once it stops"})
		Sort(out)
		return out, nil
	case err != nil:
		out = append(out, Finding{ID: IDDBUnreadable, Severity: Error, Where: abs,
			Message: "the file does not open as a devtools store: " + storeErrClass(err),
			Fix:     "point --db at a store file; delete a corrupt one (its data is short-lived by design)"})
		Sort(out)
		return out, nil
	}
	defer s.Close()
	if err := s.Check(); err != nil {
		out = append(out, Finding{ID: IDDBUnreadable, Severity: Error, Where: abs,
			Message: "the store's consistency check failed", Fix: "delete the file, or purge --compact it to rewrite the readable events"})
	}
	stats, err := s.Stats()
	if err == nil && stats.Count > 0 && !stats.Oldest.IsZero() {
		if age := now().Sub(stats.Oldest); age > MaxRetentionDays*24*time.Hour {
			out = append(out, Finding{ID: IDDBStale, Severity: Warning, Where: abs,
				Message: fmt.Sprintf("the oldest of %d events is %d days old: retention is longer than %d days or not enforced", stats.Count, int(age.Hours()/24), MaxRetentionDays),
				Fix:     "beignet-devtools purge --db " + abs + " --older-than 24h, and keep the recorder's MaxAge at 7 days or less"})
		}
	}
	Sort(out)
	return out, nil
}

func fileExists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

func storeErrClass(err error) string {
	for _, e := range []error{store.ErrNewerSchema, store.ErrNotDatabase, store.ErrCorrupt, store.ErrPermissions, store.ErrPublicPath} {
		if errors.Is(err, e) {
			return e.Error()
		}
	}
	return err.Error()
}

// moveFix is DT303's fix; it names a store path only when the guard
// accepts it.
func moveFix(suggest string) string {
	if suggest == "" {
		return "move it outside any served folder and delete this copy"
	}
	return "move it outside any served folder (e.g. " + suggest + ") and delete this copy"
}
