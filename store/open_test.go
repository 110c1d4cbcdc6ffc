package store

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/beignet/devtools/event"
)

func TestPathGuard(t *testing.T) {
	root := t.TempDir()
	root, _ = filepath.EvalSymlinks(root)
	mk := func(p string) string {
		t.Helper()
		if err := os.MkdirAll(filepath.Join(root, p), 0o700); err != nil {
			t.Fatal(err)
		}
		return filepath.Join(root, p)
	}
	link := func(target, name string) string {
		t.Helper()
		p := filepath.Join(root, name)
		if err := os.Symlink(target, p); err != nil {
			if runtime.GOOS == "windows" {
				t.Skipf("symbolic links need Developer Mode or an elevated prompt on Windows: %v", err)
			}
			t.Fatal(err)
		}
		return p
	}
	mk("public/x")
	mk("site/files")
	mk("ok")
	link(filepath.Join(root, "public", "x"), "data")           // ./data -> ./public/x
	link(filepath.Join(root, "public", "missing"), "dangling") // to a folder not made yet
	link("public", "rel")                                      // relative link target
	link(filepath.Join(root, "site"), "sitelink")              // link to an app-supplied dir

	cases := []struct {
		name      string
		path      string
		dirs      []string
		publicDir string // "" means allowed
	}{
		{"plain", filepath.Join(root, "public", "devtools.db"), nil, filepath.Join(root, "public")},
		{"nested", filepath.Join(root, "a", "Static", "b", "c", "devtools.db"), nil, filepath.Join(root, "a", "Static")},
		{"each name", filepath.Join(root, "wwwroot", "d.db"), nil, filepath.Join(root, "wwwroot")},
		{"symlinked", filepath.Join(root, "data", "devtools.db"), nil, filepath.Join(root, "public")},
		{"symlinked, not yet existing below", filepath.Join(root, "data", "new", "devtools.db"), nil, filepath.Join(root, "public")},
		{"dangling symlink", filepath.Join(root, "dangling", "devtools.db"), nil, filepath.Join(root, "public")},
		{"relative symlink", filepath.Join(root, "rel", "devtools.db"), nil, filepath.Join(root, "public")},
		{"dot-dot", filepath.Join(root, "ok", "..", "htdocs", "devtools.db"), nil, filepath.Join(root, "htdocs")},
		{"build name outside the working directory", filepath.Join(root, "build", "app", "devtools.db"), nil, ""},
		{"app dir", filepath.Join(root, "site", "files", "devtools.db"), []string{filepath.Join(root, "site")}, filepath.Join(root, "site")},
		{"app dir via symlink", filepath.Join(root, "sitelink", "devtools.db"), []string{filepath.Join(root, "site")}, filepath.Join(root, "site")},
		{"app dir given as symlink", filepath.Join(root, "site", "devtools.db"), []string{filepath.Join(root, "sitelink")}, filepath.Join(root, "site")},
		{"allowed", filepath.Join(root, "ok", ".beignet", "devtools.db"), []string{filepath.Join(root, "site")}, ""},
		{"name inside file name is fine", filepath.Join(root, "ok", "public.db"), nil, ""},
		{"similar name is fine", filepath.Join(root, "publication", "d.db"), nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := Open(c.path, Options{PublicDirs: c.dirs, NoSync: true})
			if c.publicDir == "" {
				if err != nil {
					t.Fatalf("allowed path refused: %v", err)
				}
				closeChecked(t, s)
				return
			}
			if err == nil {
				s.Close()
				t.Fatalf("%s was accepted", c.path)
			}
			var pe *PublicPathError
			if !errors.Is(err, ErrPublicPath) || !errors.As(err, &pe) {
				t.Fatalf("err = %v, want *PublicPathError", err)
			}
			if pe.PublicDir != c.publicDir {
				t.Fatalf("PublicDir = %s, want %s", pe.PublicDir, c.publicDir)
			}
			if !strings.Contains(err.Error(), pe.Path) || !strings.Contains(err.Error(), c.publicDir) {
				t.Fatalf("message does not name the path and the dir: %v", err)
			}
			if _, serr := os.Stat(c.path); serr == nil {
				t.Fatalf("refused path was created")
			}
		})
	}

	t.Run("relative paths", func(t *testing.T) {
		t.Chdir(root)
		for _, p := range []string{"public/devtools.db", "./ok/../static/devtools.db", "data/devtools.db"} {
			if _, err := Open(p, Options{NoSync: true}); !errors.Is(err, ErrPublicPath) {
				t.Errorf("Open(%q) = %v, want ErrPublicPath", p, err)
			}
		}
		if _, err := Open("ok/devtools.db", Options{NoSync: true, PublicDirs: []string{"ok"}}); !errors.Is(err, ErrPublicPath) {
			t.Errorf("relative app dir not refused: %v", err)
		}
		for _, p := range []string{"dist/devtools.db", "web/Build/x/devtools.db", "out/devtools.db", "assets/devtools.db"} {
			_, err := Open(p, Options{NoSync: true})
			var pe *PublicPathError
			if !errors.As(err, &pe) || pe.Suggest != filepath.Join(root, ".beignet", "devtools.db") {
				t.Errorf("Open(%q) = %v, want ErrPublicPath suggesting the default", p, err)
			}
		}
		def, err := DefaultPath()
		if err != nil || def != filepath.Join(root, ".beignet", "devtools.db") {
			t.Fatalf("DefaultPath = %s, %v", def, err)
		}
		s, err := Open(def, Options{})
		if err != nil {
			t.Fatalf("default path refused: %v", err)
		}
		closeChecked(t, s)
	})

	// An app checked out under a folder named build uses the default store.
	t.Run("app under /srv/build", func(t *testing.T) {
		t.Chdir(mk("srv/build/myapp"))
		def, _ := DefaultPath()
		s, err := Open(def, Options{NoSync: true})
		if err != nil {
			t.Fatalf("default store of an app under build/ refused: %v", err)
		}
		closeChecked(t, s)
	})

	// The message never recommends a path the guard refuses.
	t.Run("suggestion", func(t *testing.T) {
		t.Chdir(mk("www/app")) // the default itself is refused here
		for _, c := range []struct{ cache, want string }{
			{filepath.Join(root, "public", "cache"), ""},
			{filepath.Join(root, "cache"), filepath.Join(root, "cache", "beignet-devtools", "devtools.db")},
		} {
			t.Setenv("XDG_CACHE_HOME", c.cache) // os.UserCacheDir on Linux and BSDs
			t.Setenv("LocalAppData", c.cache)   // and on Windows
			_, err := Open(filepath.Join(".beignet", "devtools.db"), Options{NoSync: true})
			var pe *PublicPathError
			if !errors.As(err, &pe) {
				t.Fatalf("default under www/ accepted: %v", err)
			}
			if runtime.GOOS != "darwin" && pe.Suggest != c.want {
				t.Errorf("cache %s: Suggest = %q, want %q", c.cache, pe.Suggest, c.want)
			}
			if pe.Suggest != "" {
				if _, err := CheckPath(pe.Suggest, nil); err != nil {
					t.Errorf("suggested %s is refused: %v", pe.Suggest, err)
				}
				if !strings.Contains(err.Error(), "for example "+pe.Suggest) {
					t.Errorf("message does not carry the suggestion: %v", err)
				}
			} else if strings.Contains(err.Error(), "for example") {
				t.Errorf("message recommends a path although none is accepted: %v", err)
			}
		}
	})
}

func TestPermissions(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix modes; the Windows access-list rule is tested in internal/privfile")
	}
	dir := filepath.Join(t.TempDir(), "new", "folder")
	path := filepath.Join(dir, "devtools.db")
	s, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	closeChecked(t, s)
	for p, want := range map[string]os.FileMode{path: 0o600, dir: 0o700, filepath.Dir(dir): 0o700} {
		fi, err := os.Stat(p)
		if err != nil || fi.Mode().Perm() != want {
			t.Fatalf("%s mode = %v, want %v", p, fi.Mode().Perm(), want)
		}
	}
	for _, mode := range []os.FileMode{0o640, 0o604, 0o660} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		_, err := Open(path, Options{NoSync: true})
		if !errors.Is(err, ErrPermissions) || !strings.Contains(err.Error(), "chmod 600") {
			t.Fatalf("mode %o: err = %v, want ErrPermissions with the fix", mode, err)
		}
		if _, err := Open(path, Options{ReadOnly: true}); !errors.Is(err, ErrPermissions) {
			t.Fatalf("mode %o read-only: err = %v", mode, err)
		}
		fi, _ := os.Stat(path)
		if fi.Mode().Perm() != mode {
			t.Fatalf("the store changed the mode it refused")
		}
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err = Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatalf("after chmod 600: %v", err)
	}
	closeChecked(t, s)
}

func TestLockedFile(t *testing.T) {
	s := openTemp(t, nil)
	for _, ro := range []bool{false, true} {
		start := time.Now()
		_, err := Open(s.Path(), Options{Timeout: 100 * time.Millisecond, ReadOnly: ro})
		if !errors.Is(err, ErrLocked) {
			t.Fatalf("read-only %v: err = %v, want ErrLocked", ro, err)
		}
		if d := time.Since(start); d > 900*time.Millisecond {
			t.Fatalf("ErrLocked took %v", d)
		}
		if !ro && !strings.Contains(err.Error(), "beignet-devtools purge --url") {
			t.Fatalf("message does not say to purge through the app: %v", err)
		}
	}
	// Once the first closes, the file opens again.
	closeChecked(t, s)
	s2, err := Open(s.Path(), Options{Timeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	closeChecked(t, s2)
}

func TestReadOnly(t *testing.T) {
	s := openTemp(t, nil)
	gen := event.NewGenerator(nil)
	evs := appendN(t, s, gen, t0, 5, event.KindRequest, "r")
	path := s.Path()
	closeChecked(t, s)
	before, _ := os.ReadFile(path)

	ro, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer closeChecked(t, ro)
	// Readers share the lock.
	ro2, err := Open(path, Options{ReadOnly: true, Timeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatalf("second reader: %v", err)
	}
	closeChecked(t, ro2)
	if c, err := ro.Correlated("r"); err != nil || len(c) != 5 {
		t.Fatalf("Correlated read-only = %d, %v", len(c), err)
	}
	if err := ro.Append(evs[0]); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("Append read-only: %v", err)
	}
	if _, err := ro.Purge(time.Time{}); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("Purge read-only: %v", err)
	}
	if _, err := ro.trim(0); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("Trim read-only: %v", err)
	}
	if err := ro.CompactInPlace(); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("CompactInPlace read-only: %v", err)
	}
	if _, err := Open(filepath.Join(t.TempDir(), "none.db"), Options{ReadOnly: true}); err == nil || !os.IsNotExist(errors.Unwrap(err)) && !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("missing file read-only: %v", err)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Fatal("read-only open changed the file")
	}
}

func TestNewerSchemaRefusedAndUntouched(t *testing.T) {
	s := openTemp(t, nil)
	appendN(t, s, event.NewGenerator(nil), t0, 3, event.KindLog, "")
	path := s.Path()
	closeChecked(t, s)
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(keySchema, []byte("2")) }); err != nil {
		t.Fatal(err)
	}
	db.Close()
	before, _ := os.ReadFile(path)
	for _, ro := range []bool{false, true} {
		_, err := Open(path, Options{ReadOnly: ro})
		if !errors.Is(err, ErrNewerSchema) || !strings.Contains(err.Error(), "schema 2") {
			t.Fatalf("read-only %v: err = %v, want ErrNewerSchema", ro, err)
		}
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Fatal("a newer-schema file was rewritten")
	}
}

func writeFile(t *testing.T, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "devtools.db")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestGarbageFile(t *testing.T) {
	random := make([]byte, 64<<10)
	rand.Read(random)
	for name, b := range map[string][]byte{
		"random":  random,
		"text":    []byte("hello, this is not a database\n"),
		"one nul": {0},
	} {
		path := writeFile(t, b)
		for _, ro := range []bool{false, true} {
			_, err := Open(path, Options{ReadOnly: ro})
			if !errors.Is(err, ErrNotDatabase) {
				t.Fatalf("%s read-only %v: err = %v, want ErrNotDatabase", name, ro, err)
			}
		}
		if after, _ := os.ReadFile(path); !bytes.Equal(after, b) {
			t.Fatalf("%s: garbage file was modified", name)
		}
	}
	// A bbolt file that belongs to something else.
	path := filepath.Join(t.TempDir(), "other.db")
	db, _ := bolt.Open(path, 0o600, nil)
	db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("theirs")); return err })
	db.Close()
	if _, err := Open(path, Options{}); !errors.Is(err, ErrNotDatabase) {
		t.Fatalf("foreign bbolt file: %v", err)
	}
}

func TestTruncatedFile(t *testing.T) {
	s := openTemp(t, nil)
	appendN(t, s, event.NewGenerator(nil), t0, 500, event.KindRequest, "r")
	_, used := s.freeSpace() // the file may be longer than its pages (grown ahead)
	path := s.Path()
	closeChecked(t, s)
	full, _ := os.ReadFile(path)
	for _, n := range []int{int(used) - 4096, int(used) / 2, 3 * 4096, 4096 + 100, 100} {
		p := writeFile(t, full[:n])
		for _, ro := range []bool{false, true} {
			_, err := Open(p, Options{ReadOnly: ro})
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "truncated") {
				t.Fatalf("cut at %d read-only %v: err = %v, want ErrCorrupt (truncated)", n, ro, err)
			}
		}
	}
}

func TestCorruptRecordSkipped(t *testing.T) {
	s := openTemp(t, nil)
	clock := newClock(t0)
	gen := event.NewGenerator(clock.Now)
	evs := appendN(t, s, gen, t0, 5, event.KindRequest, "r")
	bad := gen.New()
	good := appendN(t, s, gen, t0, 2, event.KindLog, "r")
	if err := s.update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketEvents).Put(bad[:], []byte(`{"v":1,"id":"`+bad.String()+`","kind":"req`))
	}); err != nil {
		t.Fatal(err)
	}
	// and one that peeks fine but does not decode
	bad2 := gen.New()
	s.update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketEvents).Put(bad2[:], []byte(`{"v":1,"kind":"log","time":"yesterday"}`))
	})
	page, err := s.List(Query{})
	if err != nil || len(page.Events) != 7 || page.Skipped != 2 {
		t.Fatalf("List = %d events, %d skipped, %v", len(page.Events), page.Skipped, err)
	}
	page, _ = s.List(Query{Kinds: []event.Kind{event.KindLog}})
	if len(page.Events) != 2 || page.Skipped != 2 {
		t.Fatalf("List by kind = %d events, %d skipped", len(page.Events), page.Skipped)
	}
	if _, err := s.Get(bad); !errors.Is(err, ErrCorrupt) || strings.Contains(err.Error(), `"kind"`) {
		t.Fatalf("Get corrupt = %v", err)
	}
	since, err := s.Since(evs[4].ID, 10)
	if err != nil || len(since) != 2 || since[0].ID != good[0].ID {
		t.Fatalf("Since across a corrupt record = %d, %v", len(since), err)
	}
	st, _ := s.Stats()
	if st.Skipped != 1 || st.Count != 8 {
		t.Fatalf("Stats skipped %d count %d", st.Skipped, st.Count)
	}
	if c, _ := s.Correlated("r"); len(c) != 7 {
		t.Fatalf("Correlated = %d", len(c))
	}
	n, err := s.Purge(time.Time{})
	if err != nil || n != 9 {
		t.Fatalf("Purge all = %d, %v", n, err)
	}
	if p := indexProblems(t, s); len(p) > 0 {
		t.Fatal(p)
	}
}

func TestDamagedPagesGiveErrorsNotCrashes(t *testing.T) {
	s := openTemp(t, nil)
	gen := event.NewGenerator(nil)
	for i := 0; i < 4; i++ {
		appendN(t, s, gen, t0, 500, event.KindRequest, fmt.Sprint("r", i))
	}
	path := s.Path()
	closeChecked(t, s)
	full, _ := os.ReadFile(path)
	for seed := uint64(1); seed <= 6; seed++ {
		b := bytes.Clone(full)
		rnd := mrand.New(mrand.NewPCG(seed, 7))
		// Scribble over a few whole pages past the meta pages.
		for n := 0; n < 4; n++ {
			pg := 2 + rnd.IntN(len(b)/4096-2)
			for i := pg * 4096; i < (pg+1)*4096; i++ {
				b[i] = byte(rnd.Uint32())
			}
		}
		p := writeFile(t, b)
		ds, err := Open(p, Options{ReadOnly: true})
		if err != nil {
			continue // refused cleanly
		}
		// None of these may crash; errors are fine.
		_, _ = ds.List(Query{Limit: 1000})
		_, _ = ds.Stats()
		_, _ = ds.Correlated("r3")
		_, _, _ = ds.SinceEncoded(event.ID{}, 5000)
		if err := ds.Check(); err == nil {
			t.Logf("seed %d: damage not detected by Check (free pages?)", seed)
		} else if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("Check error not ErrCorrupt: %v", err)
		}
		ds.Close()
	}
}
