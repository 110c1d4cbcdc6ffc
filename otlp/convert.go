package otlp

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	otellog "go.opentelemetry.io/otel/log"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/beignet/devtools/event"
)

// Attribute keys of what semantic conventions have no name for.
const (
	keyEventID          = attribute.Key("beignet.event.id")
	keyEventKind        = attribute.Key("beignet.event.kind")
	keyEventName        = attribute.Key("beignet.event.name")
	keyRequestID        = attribute.Key("beignet.request.id")
	keyRedacted         = attribute.Key("beignet.redacted")
	keyProviderName     = attribute.Key("beignet.provider.name")
	keyProviderOp       = attribute.Key("beignet.provider.operation")
	keyProviderError    = attribute.Key("beignet.provider.error")
	keyReqBody          = "beignet.http.request.body"
	keyRespBody         = "beignet.http.response.body"
	keyAuditPrefix      = "beignet.audit."
	keyLevel            = attribute.Key("beignet.level")
	keyStatus           = attribute.Key("beignet.status")
	keyDurationNs       = attribute.Key("beignet.duration_ns")
	errorTypeOther      = "_OTHER"
	maxFlattenedEntries = 256 // attributes one app attr may become in a span
)

// span starts and ends the span of a request (server) or provider (client)
// event, with the event's IDs, times and attributes; the SDK hands it to
// the batch's spanSink.
func (b *batch) span(ctx context.Context, tr trace.Tracer, e *event.Event, extra []attribute.KeyValue, omitBodies bool) {
	tid, _ := trace.TraceIDFromHex(e.TraceID)
	sid, _ := trace.SpanIDFromHex(e.SpanID)
	ctx = context.WithValue(ctx, idsKey{}, spanIDs{trace: tid, span: sid})
	if psid, err := trace.SpanIDFromHex(e.ParentSpanID); err == nil && tid.IsValid() {
		// A request's parent is the caller's span (another process); a
		// provider call's is the request that made it (this process),
		// unless there was none.
		remote := e.Kind == event.KindRequest || e.RequestID == ""
		ctx = trace.ContextWithSpanContext(ctx, trace.NewSpanContext(trace.SpanContextConfig{
			TraceID: tid, SpanID: psid, TraceFlags: trace.FlagsSampled, Remote: remote,
		}))
	}
	kind := trace.SpanKindServer
	if e.Kind == event.KindProvider {
		kind = trace.SpanKindClient
	}
	attrs := make([]attribute.KeyValue, 0, 24)
	attrs = appendAttrs(attrs, e.Attrs)
	attrs = append(attrs, extra...)
	attrs = append(attrs, keyEventID.String(e.ID.String()), keyEventKind.String(string(e.Kind)))
	if e.RequestID != "" {
		attrs = append(attrs, keyRequestID.String(e.RequestID))
	}
	status := e.StatusCode()
	var errDesc string
	if kind == trace.SpanKindServer {
		attrs = serverAttrs(attrs, e)
		if status >= 500 {
			attrs = append(attrs, semconv.ErrorTypeKey.String(strconv.Itoa(status)))
			errDesc = strconv.Itoa(status) + " " + http.StatusText(status)
		}
	} else {
		attrs = clientAttrs(attrs, e)
		switch {
		case e.Provider != nil && e.Provider.Error != "":
			attrs = append(attrs, semconv.ErrorTypeKey.String(errorTypeOther))
			errDesc = e.Provider.Error
		case status >= 400:
			attrs = append(attrs, semconv.ErrorTypeKey.String(strconv.Itoa(status)))
			errDesc = strconv.Itoa(status) + " " + http.StatusText(status)
		}
	}
	if e.HTTP != nil {
		attrs = headerAttrs(attrs, "http.request.header.", e.HTTP.RequestHeaders)
		attrs = headerAttrs(attrs, "http.response.header.", e.HTTP.ResponseHeaders)
		if !omitBodies {
			attrs = bodyAttrs(attrs, keyReqBody, e.HTTP.RequestBody)
			attrs = bodyAttrs(attrs, keyRespBody, e.HTTP.ResponseBody)
		}
	}
	if e.Level != "" {
		attrs = append(attrs, keyLevel.String(e.Level))
	}
	if len(e.Redacted) > 0 {
		attrs = append(attrs, keyRedacted.StringSlice(e.Redacted))
	}
	name := e.Name
	if name == "" {
		name = string(e.Kind)
	}
	_, sp := tr.Start(ctx, name, trace.WithSpanKind(kind), trace.WithTimestamp(e.Time), trace.WithAttributes(attrs...))
	if errDesc != "" || strings.EqualFold(e.Level, "ERROR") {
		sp.SetStatus(codes.Error, errDesc)
	}
	sp.End(trace.WithTimestamp(e.Time.Add(e.Duration())))
}

// serverAttrs adds the HTTP server span attributes of a request event.
func serverAttrs(attrs []attribute.KeyValue, e *event.Event) []attribute.KeyValue {
	h := e.HTTP
	if h == nil {
		return attrs
	}
	if h.Method != "" {
		attrs = append(attrs, semconv.HTTPRequestMethodKey.String(h.Method))
	}
	if u, err := url.Parse(h.URL); err == nil && h.URL != "" {
		attrs = append(attrs, semconv.URLPathKey.String(u.EscapedPath()))
		if u.RawQuery != "" {
			attrs = append(attrs, semconv.URLQueryKey.String(u.RawQuery))
		}
		if u.Scheme != "" {
			attrs = append(attrs, semconv.URLSchemeKey.String(u.Scheme))
		}
		attrs = hostAttrs(attrs, u)
	} else if p := e.Path(); p != "" {
		attrs = append(attrs, semconv.URLPathKey.String(p))
	}
	if r := routePath(h.Route); r != "" {
		attrs = append(attrs, semconv.HTTPRouteKey.String(r))
	}
	if s := e.StatusCode(); s != 0 {
		attrs = append(attrs, semconv.HTTPResponseStatusCodeKey.Int(s))
	}
	if h.RemoteAddr != "" {
		if host, port, err := net.SplitHostPort(h.RemoteAddr); err == nil {
			attrs = append(attrs, semconv.ClientAddressKey.String(host))
			if p, err := strconv.Atoi(port); err == nil {
				attrs = append(attrs, semconv.ClientPortKey.Int(p))
			}
		} else {
			attrs = append(attrs, semconv.ClientAddressKey.String(h.RemoteAddr))
		}
	}
	if ua := firstHeader(h.RequestHeaders, "User-Agent"); ua != "" {
		attrs = append(attrs, semconv.UserAgentOriginalKey.String(ua))
	}
	if h.BytesIn > 0 {
		attrs = append(attrs, semconv.HTTPRequestBodySizeKey.Int64(h.BytesIn))
	}
	if h.BytesOut > 0 {
		attrs = append(attrs, semconv.HTTPResponseBodySizeKey.Int64(h.BytesOut))
	}
	return attrs
}

// clientAttrs adds the HTTP client span attributes of a provider event.
func clientAttrs(attrs []attribute.KeyValue, e *event.Event) []attribute.KeyValue {
	if m := e.Method(); m != "" {
		attrs = append(attrs, semconv.HTTPRequestMethodKey.String(m))
	}
	if raw := e.URL(); raw != "" {
		attrs = append(attrs, semconv.URLFullKey.String(raw))
		if u, err := url.Parse(raw); err == nil {
			attrs = hostAttrs(attrs, u)
		}
	}
	if s := e.StatusCode(); s != 0 {
		attrs = append(attrs, semconv.HTTPResponseStatusCodeKey.Int(s))
	}
	if p := e.Provider; p != nil {
		if p.Name != "" {
			attrs = append(attrs, keyProviderName.String(p.Name))
		}
		if p.Operation != "" {
			attrs = append(attrs, keyProviderOp.String(p.Operation))
		}
		if p.Error != "" {
			attrs = append(attrs, keyProviderError.String(p.Error))
		}
	}
	if h := e.HTTP; h != nil {
		if h.BytesIn > 0 {
			attrs = append(attrs, semconv.HTTPResponseBodySizeKey.Int64(h.BytesIn))
		}
		if h.BytesOut > 0 {
			attrs = append(attrs, semconv.HTTPRequestBodySizeKey.Int64(h.BytesOut))
		}
	}
	return attrs
}

// hostAttrs adds server.address and server.port of u (the port the scheme
// implies when u names none).
func hostAttrs(attrs []attribute.KeyValue, u *url.URL) []attribute.KeyValue {
	host := u.Hostname()
	if host == "" {
		return attrs
	}
	attrs = append(attrs, semconv.ServerAddressKey.String(host))
	port := u.Port()
	if port == "" {
		switch u.Scheme {
		case "http":
			port = "80"
		case "https":
			port = "443"
		}
	}
	if p, err := strconv.Atoi(port); err == nil {
		attrs = append(attrs, semconv.ServerPortKey.Int(p))
	}
	return attrs
}

// routePath returns the path template of a ServeMux pattern for http.route:
// "GET /notes/{id}" and "GET example.com/notes/{id}" give "/notes/{id}".
func routePath(route string) string {
	if i := strings.IndexByte(route, ' '); i >= 0 {
		route = strings.TrimLeft(route[i+1:], " \t")
	}
	if route != "" && route[0] != '/' {
		if i := strings.IndexByte(route, '/'); i >= 0 {
			route = route[i:]
		} else {
			return ""
		}
	}
	return route
}

// headerAttrs adds http.{request,response}.header.<name> attributes, the
// names lower-cased as semantic conventions say; values are as recorded
// (redacted).
func headerAttrs(attrs []attribute.KeyValue, prefix string, h map[string][]string) []attribute.KeyValue {
	if len(h) == 0 {
		return attrs
	}
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		attrs = append(attrs, attribute.StringSlice(prefix+strings.ToLower(k), h[k]))
	}
	return attrs
}

// bodyAttrs adds a captured body: its text (redacted, cut at the capture
// limit), content type, and whether it was cut or binary.
func bodyAttrs(attrs []attribute.KeyValue, prefix string, b *event.Body) []attribute.KeyValue {
	if b == nil {
		return attrs
	}
	if b.Text != "" {
		attrs = append(attrs, attribute.String(prefix, b.Text))
	}
	if b.ContentType != "" {
		attrs = append(attrs, attribute.String(prefix+".content_type", b.ContentType))
	}
	if b.Truncated {
		attrs = append(attrs, attribute.Bool(prefix+".truncated", true))
	}
	if b.Binary {
		attrs = append(attrs, attribute.Bool(prefix+".binary", true))
	}
	return attrs
}

func firstHeader(h map[string][]string, name string) string {
	if vs := h[name]; len(vs) > 0 {
		return vs[0]
	}
	for k, vs := range h {
		if strings.EqualFold(k, name) && len(vs) > 0 {
			return vs[0]
		}
	}
	return ""
}

// record emits the log record of an audit, log, error or custom event,
// with the trace context of the request it belongs to; the SDK hands it to
// the batch's recordSink.
func (b *batch) record(ctx context.Context, lg otellog.Logger, e *event.Event, extra []attribute.KeyValue, now time.Time) {
	tid, _ := trace.TraceIDFromHex(e.TraceID)
	sid, _ := trace.SpanIDFromHex(e.SpanID)
	if tid.IsValid() {
		ctx = trace.ContextWithSpanContext(ctx, trace.NewSpanContext(trace.SpanContextConfig{
			TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled,
		}))
	}
	var r otellog.Record
	r.SetTimestamp(e.Time)
	r.SetObservedTimestamp(now)
	sev, text := severity(e)
	r.SetSeverity(sev)
	r.SetSeverityText(text)
	switch e.Kind {
	case event.KindAudit, event.KindCustom:
		r.SetEventName(e.Name)
	}
	body := e.Message
	if body == "" {
		body = e.Name
	}
	r.SetBody(attribute.StringValue(body))
	kvs := make([]attribute.KeyValue, 0, 16)
	for _, k := range sortedKeys(e.Attrs) {
		kvs = append(kvs, attribute.KeyValue{Key: attribute.Key(k), Value: logValue(e.Attrs[k], 0)})
	}
	kvs = append(kvs, extra...)
	kvs = append(kvs,
		attribute.String(string(keyEventID), e.ID.String()),
		attribute.String(string(keyEventKind), string(e.Kind)),
	)
	if e.Name != "" {
		kvs = append(kvs, attribute.String(string(keyEventName), e.Name))
	}
	if e.RequestID != "" {
		kvs = append(kvs, attribute.String(string(keyRequestID), e.RequestID))
	}
	if a := e.Audit; a != nil {
		for _, f := range [...]struct{ k, v string }{
			{"actor", a.Actor}, {"tenant", a.Tenant}, {"action", a.Action}, {"resource", a.Resource}, {"outcome", a.Outcome},
		} {
			if f.v != "" {
				kvs = append(kvs, attribute.String(keyAuditPrefix+f.k, f.v))
			}
		}
	}
	if e.Status != 0 {
		kvs = append(kvs, attribute.Int(string(keyStatus), e.Status))
	}
	if e.DurationNs != 0 {
		kvs = append(kvs, attribute.Int64(string(keyDurationNs), e.DurationNs))
	}
	if len(e.Redacted) > 0 {
		kvs = append(kvs, keyRedacted.StringSlice(e.Redacted))
	}
	r.AddAttributes(kvs...)
	lg.Emit(ctx, r)
}

// severity maps an event's level (slog's text: DEBUG, INFO, WARN, ERROR,
// with offsets such as INFO+2) to an OpenTelemetry severity, as the slog
// bridge does (severity = slog level + 9). An error event without a level
// is an error; an audit or custom one is informational.
func severity(e *event.Event) (otellog.Severity, string) {
	text := e.Level
	if text == "" {
		switch e.Kind {
		case event.KindError:
			text = "ERROR"
		default:
			text = "INFO"
		}
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(text)); err != nil {
		return otellog.SeverityUndefined, text
	}
	s := int(l) + 9
	s = max(int(otellog.SeverityTrace1), min(int(otellog.SeverityFatal4), s))
	return otellog.Severity(s), text
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// maxValueDepth bounds the nesting converted; the recorder bounds it too.
const maxValueDepth = 16

// logValue converts a decoded attribute (JSON: string, json.Number, bool,
// nil, map, slice) to a log value, which nests like JSON.
func logValue(v any, depth int) attribute.Value {
	if depth > maxValueDepth {
		return attribute.StringValue("[too deep]")
	}
	switch x := v.(type) {
	case nil:
		return attribute.Value{}
	case string:
		return attribute.StringValue(x)
	case bool:
		return attribute.BoolValue(x)
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return attribute.Int64Value(i)
		}
		if f, err := x.Float64(); err == nil {
			return attribute.Float64Value(f)
		}
		return attribute.StringValue(x.String())
	case float64:
		return attribute.Float64Value(x)
	case map[string]any:
		kvs := make([]attribute.KeyValue, 0, len(x))
		for _, k := range sortedKeys(x) {
			kvs = append(kvs, attribute.KeyValue{Key: attribute.Key(k), Value: logValue(x[k], depth+1)})
		}
		return attribute.MapValue(kvs...)
	case []any:
		vs := make([]attribute.Value, len(x))
		for i, e := range x {
			vs[i] = logValue(e, depth+1)
		}
		return attribute.SliceValue(vs...)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return attribute.StringValue("[unencodable]")
	}
	return attribute.StringValue(string(b))
}

// appendAttrs adds an event's app attributes to span attributes, which
// cannot nest: maps flatten to dotted keys ("user.id"), slices of one
// scalar type become typed slices, anything else its JSON text.
func appendAttrs(attrs []attribute.KeyValue, m map[string]any) []attribute.KeyValue {
	n := 0
	for _, k := range sortedKeys(m) {
		attrs = flatten(attrs, k, m[k], 0, &n)
	}
	return attrs
}

func flatten(attrs []attribute.KeyValue, key string, v any, depth int, n *int) []attribute.KeyValue {
	if *n >= maxFlattenedEntries {
		return attrs
	}
	if m, ok := v.(map[string]any); ok && depth < maxValueDepth {
		for _, k := range sortedKeys(m) {
			attrs = flatten(attrs, key+"."+k, m[k], depth+1, n)
		}
		return attrs
	}
	*n++
	k := attribute.Key(key)
	switch x := v.(type) {
	case nil:
		return attrs
	case string:
		return append(attrs, k.String(x))
	case bool:
		return append(attrs, k.Bool(x))
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return append(attrs, k.Int64(i))
		}
		if f, err := x.Float64(); err == nil {
			return append(attrs, k.Float64(f))
		}
		return append(attrs, k.String(x.String()))
	case float64:
		return append(attrs, k.Float64(x))
	case []any:
		if ss, ok := allStrings(x); ok {
			return append(attrs, k.StringSlice(ss))
		}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return append(attrs, k.String("[unencodable]"))
	}
	return append(attrs, k.String(string(b)))
}

func allStrings(vs []any) ([]string, bool) {
	ss := make([]string, len(vs))
	for i, v := range vs {
		s, ok := v.(string)
		if !ok {
			return nil, false
		}
		ss[i] = s
	}
	return ss, true
}

func randomTraceID() trace.TraceID {
	var t trace.TraceID
	binary.BigEndian.PutUint64(t[:8], rand.Uint64())
	binary.BigEndian.PutUint64(t[8:], rand.Uint64())
	return t
}

func randomSpanID() trace.SpanID {
	var s trace.SpanID
	binary.BigEndian.PutUint64(s[:], rand.Uint64())
	return s
}
