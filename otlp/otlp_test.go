package otlp_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	otellog "go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/otlp"
	"github.com/beignet/devtools/recorder"
)

// The exporter is what recorder.Config.Exporters takes.
var _ recorder.Exporter = (*otlp.Exporter)(nil)

// memLogs is an in-memory log exporter.
type memLogs struct {
	mu      sync.Mutex
	records []sdklog.Record
	err     error
}

func (m *memLogs) Export(_ context.Context, rs []sdklog.Record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return m.err
	}
	for _, r := range rs {
		m.records = append(m.records, r.Clone())
	}
	return nil
}
func (m *memLogs) Shutdown(context.Context) error   { return nil }
func (m *memLogs) ForceFlush(context.Context) error { return nil }

func newMem(t *testing.T, opts otlp.Options) (*otlp.Exporter, *tracetest.InMemoryExporter, *memLogs) {
	t.Helper()
	spans, logs := tracetest.NewInMemoryExporter(), &memLogs{}
	opts.SpanExporter, opts.LogExporter = spans, logs
	x, err := otlp.New(context.Background(), &opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Shutdown(context.Background()) })
	return x, spans, logs
}

func attrMap(kvs []attribute.KeyValue) map[string]attribute.Value {
	m := map[string]attribute.Value{}
	for _, kv := range kvs {
		m[string(kv.Key)] = kv.Value
	}
	return m
}

func recordAttrs(r sdklog.Record) map[string]attribute.Value {
	m := map[string]attribute.Value{}
	r.WalkAttributes(func(kv attribute.KeyValue) bool {
		m[string(kv.Key)] = kv.Value
		return true
	})
	return m
}

const (
	traceHex  = "4bf92f3577b34da6a3ce929d0e0e4736"
	callerHex = "00f067aa0ba902b7"
	reqSpan   = "b7ad6b7169203331"
	provSpan  = "c1d2e3f405060708"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func id(n byte) event.ID { return event.ID{15: n} }

// fixture is one request as the recorder stores it: the request, a
// provider call it made, and an audit, a log, an error and a custom event
// correlated to it (attrs as decoding gives them: json.Number, nested).
func fixture() []event.Event {
	corr := func(e event.Event) event.Event {
		e.V, e.App, e.Instance = 1, "notes", "n1"
		e.RequestID, e.TraceID, e.SpanID, e.ParentSpanID = "req-1", traceHex, reqSpan, callerHex
		return e
	}
	return []event.Event{
		corr(event.Event{ID: id(1), Time: t0, Kind: event.KindRequest, Name: "GET /notes/{id}", DurationNs: 1500000, Status: 503,
			HTTP: &event.HTTP{Method: "GET", URL: "https://api.example.com:8443/notes/7?token=[REDACTED]&x=1", Route: "GET /notes/{id}", Status: 503,
				RequestHeaders:  map[string][]string{"Authorization": {"Bearer [REDACTED]"}, "User-Agent": {"curl/8"}},
				ResponseHeaders: map[string][]string{"Content-Type": {"application/json"}},
				ResponseBody:    &event.Body{ContentType: "application/json", Size: 20, Text: `{"error":"overload"}`},
				BytesOut:        20, RemoteAddr: "10.0.0.9:51234"},
			Redacted: []string{"http.requestHeaders.authorization", "http.url"}}),
		func() event.Event {
			e := corr(event.Event{ID: id(2), Time: t0.Add(time.Millisecond), Kind: event.KindProvider, Name: "stripe charges.create", DurationNs: 400000, Status: 402,
				Provider: &event.Provider{Name: "stripe", Operation: "charges.create", Method: "POST", URL: "https://api.stripe.com/v1/charges", Status: 402},
				HTTP:     &event.HTTP{Method: "POST", URL: "https://api.stripe.com/v1/charges", Status: 402}})
			e.SpanID, e.ParentSpanID = provSpan, reqSpan
			return e
		}(),
		corr(event.Event{ID: id(3), Time: t0, Kind: event.KindAudit, Name: "note.delete",
			Audit: &event.Audit{Actor: "u1", Tenant: "t1", Action: "note.delete", Resource: "note/7", Outcome: "denied"},
			Attrs: event.Attrs{"reason": "locked"}}),
		corr(event.Event{ID: id(4), Time: t0, Kind: event.KindLog, Level: "WARN+2", Message: "slow query",
			Attrs: event.Attrs{"ms": json.Number("250"), "ratio": json.Number("0.5"), "db": map[string]any{"table": "notes", "rows": json.Number("3")}, "tags": []any{"a", "b"}}}),
		corr(event.Event{ID: id(5), Time: t0, Kind: event.KindError, Name: "panic", Message: "runtime error: index out of range"}),
		{V: 1, ID: id(6), Time: t0, Kind: event.KindCustom, Name: "cache.miss", App: "notes", Instance: "n1", Attrs: event.Attrs{"key": "note/7"}},
	}
}

func TestSpansAndRecords(t *testing.T) {
	x, spans, logs := newMem(t, otlp.Options{Now: func() time.Time { return t0.Add(time.Hour) }})
	if err := x.Export(context.Background(), fixture()); err != nil {
		t.Fatal(err)
	}
	ss := spans.GetSpans()
	if len(ss) != 2 {
		t.Fatalf("%d spans, want 2", len(ss))
	}
	srv, cli := ss[0], ss[1]

	// Request: a server span with the recorder's IDs under the caller's span.
	if srv.SpanKind != trace.SpanKindServer || srv.Name != "GET /notes/{id}" {
		t.Errorf("server span %v %q", srv.SpanKind, srv.Name)
	}
	if srv.SpanContext.TraceID().String() != traceHex || srv.SpanContext.SpanID().String() != reqSpan {
		t.Errorf("server span ids %s/%s", srv.SpanContext.TraceID(), srv.SpanContext.SpanID())
	}
	if srv.Parent.SpanID().String() != callerHex || !srv.Parent.IsRemote() {
		t.Errorf("server span parent %s remote=%v, want the caller's %s, remote", srv.Parent.SpanID(), srv.Parent.IsRemote(), callerHex)
	}
	if !srv.StartTime.Equal(t0) || srv.EndTime.Sub(srv.StartTime) != 1500*time.Microsecond {
		t.Errorf("server span times %v..%v", srv.StartTime, srv.EndTime)
	}
	if srv.Status.Code != codes.Error {
		t.Errorf("a 503 server span has status %v", srv.Status)
	}
	sa := attrMap(srv.Attributes)
	for k, want := range map[string]string{
		"http.request.method": "GET", "url.path": "/notes/7", "url.query": "token=[REDACTED]&x=1", "url.scheme": "https",
		"server.address": "api.example.com", "server.port": "8443", "http.route": "/notes/{id}",
		"http.response.status_code": "503", "client.address": "10.0.0.9", "client.port": "51234",
		"user_agent.original": "curl/8", "error.type": "503", "http.response.body.size": "20",
		"http.request.header.authorization": `["Bearer [REDACTED]"]`,
		"http.response.header.content-type": `["application/json"]`,
		"beignet.http.response.body":        `{"error":"overload"}`,
		"beignet.request.id":                "req-1", "beignet.event.id": id(1).String(), "beignet.event.kind": "request",
		"beignet.redacted": `["http.requestHeaders.authorization","http.url"]`,
	} {
		if g := sa[k].String(); g != want {
			t.Errorf("server span %s = %q, want %q", k, g, want)
		}
	}

	// Provider: a client span, child of the request span in this process.
	if cli.SpanKind != trace.SpanKindClient || cli.SpanContext.SpanID().String() != provSpan ||
		cli.Parent.SpanID().String() != reqSpan || cli.Parent.IsRemote() || cli.SpanContext.TraceID().String() != traceHex {
		t.Errorf("client span %v %s parent %s remote=%v", cli.SpanKind, cli.SpanContext.SpanID(), cli.Parent.SpanID(), cli.Parent.IsRemote())
	}
	ca := attrMap(cli.Attributes)
	for k, want := range map[string]string{
		"http.request.method": "POST", "url.full": "https://api.stripe.com/v1/charges", "server.address": "api.stripe.com",
		"server.port": "443", "http.response.status_code": "402", "error.type": "402",
		"beignet.provider.name": "stripe", "beignet.provider.operation": "charges.create",
	} {
		if g := ca[k].String(); g != want {
			t.Errorf("client span %s = %q, want %q", k, g, want)
		}
	}
	if cli.Status.Code != codes.Error {
		t.Errorf("a 402 client span has status %v", cli.Status)
	}

	// Resources: service.name and service.instance.id from the events.
	for _, s := range ss {
		r := attrMap(s.Resource.Attributes())
		if r["service.name"].AsString() != "notes" || r["service.instance.id"].AsString() != "n1" {
			t.Errorf("span resource %v", s.Resource.Attributes())
		}
	}

	// Log records: trace context, severity, event names, attributes.
	if len(logs.records) != 4 {
		t.Fatalf("%d log records, want 4", len(logs.records))
	}
	audit, lg, er, custom := logs.records[0], logs.records[1], logs.records[2], logs.records[3]
	for i, r := range logs.records[:3] {
		if r.TraceID().String() != traceHex || r.SpanID().String() != reqSpan {
			t.Errorf("record %d trace context %s/%s", i, r.TraceID(), r.SpanID())
		}
		if !r.ObservedTimestamp().Equal(t0.Add(time.Hour)) || !r.Timestamp().Equal(t0) {
			t.Errorf("record %d times %v observed %v", i, r.Timestamp(), r.ObservedTimestamp())
		}
	}
	if custom.TraceID().IsValid() {
		t.Errorf("an uncorrelated event's record has trace %s", custom.TraceID())
	}
	aa := recordAttrs(audit)
	for k, want := range map[string]string{
		"beignet.audit.actor": "u1", "beignet.audit.tenant": "t1", "beignet.audit.action": "note.delete",
		"beignet.audit.resource": "note/7", "beignet.audit.outcome": "denied", "reason": "locked",
	} {
		if g := aa[k].String(); g != want {
			t.Errorf("audit record %s = %q, want %q", k, g, want)
		}
	}
	if audit.EventName() != "note.delete" || audit.Severity() != otellog.SeverityInfo {
		t.Errorf("audit record %q %v", audit.EventName(), audit.Severity())
	}
	if lg.Severity() != otellog.SeverityWarn3 || lg.SeverityText() != "WARN+2" || lg.Body().AsString() != "slow query" {
		t.Errorf("log record %v %q %q", lg.Severity(), lg.SeverityText(), lg.Body().AsString())
	}
	la := recordAttrs(lg)
	if la["ms"].Type() != attribute.INT64 || la["ms"].AsInt64() != 250 || la["ratio"].AsFloat64() != 0.5 {
		t.Errorf("log record numbers: ms %v ratio %v", la["ms"], la["ratio"])
	}
	if la["db"].Type() != attribute.MAP || len(la["db"].AsMap()) != 2 || la["tags"].Type() != attribute.SLICE {
		t.Errorf("log record nested attrs: db %v tags %v", la["db"], la["tags"])
	}
	if er.Severity() != otellog.SeverityError || er.Body().AsString() != "runtime error: index out of range" {
		t.Errorf("error record %v %q", er.Severity(), er.Body().AsString())
	}
	if custom.EventName() != "cache.miss" || recordAttrs(custom)["key"].AsString() != "note/7" {
		t.Errorf("custom record %q", custom.EventName())
	}
}

// TestSpanAttrsFlatten: spans cannot nest attributes, so an event's nested
// attrs become dotted keys there.
func TestSpanAttrsFlatten(t *testing.T) {
	x, spans, _ := newMem(t, otlp.Options{})
	e := fixture()[0]
	e.Attrs = event.Attrs{"user": map[string]any{"id": json.Number("7"), "roles": []any{"admin", "ops"}}, "mixed": []any{"a", json.Number("1")}}
	if err := x.Export(context.Background(), []event.Event{e}); err != nil {
		t.Fatal(err)
	}
	a := attrMap(spans.GetSpans()[0].Attributes)
	if a["user.id"].AsInt64() != 7 || a["user.roles"].String() != `["admin","ops"]` || a["mixed"].AsString() != `["a",1]` {
		t.Errorf("flattened: user.id %v user.roles %v mixed %v", a["user.id"], a["user.roles"], a["mixed"])
	}
}

// TestOptionsAndEnvironmentNameTheService: Options name the service over
// the events' app; OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES over both.
func TestOptionsAndEnvironmentNameTheService(t *testing.T) {
	t.Setenv("OTEL_SERVICE_NAME", "")
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "")
	x, spans, _ := newMem(t, otlp.Options{ServiceName: "notes-api", Attributes: []attribute.KeyValue{attribute.String("deployment.environment.name", "staging")}})
	if err := x.Export(context.Background(), fixture()[:1]); err != nil {
		t.Fatal(err)
	}
	r := attrMap(spans.GetSpans()[0].Resource.Attributes())
	if r["service.name"].AsString() != "notes-api" || r["service.instance.id"].AsString() != "n1" || r["deployment.environment.name"].AsString() != "staging" {
		t.Errorf("resource %v", r)
	}

	t.Setenv("OTEL_SERVICE_NAME", "from-env")
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "service.instance.id=pod-3")
	x2, spans2, _ := newMem(t, otlp.Options{ServiceName: "notes-api"})
	if err := x2.Export(context.Background(), fixture()[:1]); err != nil {
		t.Fatal(err)
	}
	r = attrMap(spans2.GetSpans()[0].Resource.Attributes())
	if r["service.name"].AsString() != "from-env" || r["service.instance.id"].AsString() != "pod-3" {
		t.Errorf("resource with OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES: %v", r)
	}
}

// TestResourcePerInstance: events of two instances go under two
// resources.
func TestResourcePerInstance(t *testing.T) {
	x, spans, _ := newMem(t, otlp.Options{})
	a, b := fixture()[0], fixture()[0]
	b.Instance = "n2"
	if err := x.Export(context.Background(), []event.Event{a, b}); err != nil {
		t.Fatal(err)
	}
	ss := spans.GetSpans()
	got := []string{attrMap(ss[0].Resource.Attributes())["service.instance.id"].AsString(), attrMap(ss[1].Resource.Attributes())["service.instance.id"].AsString()}
	if got[0] != "n1" || got[1] != "n2" {
		t.Errorf("instances %v", got)
	}
}

// TestExportErrorsAndShutdown: an exporter error is returned (the
// recorder counts it); after Shutdown, Export says so.
func TestExportErrorsAndShutdown(t *testing.T) {
	x, _, logs := newMem(t, otlp.Options{})
	logs.err = errors.New("collector unavailable")
	if err := x.Export(context.Background(), fixture()); err == nil || !errors.Is(err, logs.err) {
		t.Fatalf("Export: %v, want the log exporter's error", err)
	}
	if err := x.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := x.Export(context.Background(), fixture()); !errors.Is(err, otlp.ErrShutdown) {
		t.Fatalf("Export after Shutdown: %v", err)
	}
}

// TestRandomIDsWhenMissing: an event without trace IDs (from another
// writer) still becomes a valid span.
func TestRandomIDsWhenMissing(t *testing.T) {
	x, spans, _ := newMem(t, otlp.Options{})
	e := fixture()[0]
	e.TraceID, e.SpanID, e.ParentSpanID = "", "", ""
	if err := x.Export(context.Background(), []event.Event{e}); err != nil {
		t.Fatal(err)
	}
	sc := spans.GetSpans()[0].SpanContext
	if !sc.TraceID().IsValid() || !sc.SpanID().IsValid() || spans.GetSpans()[0].Parent.IsValid() {
		t.Errorf("span context %v", sc)
	}
}
