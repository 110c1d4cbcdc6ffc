package tui

import (
	"strings"
	"testing"
)

func TestCleanEscapesControls(t *testing.T) {
	cases := map[string]string{
		"plain /api/notes":        "plain /api/notes",
		"\x1b[2J\x1b]0;pwned\x07": `\x1b[2J\x1b]0;pwned\a`,
		"ok\rFAKE":                `ok\rFAKE`,
		"a\nb\tc":                 `a\nb\tc`,
		"c1\u009b31m":             `c1\u009b31m`,
		"bidi\u202eevil":          `bidi\u202eevil`,
		"bad\xffutf8":             `bad\xffutf8`,
		"del\x7f":                 `del\x7f`,
		"nul\x00":                 `nul\x00`,
		"héllo wörld — ✓":         "héllo wörld — ✓",
		"\x1bP+q\x1b\\":           `\x1bP+q\x1b\`,
	}
	for in, want := range cases {
		if got := Clean(in); got != want {
			t.Errorf("Clean(%q) = %q, want %q", in, got, want)
		}
		if strings.ContainsAny(Clean(in), "\x1b\r\n\a\x00\x7f\u009b\u202e") {
			t.Errorf("Clean(%q) kept a control character", in)
		}
	}
	if got := CleanMultiline("a\nb\x1b[31m\tc"); got != "a\nb\\x1b[31m    c" {
		t.Errorf("CleanMultiline = %q", got)
	}
}
