package collectortest_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/otlp"
	"github.com/beignet/devtools/otlp/collectortest"
	"github.com/beignet/devtools/recorder"
)

// secrets hands out distinctive secret values and remembers them.
type secrets struct{ all []string }

func (s *secrets) new() string {
	const abc = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 28)
	for i := range b {
		b[i] = abc[rand.IntN(len(abc))]
	}
	s.all = append(s.all, string(b))
	return string(b)
}

// leaks names (by index, never by value) the secrets found in b, whole or
// cut: their first or last 10 characters.
func (s *secrets) leaks(b []byte) []string {
	var out []string
	for i, v := range s.all {
		if bytes.Contains(b, []byte(v[:10])) || bytes.Contains(b, []byte(v[len(v)-10:])) {
			out = append(out, "secret #"+strconv.Itoa(i))
		}
	}
	return out
}

// received is what the collector got, flattened.
type received struct {
	spans   []ptrace.Span
	spanRes []pcommon.Resource
	logs    []plog.LogRecord
	logRes  []pcommon.Resource
	raw     []byte // every batch as OTLP JSON
}

func flatten(t *testing.T, traces []ptrace.Traces, logs []plog.Logs) received {
	t.Helper()
	var r received
	for _, td := range traces {
		b, err := (&ptrace.JSONMarshaler{}).MarshalTraces(td)
		if err != nil {
			t.Fatal(err)
		}
		r.raw = append(r.raw, b...)
		for _, rs := range td.ResourceSpans().All() {
			for _, ss := range rs.ScopeSpans().All() {
				for _, sp := range ss.Spans().All() {
					r.spans = append(r.spans, sp)
					r.spanRes = append(r.spanRes, rs.Resource())
				}
			}
		}
	}
	for _, ld := range logs {
		b, err := (&plog.JSONMarshaler{}).MarshalLogs(ld)
		if err != nil {
			t.Fatal(err)
		}
		r.raw = append(r.raw, b...)
		for _, rl := range ld.ResourceLogs().All() {
			for _, sl := range rl.ScopeLogs().All() {
				for _, lr := range sl.LogRecords().All() {
					r.logs = append(r.logs, lr)
					r.logRes = append(r.logRes, rl.Resource())
				}
			}
		}
	}
	return r
}

func countSpans(traces []ptrace.Traces) int {
	n := 0
	for _, td := range traces {
		n += td.SpanCount()
	}
	return n
}

func countLogs(logs []plog.Logs) int {
	n := 0
	for _, ld := range logs {
		n += ld.LogRecordCount()
	}
	return n
}

func str(m pcommon.Map, k string) string {
	if v, ok := m.Get(k); ok {
		return v.AsString()
	}
	return ""
}

func startCollector(t *testing.T, ctx context.Context) *collectortest.Collector {
	t.Helper()
	col, err := collectortest.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := col.Shutdown(); err != nil {
			t.Errorf("collector shutdown: %v", err)
		}
	})
	return col
}

// TestExportReachesCollector runs an app with the recorder and the otlp
// exporter against a real collector, configured only through the standard
// OTEL_* variables, and checks what arrived: span kinds and parent links,
// the recorder's trace and span IDs on spans and log records, the
// resource, semantic-convention attributes, the same (redacted) content as
// the store, and no planted secret anywhere.
func TestExportReachesCollector(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	col := startCollector(t, ctx)
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", col.Endpoint)
	t.Setenv("OTEL_EXPORTER_OTLP_HEADERS", collectortest.HeaderKey+"=fleet-7")
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=staging")
	t.Setenv("OTEL_SERVICE_NAME", "")

	exp, err := otlp.New(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := recorder.New(recorder.Config{
		App: "notes", Instance: "notes-1", Env: "development",
		StorePath: filepath.Join(t.TempDir(), "devtools.db"),
		Exporters: []recorder.Exporter{exp},
	})
	if err != nil {
		t.Fatal(err)
	}

	var sec secrets
	provider := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":"ch_1","client_secret":%q}`, sec.new())
	}))
	defer provider.Close()
	client := &http.Client{Transport: rec.Transport(nil, "payments")}
	logger := slog.New(rec.SlogHandler(slog.DiscardHandler))

	mux := http.NewServeMux()
	mux.HandleFunc("POST /notes/{id}", func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		io.Copy(io.Discard, r.Body)
		logger.InfoContext(ctx, "note saved", "id", r.PathValue("id"), "password", sec.new())
		rec.Audit(ctx, recorder.Audit{Actor: "u1", Tenant: "t1", Action: "note.update", Resource: "note/7", Outcome: "ok",
			Metadata: map[string]any{"apiKey": "sk_live_" + sec.new(), "reason": "edit"}})
		rec.Event(ctx, event.KindCustom, "cache.miss", map[string]any{"key": "note/7", "token": sec.new()})
		preq, _ := http.NewRequestWithContext(recorder.WithOperation(ctx, "charges.create"), "POST",
			provider.URL+"/v1/charges?api_key="+sec.new(), strings.NewReader(`{"amount":100}`))
		preq.Header.Set("Authorization", "Bearer "+sec.new())
		preq.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(preq)
		if err != nil {
			http.Error(w, "provider", http.StatusBadGateway)
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"ok":true,"session_token":%q}`, sec.new())
	})
	app := httptest.NewServer(rec.Middleware(mux))
	defer app.Close()

	const traceID, parentID = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	req, _ := http.NewRequestWithContext(ctx, "POST", app.URL+"/notes/7?token="+sec.new(),
		strings.NewReader(fmt.Sprintf(`{"title":"hi","password":%q}`, sec.new())))
	req.Header.Set("Authorization", "Bearer "+sec.new())
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "e2e/1")
	req.Header.Set("Traceparent", "00-"+traceID+"-"+parentID+"-01")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("status %d", resp.StatusCode)
	}
	requestID := resp.Header.Get("X-Request-Id")
	tp := resp.Header.Get("Traceparent") // the request span's
	if len(tp) != 55 || tp[3:35] != traceID {
		t.Fatalf("response traceparent %q does not continue trace %s", tp, traceID)
	}
	serverSpanID := tp[36:52]

	if err := rec.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	stored, err := rec.Store().Correlated(requestID)
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != 5 {
		t.Fatalf("stored %d events for the request, want 5 (request, provider, log, audit, custom)", len(stored))
	}
	byKind := map[event.Kind]event.Event{}
	for _, e := range stored {
		byKind[e.Kind] = e
	}
	if err := rec.Close(ctx); err != nil { // hands the exporter what is queued
		t.Fatal(err)
	}
	st := rec.Stats()
	if st.Exported != 5 || st.ExportDropped != 0 || st.ExportFailed != 0 || st.ExportError != "" {
		t.Fatalf("export stats %+v, want 5 exported and nothing dropped or failed", st)
	}
	if err := exp.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := col.Sink.Wait(ctx, func(tr []ptrace.Traces, lg []plog.Logs) bool {
		return countSpans(tr) >= 2 && countLogs(lg) >= 3
	}); err != nil {
		t.Fatal(err)
	}
	traces, logs, headers := col.Sink.Received()
	got := flatten(t, traces, logs)
	if len(got.spans) != 2 || len(got.logs) != 3 {
		t.Fatalf("collector got %d spans and %d log records, want 2 and 3", len(got.spans), len(got.logs))
	}
	if leaks := sec.leaks(got.raw); len(leaks) > 0 {
		t.Fatalf("planted secrets reached the collector: %v", leaks)
	}
	if !bytes.Contains(got.raw, []byte("note/7")) || !bytes.Contains(got.raw, []byte("[REDACTED]")) {
		t.Fatal("the export lacks the ordinary values and redaction markers the leak check relies on")
	}
	if !slices.Contains(headers, "fleet-7") {
		t.Errorf("OTEL_EXPORTER_OTLP_HEADERS did not reach the collector: %q", headers)
	}

	// Resources: from the events' app and instance, and the environment.
	for i, res := range append(got.spanRes, got.logRes...) {
		a := res.Attributes()
		for k, want := range map[string]string{
			"service.name": "notes", "service.instance.id": "notes-1",
			"deployment.environment.name": "staging", "telemetry.sdk.language": "go",
		} {
			if g := str(a, k); g != want {
				t.Errorf("resource %d: %s = %q, want %q", i, k, g, want)
			}
		}
	}

	// Spans: the request (server) with the caller's parent, the provider
	// call (client) as its child, both with the recorder's IDs.
	var server, clientSpan ptrace.Span
	for _, sp := range got.spans {
		switch sp.Kind() {
		case ptrace.SpanKindServer:
			server = sp
		case ptrace.SpanKindClient:
			clientSpan = sp
		}
	}
	reqEv, provEv := byKind[event.KindRequest], byKind[event.KindProvider]
	if server.Kind() != ptrace.SpanKindServer || clientSpan.Kind() != ptrace.SpanKindClient {
		t.Fatalf("span kinds %v and %v, want a server and a client span", got.spans[0].Kind(), got.spans[1].Kind())
	}
	if g := server.TraceID().String(); g != traceID {
		t.Errorf("server span trace %s, want %s", g, traceID)
	}
	if g := server.SpanID().String(); g != serverSpanID || g != reqEv.SpanID {
		t.Errorf("server span id %s, want %s (response traceparent, stored %s)", g, serverSpanID, reqEv.SpanID)
	}
	if g := server.ParentSpanID().String(); g != parentID {
		t.Errorf("server span parent %s, want the caller's %s", g, parentID)
	}
	if g := clientSpan.TraceID().String(); g != traceID {
		t.Errorf("client span trace %s, want %s", g, traceID)
	}
	if g := clientSpan.ParentSpanID().String(); g != serverSpanID {
		t.Errorf("client span parent %s, want the request span %s", g, serverSpanID)
	}
	if g := clientSpan.SpanID().String(); g != provEv.SpanID {
		t.Errorf("client span id %s, want the stored %s", g, provEv.SpanID)
	}
	if g, want := server.Name(), "POST /notes/{id}"; g != want {
		t.Errorf("server span name %q, want %q", g, want)
	}
	if g, want := server.StartTimestamp().AsTime(), reqEv.Time; !g.Equal(want) {
		t.Errorf("server span start %v, want %v", g, want)
	}
	if g, want := server.EndTimestamp().AsTime().Sub(server.StartTimestamp().AsTime()), reqEv.Duration(); g != want {
		t.Errorf("server span duration %v, want %v", g, want)
	}
	appURL, _ := url.Parse(app.URL)
	sa := server.Attributes()
	for k, want := range map[string]string{
		"http.request.method": "POST", "url.path": "/notes/7", "url.scheme": "http", "http.route": "/notes/{id}",
		"http.response.status_code": "201", "server.address": "127.0.0.1", "server.port": appURL.Port(),
		"user_agent.original": "e2e/1", "beignet.request.id": requestID, "beignet.event.id": reqEv.ID.String(),
		// the same redacted content as the store
		"url.query":                         mustQuery(t, reqEv.HTTP.URL),
		"http.request.header.authorization": `["` + reqEv.HTTP.RequestHeaders["Authorization"][0] + `"]`,
		"beignet.http.request.body":         reqEv.HTTP.RequestBody.Text,
		"beignet.http.response.body":        reqEv.HTTP.ResponseBody.Text,
	} {
		if g := str(sa, k); g != want {
			t.Errorf("server span %s = %q, want %q", k, g, want)
		}
	}
	provURL, _ := url.Parse(provider.URL)
	ca := clientSpan.Attributes()
	for k, want := range map[string]string{
		"http.request.method": "POST", "url.full": provEv.Provider.URL, "http.response.status_code": "200",
		"server.address": "127.0.0.1", "server.port": provURL.Port(),
		"beignet.provider.name": "payments", "beignet.provider.operation": "charges.create",
		"beignet.http.response.body": provEv.HTTP.ResponseBody.Text,
	} {
		if g := str(ca, k); g != want {
			t.Errorf("client span %s = %q, want %q", k, g, want)
		}
	}
	if !strings.Contains(str(ca, "url.full"), "/v1/charges?api_key=") {
		t.Errorf("client span url.full %q lacks the path and the (redacted) query", str(ca, "url.full"))
	}

	// Log records: audit, log and custom, each with the request span's
	// trace context.
	logByKind := map[string]plog.LogRecord{}
	for _, lr := range got.logs {
		if g := lr.TraceID().String(); g != traceID {
			t.Errorf("log record trace %s, want %s", g, traceID)
		}
		if g := lr.SpanID().String(); g != serverSpanID {
			t.Errorf("log record span %s, want the request span %s", g, serverSpanID)
		}
		logByKind[str(lr.Attributes(), "beignet.event.kind")] = lr
	}
	audit := logByKind["audit"]
	for k, want := range map[string]string{
		"beignet.audit.actor": "u1", "beignet.audit.tenant": "t1", "beignet.audit.action": "note.update",
		"beignet.audit.resource": "note/7", "beignet.audit.outcome": "ok", "reason": "edit",
		"apiKey": byKind[event.KindAudit].Attrs["apiKey"].(string),
	} {
		if g := str(audit.Attributes(), k); g != want {
			t.Errorf("audit record %s = %q, want %q", k, g, want)
		}
	}
	if audit.EventName() != "note.update" || audit.SeverityNumber() != plog.SeverityNumberInfo {
		t.Errorf("audit record event name %q severity %v", audit.EventName(), audit.SeverityNumber())
	}
	lg := logByKind["log"]
	if lg.Body().AsString() != "note saved" || lg.SeverityNumber() != plog.SeverityNumberInfo || lg.SeverityText() != "INFO" {
		t.Errorf("log record body %q severity %v %q", lg.Body().AsString(), lg.SeverityNumber(), lg.SeverityText())
	}
	if g, want := str(lg.Attributes(), "password"), byKind[event.KindLog].Attrs["password"]; g != want {
		t.Errorf("log record password = %q, want the stored %q", g, want)
	}
	custom := logByKind["custom"]
	if custom.EventName() != "cache.miss" || str(custom.Attributes(), "key") != "note/7" {
		t.Errorf("custom record event name %q key %q", custom.EventName(), str(custom.Attributes(), "key"))
	}
}

func mustQuery(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.RawQuery
}

// TestServiceNameFromEnvironment: OTEL_SERVICE_NAME names the service over
// the recorder's app name, as in any OpenTelemetry app, and a provider call
// outside any request is a root client span of its own trace.
func TestServiceNameFromEnvironment(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	col := startCollector(t, ctx)
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", col.Endpoint+"/v1/traces")
	t.Setenv("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", col.Endpoint+"/v1/logs")
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1") // the per-signal variables win
	t.Setenv("OTEL_SERVICE_NAME", "notes-staging")

	exp, err := otlp.New(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer exp.Shutdown(ctx)
	rec, err := recorder.New(recorder.Config{
		App: "notes", Instance: "notes-2", Env: "development",
		StorePath: filepath.Join(t.TempDir(), "devtools.db"),
		Exporters: []recorder.Exporter{exp},
	})
	if err != nil {
		t.Fatal(err)
	}
	provider := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer provider.Close()
	resp, err := (&http.Client{Transport: rec.Transport(nil, "mail")}).Get(provider.URL + "/send")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	rec.Event(ctx, event.KindError, "boom", nil)
	if err := rec.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if st := rec.Stats(); st.Exported != 2 {
		t.Fatalf("export stats %+v, want 2 exported", st)
	}
	if err := col.Sink.Wait(ctx, func(tr []ptrace.Traces, lg []plog.Logs) bool {
		return countSpans(tr) >= 1 && countLogs(lg) >= 1
	}); err != nil {
		t.Fatal(err)
	}
	traces, logs, _ := col.Sink.Received()
	got := flatten(t, traces, logs)
	if len(got.spans) != 1 || len(got.logs) != 1 {
		t.Fatalf("got %d spans and %d log records, want 1 and 1", len(got.spans), len(got.logs))
	}
	for _, res := range append(got.spanRes, got.logRes...) {
		if g := str(res.Attributes(), "service.name"); g != "notes-staging" {
			t.Errorf("service.name %q, want OTEL_SERVICE_NAME's notes-staging", g)
		}
		if g := str(res.Attributes(), "service.instance.id"); g != "notes-2" {
			t.Errorf("service.instance.id %q, want notes-2", g)
		}
	}
	sp := got.spans[0]
	if sp.Kind() != ptrace.SpanKindClient || !sp.ParentSpanID().IsEmpty() || sp.TraceID().IsEmpty() {
		t.Errorf("span kind %v parent %s trace %s, want a root client span", sp.Kind(), sp.ParentSpanID(), sp.TraceID())
	}
	if sp.Status().Code() != ptrace.StatusCodeError || str(sp.Attributes(), "error.type") != "503" {
		t.Errorf("a 503 from the provider: status %v error.type %q", sp.Status().Code(), str(sp.Attributes(), "error.type"))
	}
	if lr := got.logs[0]; lr.SeverityNumber() != plog.SeverityNumberError || lr.Body().AsString() != "boom" || !lr.TraceID().IsEmpty() {
		t.Errorf("error record severity %v body %q trace %s, want ERROR, boom and no trace", lr.SeverityNumber(), lr.Body().AsString(), lr.TraceID())
	}
}
