package recorder

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/internal/testutil"
)

// TestCorrelation follows one inbound request through an outbound provider
// call, an audit record, a log record and a custom event: all share the
// request ID and trace, the provider call is a child span of the request,
// and the provider received a traceparent for that span.
func TestCorrelation(t *testing.T) {
	var upstreamTP atomic.Value
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		upstreamTP.Store(req.Header.Get("Traceparent"))
		b, _ := io.ReadAll(req.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"charge":"ch_1","echo":`+string(b)+`}`)
	}))
	defer upstream.Close()

	logs := &testutil.Buffer{}
	r := newTestRecorder(t, Config{})
	logger := slog.New(r.SlogHandler(slog.NewJSONHandler(logs, nil))).With("svc", "notes").WithGroup("req")
	client := &http.Client{Transport: r.Transport(nil, "stripe")}

	mux := http.NewServeMux()
	mux.HandleFunc("POST /pay", func(w http.ResponseWriter, req *http.Request) {
		ctx := req.Context()
		out, _ := http.NewRequestWithContext(WithOperation(ctx, "charges.create"), "POST", upstream.URL+"/v1/charges", strings.NewReader(`{"amount":100}`))
		out.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(out)
		if err != nil {
			t.Errorf("outbound: %v", err)
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		r.Audit(ctx, Audit{Actor: "u1", Tenant: "t1", Action: "payment.create", Resource: "ch_1", Outcome: "ok", Metadata: map[string]any{"amount": 100}})
		logger.InfoContext(ctx, "paid", "amount", 100, slog.Group("card", "brand", "visa"))
		r.Event(ctx, event.KindCustom, "cache.miss", map[string]any{"key": "notes:1"})
		w.WriteHeader(http.StatusAccepted)
	})
	srv := httptest.NewServer(r.Middleware(mux))
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/pay", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	rid := resp.Header.Get("X-Request-Id")
	flush(t, r)

	evs, err := r.Store().Correlated(rid)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 5 {
		t.Fatalf("correlated %d events, want 5:\n%s", len(evs), dump(evs))
	}
	req := one(t, evs, event.KindRequest)
	prov := one(t, evs, event.KindProvider)
	aud := one(t, evs, event.KindAudit)
	lg := one(t, evs, event.KindLog)
	cu := one(t, evs, event.KindCustom)
	for _, e := range evs {
		if e.RequestID != rid || e.TraceID != req.TraceID {
			t.Errorf("%s: request %q trace %q", e.Kind, e.RequestID, e.TraceID)
		}
	}
	if prov.ParentSpanID != req.SpanID || prov.SpanID == req.SpanID || prov.SpanID == "" {
		t.Errorf("provider span %q parent %q, request span %q", prov.SpanID, prov.ParentSpanID, req.SpanID)
	}
	tp, _ := upstreamTP.Load().(string)
	if tp != "00-"+req.TraceID+"-"+prov.SpanID+"-01" {
		t.Errorf("upstream saw traceparent %q", tp)
	}
	p := prov.Provider
	if p == nil || p.Name != "stripe" || p.Operation != "charges.create" || p.Status != 200 || p.Method != "POST" || prov.Name != "stripe charges.create" {
		t.Errorf("provider %+v name %q", p, prov.Name)
	}
	if h := prov.HTTP; h == nil || h.RequestBody == nil || h.RequestBody.Text != `{"amount":100}` || h.ResponseBody == nil ||
		!strings.Contains(h.ResponseBody.Text, `"charge":"ch_1"`) || h.BytesOut != 14 || h.BytesIn == 0 || h.RequestHeaders["Traceparent"] == nil {
		t.Errorf("provider http %+v", prov.HTTP)
	}
	if aud.Audit == nil || aud.Audit.Actor != "u1" || aud.Audit.Action != "payment.create" || aud.Name != "payment.create" || aud.Attrs["amount"] == nil {
		t.Errorf("audit %+v attrs %v", aud.Audit, aud.Attrs)
	}
	if lg.Level != "INFO" || lg.Message != "paid" || lg.Attrs["svc"] != "notes" {
		t.Errorf("log %q %q %v", lg.Level, lg.Message, lg.Attrs)
	}
	if g, _ := lg.Attrs["req"].(map[string]any); g == nil || g["amount"] == nil || g["card"] == nil {
		t.Errorf("log groups %v", lg.Attrs)
	}
	if cu.Name != "cache.miss" || cu.Attrs["key"] != "notes:1" {
		t.Errorf("custom %q %v", cu.Name, cu.Attrs)
	}
	if !strings.Contains(logs.String(), `"msg":"paid"`) {
		t.Errorf("log record not passed on: %s", logs.String())
	}
	// Events are stored in order: request last (it ends after the others).
	if evs[len(evs)-1].Kind != event.KindRequest {
		t.Errorf("order: %s", dump(evs))
	}
}

type failingRT struct{}

func (failingRT) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("dial tcp: connection refused")
}

func TestTransportErrorsAndNoParent(t *testing.T) {
	r := newTestRecorder(t, Config{})
	c := &http.Client{Transport: r.Transport(failingRT{}, "mail")}
	_, err := c.Get("http://127.0.0.1:1/send?x=1")
	if err == nil {
		t.Fatal("no error")
	}
	// Not read to EOF, closed early: recorded on Close.
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		_, _ = io.WriteString(w, strings.Repeat("a", 10000))
	}))
	defer upstream.Close()
	c2 := &http.Client{Transport: r.Transport(nil, "cdn")}
	resp, err := c2.Get(upstream.URL + "/big")
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 100)
	_, _ = io.ReadFull(resp.Body, buf)
	flush(t, r)
	if n := len(byKind(allEvents(t, r.Store()), event.KindProvider)); n != 1 {
		t.Fatalf("provider event recorded before the body was closed: %d", n)
	}
	resp.Body.Close()
	flush(t, r)
	evs := byKind(allEvents(t, r.Store()), event.KindProvider)
	if len(evs) != 2 {
		t.Fatalf("%d provider events", len(evs))
	}
	fail, ok := evs[0], evs[1]
	if fail.Provider.Error == "" || fail.Level != "ERROR" || fail.RequestID != "" || fail.TraceID == "" || fail.Provider.Status != 0 {
		t.Errorf("failed call %+v", fail.Provider)
	}
	if strings.Contains(fail.Provider.Error, "127.0.0.1:1/send") {
		t.Errorf("error repeats the URL: %q", fail.Provider.Error)
	}
	if ok.Provider.Status != 200 || ok.HTTP.BytesIn != 100 || ok.HTTP.ResponseBody == nil || !ok.HTTP.ResponseBody.Truncated {
		t.Errorf("early-closed call: %+v %+v", ok.Provider, ok.HTTP.ResponseBody)
	}
}

func TestSnapshotCopies(t *testing.T) {
	type inner struct {
		Password string `json:"password"`
		N        int    `json:"n"`
	}
	m := map[string]any{"s": "x", "list": []any{1, map[string]any{"k": "v"}}, "struct": &inner{"p", 2}, "err": errors.New("e"), "d": time.Second}
	got := snapshotMap(m, 0)
	m["s"] = "changed"
	m["list"].([]any)[1].(map[string]any)["k"] = "changed"
	if got["s"] != "x" || got["list"].([]any)[1].(map[string]any)["k"] != "v" {
		t.Errorf("snapshot shares memory: %v", got)
	}
	if s, _ := got["struct"].(map[string]any); s == nil || s["password"] != "p" {
		t.Errorf("struct: %#v", got["struct"])
	}
	if got["err"] != "e" || got["d"] != "1s" {
		t.Errorf("err/d: %v %v", got["err"], got["d"])
	}
	// Cycles end.
	cyc := map[string]any{}
	cyc["self"] = cyc
	_ = snapshotMap(cyc, 0)
}

func TestEventUnknownKindIsCustom(t *testing.T) {
	r := newTestRecorder(t, Config{})
	r.Event(context.Background(), "weird", "x", nil)
	flush(t, r)
	if e := one(t, allEvents(t, r.Store()), event.KindCustom); e.Name != "x" {
		t.Fatal(e.Name)
	}
}

type secretValuer struct{}

func (secretValuer) LogValue() slog.Value { return slog.StringValue("resolved") }

func TestSlogHandlerLevelsAndGroups(t *testing.T) {
	r := newTestRecorder(t, Config{})
	out := &testutil.Buffer{}
	next := slog.NewTextHandler(out, &slog.HandlerOptions{Level: slog.LevelWarn})
	l := slog.New(r.SlogHandler(next)).With("a", 1).WithGroup("g").With("b", 2)
	ctx := context.Background()
	l.DebugContext(ctx, "debug dropped")
	l.InfoContext(ctx, "info recorded", slog.Group("", slog.String("inline", "x")), "v", secretValuer{}, slog.Group("empty"))
	l.WarnContext(ctx, "warn both")
	flush(t, r)
	logs := byKind(allEvents(t, r.Store()), event.KindLog)
	if len(logs) != 2 || logs[0].Message != "info recorded" || logs[1].Message != "warn both" || logs[1].Level != "WARN" {
		t.Fatalf("logs: %s", dump(logs))
	}
	a := logs[0].Attrs
	g, _ := a["g"].(map[string]any)
	if a["a"] == nil || g == nil || g["b"] == nil || g["inline"] != "x" || g["v"] != "resolved" || g["empty"] != nil {
		t.Fatalf("attrs %v", a)
	}
	if s := out.String(); strings.Contains(s, "info recorded") || !strings.Contains(s, "warn both") || strings.Contains(s, "debug") {
		t.Fatalf("next got: %s", s)
	}
}
