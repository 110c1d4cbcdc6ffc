package faults_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/beignet/devtools/demo/app"
	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/internal/testutil"
	"github.com/beignet/devtools/recorder"
)

// smallDisk mounts a tmpfs of the given size for the test, or skips saying
// why it cannot.
func smallDisk(t *testing.T, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a small tmpfs needs root (CI runs as root)")
	}
	dir := filepath.Join(t.TempDir(), "disk")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0700", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v: %s)", err, bytes.TrimSpace(out))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

func remount(t *testing.T, dir, mode string) {
	t.Helper()
	if out, err := exec.Command("mount", "-o", "remount,"+mode, dir).CombinedOutput(); err != nil {
		t.Fatalf("remount %s %s: %v: %s", dir, mode, err, out)
	}
}

// fill writes a filler file until the disk is full and returns its path.
func fill(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "filler")
	f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				return p
			}
			t.Fatalf("filling the disk: %v", err)
		}
	}
}

// diskApp starts the demo app with its store on dir, logging to a buffer.
func diskApp(t *testing.T, dir string) (*app.Server, *testutil.Buffer) {
	t.Helper()
	logs := &testutil.Buffer{}
	srv, err := app.Start(app.Options{
		StorePath: filepath.Join(dir, "devtools.db"),
		SlowDelay: time.Millisecond,
		Logger:    slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo})),
	}, "127.0.0.1:0")
	if err != nil {
		t.Fatalf("app over a failing disk: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	return srv, logs
}

// record pushes n 4 KiB custom events through the app's recorder and checks
// that the app answers requests meanwhile.
func record(t *testing.T, srv *app.Server, n int) {
	t.Helper()
	rec := srv.App.Recorder()
	pad := strings.Repeat("d", 4096)
	for i := 0; i < n; i++ {
		rec.Event(context.Background(), event.KindCustom, "disk", map[string]any{"pad": pad})
	}
	if code := get(http.DefaultClient, srv.URL+"/healthz"); code != http.StatusOK {
		t.Fatalf("app answered %d while its disk failed", code)
	}
	if err := rec.Flush(context.Background()); err != nil {
		t.Logf("flush: %v", err)
	}
}

func recorded(srv *app.Server) recorder.Stats { return srv.App.Recorder().Stats() }

// TestDiskFullMidRun fills the store's disk while the app runs: requests keep
// being served, the recorder counts the failed writes and logs one line, and
// once space returns it records again.
func TestDiskFullMidRun(t *testing.T) {
	dir := smallDisk(t, "16m")
	srv, logs := diskApp(t, dir)
	record(t, srv, 100)
	if st := recorded(srv); st.Recorded < 100 || st.StoreErrors != 0 {
		t.Fatalf("before the disk filled: %+v", st)
	}
	filler := fill(t, dir)
	testutil.WaitFor(t, time.Minute, "a failed store write", func() bool {
		record(t, srv, 200)
		return recorded(srv).StoreErrors > 0
	})
	if !strings.Contains(logs.String(), "store write failed") {
		t.Fatalf("no log line about the failed store write:\n%s", logs.String())
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	failed := recorded(srv).Recorded
	testutil.WaitFor(t, time.Minute, "store writes to recover", func() bool {
		record(t, srv, 20)
		return recorded(srv).Recorded > failed
	})
	if !strings.Contains(logs.String(), "recovered") {
		t.Fatalf("no log line about the recovery:\n%s", logs.String())
	}
	if err := srv.App.Recorder().Store().Check(); err != nil {
		t.Fatalf("store check after the disk filled and emptied: %v", err)
	}
}

// A read-only filesystem mid-run is not tested: Linux refuses to remount a
// filesystem read-only while a file on it is open for writing (EBUSY), and the
// store holds its file open, so the case cannot arise that way; a disk that
// fills up mid-run (above) is the failure that does.

// TestFullAndReadOnlyDiskAtStart starts the app over a full, then a
// read-only, disk: it serves requests with devtools degraded, reports why,
// and starts recording once the disk is usable.
func TestFullAndReadOnlyDiskAtStart(t *testing.T) {
	for _, mode := range []string{"full", "read-only"} {
		t.Run(mode, func(t *testing.T) {
			dir := smallDisk(t, "16m")
			var filler string
			if mode == "full" {
				filler = fill(t, dir)
			} else {
				remount(t, dir, "ro")
			}
			srv, _ := diskApp(t, dir)
			record(t, srv, 10)
			if st := recorded(srv); st.StoreError == "" || st.Recorded != 0 {
				t.Fatalf("over a %s disk the recorder should report a store error and record nothing: %+v", mode, st)
			}
			if mode == "full" {
				if err := os.Remove(filler); err != nil {
					t.Fatal(err)
				}
			} else {
				remount(t, dir, "rw")
			}
			testutil.WaitFor(t, time.Minute, "the store to open once the disk is usable", func() bool {
				record(t, srv, 5)
				st := recorded(srv)
				return st.Recorded > 0 && st.StoreError == ""
			})
		})
	}
}
