package faults_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/beignet/devtools/demo/app"
	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/store"
	"github.com/beignet/devtools/tui"
)

// badStore is a store file broken in one way, and what every consumer of it
// must say.
type badStore struct {
	name string
	make func(t *testing.T, path string) (cleanup func())
	want error  // the store error behind every message
	hint string // what the message tells the user to do
}

func badStores() []badStore {
	return []badStore{
		{"garbage", func(t *testing.T, path string) func() {
			junk := make([]byte, 64<<10)
			_, _ = rand.Read(junk)
			writeFile(t, path, junk)
			return func() {}
		}, store.ErrNotDatabase, "move it aside"},
		{"truncated", func(t *testing.T, path string) func() {
			s, err := store.Open(path, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			gen := event.NewGenerator(nil)
			var evs []event.Event
			for i := 0; i < 2000; i++ {
				evs = append(evs, event.Event{V: 1, ID: gen.New(), Time: time.Now().UTC(), Kind: event.KindLog, Message: strings.Repeat("m", 200)})
			}
			if err := s.Append(evs...); err != nil {
				t.Fatal(err)
			}
			s.Close()
			b, _ := os.ReadFile(path)
			writeFile(t, path, b[:5*4096+100]) // into the data pages
			return func() {}
		}, store.ErrCorrupt, "move it aside"},
		{"locked", func(t *testing.T, path string) func() {
			s, err := store.Open(path, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			return func() { s.Close() }
		}, store.ErrLocked, "--url"},
	}
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestBadStoreFileConsoleAndPurge: the console's offline source, `purge --db`
// and `tail --db` each refuse a garbage, truncated or locked file with the
// store's own error and a hint of what to do, and leave the file as it was.
func TestBadStoreFileConsoleAndPurge(t *testing.T) {
	bin := cliBinary(t)
	for _, bs := range badStores() {
		t.Run(bs.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "devtools.db")
			cleanup := bs.make(t, path)
			defer cleanup()
			before, _ := os.ReadFile(path)

			_, err := tui.NewOfflineSource(path)
			if !errors.Is(err, bs.want) {
				t.Fatalf("console offline source: %v, want %v", err, bs.want)
			}
			if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), bs.hint) {
				t.Errorf("console error does not name the file and say what to do (%q): %v", bs.hint, err)
			}
			for _, args := range [][]string{
				{"purge", "--db", path, "--older-than", "1h"},
				{"tail", "--db", path},
			} {
				cmd := exec.Command(bin, args...)
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				err := cmd.Run()
				var exit *exec.ExitError
				if !errors.As(err, &exit) || exit.ExitCode() == 0 {
					t.Fatalf("%s: exit %v, want a non-zero exit", args[0], err)
				}
				msg := stderr.String()
				if !strings.Contains(msg, bs.want.Error()) || !strings.Contains(msg, bs.hint) {
					t.Errorf("%s: stderr %q lacks %q and the hint %q", args[0], msg, bs.want, bs.hint)
				}
			}
			after, _ := os.ReadFile(path)
			if !bytes.Equal(before, after) {
				t.Fatal("a refused store file was changed")
			}
		})
	}
}

// TestBadStoreFileAppKeepsServing: an app whose store file is garbage,
// truncated or locked still starts and serves its requests; devtools run
// degraded (live only), the recorder says why in its stats, and the file is
// left as it was.
func TestBadStoreFileAppKeepsServing(t *testing.T) {
	for _, bs := range badStores() {
		t.Run(bs.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "devtools.db")
			cleanup := bs.make(t, path)
			defer cleanup()
			before, _ := os.ReadFile(path)

			srv, err := app.Start(app.Options{StorePath: path, SlowDelay: time.Millisecond, StoreOptions: store.Options{Timeout: 50 * time.Millisecond}}, "127.0.0.1:0")
			if err != nil {
				t.Fatalf("the app refused to start over a %s store file: %v", bs.name, err)
			}
			defer srv.Shutdown(context.Background())
			if code := get(http.DefaultClient, srv.URL+"/healthz"); code != http.StatusOK {
				t.Fatalf("app answered %d", code)
			}
			st := srv.App.Recorder().Stats()
			if st.StoreError == "" || !strings.Contains(st.StoreError, bs.want.Error()) {
				t.Fatalf("recorder stats do not report the store failure: %+v", st)
			}
			after, _ := os.ReadFile(path)
			if !bytes.Equal(before, after) {
				t.Fatal("the app changed a store file it could not open")
			}
		})
	}
}
