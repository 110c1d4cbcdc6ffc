package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/internal/testutil"
	"github.com/beignet/devtools/recorder"
)

// fleetInstance is one app instance of a staging fleet: a recorder named
// notes-N behind a Bearer token, its devtools route on a loopback server.
type fleetInstance struct {
	name string
	rec  *recorder.Recorder
	srv  *httptest.Server
	once sync.Once
}

func (f *fleetInstance) stop() {
	f.once.Do(func() {
		f.srv.CloseClientConnections()
		f.srv.Close()
		_ = f.rec.Close(context.Background())
	})
}

// TestFleetConsoleInTmux runs the built console over three instances
// (`console --url A --url B --url C`) in tmux: rows from every instance
// merge into one list with their instance named, `instance:notes-2`
// filters to one, and when notes-2 stops the status bar says which
// instance is reconnecting while the other two keep streaming.
func TestFleetConsoleInTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the command")
	}
	bin := buildCommand(t)
	const token = "fleet-e2e-token-0123456789abcdef0123456789"
	auth, err := recorder.TokenAuth(token)
	if err != nil {
		t.Fatal(err)
	}
	on := true
	var fleet []*fleetInstance
	for i := 1; i <= 3; i++ {
		rec, err := recorder.New(recorder.Config{App: "notes", Instance: fmt.Sprintf("notes-%d", i), Env: "staging", Enabled: &on,
			StorePath: filepath.Join(t.TempDir(), "devtools.db")})
		if err != nil {
			t.Fatal(err)
		}
		h, err := rec.Handler(recorder.HandlerOptions{Authorize: auth})
		if err != nil {
			t.Fatal(err)
		}
		mux := http.NewServeMux()
		mux.Handle("/api/devtools/", h)
		in := &fleetInstance{name: fmt.Sprintf("notes-%d", i), rec: rec, srv: httptest.NewServer(mux)}
		fleet = append(fleet, in)
		t.Cleanup(in.stop)
	}

	// Each live instance records a numbered tick every 100 ms.
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	var mu sync.Mutex
	stopped := map[string]bool{}
	wg.Add(1)
	go func() {
		defer wg.Done()
		tk := time.NewTicker(100 * time.Millisecond)
		defer tk.Stop()
		for n := 0; ; n++ {
			mu.Lock()
			for _, in := range fleet {
				if !stopped[in.name] {
					in.rec.Event(ctx, event.KindCustom, fmt.Sprintf("tick.%d", n), nil)
				}
			}
			mu.Unlock()
			select {
			case <-ctx.Done():
				return
			case <-tk.C:
			}
		}
	}()

	tokFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokFile, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	script := shellQuote(bin) + " console"
	for _, in := range fleet {
		script += " --url " + shellQuote(in.srv.URL)
	}
	script += " --token-file " + shellQuote(tokFile) + "; echo \"console exited with $?\"; sleep 60"
	tm := testutil.StartTmux(t, "fleet", 140, 30, script)
	tm.Forbid = token

	// rows returns, per instance, the tick numbers on screen.
	tickRow := regexp.MustCompile(`(notes-\d)\s+CUSTOM\s+.*?tick\.(\d+)`)
	rows := func(s string) map[string][]int {
		out := map[string][]int{}
		for _, m := range tickRow.FindAllStringSubmatch(s, -1) {
			var n int
			fmt.Sscan(m[2], &n)
			out[m[1]] = append(out[m[1]], n)
		}
		return out
	}
	host := func(in *fleetInstance) string { return strings.TrimPrefix(in.srv.URL, "http://") }

	screen := tm.WaitFor(60*time.Second, "rows from every instance, all live", func(s string) bool {
		r := rows(s)
		return len(r["notes-1"]) > 0 && len(r["notes-2"]) > 0 && len(r["notes-3"]) > 0 &&
			strings.Contains(s, "● "+host(fleet[0])) && strings.Contains(s, "● "+host(fleet[1])) && strings.Contains(s, "● "+host(fleet[2]))
	})
	if !strings.Contains(screen, "INSTANCE") {
		t.Fatalf("no INSTANCE column:\n%s", screen)
	}

	// The instance: filter keeps one instance's rows.
	tm.Keys("/")
	tm.Type("instance:notes-2")
	tm.Keys("Enter")
	tm.WaitFor(30*time.Second, "only notes-2 rows", func(s string) bool {
		r := rows(s)
		return strings.Contains(s, "filter instance:notes-2") && len(r["notes-2"]) > 3 && len(r["notes-1"]) == 0 && len(r["notes-3"]) == 0
	})
	// Cleared again (the prompt opens on the current filter).
	tm.Keys("/", "C-u", "Enter")
	tm.WaitFor(30*time.Second, "every instance again", func(s string) bool {
		r := rows(s)
		return !strings.Contains(s, "filter instance:") && len(r["notes-1"]) > 0 && len(r["notes-2"]) > 0 && len(r["notes-3"]) > 0
	})

	// notes-2 goes away: the status bar names it, the others stream on.
	mu.Lock()
	stopped["notes-2"] = true
	mu.Unlock()
	fleet[1].stop()
	last := 0
	for _, n := range rows(tm.Capture())["notes-1"] {
		last = max(last, n)
	}
	screen = tm.WaitFor(60*time.Second, "notes-2 reconnecting while notes-1 and notes-3 stream", func(s string) bool {
		r := rows(s)
		newer := func(inst string) bool {
			for _, n := range r[inst] {
				if n > last+5 {
					return true
				}
			}
			return false
		}
		return strings.Contains(s, "↻ "+host(fleet[1])) && strings.Contains(s, "● "+host(fleet[0])) &&
			strings.Contains(s, "● "+host(fleet[2])) && newer("notes-1") && newer("notes-3")
	})
	if !strings.Contains(screen, host(fleet[1])+": connection lost") {
		t.Errorf("the notice does not name the lost instance:\n%s", screen)
	}
	tm.Keys("q")
	tm.WaitFor(30*time.Second, "the console to exit", func(s string) bool { return strings.Contains(s, "console exited with 0") })
}
