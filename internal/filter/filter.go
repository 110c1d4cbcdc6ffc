// Package filter implements the console's query language.
//
// A query is a list of terms separated by spaces; an event matches when it
// matches every term (AND). A term prefixed with "-" is negated.
//
//	kind:request            kind (comma list allowed: kind:request,provider)
//	status:>=500 status:4xx status:404 status:<300
//	method:POST             HTTP method of a request or provider call
//	path:/api/*             path glob, * matches any run of characters
//	provider:stripe         provider name
//	actor:alice tenant:acme audit actor / tenant (globs allowed)
//	level:error             log level
//	req:01J...              request ID
//	dur:>200ms dur:<1s      duration
//	instance:web-2 app:notes  emitting instance / app (globs allowed)
//	word "two words"        case-insensitive substring of name, path, message, ...
//
// Caveats: values are case-insensitive everywhere; an unknown field name is an
// error (quote the word to search for text containing a colon).
package filter

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/beignet/devtools/event"
)

// ErrSyntax is wrapped by every error Parse returns.
var ErrSyntax = errors.New("filter: invalid query")

// Filter is a parsed query. The zero value and nil match everything.
type Filter struct {
	src   string
	terms []term
}

type term struct {
	neg   bool
	match func(e *event.Event) bool
	tok   token // as written, for Literals and Masked
}

// Fields lists the field names the language knows, in help order.
func Fields() []string {
	return []string{"kind", "status", "method", "path", "provider", "actor", "tenant", "level", "req", "dur", "instance", "app"}
}

// Parse parses q. An empty or blank query returns a Filter matching everything.
func Parse(q string) (*Filter, error) {
	toks, err := tokenize(q)
	if err != nil {
		return nil, err
	}
	f := &Filter{src: strings.TrimSpace(q)}
	for _, tk := range toks {
		t, err := parseTerm(tk)
		if err != nil {
			return nil, err
		}
		t.tok = tk
		f.terms = append(f.terms, t)
	}
	return f, nil
}

// MustParse is Parse for queries known to be valid; it panics otherwise.
func MustParse(q string) *Filter {
	f, err := Parse(q)
	if err != nil {
		panic(err)
	}
	return f
}

// String returns the query text the filter was parsed from.
func (f *Filter) String() string {
	if f == nil {
		return ""
	}
	return f.src
}

// Empty reports whether the filter matches everything.
func (f *Filter) Empty() bool { return f == nil || len(f.terms) == 0 }

// Match reports whether e matches every term.
func (f *Filter) Match(e *event.Event) bool {
	if f == nil {
		return true
	}
	for _, t := range f.terms {
		if t.match(e) == t.neg {
			return false
		}
	}
	return true
}

type token struct {
	text   string
	quoted bool
	neg    bool
}

func tokenize(q string) ([]token, error) {
	var out []token
	i := 0
	for i < len(q) {
		for i < len(q) && (q[i] == ' ' || q[i] == '\t') {
			i++
		}
		if i >= len(q) {
			break
		}
		var tk token
		if q[i] == '-' && i+1 < len(q) && q[i+1] != ' ' {
			tk.neg = true
			i++
		}
		var b strings.Builder
		for i < len(q) && q[i] != ' ' && q[i] != '\t' {
			if q[i] == '"' {
				j := strings.IndexByte(q[i+1:], '"')
				if j < 0 {
					return nil, fmt.Errorf("%w: unterminated quote", ErrSyntax)
				}
				b.WriteString(q[i+1 : i+1+j])
				tk.quoted = true
				i += j + 2
				continue
			}
			b.WriteByte(q[i])
			i++
		}
		tk.text = b.String()
		if tk.text == "" && !tk.quoted {
			continue
		}
		out = append(out, tk)
	}
	return out, nil
}

func parseTerm(tk token) (term, error) {
	t := term{neg: tk.neg}
	field, value, hasColon := strings.Cut(tk.text, ":")
	if tk.quoted || !hasColon || !isIdent(field) {
		w := strings.ToLower(tk.text)
		t.match = func(e *event.Event) bool { return containsText(e, w) }
		return t, nil
	}
	field = strings.ToLower(field)
	if value == "" {
		return t, fmt.Errorf("%w: %s: needs a value", ErrSyntax, field)
	}
	var err error
	switch field {
	case "kind":
		t.match, err = kindTerm(value)
	case "status":
		t.match, err = statusTerm(value)
	case "method":
		m := strings.ToUpper(value)
		t.match = func(e *event.Event) bool { return strings.ToUpper(e.Method()) == m }
	case "path":
		p := value
		t.match = func(e *event.Event) bool {
			return glob(p, e.Path()) || (e.HTTP != nil && e.HTTP.Route != "" && glob(p, e.HTTP.Route))
		}
	case "provider":
		t.match = strTerm(value, func(e *event.Event) string {
			if e.Provider != nil {
				return e.Provider.Name
			}
			return ""
		})
	case "actor":
		t.match = strTerm(value, func(e *event.Event) string {
			if e.Audit != nil {
				return e.Audit.Actor
			}
			return ""
		})
	case "tenant":
		t.match = strTerm(value, func(e *event.Event) string {
			if e.Audit != nil {
				return e.Audit.Tenant
			}
			return ""
		})
	case "level":
		t.match = strTerm(value, func(e *event.Event) string { return e.Level })
	case "req", "requestid":
		t.match = strTerm(value, func(e *event.Event) string { return e.RequestID })
	case "dur", "duration":
		t.match, err = durTerm(value)
	case "instance":
		t.match = strTerm(value, func(e *event.Event) string { return e.Instance })
	case "app":
		t.match = strTerm(value, func(e *event.Event) string { return e.App })
	default:
		return t, fmt.Errorf("%w: unknown field %q (want one of %s)", ErrSyntax, clip(field), strings.Join(Fields(), ", "))
	}
	return t, err
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

func clip(s string) string {
	if len(s) > 20 {
		return s[:20] + "…"
	}
	return s
}

func kindTerm(v string) (func(*event.Event) bool, error) {
	var kinds []event.Kind
	for _, p := range strings.Split(strings.ToLower(v), ",") {
		k := event.Kind(p)
		if !k.Valid() {
			return nil, fmt.Errorf("%w: unknown kind %q (want request, provider, audit, log, error or custom)", ErrSyntax, clip(p))
		}
		kinds = append(kinds, k)
	}
	return func(e *event.Event) bool {
		for _, k := range kinds {
			if e.Kind == k {
				return true
			}
		}
		return false
	}, nil
}

type cmpOp int

const (
	opEq cmpOp = iota
	opLt
	opLe
	opGt
	opGe
)

func splitOp(v string) (cmpOp, string) {
	switch {
	case strings.HasPrefix(v, ">="):
		return opGe, v[2:]
	case strings.HasPrefix(v, "<="):
		return opLe, v[2:]
	case strings.HasPrefix(v, ">"):
		return opGt, v[1:]
	case strings.HasPrefix(v, "<"):
		return opLt, v[1:]
	case strings.HasPrefix(v, "="):
		return opEq, v[1:]
	}
	return opEq, v
}

func compare(op cmpOp, a, b int64) bool {
	switch op {
	case opLt:
		return a < b
	case opLe:
		return a <= b
	case opGt:
		return a > b
	case opGe:
		return a >= b
	}
	return a == b
}

func statusTerm(v string) (func(*event.Event) bool, error) {
	lv := strings.ToLower(v)
	if len(lv) == 3 && lv[1:] == "xx" && lv[0] >= '1' && lv[0] <= '5' {
		lo := int(lv[0]-'0') * 100
		return func(e *event.Event) bool { s := e.StatusCode(); return s >= lo && s < lo+100 }, nil
	}
	op, num := splitOp(lv)
	n, err := strconv.Atoi(num)
	if err != nil || n < 0 || n > 999 {
		return nil, fmt.Errorf("%w: status wants a code, a class like 5xx, or a comparison like >=500", ErrSyntax)
	}
	return func(e *event.Event) bool {
		s := e.StatusCode()
		return s != 0 && compare(op, int64(s), int64(n))
	}, nil
}

func durTerm(v string) (func(*event.Event) bool, error) {
	op, num := splitOp(strings.ToLower(v))
	d, err := time.ParseDuration(num)
	if err != nil || d < 0 {
		return nil, fmt.Errorf("%w: dur wants a comparison with a unit, like >200ms or <1s", ErrSyntax)
	}
	return func(e *event.Event) bool { return compare(op, e.DurationNs, int64(d)) }, nil
}

func strTerm(v string, get func(*event.Event) string) func(*event.Event) bool {
	p := strings.ToLower(v)
	return func(e *event.Event) bool { return glob(p, strings.ToLower(get(e))) }
}

// glob matches s against pattern p where '*' matches any run of characters
// (including '/') and '?' one character. Without wildcards it is equality.
func glob(p, s string) bool {
	if !strings.ContainsAny(p, "*?") {
		return p == s
	}
	// Iterative wildcard match with backtracking to the last star.
	pi, si, star, mark := 0, 0, -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == s[si]):
			pi++
			si++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// containsText is the free-word match: a case-insensitive substring of the
// fields a developer scans for.
func containsText(e *event.Event, w string) bool {
	fields := [...]string{e.Name, e.URL(), e.Message, e.Method(), e.RequestID, e.Level, string(e.Kind)}
	for _, f := range fields {
		if f != "" && containsFold(f, w) {
			return true
		}
	}
	if e.Provider != nil && (containsFold(e.Provider.Name, w) || containsFold(e.Provider.Operation, w) || containsFold(e.Provider.Error, w)) {
		return true
	}
	if a := e.Audit; a != nil {
		for _, f := range [...]string{a.Actor, a.Tenant, a.Action, a.Resource, a.Outcome} {
			if containsFold(f, w) {
				return true
			}
		}
	}
	return false
}

// containsFold reports whether lower-case w occurs in s, ignoring case,
// without allocating for ASCII text.
func containsFold(s, w string) bool {
	if w == "" {
		return true
	}
	if len(s) < len(w) {
		return false
	}
	for i := 0; i+len(w) <= len(s); i++ {
		ok := true
		for j := 0; j < len(w); j++ {
			c := s[i+j]
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != w[j] {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return strings.Contains(strings.ToLower(s), w)
		}
	}
	return false
}
