// Package textsafe makes recorded text safe to print on a terminal: the
// console and tail share it, so a hostile event reads the same in both and
// neither can be steered by escape sequences, bidi overrides or invisible
// characters (Trojan Source).
package textsafe

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Line returns s with every control character made visible, for a single
// line: C0 controls (ESC, CR, LF, BEL, TAB ...), DEL, C1 controls, invalid
// UTF-8 and the Unicode bidirectional overrides are written as Go-style
// escapes (\x1b, \r, \u009b, \u202e), so recorded text can never move the
// cursor, change colours or rewrite the developer's terminal. Zero-width
// characters and line/paragraph separators are escaped the same way.
func Line(s string) string { return clean(s, false) }

// Multiline is Line but keeps newlines (and expands tabs to spaces), for
// bodies and stacks shown over several lines.
func Multiline(s string) string { return clean(s, true) }

func clean(s string, multiline bool) string {
	if safe(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size <= 1 {
			fmt.Fprintf(&b, `\x%02x`, s[i])
			i++
			continue
		}
		i += size
		switch {
		case r == '\n' && multiline:
			b.WriteByte('\n')
		case r == '\t' && multiline:
			b.WriteString("    ")
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == 0x07:
			b.WriteString(`\a`)
		case r == 0x1b:
			b.WriteString(`\x1b`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r >= 0x80 && r <= 0x9f, isBidiOrInvisible(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// safe reports whether s needs no escaping (the common, allocation-free case).
func safe(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f {
			return false
		}
		if c >= 0x80 {
			// Slow path for non-ASCII: check rune by rune.
			for _, r := range s[i:] {
				if r == utf8.RuneError || r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) || isBidiOrInvisible(r) {
					return false
				}
			}
			return true
		}
	}
	return true
}

// isBidiOrInvisible reports the format characters that can reorder or hide
// text on screen (Trojan Source style).
func isBidiOrInvisible(r rune) bool {
	switch {
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
		return true
	case r == 0xfeff, r >= 0x200b && r <= 0x200d, r == 0x2028, r == 0x2029:
		return true
	}
	return false
}
