package redaction

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
)

// Replacement is what a redacted value becomes (unless WithFingerprint is
// set, in which case it is "[REDACTED:xxxxxxxx]").
const Replacement = "[REDACTED]"

// markerPrefix starts every replacement; values that already start with it
// are not redacted (or reported) a second time.
const markerPrefix = "[REDACTED"

// Option configures a Redactor built by New.
type Option func(*options)

type options struct {
	keys        []string
	allow       []string
	patterns    []pattern
	hook        func(path []string, v any) (any, bool)
	emails      bool
	cards       bool
	fingerprint bool
}

type pattern struct {
	name      string
	re        *regexp.Regexp
	prefilter []string
}

// WithKeys adds secret-shaped keys. Each key is split into words like the
// keys it is compared with, so WithKeys("account_number") also matches
// "accountNumber", "Account-Number" and "billing_account_number".
func WithKeys(keys ...string) Option {
	return func(o *options) { o.keys = append(o.keys, keys...) }
}

// WithAllowKeys names keys that the key rule never redacts, compared by
// their words ("max_tokens" also allows "maxTokens"). Their values are
// still scanned for secret-shaped values.
func WithAllowKeys(keys ...string) Option {
	return func(o *options) { o.allow = append(o.allow, keys...) }
}

// WithPattern adds a value pattern. When re has a capturing group, only the
// first group is redacted, otherwise the whole match. When prefilter literals
// are given, re only runs on strings that contain at least one of them
// (case-sensitive); without them it runs on every string, which is slow.
// A nil re is ignored.
func WithPattern(name string, re *regexp.Regexp, prefilter ...string) Option {
	return func(o *options) {
		if re == nil {
			return
		}
		if name == "" {
			name = "pattern"
		}
		o.patterns = append(o.patterns, pattern{name: name, re: re, prefilter: prefilter})
	}
}

// WithHook installs a hook for app-owned fields (health data, account
// numbers ...). It is called for every keyed value that Value, JSON, Form and
// Headers (and so Event) visit, with the path of keys to it (array indexes as
// decimal strings) and the value: for JSON, scalars decoded (string,
// json.Number, bool, nil) and objects or arrays as json.RawMessage (offered
// after their contents, and replacing what was done inside). Returning
// (replacement, true) replaces the value with replacement as is (it is not
// scanned again); returning false leaves the value to the other rules.
// The hook must not keep or modify path after it returns, and must be safe
// for concurrent use when the Redactor is used concurrently.
func WithHook(hook func(path []string, v any) (any, bool)) Option {
	return func(o *options) { o.hook = hook }
}

// WithEmails redacts e-mail addresses in every string (opt-in PII).
func WithEmails() Option { return func(o *options) { o.emails = true } }

// WithCardNumbers redacts payment card numbers (13 to 19 digits, optionally
// grouped by spaces or dashes) that pass the Luhn check (opt-in PII).
func WithCardNumbers() Option { return func(o *options) { o.cards = true } }

// WithFingerprint makes replacements "[REDACTED:xxxxxxxx]", the first 8 hex
// digits of HMAC-SHA256 of the secret under a random key made for this
// Redactor: two occurrences of the same secret can be told apart from two
// different secrets, within one Redactor's lifetime, without revealing them.
func WithFingerprint() Option { return func(o *options) { o.fingerprint = true } }

// Redactor redacts secrets from headers, URLs, bodies, Go values and events.
// It is immutable after New and safe for concurrent use.
type Redactor struct {
	keys     keyRules
	patterns []pattern
	hook     func(path []string, v any) (any, bool)
	emails   bool
	cards    bool
	fpKey    []byte // nil unless WithFingerprint
}

// New returns a Redactor with the default rules plus opts.
func New(opts ...Option) *Redactor {
	var o options
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	r := &Redactor{
		keys:     newKeyRules(o.keys, o.allow),
		patterns: o.patterns,
		hook:     o.hook,
		emails:   o.emails,
		cards:    o.cards,
	}
	if o.fingerprint {
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
