package textsafe

import (
	"strings"
	"testing"
)

func TestLineEscapesControls(t *testing.T) {
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
		"zero\u200bwidth\ufeff":   `zero\u200bwidth\ufeff`,
		"line\u2028sep":           `line\u2028sep`,
	}
	for in, want := range cases {
		if got := Line(in); got != want {
			t.Errorf("Line(%q) = %q, want %q", in, got, want)
		}
		if strings.ContainsAny(Line(in), "\x1b\r\n\a\x00\x7f\u009b\u202e\u200b\ufeff\u2028") {
			t.Errorf("Line(%q) kept a control character", in)
		}
	}
	if got := Multiline("a\nb\x1b[31m\tc"); got != "a\nb\\x1b[31m    c" {
		t.Errorf("Multiline = %q", got)
	}
}
