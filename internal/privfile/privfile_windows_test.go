//go:build windows

package privfile_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/beignet/devtools/internal/privfile"
)

// TestCheckAccessListAndFix widens a private file's access list with
// icacls (Everyone: read), checks that the rule names Everyone, then runs
// the suggested fix and checks the file is private again.
func TestCheckAccessListAndFix(t *testing.T) {
	if _, err := exec.LookPath("icacls"); err != nil {
		t.Skip("icacls is not on PATH")
	}
	file := filepath.Join(t.TempDir(), "devtools.db")
	if err := privfile.Create(file); err != nil {
		t.Fatal(err)
	}
	check := func() *privfile.Problem {
		t.Helper()
		fi, err := os.Stat(file)
		if err != nil {
			t.Fatal(err)
		}
		p, err := privfile.Check(file, fi)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	if p := check(); p != nil {
		t.Fatalf("a file Create made is not private: %+v", p)
	}
	if out, err := exec.Command("icacls", file, "/grant", "*S-1-1-0:R").CombinedOutput(); err != nil {
		t.Fatalf("icacls /grant: %v\n%s", err, out)
	}
	p := check()
	if p == nil || !strings.Contains(p.Detail, "read") || !strings.HasPrefix(p.Fix, "icacls ") {
		t.Fatalf("Everyone: read not flagged: %+v", p)
	}
	// The fix is a command line as a user would paste it: hand it to cmd
	// verbatim rather than through Go's argument quoting.
	fix := exec.Command("cmd")
	fix.SysProcAttr = &syscall.SysProcAttr{CmdLine: "cmd /c " + p.Fix}
	if out, err := fix.CombinedOutput(); err != nil {
		t.Fatalf("the suggested fix failed: %s: %v\n%s", p.Fix, err, out)
	}
	if p := check(); p != nil {
		t.Fatalf("still not private after the suggested fix: %+v", p)
	}
}
