package redaction

import (
	"net/http"
	"regexp"

	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/internal/redact"
)

// Replacement is what a redacted value becomes (unless Options.Fingerprint
// is set, in which case it is "[REDACTED:xxxxxxxx]").
const Replacement = redact.Replacement

// Options configures a Redactor. The zero value means the defaults: every
// built-in key and value rule, no hook, no PII rules, plain "[REDACTED]"
// replacements.
type Options struct {
	// Keys adds secret-shaped keys. Each key is split into words like the
	// keys it is compared with, so "account_number" also matches
	// "accountNumber", "Account-Number" and "billing_account_number".
	Keys []string
	// AllowKeys names keys that the key rule never redacts, compared by
	// their words ("max_tokens" also allows "maxTokens"). Their values are
	// still scanned for secret-shaped values.
	AllowKeys []string
	// Patterns adds value rules for the app's own token formats.
	Patterns []Pattern
	// Hook decides app-owned fields (health data, account numbers ...). It
	// is called for every keyed value that Value, JSON, Form and Headers
	// (and so Event) visit, with the path of keys to it (array indexes as
	// decimal strings) and the value: for JSON, scalars decoded (string,
	// json.Number, bool, nil) and objects or arrays as json.RawMessage
	// (offered after their contents, and replacing what was done inside).
	// Returning (replacement, true) replaces the value with replacement as
	// is (it is not scanned again; a replacement equal to the value keeps
	// it and is not reported as redacted); returning false leaves the value
	// to the other rules. The hook must not keep or modify path after it
	// returns, and must be safe for concurrent use when the Redactor is.
	Hook func(path []string, v any) (any, bool)
	// Emails redacts e-mail addresses in every string (opt-in PII).
	Emails bool
	// CardNumbers redacts payment card numbers (opt-in PII): 13 to 19
	// digits, optionally grouped by spaces or dashes, with a known issuer
	// prefix (IIN range) and length for that issuer, passing the Luhn check.
	CardNumbers bool
	// Fingerprint makes replacements "[REDACTED:xxxxxxxx]", the first 8 hex
	// digits of HMAC-SHA256 of the secret under a random key made for this
	// Redactor: two occurrences of the same secret can be told apart from
	// two different secrets, within one Redactor's lifetime, without
	// revealing them.
	Fingerprint bool
}

// Pattern is a value rule for an app's own token format. When Regexp has a
// capturing group, only the first group is redacted, otherwise the whole
// match. When Prefilter literals are given, Regexp only runs on strings
// that contain at least one of them (case-sensitive); without them it runs
// on every string, which is slow. A Pattern with a nil Regexp is ignored.
type Pattern struct {
	Name      string // reported as the rule name; "pattern" when empty
	Regexp    *regexp.Regexp
	Prefilter []string
}

// Redactor redacts secrets from headers, URLs, bodies, Go values and events.
// It is immutable after New and safe for concurrent use.
type Redactor redact.Redactor

// New returns a Redactor with the default rules plus what o adds.
func New(o Options) *Redactor {
	ro := redact.Options{
		Keys:        o.Keys,
		AllowKeys:   o.AllowKeys,
		Hook:        o.Hook,
		Emails:      o.Emails,
		CardNumbers: o.CardNumbers,
		Fingerprint: o.Fingerprint,
	}
	for _, p := range o.Patterns {
		ro.Patterns = append(ro.Patterns, redact.Pattern(p))
	}
	return (*Redactor)(redact.New(ro))
}

func (r *Redactor) engine() *redact.Redactor { return (*redact.Redactor)(r) }

// IsSecretKey reports whether the key rule redacts the value of key
// (case- and separator-insensitive, matched by words).
func (r *Redactor) IsSecretKey(key string) bool { return r.engine().IsSecretKey(key) }

// String redacts secret-shaped values in free text (log messages, error
// strings, any field). The returned names are the IDs of the rules that
// matched ("bearer", "jwt", "sendgrid-api-token", "key-value",
// "userinfo" ...), each once.
func (r *Redactor) String(s string) (string, []string) { return r.engine().String(s) }

// Headers redacts HTTP headers: every value of a secret-shaped header
// (Authorization keeps its scheme, "Bearer [REDACTED]"; Cookie and
// Set-Cookie keep cookie names and attributes) and secret-shaped values in
// any other header. Paths are lower-case header names. When nothing is
// replaced, h itself is returned; otherwise a new map that shares the
// unchanged value slices.
func (r *Redactor) Headers(h http.Header) (http.Header, []string) { return r.engine().Headers(h) }

// HeaderMap is Headers for a plain map (as in event.HTTP).
func (r *Redactor) HeaderMap(h map[string][]string) (map[string][]string, []string) {
	return r.engine().HeaderMap(h)
}

// URL redacts a URL (absolute or a request URI): the userinfo (user and
// password both), the values of sensitive query and fragment parameters
// (token, access_token, code, sig, X-Amz-Signature, key, password ... and
// every secret-shaped key), and secret-shaped values anywhere else (a
// Telegram bot token in the path, a Discord webhook token). Paths:
// "userinfo", "path", "query.<name>", "fragment" or "fragment.<name>".
// The text is not parsed by net/url, so what it cannot parse is still
// redacted; when nothing is replaced, s is returned as is.
func (r *Redactor) URL(s string) (string, []string) { return r.engine().URL(s) }

// Form redacts an application/x-www-form-urlencoded body or a query string
// (without the '?'): values of sensitive names are replaced, other values
// are scanned for secret-shaped values. Paths are the field names. Order,
// names and untouched values keep their original encoding.
func (r *Redactor) Form(s string) (string, []string) { return r.engine().Form(s) }

// JSON redacts a JSON document. Valid JSON is rewritten token by token:
// structure, key order, whitespace and number text are kept, values of
// secret-shaped keys become "[REDACTED]" (true, false, null and "" are
// kept), and every string (keys too) is scanned for secret-shaped values.
// Paths are dotted key paths with array indexes ("users.0.password"; "$"
// for the root value). Invalid or truncated JSON is never passed through
// raw: a tolerant scan redacts the values of secret-shaped keys it can see
// ("password":"hun at the end included) and secret-shaped values anywhere.
// When nothing is replaced, b itself is returned.
func (r *Redactor) JSON(b []byte) ([]byte, []string) { return r.engine().JSON(b) }

// Body redacts a captured body by content type: JSON (application/json,
// +json, and text that starts like JSON), NDJSON line by line, form bodies,
// multipart form fields, anything else as text. truncated=true means b was
// cut at a capture limit: a partial secret match at the end is redacted too.
// Paths are JSON paths, form field names, or rule names for text. When
// nothing is replaced, b itself is returned.
func (r *Redactor) Body(contentType string, b []byte, truncated bool) ([]byte, []string) {
	return r.engine().Body(contentType, b, truncated)
}

// BodyString is Body for a body held as a string: it returns s itself
// when nothing is replaced, so a caller that has made its one copy of the
// body does not pay for a second.
func (r *Redactor) BodyString(contentType, s string, truncated bool) (string, []string) {
	return r.engine().BodyString(contentType, s, truncated)
}

// Value redacts a Go value the way it would be encoded as JSON: maps (any
// key type), slices, arrays, structs through their json tags, pointers and
// interfaces. Values of secret-shaped keys are replaced (bools and nils
// kept), strings are scanned for secret-shaped values, json.RawMessage and
// types with a MarshalJSON method are redacted as JSON. The input is never
// modified: a container that changed comes back as a new map[string]any or
// []any (a struct as map[string]any keyed by its JSON names), the JSON
// encoding of which matches the original's apart from the replacements;
// unchanged parts are returned as they are. Cycles end in "[CYCLE]". Paths
// are dotted ("user.tokens.0", "$" for the root).
func (r *Redactor) Value(v any) (any, []string) { return r.engine().Value(v) }

// Event redacts every field of *e. It assigns new strings, maps, slices and
// structs to e's fields and never writes into maps, slices or structs that
// e points to (and the caller may share). It sets e.Redacted to the sorted,
// deduplicated union of what was there and the paths it replaced, such as
// "http.requestHeaders.authorization", "http.url.query.token",
// "http.requestBody", "attrs.password" and "message", and returns e.Redacted.
func (r *Redactor) Event(e *event.Event) []string { return r.engine().Event(e) }
