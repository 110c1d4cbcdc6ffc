package recorder

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/beignet/devtools/event"
)

// fastEncodable reports whether the event types have the shape encodeEvent
// was written for. If event gains a field, the pipeline falls back to
// event.Marshal until encodeEvent learns it (TestEncodeMatchesMarshal).
func fastEncodable() bool {
	return reflect.TypeFor[event.Event]().NumField() == 20 &&
		reflect.TypeFor[event.HTTP]().NumField() == 11 &&
		reflect.TypeFor[event.Body]().NumField() == 5 &&
		reflect.TypeFor[event.Provider]().NumField() == 6 &&
		reflect.TypeFor[event.Audit]().NumField() == 5
}

// fastEncodeOK checks, once per Recorder, that encodeEvent produces what
// event.Marshal produces for an event with every field set; if not (the
// schema changed), the pipeline uses event.Marshal.
func fastEncodeOK() bool {
	if !fastEncodable() {
		return false
	}
	body := &event.Body{ContentType: "c", Size: 1, Text: "t", Truncated: true, Binary: true}
	e := event.Event{V: 1, ID: event.IDFromTime(time.Unix(1, 0)), Time: time.Unix(1, 1), Kind: "k", Name: "n",
		RequestID: "r", TraceID: "t", SpanID: "s", ParentSpanID: "p", DurationNs: 1, Status: 2, Level: "l", Message: "m",
		HTTP: &event.HTTP{Method: "m", URL: "u", Route: "r", Status: 3, RequestHeaders: map[string][]string{"a": {"b"}},
			ResponseHeaders: map[string][]string{"c": {"d"}}, RequestBody: body, ResponseBody: body, BytesIn: 4, BytesOut: 5, RemoteAddr: "ra"},
		Provider: &event.Provider{Name: "n", Operation: "o", Method: "m", URL: "u", Status: 6, Error: "e"},
		Audit:    &event.Audit{Actor: "a", Tenant: "t", Action: "ac", Resource: "r", Outcome: "o"},
		Attrs:    event.Attrs{"x": 1}, Redacted: []string{"p"}, App: "a", Instance: "i"}
	want, err1 := event.Marshal(&e)
	got, err2 := encodeEvent(nil, &e)
	return err1 == nil && err2 == nil && bytes.Equal(want, got)
}

// encodeEvent appends the encoding of e to dst: byte for byte what
// event.Marshal produces (encoding/json, no HTML escaping), without
// reflection except for attrs, which go through encoding/json.
func encodeEvent(dst []byte, e *event.Event) ([]byte, error) {
	if e.Time.Year() < 0 || e.Time.Year() > 9999 {
		b, err := event.Marshal(e) // let encoding/json report it
		return append(dst, b...), err
	}
	dst = append(dst, `{"v":`...)
	dst = strconv.AppendInt(dst, int64(e.V), 10)
	dst = append(dst, `,"id":"`...)
	if !e.ID.IsZero() {
		t, _ := e.ID.MarshalText()
		dst = append(dst, t...)
	}
	dst = append(dst, `","time":"`...)
	dst = e.Time.AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, `","kind":`...)
	dst = appendString(dst, string(e.Kind))
	dst = optString(dst, `,"name":`, e.Name)
	dst = optString(dst, `,"requestId":`, e.RequestID)
	dst = optString(dst, `,"traceId":`, e.TraceID)
	dst = optString(dst, `,"spanId":`, e.SpanID)
	dst = optString(dst, `,"parentSpanId":`, e.ParentSpanID)
	dst = optInt(dst, `,"durationNs":`, e.DurationNs)
	dst = optInt(dst, `,"status":`, int64(e.Status))
	dst = optString(dst, `,"level":`, e.Level)
	dst = optString(dst, `,"message":`, e.Message)
	if h := e.HTTP; h != nil {
		dst = append(dst, `,"http":{`...)
		n := len(dst)
		dst = optString(dst, `,"method":`, h.Method)
		dst = optString(dst, `,"url":`, h.URL)
		dst = optString(dst, `,"route":`, h.Route)
		dst = optInt(dst, `,"status":`, int64(h.Status))
		dst = optHeaders(dst, `,"requestHeaders":`, h.RequestHeaders)
		dst = optHeaders(dst, `,"responseHeaders":`, h.ResponseHeaders)
		dst = optBody(dst, `,"requestBody":`, h.RequestBody)
		dst = optBody(dst, `,"responseBody":`, h.ResponseBody)
		dst = optInt(dst, `,"bytesIn":`, h.BytesIn)
		dst = optInt(dst, `,"bytesOut":`, h.BytesOut)
		dst = optString(dst, `,"remoteAddr":`, h.RemoteAddr)
		dst = closeObject(dst, n)
	}
	if p := e.Provider; p != nil {
		dst = append(dst, `,"provider":{`...)
		n := len(dst)
		dst = optString(dst, `,"name":`, p.Name)
		dst = optString(dst, `,"operation":`, p.Operation)
		dst = optString(dst, `,"method":`, p.Method)
		dst = optString(dst, `,"url":`, p.URL)
		dst = optInt(dst, `,"status":`, int64(p.Status))
		dst = optString(dst, `,"error":`, p.Error)
		dst = closeObject(dst, n)
	}
	if a := e.Audit; a != nil {
		dst = append(dst, `,"audit":{`...)
		n := len(dst)
		dst = optString(dst, `,"actor":`, a.Actor)
		dst = optString(dst, `,"tenant":`, a.Tenant)
		dst = optString(dst, `,"action":`, a.Action)
		dst = optString(dst, `,"resource":`, a.Resource)
		dst = optString(dst, `,"outcome":`, a.Outcome)
		dst = closeObject(dst, n)
	}
	if len(e.Attrs) > 0 {
		var ok bool
		if dst, ok = appendAttrs(dst, e.Attrs); !ok {
			b, err := event.Marshal(e) // the error, from the encoder event.Marshal uses
			return append(dst[:0], b...), err
		}
	}
	if len(e.Redacted) > 0 {
		dst = append(dst, `,"redacted":[`...)
		for i, p := range e.Redacted {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, p)
		}
		dst = append(dst, ']')
	}
	dst = optString(dst, `,"app":`, e.App)
	dst = optString(dst, `,"instance":`, e.Instance)
	return append(dst, '}'), nil
}

// appendAttrs appends `,"attrs":` and the attrs, through appendValue when
// it knows every value and encoding/json otherwise. It returns false when
// encoding/json cannot encode them.
func appendAttrs(dst []byte, attrs event.Attrs) ([]byte, bool) {
	n := len(dst)
	dst = append(dst, `,"attrs":`...)
	if out, ok := appendValue(dst, map[string]any(attrs), 0); ok {
		return out, true
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(attrs); err != nil {
		return dst[:n], false
	}
	return append(dst, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...), true
}

// maxValueDepth is how deep appendValue goes before it leaves a value to
// encoding/json (attrs are snapshot to depth 16).
const maxValueDepth = 64

// appendValue appends v as encoding/json encodes it (without HTML
// escaping) for the types attrs hold once snapshot and the redactor are
// done with them: nil, strings, booleans, integers, floats, and maps and
// slices of those. For anything else (json.Number, json.RawMessage, a
// float encoding/json refuses) it returns false and the caller leaves the
// attrs to encoding/json, which reflects and is several times slower.
func appendValue(dst []byte, v any, depth int) ([]byte, bool) {
	if depth > maxValueDepth {
		return dst, false
	}
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...), true
	case string:
		return appendString(dst, x), true
	case bool:
		return strconv.AppendBool(dst, x), true
	case int:
		return strconv.AppendInt(dst, int64(x), 10), true
	case int8:
		return strconv.AppendInt(dst, int64(x), 10), true
	case int16:
		return strconv.AppendInt(dst, int64(x), 10), true
	case int32:
		return strconv.AppendInt(dst, int64(x), 10), true
	case int64:
		return strconv.AppendInt(dst, x, 10), true
	case uint:
		return strconv.AppendUint(dst, uint64(x), 10), true
	case uint8:
		return strconv.AppendUint(dst, uint64(x), 10), true
	case uint16:
		return strconv.AppendUint(dst, uint64(x), 10), true
	case uint32:
		return strconv.AppendUint(dst, uint64(x), 10), true
	case uint64:
		return strconv.AppendUint(dst, x, 10), true
	case float64:
		return appendFloat(dst, x, 64)
	case float32:
		return appendFloat(dst, float64(x), 32)
	case []string:
		if x == nil {
			return append(dst, "null"...), true
		}
		dst = append(dst, '[')
		for i, s := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, s)
		}
		return append(dst, ']'), true
	case []any:
		if x == nil {
			return append(dst, "null"...), true
		}
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			var ok bool
			if dst, ok = appendValue(dst, e, depth+1); !ok {
				return dst, false
			}
		}
		return append(dst, ']'), true
	case map[string]any:
		if x == nil {
			return append(dst, "null"...), true
		}
		var small [16]string
		keys := small[:0]
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		dst = append(dst, '{')
		for i, k := range keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, k)
			dst = append(dst, ':')
			var ok bool
			if dst, ok = appendValue(dst, x[k], depth+1); !ok {
				return dst, false
			}
		}
		return append(dst, '}'), true
	}
	return dst, false
}

// appendFloat is encoding/json's float encoding: the shortest form that
// round-trips, in exponent form below 1e-6 and from 1e21, with a
// one-digit negative exponent written without its leading zero. NaN and
// infinities, which encoding/json refuses, return false.
func appendFloat(dst []byte, f float64, bits int) ([]byte, bool) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return dst, false
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	dst = strconv.AppendFloat(dst, f, format, -1, bits)
	if format == 'e' {
		if n := len(dst); n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst, true
}

// closeObject ends an object opened at n: the first member's leading comma
// goes.
func closeObject(dst []byte, n int) []byte {
	if len(dst) > n && dst[n] == ',' {
		dst = append(dst[:n], dst[n+1:]...)
	}
	return append(dst, '}')
}

func optString(dst []byte, key, s string) []byte {
	if s == "" {
		return dst
	}
	return appendString(append(dst, key...), s)
}

func optInt(dst []byte, key string, v int64) []byte {
	if v == 0 {
		return dst
	}
	return strconv.AppendInt(append(dst, key...), v, 10)
}

func optHeaders(dst []byte, key string, h map[string][]string) []byte {
	if len(h) == 0 {
		return dst
	}
	dst = append(dst, key...)
	dst = append(dst, '{')
	var small [16]string // most requests have fewer headers: no allocation
	keys := small[:0]
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, k)
		dst = append(dst, ':')
		vs := h[k]
		if vs == nil {
			dst = append(dst, "null"...)
			continue
		}
		dst = append(dst, '[')
		for j, v := range vs {
			if j > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, v)
		}
		dst = append(dst, ']')
	}
	return append(dst, '}')
}

func optBody(dst []byte, key string, b *event.Body) []byte {
	if b == nil {
		return dst
	}
	dst = append(dst, key...)
	dst = append(dst, '{')
	n := len(dst)
	dst = optString(dst, `,"contentType":`, b.ContentType)
	dst = append(dst, `,"size":`...)
	dst = strconv.AppendInt(dst, b.Size, 10)
	dst = optString(dst, `,"text":`, b.Text)
	if b.Truncated {
		dst = append(dst, `,"truncated":true`...)
	}
	if b.Binary {
		dst = append(dst, `,"binary":true`...)
	}
	return closeObject(dst, n)
}

const hexUpper = "0123456789abcdef"

// appendString is encoding/json's string encoding without HTML escaping:
// quotes, backslashes and control characters escaped (\b \f \n \r \t, else
// \u00XX), invalid UTF-8 as \ufffd, U+2028 and U+2029 escaped.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '\\', '"':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexUpper[c>>4], hexUpper[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexUpper[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
