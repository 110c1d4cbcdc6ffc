package store

import (
	"bytes"
	"strings"
)

// foldNeedle finds a lower-case ASCII needle in a record ignoring ASCII
// case, fast: it jumps between occurrences of one anchor byte of the
// needle with bytes.IndexByte (vectorised) and compares only there. The
// anchor is the needle's rarest byte by a rough rank for event JSON: a
// byte letter case cannot change ('@' of an email first), else a rare
// letter, searched in both cases.
type foldNeedle struct {
	lower  []byte
	anchor int  // index of the anchor in lower
	a, b   byte // the anchor's two cases (equal for a non-letter)
}

// anchorRank orders candidate anchors, rarest first in typical event
// JSON; a byte not listed ranks after all of these.
const anchorRank = "@#!$%^~|=+*;,:0123456789_-zqxjkvbywgpfmucdlhrsnioate./ "

func newFoldNeedle(lower string) foldNeedle {
	n := foldNeedle{lower: []byte(lower)}
	best := len(anchorRank) + 1
	for i := 0; i < len(lower); i++ {
		r := strings.IndexByte(anchorRank, lower[i])
		if r < 0 {
			r = len(anchorRank)
		}
		if r < best {
			best, n.anchor = r, i
		}
	}
	n.a, n.b = lower[n.anchor], lower[n.anchor]
	if n.a >= 'a' && n.a <= 'z' {
		n.b = n.a - 'a' + 'A'
	}
	return n
}

// in reports whether v contains the needle, ignoring ASCII case.
func (n *foldNeedle) in(v []byte) bool {
	L := len(n.lower)
	if L == 0 {
		return true
	}
	// nextA and nextB cache the next occurrence of each case of the
	// anchor (-1: none left), so neither is searched for twice.
	nextA, nextB := -2, -2
	if n.a == n.b {
		nextB = -1
	}
	for from := n.anchor; from < len(v); {
		if nextA != -1 && nextA < from {
			nextA = indexFrom(v, n.a, from)
		}
		if nextB != -1 && nextB < from {
			nextB = indexFrom(v, n.b, from)
		}
		j := nextA
		if j < 0 || nextB >= 0 && nextB < j {
			j = nextB
		}
		if j < 0 {
			return false
		}
		if p := j - n.anchor; p+L <= len(v) && equalFoldLower(v[p:p+L], n.lower) {
			return true
		}
		from = j + 1
	}
	return false
}

// indexFrom is the index of c in v at or after from, or -1.
func indexFrom(v []byte, c byte, from int) int {
	i := bytes.IndexByte(v[from:], c)
	if i < 0 {
		return -1
	}
	return from + i
}

// equalFoldLower reports whether b equals the lower-case ASCII lower,
// ignoring ASCII case in b.
func equalFoldLower(b, lower []byte) bool {
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}
