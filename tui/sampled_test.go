package tui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// The status bar shows what the recorder's load policy left out next to
// the drops, and only when there is some.
func TestStatusBarShowsSampledApartFromDrops(t *testing.T) {
	for _, c := range []struct {
		sampled uint64
		want    string
	}{{0, "drop 3 gap 0"}, {7, "drop 3 gap 0 sampled 7"}} {
		dark := true
		m := newModel(Options{Source: newFake(nil), Now: fixedNow, Dark: &dark, SplitWidth: -1})
		m.Update(tea.WindowSizeMsg{Width: 160, Height: 10})
		m.Update(batchMsg{b: batch{Stats: &serverStats{Recorded: 10, Dropped: 3, Sampled: c.sampled}}})
		out := ansi.Strip(m.Render())
		m.Close()
		if !strings.Contains(out, c.want) {
			t.Errorf("sampled %d: status bar lacks %q:\n%s", c.sampled, c.want, out)
		}
		if c.sampled == 0 && strings.Contains(out, "sampled") {
			t.Errorf("status bar shows sampled when nothing was:\n%s", out)
		}
	}
}
