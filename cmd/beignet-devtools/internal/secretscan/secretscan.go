package secretscan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/beignet/devtools/internal/redact"
)

// Finding is one secret-shaped value: where it is and which rule matched.
type Finding struct {
	EventID string `json:"eventId"`
	Path    string `json:"path"`
	Rule    string `json:"rule"`
}

func (f Finding) String() string { return f.EventID + "  " + f.Path + "  " + f.Rule }

// Rules that come from keys rather than from a value's shape.
const (
	// RuleSecretKey: an unredacted value under a secret-named key.
	RuleSecretKey = "secret-key"
	// RuleCookie: an unredacted, long cookie value.
	RuleCookie = "cookie"
)

// Scanner scans events with the rules of the redaction engine (the
// default ones, whatever options the app redacted with), so that a store
// written before a rule existed can be checked with it. Create it with
// New; it is safe for concurrent use.
type Scanner struct {
	eng *redact.Redactor
}

// New returns a Scanner with the built-in rules.
func New() *Scanner { return &Scanner{eng: redact.New(redact.Options{})} }

// Event scans one event given as JSON (the stored or wire form) and returns
// its findings, sorted by path.
func (s *Scanner) Event(raw []byte) ([]Finding, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v map[string]any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("secretscan: decode event: %w", err)
	}
	id, _ := v["id"].(string)
	w := &walker{s: s, id: id, seen: map[string]bool{}}
	for k, val := range v {
		switch k {
		case "id", "requestId", "traceId", "spanId", "parentSpanId", "redacted", "v", "time", "kind":
			continue
		}
		w.walk(k, k, val, 0)
	}
	sort.Slice(w.out, func(i, j int) bool {
		if w.out[i].Path != w.out[j].Path {
			return w.out[i].Path < w.out[j].Path
		}
		return w.out[i].Rule < w.out[j].Rule
	})
	return w.out, nil
}

type walker struct {
	s    *Scanner
	id   string
	out  []Finding
	seen map[string]bool
}

func (w *walker) add(path string, rules ...string) {
	for _, rule := range rules {
		k := path + "\x00" + rule
		if w.seen[k] {
			continue
		}
		w.seen[k] = true
		w.out = append(w.out, Finding{EventID: w.id, Path: path, Rule: rule})
	}
}

const maxDepth = 32

func (w *walker) walk(path, key string, v any, depth int) {
	if depth > maxDepth {
		return
	}
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			w.walk(path+"."+k, k, val, depth+1)
		}
	case []any:
		for i, val := range x {
			p := path
			if len(x) > 1 {
				p = fmt.Sprintf("%s[%d]", path, i)
			}
			w.walk(p, key, val, depth+1)
		}
	case string:
		w.str(path, key, x, depth)
	}
}

func (w *walker) str(path, key, s string, depth int) {
	if s == "" {
		return
	}
	lk := strings.ToLower(key)
	if lk == "cookie" || lk == "set-cookie" {
		w.cookies(path, s)
		return
	}
	// Structured text is looked into, so that findings name the field.
	t := strings.TrimSpace(s)
	switch {
	case len(t) > 1 && (t[0] == '{' || t[0] == '['):
		dec := json.NewDecoder(strings.NewReader(t))
		dec.UseNumber()
		var inner any
		if dec.Decode(&inner) == nil && !dec.More() {
			w.walk(path, key, inner, depth+1)
			return
		}
	case strings.ContainsRune(t, '?') && !strings.ContainsAny(t, " \n") && (strings.Contains(t, "://") || t[0] == '/'):
		base, q, _ := strings.Cut(t, "?")
		q, _, _ = strings.Cut(q, "#")
		w.add(path, w.s.eng.Audit(key, base)...)
		if w.query(path+".query", q) {
			return
		}
	case strings.Contains(t, "=") && !strings.ContainsAny(t, " \n{\"") && strings.HasSuffix(path, ".text"):
		if w.query(path, t) {
			return
		}
	}
	w.add(path, w.s.eng.Audit(key, s)...)
}

// query audits a query string or form body parameter by parameter; false
// when it does not parse as one.
func (w *walker) query(path, raw string) bool {
	q, err := url.ParseQuery(raw)
	if err != nil {
		return false
	}
	for k, vs := range q {
		for _, v := range vs {
			w.add(path+"."+k, w.s.eng.AuditParam(k, v)...)
		}
	}
	return true
}

// cookies checks a Cookie or Set-Cookie value pair by pair: a long value
// that is not redacted is reported.
func (w *walker) cookies(path, s string) {
	if !strings.Contains(s, "=") {
		w.add(path, w.s.eng.Audit("cookie", s)...)
		return
	}
	for _, part := range strings.Split(s, ";") {
		name, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		switch strings.ToLower(name) {
		case "path", "domain", "expires", "max-age", "samesite":
			continue
		}
		val = strings.Trim(val, `"`)
		if len(val) >= 16 && !strings.Contains(val, "[REDACTED") {
			w.add(path+"."+name, RuleCookie)
		}
	}
}
