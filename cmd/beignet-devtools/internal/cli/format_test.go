package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/beignet/devtools/event"
)

// TestFormatLineNeutralisesBidiAndInvisible: a recorded name cannot
// reorder or hide text in tail's readable output (the console's sanitiser).
func TestFormatLineNeutralisesBidiAndInvisible(t *testing.T) {
	e := event.Event{Kind: event.KindCustom, Time: time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC),
		Name: "admin\u202e\u2066txt.exe\u200b\u200d\ufeff\x1b[2J"}
	line := FormatLine(&e)
	for _, r := range []rune{'\u202e', '\u2066', '\u200b', '\u200d', '\ufeff', '\x1b'} {
		if strings.ContainsRune(line, r) {
			t.Errorf("%q kept %U", line, r)
		}
	}
	for _, esc := range []string{`\u202e`, `\u2066`, `\u200b`, `\u200d`, `\ufeff`, `\x1b`} {
		if !strings.Contains(line, esc) {
			t.Errorf("%q does not show %s", line, esc)
		}
	}
}
