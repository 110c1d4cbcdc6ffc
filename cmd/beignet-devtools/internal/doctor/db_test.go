package doctor

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/store"
)

var now = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

func makeStore(t *testing.T, path string, ages ...time.Duration) {
	t.Helper()
	s, err := store.Open(path, store.Options{NoSync: true, MaxAge: -1, MaxEvents: -1, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i, a := range ages {
		e := event.Event{V: 1, Time: now.Add(-a), Kind: event.KindLog, Message: "x"}
		e.ID = event.IDFromTime(e.Time)
		e.ID[15] = byte(i + 1)
		if err := s.Append(e); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCheckDB(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	path := filepath.Join(dir, "devtools.db")
	makeStore(t, path, time.Hour)
	fs, err := CheckDB(path, DBOptions{Now: func() time.Time { return now }})
	if err != nil || len(fs) != 0 {
		t.Fatalf("fresh store: %v %+v", err, fs)
	}

	if runtime.GOOS != "windows" { // Windows access lists: internal/privfile
		if err := os.Chmod(path, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		fs, _ = CheckDB(path, DBOptions{Now: func() time.Time { return now }})
		if got := ids(fs); got[IDDBPermissions] != Error || got[IDDBDirPermissions] != Warning {
			t.Fatalf("loose modes: %+v", fs)
		}
		for _, f := range fs {
			if f.ID == IDDBPermissions && (!strings.Contains(f.Message, "has mode 0644") || f.Fix != "chmod 600 "+path) {
				t.Errorf("DT301 in Unix terms: %+v", f)
			}
			if f.ID == IDDBDirPermissions && (!strings.Contains(f.Message, "has mode 0755") || !strings.HasPrefix(f.Fix, "chmod 700 "+dir)) {
				t.Errorf("DT302 in Unix terms: %+v", f)
			}
		}
		_ = os.Chmod(path, 0o600)
		_ = os.Chmod(dir, 0o700)
	}

	fs, _ = CheckDB(path, DBOptions{Now: func() time.Time { return now.Add(10 * 24 * time.Hour) }})
	if ids(fs)[IDDBStale] != Warning {
		t.Fatalf("stale: %+v", fs)
	}

	// Locked by a running app: noted, not failed.
	s, err := store.Open(path, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	fs, _ = CheckDB(path, DBOptions{Timeout: 50 * time.Millisecond})
	s.Close()
	if ids(fs)[IDDBLocked] != Info || Failed(fs, true) {
		t.Fatalf("locked: %+v", fs)
	}

	// An interrupted compaction's copy is reported until a read-write
	// open removes it.
	tmp := store.CompactTempPath(path)
	if err := os.WriteFile(tmp, []byte("copy of events"), 0o600); err != nil {
		t.Fatal(err)
	}
	fs, _ = CheckDB(path, DBOptions{Now: func() time.Time { return now }})
	if ids(fs)[IDDBCompactLeftover] != Warning || !strings.Contains(fsText(fs), "rm "+tmp) {
		t.Fatalf("leftover: %+v", fs)
	}
	s, err = store.Open(path, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if fs, _ = CheckDB(path, DBOptions{Now: func() time.Time { return now }}); len(fs) != 0 {
		t.Fatalf("after a read-write open: %+v", fs)
	}
}

func fsText(fs []Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString(f.Message + " " + f.Fix + "\n")
	}
	return b.String()
}

func TestCheckDBPublicAndBadFiles(t *testing.T) {
	root := t.TempDir()
	good := filepath.Join(root, "private", "devtools.db")
	makeStore(t, good, time.Minute)
	pub := filepath.Join(root, "public", "devtools.db")
	if err := os.MkdirAll(filepath.Dir(pub), 0o700); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pub, b, 0o600); err != nil {
		t.Fatal(err)
	}
	fs, _ := CheckDB(pub, DBOptions{})
	if ids(fs)[IDDBPublic] != Error {
		t.Fatalf("public: %+v", fs)
	}

	notdb := filepath.Join(root, "private", "notes.txt")
	if err := os.WriteFile(notdb, make([]byte, 8192), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{notdb, filepath.Join(root, "missing.db"), root} {
		fs, err := CheckDB(p, DBOptions{})
		if err != nil || ids(fs)[IDDBUnreadable] != Error {
			t.Errorf("%s: %v %+v", p, err, fs)
		}
	}
}
