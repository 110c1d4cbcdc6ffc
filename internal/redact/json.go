package redact

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// maxJSONDepth bounds nesting like encoding/json does; deeper input is
// handled by the tolerant scan.
const maxJSONDepth = 10000

// JSON redacts a JSON document. Valid JSON is rewritten token by token:
// structure, key order, whitespace and number text are kept, values of
// secret-shaped keys become "[REDACTED]" (true, false, null and "" are
// kept), and every string (keys too) is scanned for secret-shaped values.
// Paths are dotted key paths with array indexes ("users.0.password"; "$"
// for the root value). Invalid or truncated JSON is never passed through
// raw: a tolerant scan redacts the values of secret-shaped keys it can see
// ("password":"hun at the end included) and secret-shaped values anywhere.
// When nothing is replaced, b itself is returned.
func (r *Redactor) JSON(b []byte) ([]byte, []string) {
	var paths []string
	out, changed := r.json(string(b), false, "", nil, &paths)
	if !changed {
		return b, paths
	}
	return []byte(out), paths
}

type pathElem struct {
	key string
	idx int // -1 for object keys
}

type jsonRW struct {
	r        *Redactor
	s        string
	pos      int
	depth    int
	edits    []edit
	stack    []pathElem
	prefix   string
	hookBase []string
	paths    *[]string
	hpath    []string // hookBase + the path, when there is a hook
	dry      bool     // validating only: no rewriting, no hooks
}

type edit struct {
	start, end int
	repl       string
}

// json redacts s as JSON; trunc is used for the tolerant scan only.
// prefix is prepended to reported paths.
func (r *Redactor) json(s string, trunc bool, prefix string, hookBase []string, paths *[]string) (string, bool) {
	p := jsonRW{r: r, s: s, prefix: prefix, hookBase: hookBase, paths: paths}
	if r.hook != nil {
		p.hpath = append([]string(nil), hookBase...)
	}
	mark := 0
	if paths != nil {
		mark = len(*paths)
	}
	if p.value() {
		p.ws()
		if p.pos == len(s) {
			return p.result()
		}
	}
	// Not valid JSON: forget what the rewriter reported and scan the text.
	out, spans := r.str(s, true)
	if paths != nil {
		*paths = (*paths)[:mark]
		for _, n := range spanNames(spans) {
			addPath(paths, prefix, n)
		}
	}
	if spans == nil {
		return s, false
	}
	return out, true
}

func (p *jsonRW) result() (string, bool) {
	if len(p.edits) == 0 {
		return p.s, false
	}
	var b strings.Builder
	b.Grow(len(p.s) + 16*len(p.edits))
	last := 0
	for _, e := range p.edits {
		b.WriteString(p.s[last:e.start])
		b.WriteString(e.repl)
		last = e.end
	}
	b.WriteString(p.s[last:])
	return b.String(), true
}

func (p *jsonRW) ws() {
	for p.pos < len(p.s) {
		switch p.s[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

// maxPathDepth caps the elements of a reported path; deeper paths end in
// "..." (so that reporting stays linear on deeply nested input).
const maxPathDepth = 32

// path returns the current path, dotted.
func (p *jsonRW) path() string {
	if len(p.stack) == 0 {
		if p.prefix != "" {
			return strings.TrimSuffix(p.prefix, ".")
		}
		return "$"
	}
	if len(p.stack) == 1 && p.prefix == "" && p.stack[0].idx < 0 {
		return p.stack[0].key
	}
	var b strings.Builder
	b.WriteString(p.prefix)
	for i, e := range p.stack {
		if i > 0 {
			b.WriteByte('.')
		}
		if i == maxPathDepth {
			b.WriteString("...")
			break
		}
		if e.idx >= 0 {
			b.WriteString(strconv.Itoa(e.idx))
		} else {
			b.WriteString(e.key)
		}
	}
	return b.String()
}

// push and pop maintain the path; hpath (the hook's view) only when there
// is a hook.
func (p *jsonRW) push(e pathElem) {
	p.stack = append(p.stack, e)
	if p.r.hook != nil && !p.dry {
		if e.idx >= 0 {
			p.hpath = append(p.hpath, strconv.Itoa(e.idx))
		} else {
			p.hpath = append(p.hpath, e.key)
		}
	}
}

func (p *jsonRW) pop() {
	p.stack = p.stack[:len(p.stack)-1]
	if p.r.hook != nil && !p.dry {
		p.hpath = p.hpath[:len(p.hpath)-1]
	}
}

func (p *jsonRW) report() {
	if p.paths != nil {
		*p.paths = append(*p.paths, p.path())
	}
}

// value parses (and rewrites) one value; false means invalid JSON.
func (p *jsonRW) value() bool {
	p.ws()
	if p.pos >= len(p.s) {
		return false
	}
	switch c := p.s[p.pos]; {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"':
		start := p.pos
		raw, esc, ok := p.str()
		if !ok {
			return false
		}
		if p.dry {
			return true
		}
		if red, changed := p.redactString(raw, esc); changed {
			p.edits = append(p.edits, edit{start, p.pos, red})
			p.report()
		}
		return true
	case c == '-' || isDigit(c):
		start := p.pos
		if !p.number() {
			return false
		}
		if p.r.cards && !p.dry && p.pos-start >= 13 {
			// A card number sent as a JSON number.
			if spans := p.r.scan(p.s[start:p.pos], false); spans != nil {
				p.edits = append(p.edits, edit{start, p.pos, p.r.quotedMask(p.s[start:p.pos])})
				p.report()
			}
		}
		return true
	case c == 't':
		return p.lit("true")
	case c == 'f':
		return p.lit("false")
	case c == 'n':
		return p.lit("null")
	}
	return false
}

// redactString scans the content of a string token; the result is a full
// quoted token.
func (p *jsonRW) redactString(raw string, esc bool) (string, bool) {
	if !esc {
		spans := p.r.scan(raw, false)
		if spans == nil {
			return "", false
		}
		return `"` + p.r.apply(raw, spans) + `"`, true
	}
	dec := unescapeJSON(raw)
	spans := p.r.scan(dec, false)
	if spans == nil {
		return "", false
	}
	return quoteJSON(p.r.apply(dec, spans)), true
}

func (p *jsonRW) lit(word string) bool {
	if !strings.HasPrefix(p.s[p.pos:], word) {
		return false
	}
	p.pos += len(word)
	return true
}

func (p *jsonRW) number() bool {
	s, i := p.s, p.pos
	if s[i] == '-' {
		i++
	}
	if i >= len(s) {
		return false
	}
	if s[i] == '0' {
		i++
	} else if s[i] >= '1' && s[i] <= '9' {
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	} else {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		d := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == d {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		d := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == d {
			return false
		}
	}
	p.pos = i
	return true
}

// str parses a string token at p.pos; raw is its content without quotes,
// esc whether it has escapes.
func (p *jsonRW) str() (raw string, esc, ok bool) {
	s := p.s
	start := p.pos + 1
	for i := start; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			p.pos = i + 1
			return s[start:i], esc, true
		case c == '\\':
			esc = true
			i++
			if i >= len(s) {
				return "", false, false
			}
			switch s[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(s) {
					return "", false, false
				}
				for k := 1; k <= 4; k++ {
					if !isHex(s[i+k]) {
						return "", false, false
					}
				}
				i += 4
			default:
				return "", false, false
			}
		case c < 0x20:
			return "", false, false
		}
	}
	return "", false, false
}

func isHex(c byte) bool { return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') }

// skip parses a value without rewriting it (validation only).
func (p *jsonRW) skip() bool {
	dry := p.dry
	p.dry = true
	ok := p.value()
	p.dry = dry
	return ok
}

func (p *jsonRW) object() bool {
	p.depth++
	if p.depth > maxJSONDepth {
		return false
	}
	p.pos++
	p.ws()
	if p.pos < len(p.s) && p.s[p.pos] == '}' {
		p.pos++
		p.depth--
		return true
	}
	for {
		p.ws()
		if p.pos >= len(p.s) || p.s[p.pos] != '"' {
			return false
		}
		kStart := p.pos
		rawKey, esc, ok := p.str()
		if !ok {
			return false
		}
		kEnd := p.pos
		key := rawKey
		if esc && !p.dry {
			key = unescapeJSON(rawKey)
		}
		if p.dry {
			// validation only
		} else if red, changed := p.redactString(rawKey, esc); changed {
			// A secret-shaped key (a token used as a map key): replace it
			// and never let it into a path.
			p.edits = append(p.edits, edit{kStart, kEnd, red})
			key, _ = p.r.str(key, false)
			p.stack = append(p.stack, pathElem{key: key, idx: -1})
			p.report()
			p.stack = p.stack[:len(p.stack)-1]
		}
		p.ws()
		if p.pos >= len(p.s) || p.s[p.pos] != ':' {
			return false
		}
		p.pos++
		p.ws()
		p.push(pathElem{key: key, idx: -1})
		if !p.member(key) {
			return false
		}
		p.pop()
		p.ws()
		if p.pos >= len(p.s) {
			return false
		}
		switch p.s[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			p.depth--
			return true
		default:
			return false
		}
	}
}

// member handles the value of a keyed (or indexed) member.
func (p *jsonRW) member(key string) bool {
	if p.dry {
		return p.value()
	}
	vStart := p.pos
	hook := p.r.hook != nil
	container := vStart < len(p.s) && (p.s[vStart] == '{' || p.s[vStart] == '[')
	if hook && !container {
		// Scalars go to the hook first.
		if !p.skip() {
			return false
		}
		if p.callHook(vStart) {
			return true
		}
		p.pos = vStart
	}
	if key != "" && p.secretMember(key, vStart) {
		if !p.skip() {
			return false
		}
		if hook && container && p.callHook(vStart) {
			return true
		}
		raw := p.s[vStart:p.pos]
		switch {
		case raw == "true", raw == "false", raw == "null", raw == `""`:
			return true
		case len(raw) > 1 && raw[0] == '"' && (isMarked(raw[1:]) || identifierValue(raw[1:])):
			return true
		}
		repl := ""
		if raw[0] == '"' {
			secret := raw[1 : len(raw)-1]
			if sl := authSchemeLen(key, secret); sl > 0 && isMarked(secret[sl:]) {
				return true
			} else if sl > 0 && strings.IndexByte(secret, '\\') < 0 {
				// "Bearer [REDACTED]": the scheme helps debugging.
				repl = `"` + secret[:sl] + p.r.mask(secret[sl:]) + `"`
			} else {
				repl = p.r.quotedMask(secret)
			}
		} else {
			repl = p.r.quotedMask(raw)
		}
		p.edits = append(p.edits, edit{vStart, p.pos, repl})
		p.report()
		return true
	}
	if !hook || !container {
		return p.value()
	}
	// Containers go to the hook after their contents (one pass, linear
	// in depth); if it replaces one, what was done inside is dropped.
	editMark := len(p.edits)
	pathMark := 0
	if p.paths != nil {
		pathMark = len(*p.paths)
	}
	if !p.value() {
		return false
	}
	saved := p.edits[editMark:]
	p.edits = p.edits[:editMark]
	if p.callHook(vStart) {
		if p.paths != nil {
			last := (*p.paths)[len(*p.paths)-1]
			*p.paths = append((*p.paths)[:pathMark], last)
		}
		return true
	}
	p.edits = append(p.edits, saved...)
	return true
}

// secretMember reports whether the value at vStart of key is secret: by
// its key, or by a key that names a credential sometimes ("DD_APP_KEY")
// and a string value that looks like one.
func (p *jsonRW) secretMember(key string, vStart int) bool {
	switch p.r.keys.class(key) {
	case keySecret:
		return true
	case keySoft:
		if vStart >= len(p.s) || p.s[vStart] != '"' {
			return false
		}
		save := p.pos
		raw, esc, ok := p.str()
		p.pos = save
		if !ok {
			return false
		}
		if esc {
			raw = unescapeJSON(raw)
		}
		return credentialValue(raw)
	}
	return false
}

// callHook offers the (original) value s[vStart:p.pos] to the hook and
// applies its replacement.
func (p *jsonRW) callHook(vStart int) bool {
	orig := decodeJSONValue(p.s[vStart:p.pos])
	v, ok := p.r.hook(p.hpath, orig)
	if !ok {
		return false
	}
	if reflect.DeepEqual(v, orig) {
		return true // kept as it is: not scanned, not reported
	}
	enc, err := json.Marshal(v)
	if err != nil {
		enc = []byte(`"` + Replacement + `"`)
	}
	p.edits = append(p.edits, edit{vStart, p.pos, string(enc)})
	p.report()
	return true
}

func (p *jsonRW) array() bool {
	p.depth++
	if p.depth > maxJSONDepth {
		return false
	}
	p.pos++
	p.ws()
	if p.pos < len(p.s) && p.s[p.pos] == ']' {
		p.pos++
		p.depth--
		return true
	}
	for i := 0; ; i++ {
		p.ws()
		p.push(pathElem{idx: i})
		var ok bool
		if p.r.hook != nil && !p.dry {
			ok = p.member("")
		} else {
			ok = p.value()
		}
		if !ok {
			return false
		}
		p.pop()
		p.ws()
		if p.pos >= len(p.s) {
			return false
		}
		switch p.s[p.pos] {
		case ',':
			p.pos++
		case ']':
			p.pos++
			p.depth--
			return true
		default:
			return false
		}
	}
}

// decodeJSONValue turns a valid JSON value into what a hook sees.
func decodeJSONValue(raw string) any {
	switch {
	case raw == "null":
		return nil
	case raw == "true":
		return true
	case raw == "false":
		return false
	case raw[0] == '"':
		return unescapeJSON(raw[1 : len(raw)-1])
	case raw[0] == '{' || raw[0] == '[':
		return json.RawMessage(raw)
	}
	return json.Number(raw)
}

// unescapeJSON decodes the content of a validated JSON string.
func unescapeJSON(raw string) string {
	if strings.IndexByte(raw, '\\') < 0 {
		return raw
	}
	b := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' || i+1 >= len(raw) {
			b = append(b, c)
			continue
		}
		i++
		switch raw[i] {
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			if i+4 >= len(raw) {
				b = append(b, raw[i-1:]...)
				i = len(raw)
				continue
			}
			r1, _ := strconv.ParseUint(raw[i+1:i+5], 16, 32)
			i += 4
			ru := rune(r1)
			if utf16.IsSurrogate(ru) && i+6 < len(raw) && raw[i+1] == '\\' && raw[i+2] == 'u' {
				if r2, err := strconv.ParseUint(raw[i+3:i+7], 16, 32); err == nil {
					if d := utf16.DecodeRune(ru, rune(r2)); d != utf8.RuneError {
						ru = d
						i += 6
					}
				}
			}
			b = utf8.AppendRune(b, ru)
		default: // '"', '\\', '/'
			b = append(b, raw[i])
		}
	}
	return string(b)
}

// quoteJSON encodes s as a JSON string token (no HTML escaping).
func quoteJSON(s string) string {
	const hexd = "0123456789abcdef"
	b := make([]byte, 0, len(s)+2)
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t':
			b = append(b, '\\', 't')
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hexd[c>>4], hexd[c&0xf])
		default:
			b = append(b, c)
		}
	}
	b = append(b, '"')
	return string(b)
}
