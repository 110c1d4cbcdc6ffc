package tui

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
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
	tmux, err := exec.LookPath("tmux")
	if err != nil {
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
	var stderr strings.Builder
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

	sock := "beignet-e2e-" + strconv.Itoa(os.Getpid())
	tm := func(args ...string) (string, error) {
		cmd := exec.Command(tmux, append([]string{"-L", sock, "-f", "/dev/null"}, args...)...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	console := "BEIGNET_DEVTOOLS_TOKEN=" + shellQuote(token) + " " + shellQuote(bin) + " console --url " + shellQuote(url) +
		"; echo \"console exited with $?\"; sleep 60"
	if out, err := tm("new-session", "-d", "-s", "e2e", "-x", "120", "-y", "40", console); err != nil {
		t.Fatalf("tmux new-session: %v\n%s", err, out)
	}
	t.Cleanup(func() { _, _ = tm("kill-server") })

	capture := func() string {
		out, _ := tm("capture-pane", "-p", "-t", "e2e")
		return out
	}
	waitFor := func(what string, cond func(screen string) bool) string {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		var s string
		for time.Now().Before(deadline) {
			s = capture()
			if strings.Contains(s, token) {
				t.Fatalf("the token is on screen:\n%s", s)
			}
			if cond(s) {
				return s
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatalf("timed out waiting for %s; screen:\n%s\ndemo stderr:\n%s", what, s, stderr.String())
		return ""
	}
	keys := func(k ...string) {
		t.Helper()
		if out, err := tm(append([]string{"send-keys", "-t", "e2e"}, k...)...); err != nil {
			t.Fatalf("send-keys %q: %v\n%s", k, err, out)
		}
	}
	typeText := func(s string) {
		t.Helper()
		if out, err := tm("send-keys", "-t", "e2e", "-l", s); err != nil {
			t.Fatalf("send-keys -l: %v\n%s", err, out)
		}
	}
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
