package redact

import (
	"strings"
)

// span is a byte range of a string to replace, with the name of the rule
// that found it.
type span struct {
	start, end int
	name       string
}

// Byte classes, built once; read-only afterwards.
var (
	wordTab  [256]bool // [A-Za-z0-9_]: a detector only starts after a non-word byte
	credTab  [256]bool // credential characters after Bearer/Basic: token68
	b64uTab  [256]bool // base64url: JWT segments
	alnumTab [256]bool
	upNumTab [256]bool // [A-Z0-9]: AWS key ids
	keyTab   [256]bool // characters of a key before = or :
	stopTab  [256]bool // ends an unquoted value
	urlStop  [256]bool // ends a URL in free text
	authStop [256]bool // ends the authority of a URL
	mailTab  [256]bool // e-mail local part and domain characters
	lineStop [256]bool // ends a "key: value" value: end of line, quotes, brackets
)

func init() {
	for c := 0; c < 256; c++ {
		b := byte(c)
		an := isLower(b) || isUpper(b) || isDigit(b)
		alnumTab[c] = an
		wordTab[c] = an || b == '_'
		b64uTab[c] = an || b == '_' || b == '-'
		credTab[c] = an || strings.IndexByte("-._~+/=", b) >= 0
		upNumTab[c] = isUpper(b) || isDigit(b)
		keyTab[c] = an || strings.IndexByte("_-.[]", b) >= 0
		mailTab[c] = an || strings.IndexByte("._%+-", b) >= 0
		ws := b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '\f' || b == '\v'
		stopTab[c] = ws || strings.IndexByte(",;&\"'(){}[]<>`", b) >= 0
		urlStop[c] = ws || c < 0x20 || strings.IndexByte("\"'<>`\\", b) >= 0
		authStop[c] = urlStop[c] || strings.IndexByte("/?#", b) >= 0
		lineStop[c] = b == '\n' || b == '\r' || strings.IndexByte("\"'`(){}[]<>\\", b) >= 0
	}
}

// escTab: the letters of JSON and C escapes ("\\n", "\\t" ...).
var escTab = charset("ntrbf")

// escapedAt reports whether s[i] is the letter of an escape sequence
// ("\\n" in JSON that could not be decoded, a log line with escapes): a
// token after it starts a word ("line one\\nghp_...").
func escapedAt(s string, i int) bool {
	return i >= 1 && s[i-1] == '\\' && escTab[s[i]] && (i < 2 || s[i-2] != '\\')
}

// wordBefore reports whether a word byte precedes s[k] (an escape letter
// does not count).
func wordBefore(s string, k int) bool {
	return k > 0 && wordTab[s[k-1]] && !escapedAt(s, k-1)
}

// scanState carries one scan's progress.
type scanState struct {
	s     string
	trunc bool
	spans []span
	// Positions before which a detector kind does not start again: keeps
	// the scan linear on adversarial input such as "eyJ.eyJ.eyJ...".
	tokSkip, kvCovered, urlCovered, pemCovered int
	// memo remembers the last run computed per byte class: a run that
	// starts inside it ends where it ends (keeps "sk-sk-sk-..." linear).
	memo [8]runMemo
	// endFrom is the start of the earliest span that runs to the end of
	// s: from there on everything is redacted, so scanning stops.
	endFrom int
	// The commands named on the line of the last option seen (flagAt).
	cmdLine, cmdUpto int
	cmdMask          uint32
}

func (st *scanState) add(start, end int, name string) {
	if end <= start {
		return
	}
	if t := st.s[start:end]; len(t) <= 20 && t[len(t)-1] == ']' && isMarked(t) {
		return // already a replacement
	}
	st.spans = append(st.spans, span{start, end, name})
	if end >= len(st.s) && start < st.endFrom {
		st.endFrom = start
	}
}

// scan finds the secret-shaped values in s. trunc says s was cut at a
// capture limit: partial matches that reach the end are reported too.
func (r *Redactor) scan(s string, trunc bool) []span {
	if len(s) < 3 {
		return nil
	}
	n := len(s)
	st := scanState{s: s, trunc: trunc, endFrom: n}
	prevWord := false
	for i := 0; i < st.endFrom; i++ {
		c := s[i]
		if !prevWord && i >= st.tokSkip {
			if maybeToken(s, i) {
				if end := tokenAt(&st, i); end > i {
					st.tokSkip = end
				}
			} else if r.cards && isDigit(c) {
				if end := cardAt(&st, i); end > i {
					st.tokSkip = end
				}
			}
		}
		switch c {
		case ':':
			if i+2 < n && s[i+1] == '/' && s[i+2] == '/' {
				r.urlAt(&st, i)
				break
			}
			if i >= st.tokSkip && i+1 < n && s[i+1] == 'A' {
				if e := telegramAt(&st, i); e > i {
					st.tokSkip = e
				}
			}
			if i >= st.kvCovered {
				r.kvAt(&st, i)
			}
		case '=':
			if i >= st.kvCovered {
				r.kvAt(&st, i)
			}
		case '\\':
			if i+1 < n && escTab[s[i+1]] && (i == 0 || s[i-1] != '\\') {
				// An escape (backslash-n, backslash-t) in text that could
				// not be decoded: what follows it starts a word.
				i++
				prevWord = false
				continue
			}
		case '~':
			if i >= st.tokSkip {
				if e := azureADAt(&st, i); e > i {
					st.tokSkip = e
				}
			}
		case '-':
			switch {
			case i >= st.pemCovered && strings.HasPrefix(s[i:], "-----BEGIN "):
				pemAt(&st, i)
			case i >= 32 && i >= st.tokSkip && csHex[s[i-1]]:
				if e := hexDashAt(&st, i); e > i {
					st.tokSkip = e
				}
			case i > 0 && (s[i-1] == ' ' || s[i-1] == '\t') && i >= st.kvCovered:
				r.flagAt(&st, i)
			}
		case '>':
			if i >= st.kvCovered {
				r.elementAt(&st, i)
			}
		case '@':
			if r.emails {
				emailAt(&st, i)
			}
		}
		prevWord = wordTab[c]
	}
	for _, p := range r.patterns {
		if len(p.prefilter) > 0 {
			hit := false
			for _, lit := range p.prefilter {
				if strings.Contains(s, lit) {
					hit = true
					break
				}
			}
			if !hit {
				continue
			}
		}
		for _, m := range p.re.FindAllStringSubmatchIndex(s, -1) {
			if len(m) >= 4 && m[2] >= 0 {
				st.add(m[2], m[3], p.name)
			} else {
				st.add(m[0], m[1], p.name)
			}
		}
	}
	return st.spans
}

type runMemo struct {
	tab        *[256]bool
	start, end int
}

// run is run(st.s, i, tab), memoized per class.
func (st *scanState) run(i int, tab *[256]bool) int {
	slot := -1
	for k := range st.memo {
		m := &st.memo[k]
		if m.tab == tab {
			if i >= m.start && i <= m.end {
				return m.end
			}
			slot = k
			break
		}
		if m.tab == nil {
			slot = k
			break
		}
	}
	e := run(st.s, i, tab)
	if slot >= 0 {
		st.memo[slot] = runMemo{tab, i, e}
	}
	return e
}

// run returns the end of the run of tab bytes starting at i.
func run(s string, i int, tab *[256]bool) int {
	for i < len(s) && tab[s[i]] {
		i++
	}
	return i
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// boundary reports whether the token ending at e ends at a word boundary.
func boundary(s string, e int) bool { return e >= len(s) || !alnumTab[s[e]] }

func hasDigit(s string) bool {
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			return true
		}
	}
	return false
}

// credentialLike: long enough and not a plain lower-case word, so that
// "Bearer authentication" or "basic information" stay.
func credentialLike(v string) bool {
	if len(v) < 8 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if isDigit(c) || (i > 0 && isUpper(c)) || !alnumTab[c] {
			return true
		}
	}
	return false
}

// credAt handles "Bearer <credential>" / "Basic <credential>" where the
// scheme ends at j.
func credAt(st *scanState, i, j int, name string) int {
	s := st.s
	if j < len(s) && wordTab[s[j]] {
		return -1 // "Bearers", "basically"
	}
	k := j
	for k < len(s) && (s[k] == ' ' || s[k] == '\t') {
		k++
	}
	if k == j || k >= len(s) {
		return -1
	}
	e := st.run(k, &credTab)
	for e > k && s[e-1] == '.' {
		e-- // "Basic Authentication." ends a sentence
	}
	if eq := strings.IndexByte(s[k:e], '='); eq >= 0 && strings.TrimRight(s[k+eq:e], "=") != "" {
		return -1 // "token_type=Bearer elapsed=3ms": a pair, not a token68
	}
	if e > k && (credentialLike(s[k:e]) || (st.trunc && e == len(s))) {
		st.add(k, e, name)
		return e
	}
	return -1
}

// jwtAt handles eyJ... (header.payload.signature, and JWE's five parts).
func jwtAt(st *scanState, i int) int {
	s := st.s
	e := st.run(i, &b64uTab)
	if e-i < 10 && !(st.trunc && e == len(s)) {
		return -1
	}
	dots := 0
	for e < len(s) && s[e] == '.' && dots < 4 {
		dots++
		e = st.run(e+1, &b64uTab)
	}
	if dots >= 2 || (st.trunc && e == len(s)) {
		st.add(i, e, "jwt")
		return e
	}
	return -1
}

// pemAt handles "-----BEGIN ... PRIVATE KEY-----": the body up to the END
// line (or the end of the text) is redacted; the BEGIN/END lines are kept.
func pemAt(st *scanState, i int) {
	s := st.s
	h := i + len("-----BEGIN ")
	lim := min(len(s), h+80)
	hdrEnd := -1
	bodyStart := -1
	for k := h; k < lim; k++ {
		if s[k] == '\n' || s[k] == '\\' {
			hdrEnd, bodyStart = k, k
			break
		}
		if strings.HasPrefix(s[k:], "-----") {
			hdrEnd, bodyStart = k, k+5
			break
		}
	}
	if hdrEnd < 0 {
		if lim == len(s) && st.trunc && strings.Contains(s[h:], "PRIVATE KEY") {
			hdrEnd, bodyStart = len(s), len(s)
		} else {
			return
		}
	}
	if !strings.Contains(s[h:hdrEnd], "PRIVATE KEY") {
		return
	}
	end := len(s)
	if k := strings.Index(s[bodyStart:], "-----END"); k >= 0 {
		end = bodyStart + k
	}
	st.pemCovered = end
	for bodyStart < end && (s[bodyStart] == '\n' || s[bodyStart] == '\r') {
		bodyStart++
	}
	for end > bodyStart && end < len(s) && (s[end-1] == '\n' || s[end-1] == '\r') {
		end--
	}
	st.add(bodyStart, end, "private-key")
}

// urlAt handles a URL whose "://" is at i: userinfo (user and password) and
// sensitive query parameters.
func (r *Redactor) urlAt(st *scanState, i int) {
	s := st.s
	a := i + 3
	e := a
	for e < len(s) && !authStop[s[e]] {
		e++
	}
	if at := strings.LastIndexByte(s[a:e], '@'); at > 0 {
		st.add(a, a+at, "userinfo")
	} else if at < 0 && st.trunc && e == len(s) && strings.IndexByte(s[a:e], ':') >= 0 {
		st.add(a, e, "userinfo")
	}
	if a < st.urlCovered {
		// A URL inside a URL ("?next=https://u:p@h"): its userinfo is
		// handled above, its parameters were seen with the outer one.
		return
	}
	u := e
	for u < len(s) && !urlStop[s[u]] {
		u++
	}
	st.urlCovered = u
	if q := strings.IndexAny(s[e:u], "?#"); q >= 0 {
		r.paramSpans(st, e+q+1, u)
	}
}

// paramSpans reports the values of sensitive parameters in s[start:end]
// (a query string or fragment).
func (r *Redactor) paramSpans(st *scanState, start, end int) {
	s := st.s
	for p := start; p < end; {
		amp := strings.IndexAny(s[p:end], "&#")
		stop := end
		if amp >= 0 {
			stop = p + amp
		}
		if eq := strings.IndexByte(s[p:stop], '='); eq > 0 {
			name := s[p : p+eq]
			v := s[p+eq+1 : stop]
			if v != "" && !isMarked(v) && r.sensitiveParam(unescapeName(name), v) {
				st.add(p+eq+1, stop, "query")
			}
		}
		p = stop + 1
	}
}

// sensitiveParam: secret-shaped keys, the query-only names ("key" unless
// its value is a field name such as "created_at"), and keys that name a
// credential sometimes when value looks like one.
func (r *Redactor) sensitiveParam(name, value string) bool {
	switch strings.ToLower(name) {
	case "key":
		return !r.keys.allowed(name) && !fieldName(value)
	case "code", "sig", "apikey", "x-amz-signature", "x-amz-credential",
		"x-amz-security-token", "x-goog-signature", "x-goog-credential":
		return !r.keys.allowed(name)
	}
	switch r.keys.class(name) {
	case keySecret:
		return true
	case keySoft:
		return credentialValue(value)
	}
	return false
}

// schemeLen returns the length of an authorization scheme and the blanks
// after it at the start of v ("Bearer ", "AWS4-HMAC-SHA256 "), or 0.
func schemeLen(v string) int {
	i := 0
	for i < len(v) && i < 32 && (alnumTab[v[i]] || v[i] == '-') {
		i++
	}
	if i == 0 || i >= len(v) || v[i] != ' ' {
		return 0
	}
	switch strings.ToLower(v[:i]) {
	case "bearer", "basic", "token", "digest", "negotiate", "ntlm", "hoba", "mutual",
		"aws4-hmac-sha256", "apikey", "sso-key", "key", "dpop", "gosign", "oauth", "mac":
	default:
		return 0
	}
	j := i
	for j < len(v) && v[j] == ' ' {
		j++
	}
	if j >= len(v) {
		return 0
	}
	return j
}

// authSchemeLen is schemeLen for the values of authorization-like keys
// (the only ones whose first word is a scheme rather than part of the
// secret), else 0.
func authSchemeLen(key, v string) int {
	if !containsFold(key, "auth") {
		return 0
	}
	return schemeLen(v)
}

// kvAt handles "key=value", "key: value", "\"key\":\"value\"", "key => 'v'"
// (PHP, Ruby) and "key := \"v\"" (Go) at the separator i when key is
// secret-shaped, or names a credential sometimes and the value looks like
// one.
func (r *Redactor) kvAt(st *scanState, i int) {
	s := st.s
	n := len(s)
	if s[i] == ':' && i+1 < n && s[i+1] == '=' {
		return // ":=": the '=' handles it
	}
	j := i
	if s[i] == '=' && j > 0 && s[j-1] == ':' {
		j--
	}
	for j > 0 && i-j < 4 && (s[j-1] == ' ' || s[j-1] == '\t') {
		j--
	}
	for j > 0 && i-j < 8 && (s[j-1] == '"' || s[j-1] == '\'' || s[j-1] == '\\') {
		j--
	}
	k := j
	for k > 0 && j-k < 64 && keyTab[s[k-1]] {
		k--
	}
	if k == j {
		return
	}
	if s[i] == ':' && k > 0 && s[k-1] == ':' && i+1 < n && s[i+1] != ' ' {
		// "arn:aws:secretsmanager:...:secret:prod/db": a colon-separated
		// name, not a key and its value.
		return
	}
	cls := r.keys.class(s[k:j])
	if cls == keyPlain {
		if s[i] == '=' && j-k == 5 && strings.EqualFold(s[k:j], "value") {
			r.inputValueAt(st, k, i)
		}
		return
	}
	v := i + 1
	if s[i] == '=' && v < n && s[v] == '=' {
		return // "==" is an operator, not an assignment
	}
	arrow := s[i] == '=' && v < n && s[v] == '>'
	if arrow {
		v++ // "=>"
	}
	walrus := s[i] == '=' && i > 0 && s[i-1] == ':'
	for v < n && (s[v] == ' ' || s[v] == '\t') {
		v++
	}
	if v >= n {
		return
	}
	if (arrow || walrus) && s[v] != '"' && s[v] != '\'' && s[v] != '`' {
		return // code ("$pw", "auth := user + pass"), not a literal
	}
	var vs, ve int
	switch {
	case s[v] == '\\' && v+1 < n && s[v+1] == '"':
		vs = v + 2
		ve = n
		if c := strings.Index(s[vs:], `\"`); c >= 0 {
			ve = vs + c
		}
	case s[v] == '"' || s[v] == '\'':
		q := s[v]
		vs = v + 1
		ve = n
		for c := vs; c < n; c++ {
			if s[c] == '\\' {
				c++
				continue
			}
			if s[c] == q {
				ve = c
				break
			}
		}
	case s[v] == '{' && s[i] == '=' && v == i+1 && cls == keySecret:
		// ODBC: "Pwd={p@ss;word}", braces quote the value.
		c := strings.IndexByte(s[v:min(n, v+maxODBC)], '}')
		if c < 0 {
			if !st.trunc || n-v > maxODBC {
				return
			}
			c = n - v
		}
		vs, ve = v+1, v+c
		if strings.ContainsAny(s[vs:ve], "\":{") {
			return // a structure, not a quoted value
		}
		st.kvCovered = max(st.kvCovered, ve)
		if ve > vs && !isMarked(s[vs:ve]) {
			st.add(vs, ve, "odbc-password")
		}
		return
	case s[v] == '{' || s[v] == '[':
		return
	default:
		vs = v
		ve = unquotedEnd(s, v, s[i] == '=')
		switch s[vs:ve] {
		case "null", "true", "false":
			return
		}
		if s[i] == ':' && ve > vs && cls == keySecret {
			// "password: correct horse battery staple", "Cookie: a=1; b=2":
			// after a colon the value runs to the end of the line.
			for ve < n && !lineStop[s[ve]] {
				ve++
			}
			for ve > vs && (s[ve-1] == ' ' || s[ve-1] == '\t' || s[ve-1] == ',') {
				ve--
			}
		}
		if sl := schemeLen(s[vs:]); sl > 0 && sl <= ve-vs+1 {
			// "Authorization: Bearer abc": the credential runs to the end
			// of the line.
			// Single-token schemes end at a quote; parameter lists
			// (Digest, AWS4-HMAC-SHA256) run to the end of the line.
			single := hasPrefixFold(s[vs:], "bearer") || hasPrefixFold(s[vs:], "basic") || hasPrefixFold(s[vs:], "token")
			ve = vs + sl
			for ve < n && s[ve] != '\n' && s[ve] != '\r' && !(single && (s[ve] == '"' || s[ve] == '\'')) {
				ve++
			}
		}
	}
	if cls == keySoft {
		if ve-vs > maxCredential {
			st.kvCovered = max(st.kvCovered, ve) // too long to be one; seen once
			return
		}
		if ve <= vs || !credentialValue(s[vs:ve]) {
			return
		}
		st.kvCovered = max(st.kvCovered, ve)
		st.add(vs, ve, "key-value")
		return
	}
	st.kvCovered = max(st.kvCovered, ve)
	if ve <= vs || isMarked(s[vs:ve]) || identifierValue(s[vs:ve]) {
		return
	}
	if sl := authSchemeLen(s[k:j], s[vs:ve]); sl > 0 {
		if isMarked(s[vs+sl : ve]) {
			return
		}
		vs += sl // "Authorization: Bearer [REDACTED]"
	} else if sl := schemeLen(s[vs:ve]); sl > 0 && isMarked(s[vs+sl:ve]) {
		return
	}
	st.add(vs, ve, "key-value")
}

// maxODBC bounds how far a brace-quoted value ("Pwd={...}") may run.
const maxODBC = 256

// unquotedEnd returns the end of an unquoted value starting at v. After
// '=' (logfmt, env files, shells) a value runs over '&' and ';' unless
// they start another name=value pair: "password=ab&cd;ef level=info" is
// one value, "token=abc&page=2" two pairs.
func unquotedEnd(s string, v int, eq bool) int {
	ve := v
	for {
		for ve < len(s) && !stopTab[s[ve]] {
			ve++
		}
		if !eq || ve >= len(s) || (s[ve] != '&' && s[ve] != ';') || startsPair(s, ve+1) {
			return ve
		}
		ve++
	}
}

// startsPair reports whether s[p:] starts with "name=" (blanks first).
func startsPair(s string, p int) bool {
	for p < len(s) && s[p] == ' ' {
		p++
	}
	k := p
	for k < len(s) && k-p < 64 && keyTab[s[k]] {
		k++
	}
	return k > p && k < len(s) && s[k] == '='
}

// maxTag bounds how far inputValueAt looks for the start and the end of
// the tag around a value attribute.
const maxTag = 1024

// inputValueAt handles value="..." (the '=' at i, the attribute name at k)
// inside an HTML tag whose type is password or whose name or id is
// secret-shaped: a login form re-rendered with what was typed, a hidden
// csrf_token field. The attributes may come in any order.
func (r *Redactor) inputValueAt(st *scanState, k, i int) {
	s := st.s
	if k == 0 || (s[k-1] != ' ' && s[k-1] != '\t' && s[k-1] != '\n' && s[k-1] != '\r') {
		return
	}
	lo := max(0, k-maxTag)
	lt := strings.LastIndexByte(s[lo:k], '<')
	if lt < 0 {
		return
	}
	lt += lo
	if strings.IndexByte(s[lt:k], '>') >= 0 {
		return // value= outside a tag
	}
	vs, ve, next := attrValue(s, i+1)
	gt := len(s)
	if c := strings.IndexByte(s[next:min(len(s), next+maxTag)], '>'); c >= 0 {
		gt = next + c
	}
	secret := false
	tagAttrs(s[lt+1:gt], func(name, val string) {
		switch {
		case strings.EqualFold(name, "type"):
			secret = secret || strings.EqualFold(val, "password")
		case strings.EqualFold(name, "name"), strings.EqualFold(name, "id"):
			secret = secret || r.keys.isSecret(val)
		}
	})
	st.kvCovered = max(st.kvCovered, ve)
	if !secret || ve <= vs || isMarked(s[vs:ve]) {
		return
	}
	st.add(vs, ve, "html-input")
}

// attrValue reads an attribute value starting at v (after the '='):
// quoted (to the closing quote, or the end of s when it was cut) or bare
// (to a space or '>'). next is where the attribute ends.
func attrValue(s string, v int) (vs, ve, next int) {
	n := len(s)
	if v < n && (s[v] == '"' || s[v] == '\'') {
		q := s[v]
		vs = v + 1
		if c := strings.IndexByte(s[vs:], q); c >= 0 {
			return vs, vs + c, vs + c + 1
		}
		return vs, n, n
	}
	ve = v
	for ve < n && s[ve] != ' ' && s[ve] != '\t' && s[ve] != '\n' && s[ve] != '\r' && s[ve] != '>' {
		ve++
	}
	return v, ve, ve
}

// tagAttrs calls fn with each attribute of tag, the text between '<' and
// '>' (the element name first, which has no value and is skipped).
func tagAttrs(tag string, fn func(name, val string)) {
	i := 0
	for i < len(tag) && tag[i] != ' ' && tag[i] != '\t' && tag[i] != '\n' && tag[i] != '\r' {
		i++
	}
	for i < len(tag) {
		for i < len(tag) && (tag[i] == ' ' || tag[i] == '\t' || tag[i] == '\n' || tag[i] == '\r' || tag[i] == '/') {
			i++
		}
		ns := i
		for i < len(tag) && tag[i] != '=' && tag[i] != ' ' && tag[i] != '\t' && tag[i] != '\n' && tag[i] != '\r' && tag[i] != '/' {
			i++
		}
		name := tag[ns:i]
		if i < len(tag) && tag[i] == '=' {
			vs, ve, next := attrValue(tag, i+1)
			fn(name, tag[vs:ve])
			i = next
		} else if name == "" {
			i++
		}
	}
}

// elementAt handles "<password>value</password>" (XML, HTML) at the '>'
// of the start tag i.
func (r *Redactor) elementAt(st *scanState, i int) {
	s := st.s
	k := i
	for k > 0 && i-k < 64 && keyTab[s[k-1]] {
		k--
	}
	if k == i || k == 0 || s[k-1] != '<' || !r.keys.isSecret(s[k:i]) {
		return
	}
	vs := i + 1
	ve := len(s)
	if c := strings.IndexByte(s[vs:], '<'); c >= 0 {
		ve = vs + c
	}
	st.kvCovered = ve
	if strings.TrimSpace(s[vs:ve]) == "" || isMarked(s[vs:ve]) {
		return
	}
	st.add(vs, ve, "element")
}

// emailAt handles an e-mail address whose '@' is at i.
func emailAt(st *scanState, i int) {
	s := st.s
	a := i
	for a > 0 && i-a < 64 && mailTab[s[a-1]] {
		a--
	}
	e := i + 1
	dot := -1
	for e < len(s) && (alnumTab[s[e]] || s[e] == '-' || s[e] == '.') {
		if s[e] == '.' {
			dot = e
		}
		e++
	}
	for e > i+1 && s[e-1] == '.' {
		e--
	}
	if a == i || dot < 0 || dot >= e-2 || dot == i+1 {
		return
	}
	if e < len(s) && s[e] == ':' && e+1 < len(s) && s[e+1] != ' ' {
		return // "git@github.com:org/repo.git": an scp-style remote
	}
	if fileExt[strings.ToLower(s[dot+1:e])] {
		return // "logo@2x.png": a file name
	}
	st.add(a, e, "email")
}

// cardAt handles a payment card number starting at i: 13-19 digits,
// optionally grouped by single spaces or dashes, passing the Luhn check.
func cardAt(st *scanState, i int) int {
	s := st.s
	var digits [19]byte
	nd := 0
	e := i
	last := i
	for e < len(s) && nd < 20 {
		c := s[e]
		if isDigit(c) {
			if nd == 19 {
				return -1
			}
			digits[nd] = c - '0'
			nd++
			e++
			last = e
			continue
		}
		if (c == ' ' || c == '-') && e+1 < len(s) && isDigit(s[e+1]) {
			e++
			continue
		}
		break
	}
	if nd < 12 || !boundary(s, last) || !cardIssuer(digits[:nd]) || !luhn(digits[:nd]) {
		return -1
	}
	st.add(i, last, "card-number")
	return last
}

// fileExt are top-level "domains" that are file extensions.
var fileExt = map[string]bool{
	"png": true, "jpg": true, "jpeg": true, "gif": true, "svg": true, "webp": true,
	"avif": true, "ico": true, "css": true, "js": true, "mjs": true, "map": true,
	"json": true, "pdf": true, "txt": true, "html": true, "woff": true, "woff2": true,
	"ttf": true, "mp4": true, "webm": true, "zip": true, "gz": true, "git": true,
}

// cardIssuer reports whether d (the digits of a candidate card number)
// starts with an issuer's range (IIN) and has a length that issuer uses:
// millisecond timestamps, message IDs and order numbers mostly do not.
func cardIssuer(d []byte) bool {
	n := len(d)
	p := func(k int) int {
		v := 0
		for i := 0; i < k && i < n; i++ {
			v = v*10 + int(d[i])
		}
		return v
	}
	in := func(lens ...int) bool {
		for _, l := range lens {
			if n == l {
				return true
			}
		}
		return false
	}
	switch p1 := p(1); {
	case p1 == 4: // Visa
		return in(13, 16, 19)
	case p(2) >= 51 && p(2) <= 55, p(4) >= 2221 && p(4) <= 2720: // Mastercard
		return n == 16
	case p(2) == 34 || p(2) == 37: // American Express
		return n == 15
	case p(4) == 6011, p(3) >= 644 && p(3) <= 649, p(2) == 65: // Discover
		return n >= 16 && n <= 19
	case p(4) >= 3528 && p(4) <= 3589: // JCB
		return n >= 16 && n <= 19
	case p(3) >= 300 && p(3) <= 305, p(2) == 36, p(2) == 38, p(2) == 39: // Diners Club
		return n >= 14 && n <= 19
	case p(2) == 62: // UnionPay
		return n >= 16 && n <= 19
	case p(4) == 5018, p(4) == 5020, p(4) == 5038, p(4) == 5893, p(4) == 6304,
		p(4) == 6759, p(4) >= 6761 && p(4) <= 6763: // Maestro
		return n >= 12 && n <= 19
	}
	return false
}

func luhn(d []byte) bool {
	sum := 0
	double := false
	for i := len(d) - 1; i >= 0; i-- {
		x := int(d[i])
		if double {
			x *= 2
			if x > 9 {
				x -= 9
			}
		}
		sum += x
		double = !double
	}
	return sum%10 == 0
}

// apply replaces spans (merged where they overlap or touch) in s.
func (r *Redactor) apply(s string, spans []span) string {
	if len(spans) == 0 {
		return s
	}
	// Insertion sort: spans arrive nearly sorted and are few.
	for i := 1; i < len(spans); i++ {
		for j := i; j > 0 && spans[j].start < spans[j-1].start; j-- {
			spans[j], spans[j-1] = spans[j-1], spans[j]
		}
	}
	var b strings.Builder
	b.Grow(len(s) + 16*len(spans))
	last := 0
	for i := 0; i < len(spans); {
		start, end := spans[i].start, spans[i].end
		i++
		for i < len(spans) && spans[i].start <= end {
			end = max(end, spans[i].end)
			i++
		}
		start = max(start, last)
		end = min(end, len(s))
		if end <= start {
			continue
		}
		b.WriteString(s[last:start])
		b.WriteString(r.mask(s[start:end]))
		last = end
	}
	b.WriteString(s[last:])
	return b.String()
}

// spanNames returns the distinct rule names of spans, in order of appearance.
func spanNames(spans []span) []string {
	var names []string
outer:
	for _, sp := range spans {
		for _, n := range names {
			if n == sp.name {
				continue outer
			}
		}
		names = append(names, sp.name)
	}
	return names
}

// str redacts secret-shaped values in s; changed says whether it did.
func (r *Redactor) str(s string, trunc bool) (string, []span) {
	spans := r.scan(s, trunc)
	if len(spans) == 0 {
		return s, nil
	}
	return r.apply(s, spans), spans
}

// String redacts secret-shaped values in free text (log messages, error
// strings, any field). The returned names are those of the rules that
// matched ("bearer", "jwt", "key-value", "userinfo" ...), each once.
func (r *Redactor) String(s string) (string, []string) {
	out, spans := r.str(s, false)
	if spans == nil {
		return s, nil
	}
	return out, spanNames(spans)
}
