package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/beignet/devtools/store"
)

// TestDemoBadDB: demo --db on a file that is not a store, or that another
// process holds, exits 1 with the store's error instead of running live
// only, and leaves the file as it was.
func TestDemoBadDB(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.db")
	if err := os.WriteFile(garbage, bytes.Repeat([]byte("not a bbolt file "), 1000), 0o600); err != nil {
		t.Fatal(err)
	}
	locked := filepath.Join(dir, "locked.db")
	holder, err := store.Open(locked, &store.Options{NoSync: true, MaxSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()

	for _, c := range []struct {
		path, want string
	}{
		{garbage, "not a devtools store"},
		{locked, "locked"},
	} {
		name := filepath.Base(c.path)
		old := time.Now().Add(-time.Hour).Truncate(time.Second)
		if err := os.Chtimes(c.path, old, old); err != nil {
			t.Fatal(err)
		}
		before, err := os.ReadFile(c.path)
		if err != nil {
			t.Fatal(err)
		}
		fi, _ := os.Stat(c.path)
		r := run(t, nil, "demo", "--headless", "--rate", "0", "--db", c.path)
		if r.code != ExitFailure || !strings.Contains(r.stderr, "demo: ") || !strings.Contains(strings.ToLower(r.stderr), c.want) {
			t.Errorf("%s: exit %d, stderr %q; want exit 1 with %q", name, r.code, r.stderr, c.want)
		}
		if strings.Contains(r.stdout, "url=") || strings.Contains(r.stderr, "kept at") {
			t.Errorf("%s: the demo ran anyway: %q %q", name, r.stdout, r.stderr)
		}
		after, err := os.ReadFile(c.path)
		if err != nil {
			t.Fatal(err)
		}
		fi2, _ := os.Stat(c.path)
		if !bytes.Equal(before, after) || !fi2.ModTime().Equal(fi.ModTime()) || fi2.Mode() != fi.Mode() {
			t.Errorf("%s: the file changed (%d -> %d bytes, %v -> %v, %v -> %v)", name, len(before), len(after), fi.ModTime(), fi2.ModTime(), fi.Mode(), fi2.Mode())
		}
	}
}
