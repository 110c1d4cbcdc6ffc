package privfile_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/beignet/devtools/internal/privfile"
)

// TestCreateIsPrivate creates a folder chain and a file on this platform
// and checks them with the same rule the store and doctor apply.
func TestCreateIsPrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	if err := privfile.MkdirAll(dir); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "devtools.db")
	if err := privfile.Create(file); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte("kept"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := privfile.Create(file); err != nil { // exists: left alone
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(file); string(b) != "kept" {
		t.Fatalf("Create changed an existing file: %q", b)
	}
	for _, p := range []string{file, dir, filepath.Dir(dir)} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		prob, err := privfile.Check(p, fi)
		if err != nil {
			t.Fatal(err)
		}
		if prob != nil {
			t.Errorf("%s is not private: %s; fix: %s", p, prob.Detail, prob.Fix)
		}
	}
	if err := privfile.MkdirAll(dir); err != nil { // exists: fine
		t.Fatal(err)
	}
}
