//go:build unix

package privfile_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/beignet/devtools/internal/privfile"
)

func TestCheckOpenMode(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "devtools.db")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(file, 0o644); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(file)
	p, err := privfile.Check(file, fi)
	if err != nil {
		t.Fatal(err)
	}
	if p == nil || p.Detail != "has mode 0644" || !strings.HasPrefix(p.Fix, "chmod 600 ") || p.Dir {
		t.Fatalf("problem = %+v", p)
	}
}
