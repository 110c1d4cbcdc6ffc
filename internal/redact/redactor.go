package redact

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
)

// Replacement is what a redacted value becomes (unless Fingerprint is set,
// in which case it is "[REDACTED:xxxxxxxx]").
const Replacement = "[REDACTED]"

// markerPrefix starts every replacement; values that already start with it
// are not redacted (or reported) a second time.
const markerPrefix = "[REDACTED"

// Options configures a Redactor. The zero value means the defaults: the
// built-in key and value rules, no hook, no PII rules, plain replacements.
// The public redaction package documents each field.
type Options struct {
	Keys        []string
	AllowKeys   []string
	Patterns    []Pattern
	Hook        func(path []string, v any) (any, bool)
	Emails      bool
	CardNumbers bool
	Fingerprint bool
}

// Pattern is an app-supplied value rule (see redaction.Pattern).
type Pattern struct {
	Name      string
	Regexp    *regexp.Regexp
	Prefilter []string
}

type pattern struct {
	name      string
	re        *regexp.Regexp
	prefilter []string
}

// Redactor redacts secrets from headers, URLs, bodies, Go values and events.
// It is immutable after New and safe for concurrent use.
type Redactor struct {
	keys     keyRules
	patterns []pattern
	hook     func(path []string, v any) (any, bool)
	emails   bool
	cards    bool
	fpKey    []byte // nil unless Options.Fingerprint
}

// New returns a Redactor with the default rules plus o.
func New(o Options) *Redactor {
	r := &Redactor{
		keys:   newKeyRules(o.Keys, o.AllowKeys),
		hook:   o.Hook,
		emails: o.Emails,
		cards:  o.CardNumbers,
	}
	for _, p := range o.Patterns {
		if p.Regexp == nil {
			continue
		}
		name := p.Name
		if name == "" {
			name = "pattern"
		}
		r.patterns = append(r.patterns, pattern{name: name, re: p.Regexp, prefilter: p.Prefilter})
	}
	if o.Fingerprint {
		r.fpKey = make([]byte, 32)
		// crypto/rand.Read never returns an error (Go 1.24+): it crashes
		// the program instead of returning predictable bytes.
		_, _ = rand.Read(r.fpKey)
	}
	return r
}

// IsSecretKey reports whether the key rule redacts the value of key
// (case- and separator-insensitive, matched by words).
func (r *Redactor) IsSecretKey(key string) bool { return r.keys.isSecret(key) }

// mask returns the replacement for secret.
func (r *Redactor) mask(secret string) string {
	if r.fpKey == nil {
		return Replacement
	}
	m := hmac.New(sha256.New, r.fpKey)
	m.Write([]byte(secret))
	var sum [sha256.Size]byte
	var hx [8]byte
	hex.Encode(hx[:], m.Sum(sum[:0])[:4])
	return "[REDACTED:" + string(hx[:]) + "]"
}

// quotedMask is mask as a JSON string token.
func (r *Redactor) quotedMask(secret string) string {
	if r.fpKey == nil {
		return `"` + Replacement + `"`
	}
	return `"` + r.mask(secret) + `"`
}

// isMarked reports whether v is exactly a replacement ("[REDACTED]" or
// "[REDACTED:xxxxxxxx]"), optionally in double quotes. Only an exact match
// counts: text that merely starts with the marker, such as
// `"[REDACTED password=hunter2`, could hide a secret after it.
func isMarked(v string) bool {
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		v = v[1 : len(v)-1]
	} else if len(v) >= 1 && v[len(v)-1] == '"' {
		v = v[:len(v)-1]
	}
	if v == Replacement {
		return true
	}
	if len(v) != len(markerPrefix)+10 || !strings.HasPrefix(v, markerPrefix+":") || v[len(v)-1] != ']' {
		return false
	}
	for i := len(markerPrefix) + 1; i < len(v)-1; i++ {
		if c := v[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// addPath appends prefix+name to *paths unless paths is nil (the caller
// does not want paths).
func addPath(paths *[]string, prefix, name string) {
	if paths != nil {
		*paths = append(*paths, prefix+name)
	}
}
