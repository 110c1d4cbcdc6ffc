package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// SchemaVersion is the version written in every event's "v" field.
const SchemaVersion = 1

// Kind says what an event records.
type Kind string

// The kinds of schema v1.
const (
	KindRequest  Kind = "request"  // an inbound HTTP request handled by the app
	KindProvider Kind = "provider" // an outbound call to a provider (payment, mail, LLM ...)
	KindAudit    Kind = "audit"    // who did what to which resource
	KindLog      Kind = "log"      // a structured log record
	KindError    Kind = "error"    // a panic or an error worth its own row
	KindCustom   Kind = "custom"   // anything the app records through Event
)

// Kinds lists every kind in display order.
func Kinds() []Kind {
	return []Kind{KindRequest, KindProvider, KindAudit, KindLog, KindError, KindCustom}
}

// Valid reports whether k is a kind of schema v1.
func (k Kind) Valid() bool {
	switch k {
	case KindRequest, KindProvider, KindAudit, KindLog, KindError, KindCustom:
		return true
	}
	return false
}

// ParseKind returns the Kind named s, or an error naming the valid kinds.
func ParseKind(s string) (Kind, error) {
	k := Kind(s)
	if !k.Valid() {
		return "", fmt.Errorf("event: unknown kind %q (want one of request, provider, audit, log, error, custom)", s)
	}
	return k, nil
}

// Event is one recorded thing, schema v1. Field names and JSON names follow
// DESIGN.md; optional parts are pointers or omitted when empty so that the
// encoding stays small and round-trips byte for byte.
type Event struct {
	V    int       `json:"v"`
	ID   ID        `json:"id"`
	Time time.Time `json:"time"`
	Kind Kind      `json:"kind"`
	Name string    `json:"name,omitempty"`

	RequestID    string `json:"requestId,omitempty"`
	TraceID      string `json:"traceId,omitempty"`
	SpanID       string `json:"spanId,omitempty"`
	ParentSpanID string `json:"parentSpanId,omitempty"`

	DurationNs int64  `json:"durationNs,omitempty"`
	Status     int    `json:"status,omitempty"`
	Level      string `json:"level,omitempty"`
	// Message is the text of a log or error event.
	Message string `json:"message,omitempty"`

	HTTP     *HTTP     `json:"http,omitempty"`
	Provider *Provider `json:"provider,omitempty"`
	Audit    *Audit    `json:"audit,omitempty"`

	Attrs    Attrs    `json:"attrs,omitempty"`
	Redacted []string `json:"redacted,omitempty"`

	App      string `json:"app,omitempty"`
	Instance string `json:"instance,omitempty"`
}

// HTTP describes an HTTP exchange: inbound for request events, outbound for
// provider events.
type HTTP struct {
	Method          string              `json:"method,omitempty"`
	URL             string              `json:"url,omitempty"`
	Route           string              `json:"route,omitempty"`
	Status          int                 `json:"status,omitempty"`
	RequestHeaders  map[string][]string `json:"requestHeaders,omitempty"`
	ResponseHeaders map[string][]string `json:"responseHeaders,omitempty"`
	RequestBody     *Body               `json:"requestBody,omitempty"`
	ResponseBody    *Body               `json:"responseBody,omitempty"`
	BytesIn         int64               `json:"bytesIn,omitempty"`
	BytesOut        int64               `json:"bytesOut,omitempty"`
	RemoteAddr      string              `json:"remoteAddr,omitempty"`
}

// Body is a captured request or response body, cut at the capture limit.
type Body struct {
	ContentType string `json:"contentType,omitempty"`
	// Size is the full size in bytes as seen on the wire, which can exceed
	// len(Text) when the body was cut or omitted.
	Size int64 `json:"size"`
	// Text is the captured (redacted) text; empty for binary content.
	Text string `json:"text,omitempty"`
	// Truncated is set when Text holds only the first part of the body.
	Truncated bool `json:"truncated,omitempty"`
	// Binary is set when the content type is not text-like: only size and
	// type are kept.
	Binary bool `json:"binary,omitempty"`
}

// Provider describes an outbound call to an external service.
type Provider struct {
	Name      string `json:"name,omitempty"`
	Operation string `json:"operation,omitempty"`
	Method    string `json:"method,omitempty"`
	URL       string `json:"url,omitempty"`
	Status    int    `json:"status,omitempty"`
	Error     string `json:"error,omitempty"`
}

// Audit is an audit record: who did what to which resource, with what result.
type Audit struct {
	Actor    string `json:"actor,omitempty"`
	Tenant   string `json:"tenant,omitempty"`
	Action   string `json:"action,omitempty"`
	Resource string `json:"resource,omitempty"`
	Outcome  string `json:"outcome,omitempty"`
}

// Attrs holds app-supplied fields. Decoding keeps numbers as json.Number so
// that an event re-encodes to the same bytes.
type Attrs map[string]any

// UnmarshalJSON decodes attrs with numbers as json.Number.
func (a *Attrs) UnmarshalJSON(b []byte) error {
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		*a = nil
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	m := map[string]any{}
	if err := dec.Decode(&m); err != nil {
		return err
	}
	*a = m
	return nil
}

// Validation errors, wrapped by Validate with the event's ID where it has one.
var (
	ErrMissingID   = errors.New("event: missing id")
	ErrMissingTime = errors.New("event: missing time")
	ErrMissingKind = errors.New("event: missing kind")
	ErrUnknownKind = errors.New("event: unknown kind")
	ErrVersion     = errors.New("event: unsupported schema version")
)

// Validate reports the first problem that makes e unfit to store or send: a
// missing id, time or kind, an unknown kind, or a schema version other than
// SchemaVersion (0 is accepted and means "not yet stamped").
func (e *Event) Validate() error {
	switch {
	case e.ID.IsZero():
		return ErrMissingID
	case e.Time.IsZero():
		return fmt.Errorf("%w (id %s)", ErrMissingTime, e.ID)
	case e.Kind == "":
		return fmt.Errorf("%w (id %s)", ErrMissingKind, e.ID)
	case !e.Kind.Valid():
		return fmt.Errorf("%w %q (id %s)", ErrUnknownKind, truncateForError(string(e.Kind)), e.ID)
	case e.V != 0 && e.V != SchemaVersion:
		return fmt.Errorf("%w %d (id %s; this build reads %d)", ErrVersion, e.V, e.ID, SchemaVersion)
	}
	return nil
}

// truncateForError keeps error messages short when they quote input.
func truncateForError(s string) string {
	if len(s) > 32 {
		return s[:32] + "…"
	}
	return s
}

// Stamp fills in what every stored event needs: the schema version, an ID
// from gen when missing, and a UTC time.
func (e *Event) Stamp(gen *Generator, now time.Time) {
	e.V = SchemaVersion
	if e.ID.IsZero() {
		e.ID = gen.New()
	}
	if e.Time.IsZero() {
		e.Time = now
	}
	e.Time = e.Time.UTC()
}

// Duration returns DurationNs as a time.Duration.
func (e *Event) Duration() time.Duration { return time.Duration(e.DurationNs) }

// StatusCode returns the status code shown for e: its own Status, else its
// HTTP exchange's, else its provider call's, or 0. The store's status
// filter, the console's filter language and its views agree through it.
func (e *Event) StatusCode() int {
	switch {
	case e.Status != 0:
		return e.Status
	case e.HTTP != nil && e.HTTP.Status != 0:
		return e.HTTP.Status
	case e.Provider != nil:
		return e.Provider.Status
	}
	return 0
}

// Method returns the HTTP method of a request or provider event, or "".
func (e *Event) Method() string {
	if e.HTTP != nil && e.HTTP.Method != "" {
		return e.HTTP.Method
	}
	if e.Provider != nil {
		return e.Provider.Method
	}
	return ""
}

// URL returns the (redacted) URL of a request or provider event, or "".
func (e *Event) URL() string {
	if e.HTTP != nil && e.HTTP.URL != "" {
		return e.HTTP.URL
	}
	if e.Provider != nil {
		return e.Provider.URL
	}
	return ""
}

// Path returns the path part of the event's URL, without query, or "".
func (e *Event) Path() string {
	u := e.URL()
	if u == "" {
		return ""
	}
	if i := strings.Index(u, "://"); i >= 0 {
		rest := u[i+3:]
		if j := strings.IndexByte(rest, '/'); j >= 0 {
			u = rest[j:]
		} else {
			u = "/"
		}
	}
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		return u[:i]
	}
	return u
}

// Marshal encodes e as one line of JSON without a trailing newline and
// without HTML escaping, the form used on disk and on the wire.
func Marshal(e *Event) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(e); err != nil {
		return nil, fmt.Errorf("event: encode %s: %w", e.ID, err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// Unmarshal decodes one event, ignoring unknown fields from a newer writer.
// It does not validate; call Validate for that.
func Unmarshal(b []byte, e *Event) error {
	*e = Event{}
	if err := json.Unmarshal(b, e); err != nil {
		return fmt.Errorf("event: decode: %w", err)
	}
	return nil
}
