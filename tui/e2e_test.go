package tui

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/beignet/devtools/internal/testutil"
)

// TestTmuxEndToEnd runs the real binary: `beignet-devtools demo --headless`
// (the demo app with its recorder and traffic on loopback) and
// `beignet-devtools console --url` inside a detached tmux session, types keys
// with send-keys and reads the screen with capture-pane: events appear, a
// filter narrows them, a detail opens and a redacted header shows as
// [REDACTED], and q quits cleanly.
func TestTmuxEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test skipped in -short mode")
	}
	if runtime.GOOS == "windows" {
		t.Skip("tmux does not run on Windows: the console end-to-end tests run on Linux and macOS")
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed: the console end-to-end test needs it (.ci/run installs it)")
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "cmd", "beignet-devtools", "main.go")); err != nil {
		t.Skip("cmd/beignet-devtools is missing: the end-to-end test needs the CLI binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "beignet-devtools")
	build := exec.Command("go", "build", "-o", bin, "./cmd/beignet-devtools")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/beignet-devtools: %v\n%s", err, out)
	}

	// The demo app: recorder, devtools route with a token, traffic.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	demo := exec.CommandContext(ctx, bin, "demo", "--headless", "--rate", "20", "--db", filepath.Join(dir, "store", "devtools.db"))
	demo.Cancel = func() error { return demo.Process.Signal(os.Interrupt) }
	demo.WaitDelay = 15 * time.Second
	stdout, err := demo.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr testutil.Buffer
	demo.Stderr = &stderr
	if err := demo.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = demo.Wait()
	})
	vals := map[string]string{}
	sc := bufio.NewScanner(stdout)
	for (vals["url"] == "" || vals["token"] == "") && sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			vals[k] = v
		}
	}
	url, token := vals["url"], vals["token"]
	if url == "" || token == "" {
		t.Fatalf("demo --headless did not print url= and token= lines; stderr:\n%s", stderr.String())
	}
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("demo URL %q is not loopback", url)
	}
	go func() { // keep draining stdout so the demo never blocks on it
		for sc.Scan() {
		}
	}()

	console := "BEIGNET_DEVTOOLS_TOKEN=" + shellQuote(token) + " " + shellQuote(bin) + " console --url " + shellQuote(url) +
		"; echo \"console exited with $?\"; sleep 60"
	tm := testutil.StartTmux(t, "e2e", 120, 40, console)
	tm.Forbid = token
	tm.Diagnostics = func() string { return "demo stderr:\n" + stderr.String() }
	capture := tm.Capture
	waitFor := func(what string, cond func(screen string) bool) string {
		t.Helper()
		return tm.WaitFor(30*time.Second, what, cond)
	}
	keys := tm.Keys
	typeText := tm.Type
	rows := func(screen string) []string {
		lines := strings.Split(screen, "\n")
		var out []string
		in := false
		for _, l := range lines {
			switch {
			case strings.Contains(l, "PATH / TARGET"):
				in = true
			case strings.Contains(l, "ev/s"):
				in = false
			case in && strings.TrimSpace(l) != "":
				out = append(out, l)
			}
		}
		return out
	}
	badge := regexp.MustCompile(`^.\d\d:\d\d:\d\d\.\d{3}\s+(\S+)`)

	// 1. Events stream in.
	waitFor("live events", func(s string) bool {
		if !strings.Contains(s, "● live") {
			return false
		}
		kinds := map[string]bool{}
		for _, r := range rows(s) {
			if m := badge.FindStringSubmatch(r); m != nil {
				kinds[m[1]] = true
			}
		}
		return kinds["REQ"] && len(kinds) >= 2
	})

	// 2. A filter narrows the list to requests.
	keys("/")
	typeText("kind:request method:GET")
	keys("Enter")
	waitFor("the filter to apply", func(s string) bool {
		if !strings.Contains(s, "filter kind:request method:GET") {
			return false
		}
		n := 0
		for _, r := range rows(s) {
			m := badge.FindStringSubmatch(r)
			if m == nil {
				continue
			}
			if m[1] != "REQ" || !strings.Contains(r, " GET ") {
				return false
			}
			n++
		}
		return n > 0
	})

	// 3. A detail opens; some GET request carries a redacted credential
	// header (a session cookie or a bearer token) shown as [REDACTED].
	redactedHeader := regexp.MustCompile(`(?mi)^(authorization|cookie): .*\[REDACTED`)
	found := false
	for try := 0; try < 15 && !found; try++ {
		keys("Enter")
		waitFor("the detail pane", func(s string) bool { return strings.Contains(s, "Overview") && strings.Contains(s, "Timeline") })
		activeTab := regexp.MustCompile(`\[(Overview|Request|Response|Timeline|Raw)\]`)
		s := waitFor("a tab", func(s string) bool { return activeTab.MatchString(s) })
		for i := 0; i < 5 && activeTab.FindStringSubmatch(s)[1] != "Request"; i++ {
			cur := activeTab.FindStringSubmatch(s)[1]
			keys("Tab")
			s = waitFor("the next tab", func(s string) bool {
				m := activeTab.FindStringSubmatch(s)
				return m != nil && m[1] != cur
			})
		}
		s = waitFor("the request tab", func(s string) bool {
			return strings.Contains(s, "[Request]") && (strings.Contains(s, "Request headers") || strings.Contains(s, "no HTTP exchange"))
		})
		found = redactedHeader.MatchString(s)
		if os.Getenv("E2E_DEBUG") != "" {
			t.Logf("request tab:\n%s", s)
		}
		keys("Escape")
		waitFor("the list", func(s string) bool { return strings.Contains(s, "PATH / TARGET") })
		keys("k")
	}
	if !found {
		t.Fatalf("no GET request showed a redacted Authorization or Cookie header; screen:\n%s", capture())
	}

	// 4. q quits with status 0.
	keys("q")
	waitFor("the console to exit", func(s string) bool { return strings.Contains(s, "console exited with 0") })
}
