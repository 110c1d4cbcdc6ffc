package secretscan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"unicode"
)

// Finding is one secret-shaped value: where it is and which rule matched.
type Finding struct {
	EventID string `json:"eventId"`
	Path    string `json:"path"`
	Rule    string `json:"rule"`
}

func (f Finding) String() string { return f.EventID + "  " + f.Path + "  " + f.Rule }

type rule struct {
	name      string
	re        *regexp.Regexp
	prefilter string // case-sensitive substring that must be present, "" for none
	// valueGroup, when > 0, is the submatch that must not be a redaction
	// marker.
	valueGroup int
}

// Scanner scans events. Its zero value is not usable; create it with New. A
// Scanner is safe for concurrent use.
type Scanner struct {
	rules []rule
}

// RuleNames lists the value rules, for documentation and tests.
func (s *Scanner) RuleNames() []string {
	out := make([]string, 0, len(s.rules)+2)
	for _, r := range s.rules {
		out = append(out, r.name)
	}
	return append(out, RuleSecretKey, RuleCookie)
}

// Rules that are not regular expressions.
const (
	// RuleSecretKey: a non-empty, unredacted value under a secret-named key.
	RuleSecretKey = "unredacted-secret-key"
	// RuleCookie: an unredacted, long cookie value.
	RuleCookie = "unredacted-cookie"
)

// New returns a Scanner with the built-in rules.
func New() *Scanner {
	return &Scanner{rules: []rule{
		{name: "aws-access-key-id", re: regexp.MustCompile(`\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b`)},
		{name: "github-token", re: regexp.MustCompile(`\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b`), prefilter: "_"},
		{name: "stripe-key", re: regexp.MustCompile(`\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,}`), prefilter: "k_"},
		{name: "slack-token", re: regexp.MustCompile(`\bxox[abposr]-[A-Za-z0-9-]{10,}`), prefilter: "xox"},
		{name: "google-api-key", re: regexp.MustCompile(`\bAIza[0-9A-Za-z_\-]{35}`), prefilter: "AIza"},
		{name: "llm-api-key", re: regexp.MustCompile(`\bsk-(?:ant-|proj-)?[A-Za-z0-9_\-]{32,}`), prefilter: "sk-"},
		{name: "jwt", re: regexp.MustCompile(`\beyJ[A-Za-z0-9_\-]{10,}\.eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}`), prefilter: "eyJ"},
		{name: "private-key", re: regexp.MustCompile(`-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----`), prefilter: "PRIVATE KEY"},
		{name: "bearer-or-basic-credential", re: regexp.MustCompile(`(?i)\b(?:bearer|basic)\s+([A-Za-z0-9._~+/\-]{16,}=*)`), valueGroup: 1},
		{name: "url-userinfo-password", re: regexp.MustCompile(`\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s/:@"'<>]+:([^\s/@"'<>]+)@`), prefilter: "://", valueGroup: 1},
	}}
}

// isRedacted reports whether s is (or holds only) a redaction marker.
func isRedacted(s string) bool {
	return strings.Contains(s, "[REDACTED") || strings.Contains(s, "%5BREDACTED") || strings.Contains(s, "%5bREDACTED")
}

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

func (w *walker) add(path, rule string) {
	k := path + "\x00" + rule
	if w.seen[k] {
		return
	}
	w.seen[k] = true
	w.out = append(w.out, Finding{EventID: w.id, Path: path, Rule: rule})
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
	if SecretKey(key) && looksLikeValue(s) && !isRedacted(s) {
		w.add(path, RuleSecretKey)
	}
	for _, r := range w.s.rules {
		if r.prefilter != "" && !strings.Contains(s, r.prefilter) {
			continue
		}
		for _, m := range r.re.FindAllStringSubmatch(s, 8) {
			if r.valueGroup > 0 && isRedacted(m[r.valueGroup]) {
				continue
			}
			w.add(path, r.name)
			break
		}
	}
	// Look inside structured text: JSON, form bodies, URLs.
	t := strings.TrimSpace(s)
	switch {
	case len(t) > 1 && (t[0] == '{' || t[0] == '['):
		dec := json.NewDecoder(strings.NewReader(t))
		dec.UseNumber()
		var inner any
		if dec.Decode(&inner) == nil {
			w.walk(path, key, inner, depth+1)
		}
	case strings.Contains(t, "://") && !strings.ContainsAny(t, " \n"):
		if u, err := url.Parse(t); err == nil && u.RawQuery != "" {
			w.query(path+".query", u.RawQuery)
		}
	case strings.HasPrefix(t, "/") && strings.Contains(t, "?") && !strings.ContainsAny(t, " \n"):
		w.query(path+".query", t[strings.IndexByte(t, '?')+1:])
	case strings.Contains(t, "=") && !strings.ContainsAny(t, " \n{\"") && (strings.HasSuffix(path, "Body.text") || strings.HasSuffix(path, ".text")):
		w.query(path, t)
	}
}

func (w *walker) query(path, raw string) {
	q, err := url.ParseQuery(raw)
	if err != nil {
		return
	}
	for k, vs := range q {
		for _, v := range vs {
			if SecretKey(k) && looksLikeValue(v) && !isRedacted(v) {
				w.add(path+"."+k, RuleSecretKey)
			}
		}
	}
}

// cookies checks a Cookie or Set-Cookie value pair by pair: a long value
// that is not redacted is reported.
func (w *walker) cookies(path, s string) {
	if !strings.Contains(s, "=") {
		if looksLikeValue(s) && !isRedacted(s) {
			w.add(path, RuleSecretKey)
		}
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
		if len(val) >= 16 && !isRedacted(val) {
			w.add(path+"."+name, RuleCookie)
		}
	}
}

// looksLikeValue is false for values that cannot be secrets: very short,
// booleans, null-ish placeholders.
func looksLikeValue(s string) bool {
	if len(s) < 6 {
		return false
	}
	switch strings.ToLower(s) {
	case "true", "false", "null", "undefined", "none", "******", "********":
		return false
	}
	return strings.Trim(s, "*x•.") != ""
}

// SecretKey reports whether a field, header, parameter or cookie name is
// secret-shaped under the scanner's own rules: it contains one of the words
// password, passwd, passphrase, secret, token, credential(s), authorization,
// cookie, apikey, or the pairs api+key, private+key, access+key, session+id.
// "max_tokens", "author", "tokenizer" and "token_type" are not
// secret-shaped.
func SecretKey(key string) bool {
	words := splitWords(key)
	if len(words) > 1 {
		switch words[len(words)-1] {
		case "type", "count", "expires", "expiry", "ttl", "len", "length", "url", "uri", "endpoint", "name",
			"kind", "limit", "used", "usage", "required", "present", "set", "hint", "policy", "header":
			return false // token_type, password_hint, secret_name: metadata about a secret
		}
	}
	for i, w := range words {
		switch w {
		case "password", "passwd", "passphrase", "pwd", "secret", "secrets", "token", "credential", "credentials",
			"authorization", "cookie", "apikey", "xapikey", "auth":
			return true
		}
		if i+1 < len(words) {
			switch w + " " + words[i+1] {
			case "api key", "private key", "access key", "session id", "client secret", "signing key":
				return true
			}
		}
	}
	return false
}

// splitWords splits on non-alphanumerics and lower-to-upper case changes,
// and lower-cases the words: "awsSecretAccessKey" -> aws secret access key.
func splitWords(s string) []string {
	var words []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			words = append(words, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	rs := []rune(s)
	for i, r := range rs {
		switch {
		case !unicode.IsLetter(r) && !unicode.IsDigit(r):
			flush()
		case unicode.IsUpper(r) && i > 0 && (unicode.IsLower(rs[i-1]) || unicode.IsDigit(rs[i-1]) ||
			i+1 < len(rs) && unicode.IsUpper(rs[i-1]) && unicode.IsLower(rs[i+1])):
			flush()
			cur = append(cur, r)
		default:
			cur = append(cur, r)
		}
	}
	flush()
	return words
}
