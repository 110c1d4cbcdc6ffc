package main

import (
	"strings"
	"testing"
	"time"

	"github.com/beignet/devtools/internal/testutil"
)

// TestDemoConsoleInTmux runs the README's main command the way a new user
// does, `beignet-devtools demo` in a terminal (tmux), and checks the first
// screen: the console connects, events stream in with secrets shown as
// [REDACTED], and q stops the console, the app and the traffic with exit 0.
func TestDemoConsoleInTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the command")
	}
	bin := buildCommand(t)
	script := shellQuote(bin) + " demo --rate 40; echo \"demo exited with $?\"; sleep 30"
	tm := testutil.StartTmux(t, "demo", 120, 36, script)

	screen := tm.WaitFor(90*time.Second, "live events", func(s string) bool {
		return strings.Contains(s, "live") && strings.Contains(s, "REQ") && strings.Contains(s, "[REDACTED]") &&
			strings.Contains(s, "AUDIT") && strings.Contains(s, "notes-demo")
	})
	if !strings.Contains(screen, "/api/devtools/ws") {
		t.Errorf("status bar does not name the route:\n%s", screen)
	}
	tm.Keys("q")
	screen = tm.WaitFor(90*time.Second, "the demo to exit", func(s string) bool { return strings.Contains(s, "demo exited with") })
	if !strings.Contains(screen, "demo exited with 0") || !strings.Contains(screen, "demo: stopped after") ||
		!strings.Contains(screen, "the store was removed") {
		t.Fatalf("demo did not stop cleanly:\n%s", screen)
	}
}
