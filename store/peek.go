package store

import (
	"bytes"
	"encoding/json"

	"github.com/beignet/devtools/event"
)

// header is what retention, stats and a selection's widening need from a
// record without decoding it.
type header struct {
	kind      event.Kind
	requestID string
	traceID   string // only from peekHeader(b, true)
}

// peek reads the top-level "kind" and "requestId" of a stored event JSON
// object without decoding the rest. It returns ok=false for a record that is
// not a JSON object with a string kind.
func peek(b []byte) (h header, ok bool) { return peekHeader(b, false) }

// peekHeader is peek, also reading "traceId" when trace is set.
func peekHeader(b []byte, trace bool) (h header, ok bool) {
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return h, false
	}
	i++
	seenKind, seenReq, seenTrace := false, false, !trace
	for {
		i = skipWS(b, i)
		if i >= len(b) {
			return h, false
		}
		if b[i] == '}' {
			return h, seenKind
		}
		if b[i] == ',' {
			i = skipWS(b, i+1)
		}
		if i >= len(b) || b[i] != '"' {
			return h, false
		}
		ks, ke, esc, next := scanString(b, i)
		if next < 0 {
			return h, false
		}
		key := b[ks:ke]
		i = skipWS(b, next)
		if i >= len(b) || b[i] != ':' {
			return h, false
		}
		i = skipWS(b, i+1)
		if i >= len(b) {
			return h, false
		}
		isKind := !esc && string(key) == "kind"
		isReq := !esc && string(key) == "requestId"
		isTrace := trace && !esc && string(key) == "traceId"
		if (isKind || isReq || isTrace) && b[i] == '"' {
			vs, ve, vesc, vnext := scanString(b, i)
			if vnext < 0 {
				return h, false
			}
			val := string(b[vs:ve])
			if vesc {
				if err := json.Unmarshal(b[vs-1:ve+1], &val); err != nil {
					return h, false
				}
			}
			switch {
			case isKind:
				h.kind, seenKind = event.Kind(val), true
			case isReq:
				h.requestID, seenReq = val, true
			default:
				h.traceID, seenTrace = val, true
			}
			i = vnext
		} else {
			next := skipValue(b, i)
			if next < 0 {
				return h, false
			}
			i = next
		}
		if seenKind && seenReq && seenTrace {
			return h, true
		}
	}
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// scanString scans the JSON string starting at b[i] == '"'. It returns the
// content bounds, whether it holds escapes, and the index after the closing
// quote (-1 when unterminated).
func scanString(b []byte, i int) (start, end int, esc bool, next int) {
	start = i + 1
	j := start
	for {
		k := bytes.IndexAny(b[j:], `"\`)
		if k < 0 {
			return 0, 0, false, -1
		}
		j += k
		if b[j] == '\\' {
			esc = true
			j += 2
			if j > len(b) {
				return 0, 0, false, -1
			}
			continue
		}
		return start, j, esc, j + 1
	}
}

// skipValue skips one JSON value starting at b[i] and returns the index
// after it, or -1 when malformed.
func skipValue(b []byte, i int) int {
	switch b[i] {
	case '"':
		_, _, _, next := scanString(b, i)
		return next
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				_, _, _, next := scanString(b, i)
				if next < 0 {
					return -1
				}
				i = next
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return -1
	default:
		for i < len(b) {
			switch b[i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return i
			}
			i++
		}
		return -1
	}
}
