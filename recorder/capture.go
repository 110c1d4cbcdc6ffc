package recorder

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"time"

	"github.com/beignet/devtools/event"
)

// Audit is an audit record: who did what to which resource, with what result.
type Audit struct {
	Actor, Tenant, Action, Resource, Outcome string
	// Metadata is copied on the caller's goroutine and redacted in the pipeline.
	Metadata map[string]any
}

// correlate copies the correlation of the request ctx belongs to into e.
func correlate(ctx context.Context, e *event.Event) {
	if info := infoFrom(ctx); info != nil {
		e.RequestID = info.requestID
		e.TraceID = info.traceID()
		e.SpanID = info.spanID()
		e.ParentSpanID = info.parentSpan
	}
}

// Audit records an audit event named after the action, correlated to the
// request ctx belongs to.
func (r *Recorder) Audit(ctx context.Context, a Audit) {
	if !r.Enabled() || r.closed.Load() {
		return
	}
	rec := newRecord()
	e := &rec.ev
	e.Kind = event.KindAudit
	e.Time = r.now()
	e.Name = a.Action
	correlate(ctx, e)
	e.Audit = &event.Audit{Actor: a.Actor, Tenant: a.Tenant, Action: a.Action, Resource: a.Resource, Outcome: a.Outcome}
	if len(a.Metadata) > 0 {
		e.Attrs = snapshotMap(a.Metadata, 0)
	}
	r.submitCtx(ctx, rec)
}

// Event records a custom event (or any kind; an unknown kind is recorded as
// custom), correlated to the request ctx belongs to. attrs are copied on the
// caller's goroutine and redacted in the pipeline.
func (r *Recorder) Event(ctx context.Context, kind event.Kind, name string, attrs map[string]any) {
	if !r.Enabled() || r.closed.Load() {
		return
	}
	if !kind.Valid() {
		kind = event.KindCustom
	}
	rec := newRecord()
	e := &rec.ev
	e.Kind = kind
	e.Time = r.now()
	e.Name = name
	correlate(ctx, e)
	if len(attrs) > 0 {
		e.Attrs = snapshotMap(attrs, 0)
	}
	r.submitCtx(ctx, rec)
}

// maxDepth bounds the recursive copy of attrs (cycles, deep trees).
const maxDepth = 16

func snapshotMap(m map[string]any, depth int) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = snapshot(v, depth+1)
	}
	return out
}

// snapshot copies v so that the pipeline never reads memory the app may
// still change: scalars as they are, maps and slices of any recursively,
// errors and durations as text, anything else through a JSON round trip.
func snapshot(v any, depth int) any {
	if depth > maxDepth {
		return "[too deep]"
	}
	switch x := v.(type) {
	case nil, string, bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64,
		float32, float64, json.Number:
		return x
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case time.Duration:
		return x.String()
	case error:
		return x.Error()
	case map[string]any:
		return snapshotMap(x, depth)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = snapshot(e, depth+1)
		}
		return out
	case []string:
		return append([]string(nil), x...)
	case map[string]string:
		out := make(map[string]any, len(x))
		for k, s := range x {
			out[k] = s
		}
		return out
	case map[string][]string: // http.Header, url.Values
		out := make(map[string]any, len(x))
		for k, s := range x {
			out[k] = append([]string(nil), s...)
		}
		return out
	case slog.Value:
		return slogValue(x, depth)
	case fmt.Stringer:
		if rv := reflect.ValueOf(v); rv.Kind() != reflect.Struct && rv.Kind() != reflect.Pointer {
			return x.String()
		}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("[unencodable %T]", v)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return fmt.Sprintf("[unencodable %T]", v)
	}
	return out
}

// SlogHandler wraps next so that log records are also recorded as log
// events (level, message, attrs including those of WithAttrs and
// WithGroup), correlated to the request of the record's context, and then
// passed on to next unchanged when next is enabled for their level. Records
// at Info and above are recorded even when next drops them; lower levels
// only when next handles them. A disabled recorder returns next itself.
func (r *Recorder) SlogHandler(next slog.Handler) slog.Handler {
	if !r.Enabled() {
		return next
	}
	return &slogHandler{r: r, next: next}
}

type slogHandler struct {
	r      *Recorder
	next   slog.Handler
	groups []string     // open groups (WithGroup)
	attrs  []groupAttrs // from WithAttrs, with the groups open at the time
}

type groupAttrs struct {
	groups []string
	attrs  []slog.Attr
}

// Enabled is true for Info and above (recorded even when next would drop
// them) and for whatever next handles.
func (h *slogHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelInfo || h.next.Enabled(ctx, l)
}

func (h *slogHandler) Handle(ctx context.Context, rec slog.Record) error {
	r := h.r
	if !r.closed.Load() {
		pr := newRecord()
		e := &pr.ev
		e.Kind = event.KindLog
		e.Time = rec.Time
		if e.Time.IsZero() {
			e.Time = r.now()
		}
		e.Level = rec.Level.String()
		e.Message = rec.Message
		e.Name = rec.Message
		if len(e.Name) > 120 {
			e.Name = cutUTF8(e.Name, 120)
		}
		correlate(ctx, e)
		if len(h.attrs) > 0 || rec.NumAttrs() > 0 {
			root := map[string]any{}
			for _, ga := range h.attrs {
				m := groupMap(root, ga.groups)
				for _, a := range ga.attrs {
					addAttr(m, a, 0)
				}
			}
			m := groupMap(root, h.groups)
			rec.Attrs(func(a slog.Attr) bool {
				addAttr(m, a, 0)
				return true
			})
			pruneEmpty(root)
			if len(root) > 0 {
				e.Attrs = root
			}
		}
		r.submitCtx(ctx, pr)
	}
	if !h.next.Enabled(ctx, rec.Level) {
		return nil
	}
	return h.next.Handle(ctx, rec)
}

func (h *slogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	c := *h
	c.next = h.next.WithAttrs(attrs)
	c.attrs = append(append([]groupAttrs(nil), h.attrs...), groupAttrs{groups: h.groups, attrs: append([]slog.Attr(nil), attrs...)})
	return &c
}

func (h *slogHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	c := *h
	c.next = h.next.WithGroup(name)
	c.groups = append(append([]string(nil), h.groups...), name)
	return &c
}

func groupMap(root map[string]any, groups []string) map[string]any {
	m := root
	for _, g := range groups {
		sub, ok := m[g].(map[string]any)
		if !ok {
			sub = map[string]any{}
			m[g] = sub
		}
		m = sub
	}
	return m
}

// addAttr adds a to m the way slog's built-in handlers do: empty attrs are
// ignored, a group with an empty key is inlined.
func addAttr(m map[string]any, a slog.Attr, depth int) {
	v := a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return
	}
	if v.Kind() == slog.KindGroup {
		if depth > maxDepth {
			return
		}
		dst := m
		if a.Key != "" {
			sub, ok := m[a.Key].(map[string]any)
			if !ok {
				sub = map[string]any{}
				m[a.Key] = sub
			}
			dst = sub
		}
		for _, ga := range v.Group() {
			addAttr(dst, ga, depth+1)
		}
		return
	}
	m[a.Key] = slogValue(v, depth)
}

func slogValue(v slog.Value, depth int) any {
	v = v.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return v.String()
	case slog.KindInt64:
		return v.Int64()
	case slog.KindUint64:
		return v.Uint64()
	case slog.KindFloat64:
		return v.Float64()
	case slog.KindBool:
		return v.Bool()
	case slog.KindDuration:
		return v.Duration().String()
	case slog.KindTime:
		return v.Time().UTC().Format(time.RFC3339Nano)
	case slog.KindGroup:
		m := map[string]any{}
		for _, a := range v.Group() {
			addAttr(m, a, depth+1)
		}
		return m
	}
	return snapshot(v.Any(), depth+1)
}

func pruneEmpty(m map[string]any) {
	for k, v := range m {
		if sub, ok := v.(map[string]any); ok {
			pruneEmpty(sub)
			if len(sub) == 0 {
				delete(m, k)
			}
		}
	}
}
