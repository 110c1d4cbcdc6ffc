package redact

import (
	"fmt"
	"net/url"
	"strings"
)

// unescapeName decodes a query or form name; undecodable names stay raw.
func unescapeName(name string) string {
	if strings.IndexByte(name, '%') < 0 && strings.IndexByte(name, '+') < 0 {
		return name
	}
	if d, err := url.QueryUnescape(name); err == nil {
		return d
	}
	return name
}

// safeName returns name with any secret-shaped part redacted, for use in a
// reported path.
func (r *Redactor) safeName(name string) string {
	out, _ := r.str(name, false)
	return out
}

// URL redacts a URL (absolute or a request URI): the userinfo (user and
// password both), the values of sensitive query and fragment parameters
// (token, access_token, code, sig, X-Amz-Signature, key, password ... and
// every secret-shaped key), and secret-shaped values anywhere else. Paths:
// "userinfo", "path", "query.<name>", "fragment" or "fragment.<name>".
// The text is not parsed by net/url, so what it cannot parse is still
// redacted; when nothing is replaced, s is returned as is.
func (r *Redactor) URL(s string) (string, []string) {
	var paths []string
	out, _ := r.url(s, "", nil, &paths)
	return out, paths
}

func (r *Redactor) url(s, prefix string, hookBase []string, paths *[]string) (string, bool) {
	base, query, frag := s, "", ""
	hasQ, hasF := false, false
	if h := strings.IndexByte(base, '#'); h >= 0 {
		base, frag, hasF = base[:h], base[h+1:], true
	}
	if q := strings.IndexByte(base, '?'); q >= 0 {
		base, query, hasQ = base[:q], base[q+1:], true
	}
	changed := false
	head, userPart, hostPath := "", "", base
	if sch := strings.Index(base, "://"); sch >= 0 && strings.IndexByte(base[:sch], '/') < 0 {
		a := sch + 3
		end := len(base)
		if k := strings.IndexByte(base[a:], '/'); k >= 0 {
			end = a + k
		}
		head, hostPath = base[:a], base[a:]
		if at := strings.LastIndexByte(base[a:end], '@'); at > 0 {
			userPart = r.mask(base[a:a+at]) + "@"
			hostPath = base[a+at+1:]
			changed = true
			addPath(paths, prefix, "userinfo")
		} else if at == 0 {
			userPart, hostPath = "@", base[a+1:]
		}
	}
	if red, spans := r.str(hostPath, false); spans != nil {
		hostPath = red
		changed = true
		addPath(paths, prefix, "path")
	}
	newQuery := query
	if hasQ {
		var ch bool
		newQuery, ch = r.params(query, prefix+"query.", false, hookBase, paths)
		changed = changed || ch
	}
	newFrag := frag
	if hasF {
		if strings.IndexByte(frag, '=') >= 0 {
			var ch bool
			newFrag, ch = r.params(frag, prefix+"fragment.", false, hookBase, paths)
			changed = changed || ch
		} else if red, spans := r.str(frag, false); spans != nil {
			newFrag = red
			changed = true
			addPath(paths, prefix, "fragment")
		}
	}
	if !changed {
		return s, false
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	b.WriteString(head)
	b.WriteString(userPart)
	b.WriteString(hostPath)
	if hasQ {
		b.WriteByte('?')
		b.WriteString(newQuery)
	}
	if hasF {
		b.WriteByte('#')
		b.WriteString(newFrag)
	}
	return b.String(), true
}

// Form redacts an application/x-www-form-urlencoded body or a query string
// (without the '?'): values of sensitive names are replaced, other values
// are scanned for secret-shaped values. Paths are the field names. Order,
// names and untouched values keep their original encoding.
func (r *Redactor) Form(s string) (string, []string) {
	var paths []string
	out, _ := r.params(s, "", false, nil, &paths)
	return out, paths
}

// params rewrites "a=1&b=2" style text. trunc: s was cut at a capture limit.
func (r *Redactor) params(s, prefix string, trunc bool, hookBase []string, paths *[]string) (string, bool) {
	var b strings.Builder
	changed := false
	last := 0
	for p := 0; p <= len(s); {
		stop := len(s)
		if k := strings.IndexByte(s[p:], '&'); k >= 0 {
			stop = p + k
		}
		seg := s[p:stop]
		atEnd := trunc && stop == len(s)
		var repl string
		var ok bool
		var name string
		valStart := p
		if eq := strings.IndexByte(seg, '='); eq > 0 {
			name = unescapeName(seg[:eq])
			valStart = p + eq + 1
			repl, ok = r.paramValue(name, seg[eq+1:], atEnd, hookBase)
			if redName, spans := r.str(name, false); spans != nil {
				// A secret-shaped name ("?eyJ...=1"): replace it too.
				if !ok {
					repl, ok = seg[eq+1:], true
				}
				repl = redName + "=" + repl
				valStart = p
			}
		} else if seg != "" {
			// A bare segment ("?eyJ..."), or a name cut before its '='.
			if red, spans := r.str(seg, atEnd); spans != nil {
				repl, ok, name = red, true, "value"
			}
		}
		if ok {
			if !changed {
				b.Grow(len(s) + 16)
				changed = true
			}
			b.WriteString(s[last:valStart])
			b.WriteString(repl)
			last = stop
			addPath(paths, prefix, r.safeName(name))
		}
		p = stop + 1
	}
	if !changed {
		return s, false
	}
	b.WriteString(s[last:])
	return b.String(), true
}

// paramValue returns the redacted encoded value of one parameter.
func (r *Redactor) paramValue(name, raw string, trunc bool, hookBase []string) (string, bool) {
	escaped := strings.IndexByte(raw, '%') >= 0 || strings.IndexByte(raw, '+') >= 0
	dec := raw
	if escaped {
		if d, err := url.QueryUnescape(raw); err == nil {
			dec = d
		} else {
			escaped = false
		}
	}
	if r.hook != nil {
		if v, ok := r.hook(appendPath(hookBase, name), dec); ok {
			if sv, isStr := v.(string); isStr && sv == dec {
				return "", false // kept as it is
			}
			if sv, isStr := v.(string); isStr && isMarked(sv) {
				return sv, true
			}
			return url.QueryEscape(fmt.Sprint(v)), true
		}
	}
	if r.sensitiveParam(name, dec) {
		if raw == "" || isMarked(dec) {
			return "", false
		}
		return r.mask(dec), true
	}
	spans := r.scan(dec, trunc)
	if spans == nil {
		return "", false
	}
	if !escaped {
		return r.apply(raw, spans), true
	}
	// Map the spans back onto the raw (encoded) text so that everything
	// outside them keeps its original encoding.
	off := decodedOffsets(raw)
	rs := make([]span, len(spans))
	for i, sp := range spans {
		rs[i] = span{off[sp.start], off[sp.end], sp.name}
	}
	return r.apply(raw, rs), true
}

// decodedOffsets returns, for each byte offset of the query-decoded form of
// raw (and one past the end), the matching offset in raw.
func decodedOffsets(raw string) []int {
	off := make([]int, 0, len(raw)+1)
	for i := 0; i < len(raw); {
		off = append(off, i)
		if raw[i] == '%' && i+2 < len(raw) && isHex(raw[i+1]) && isHex(raw[i+2]) {
			i += 3
		} else {
			i++
		}
	}
	return append(off, len(raw))
}

// appendPath returns base+name in a new slice (nil base is fine).
func appendPath(base []string, name ...string) []string {
	p := make([]string, 0, len(base)+len(name))
	p = append(p, base...)
	return append(p, name...)
}
