package main

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestDemoConsoleInTmux runs the README's main command the way a new user
// does, `beignet-devtools demo` in a terminal (tmux), and checks the first
// screen: the console connects, events stream in with secrets shown as
// [REDACTED], and q stops the console, the app and the traffic with exit 0.
func TestDemoConsoleInTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the command")
	}
	tmux, err := exec.LookPath("tmux")
	if err != nil {
		t.Skip("tmux is not installed (.ci/run installs it)")
	}
	bin := buildCommand(t)
	sock := "beignet-demo-" + strconv.Itoa(os.Getpid())
	tm := func(args ...string) string {
		out, _ := exec.Command(tmux, append([]string{"-L", sock, "-f", "/dev/null"}, args...)...).CombinedOutput()
		return string(out)
	}
	script := "'" + bin + "' demo --rate 40; echo \"demo exited with $?\"; sleep 30"
	if out, err := exec.Command(tmux, "-L", sock, "-f", "/dev/null", "new-session", "-d", "-s", "demo", "-x", "120", "-y", "36", script).CombinedOutput(); err != nil {
		t.Fatalf("tmux: %v\n%s", err, out)
	}
	t.Cleanup(func() { tm("kill-server") })

	waitFor := func(what string, cond func(string) bool) string {
		t.Helper()
		deadline := time.Now().Add(90 * time.Second)
		s := ""
		for time.Now().Before(deadline) {
			s = tm("capture-pane", "-p", "-t", "demo")
			if cond(s) {
				return s
			}
			time.Sleep(150 * time.Millisecond)
		}
		t.Fatalf("timed out waiting for %s; screen:\n%s", what, s)
		return s
	}
	screen := waitFor("live events", func(s string) bool {
		return strings.Contains(s, "live") && strings.Contains(s, "REQ") && strings.Contains(s, "[REDACTED]") &&
			strings.Contains(s, "AUDIT") && strings.Contains(s, "notes-demo")
	})
	if !strings.Contains(screen, "/api/devtools/ws") {
		t.Errorf("status bar does not name the route:\n%s", screen)
	}
	tm("send-keys", "-t", "demo", "q")
	screen = waitFor("the demo to exit", func(s string) bool { return strings.Contains(s, "demo exited with") })
	if !strings.Contains(screen, "demo exited with 0") || !strings.Contains(screen, "demo: stopped after") ||
		!strings.Contains(screen, "the store was removed") {
		t.Fatalf("demo did not stop cleanly:\n%s", screen)
	}
}
