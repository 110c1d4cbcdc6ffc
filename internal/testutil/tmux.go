package testutil

import (
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Tmux drives a detached tmux session for the end-to-end tests of the
// console: it types keys with send-keys and reads the screen with
// capture-pane. Each session runs on its own server socket, killed when
// the test ends.
type Tmux struct {
	t      testing.TB
	bin    string
	sock   string
	target string
	// Forbid, when set, fails the test as soon as the screen shows it (a
	// token that must never be displayed).
	Forbid string
	// Diagnostics, when set, is added to a timeout's failure message (the
	// app's stderr).
	Diagnostics func() string
}

// StartTmux starts command (a shell command line) in a detached session
// named name, width×height cells. It skips the test where tmux is not
// installed (.ci/run installs it) or cannot run (Windows).
func StartTmux(t testing.TB, name string, width, height int, command string) *Tmux {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("tmux does not run on Windows: the console end-to-end tests run on Linux and macOS")
	}
	bin, err := exec.LookPath("tmux")
	if err != nil {
		t.Skip("tmux is not installed: the console end-to-end tests need it (.ci/run installs it)")
	}
	m := &Tmux{t: t, bin: bin, sock: "beignet-" + name + "-" + strconv.Itoa(os.Getpid()), target: name}
	if out, err := m.run("new-session", "-d", "-s", name, "-x", strconv.Itoa(width), "-y", strconv.Itoa(height), command); err != nil {
		t.Fatalf("tmux new-session: %v\n%s", err, out)
	}
	t.Cleanup(func() { _, _ = m.run("kill-server") })
	return m
}

func (m *Tmux) run(args ...string) (string, error) {
	out, err := exec.Command(m.bin, append([]string{"-L", m.sock, "-f", os.DevNull}, args...)...).CombinedOutput()
	return string(out), err
}

// Capture returns the screen as text.
func (m *Tmux) Capture() string {
	out, _ := m.run("capture-pane", "-p", "-t", m.target)
	return out
}

// Keys sends key names (q, Enter, Escape, Tab, C-c) as tmux send-keys does.
func (m *Tmux) Keys(keys ...string) {
	m.t.Helper()
	if out, err := m.run(append([]string{"send-keys", "-t", m.target}, keys...)...); err != nil {
		m.t.Fatalf("send-keys %q: %v\n%s", keys, err, out)
	}
}

// Type sends s literally.
func (m *Tmux) Type(s string) {
	m.t.Helper()
	if out, err := m.run("send-keys", "-t", m.target, "-l", s); err != nil {
		m.t.Fatalf("send-keys -l: %v\n%s", err, out)
	}
}

// WaitFor polls the screen until cond holds and returns it, failing the
// test with the last screen when timeout passes first.
func (m *Tmux) WaitFor(timeout time.Duration, what string, cond func(screen string) bool) string {
	m.t.Helper()
	deadline := time.Now().Add(timeout)
	var s string
	for time.Now().Before(deadline) {
		s = m.Capture()
		if m.Forbid != "" && strings.Contains(s, m.Forbid) {
			m.t.Fatalf("the screen shows what it must not (replaced here by [FORBIDDEN]):\n%s", strings.ReplaceAll(s, m.Forbid, "[FORBIDDEN]"))
		}
		if cond(s) {
			return s
		}
		time.Sleep(100 * time.Millisecond)
	}
	extra := ""
	if m.Diagnostics != nil {
		extra = "\n" + m.Diagnostics()
	}
	m.t.Fatalf("timed out waiting for %s; screen:\n%s%s", what, s, extra)
	return ""
}
