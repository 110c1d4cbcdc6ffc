package recorder

import (
	"bufio"
	"context"
	"errors"
	"io"
	"io/fs"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"

	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/internal/testutil"
)

func TestEnvResolution(t *testing.T) {
	cases := []struct {
		cfg, beignet, app, want string
	}{
		{"", "", "", EnvDevelopment},
		{"", "", "production", EnvProduction},
		{"", "staging", "production", "staging"},
		{"Production", "staging", "", EnvProduction},
		{"", "prod", "", EnvProduction},
		{"", "", "dev", EnvDevelopment},
		{"  ", "", "local", EnvDevelopment},
		{"test", "", "", "test"},
	}
	for _, c := range cases {
		t.Setenv("BEIGNET_ENV", c.beignet)
		t.Setenv("APP_ENV", c.app)
		if got := ResolveEnv(c.cfg); got != c.want {
			t.Errorf("ResolveEnv(%q) with BEIGNET_ENV=%q APP_ENV=%q = %q, want %q", c.cfg, c.beignet, c.app, got, c.want)
		}
	}
}

type countingHandler struct{ n int }

func (h *countingHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.n++ }

func TestDisabledIsNoop(t *testing.T) {
	t.Setenv("BEIGNET_ENV", "")
	t.Setenv("APP_ENV", "production")
	dir := t.TempDir()
	r, err := New(Config{StorePath: dir + "/devtools.db"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Enabled() {
		t.Fatal("recorder enabled in production by default")
	}
	if r.Store() != nil {
		t.Fatal("disabled recorder opened a store")
	}
	next := &countingHandler{}
	if h := r.Middleware(next); h != http.Handler(next) {
		t.Fatal("disabled Middleware did not return next unchanged")
	}
	base := &http.Transport{}
	if rt := r.Transport(base, "x"); rt != http.RoundTripper(base) {
		t.Fatal("disabled Transport did not return base unchanged")
	}
	th := testLogger(&testutil.Buffer{}).Handler()
	if h := r.SlogHandler(th); h != th {
		t.Fatal("disabled SlogHandler did not return next unchanged")
	}
	ctx := context.Background()
	attrs := map[string]any{"a": 1}
	a := Audit{Actor: "u", Action: "x", Metadata: attrs}
	allocs := testing.AllocsPerRun(100, func() {
		r.Audit(ctx, a)
		r.Event(ctx, event.KindCustom, "x", attrs)
		_ = r.Stats()
	})
	if allocs != 0 {
		t.Fatalf("disabled calls allocate: %v allocs", allocs)
	}
	var nilRec *Recorder
	nilRec.Audit(ctx, a)
	nilRec.Event(ctx, event.KindCustom, "x", nil)
	if nilRec.Middleware(next) != http.Handler(next) || nilRec.Enabled() {
		t.Fatal("nil recorder is not a no-op")
	}
	if err := r.Close(ctx); err != nil {
		t.Fatal(err)
	}
	// Production route: 404 unless enabled.
	h, err := r.Handler(HandlerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/api/devtools/stats", nil)
	req.RemoteAddr = "127.0.0.1:5000"
	req.Host = "localhost"
	h.ServeHTTP(w, req)
	if w.Code != http.StatusNotFound {
		t.Fatalf("production route: %d, want 404", w.Code)
	}
}

func TestMiddlewareCapturesRequest(t *testing.T) {
	r := newTestRecorder(t, Config{App: "notes", Instance: "i1"})
	mux := http.NewServeMux()
	mux.HandleFunc("POST /notes/{id}", func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		if string(b) != `{"title":"hello"}` {
			t.Errorf("handler got body %q", b)
		}
		if RequestID(req.Context()) == "" || TraceParent(req.Context()) == "" {
			t.Error("no correlation in the handler's context")
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"id":"42"}`)
	})
	srv := httptest.NewServer(r.Middleware(mux))
	defer srv.Close()

	resp, err := http.Post(srv.URL+"/notes/42?x=1", "application/json", strings.NewReader(`{"title":"hello"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 201 || string(body) != `{"id":"42"}` {
		t.Fatalf("response %d %q", resp.StatusCode, body)
	}
	rid := resp.Header.Get("X-Request-Id")
	tp := resp.Header.Get("Traceparent")
	if rid == "" || !validTraceparent(tp) {
		t.Fatalf("response headers: X-Request-Id %q traceparent %q", rid, tp)
	}
	flush(t, r)
	e := one(t, allEvents(t, r.Store()), event.KindRequest)
	h := e.HTTP
	switch {
	case e.Name != "POST /notes/{id}", h.Route != "POST /notes/{id}", h.Method != "POST":
		t.Errorf("name %q route %q method %q", e.Name, h.Route, h.Method)
	case e.Status != 201 || h.Status != 201:
		t.Errorf("status %d/%d", e.Status, h.Status)
	case e.RequestID != rid, e.TraceID != tp[3:35], e.SpanID != tp[36:52], e.ParentSpanID != "":
		t.Errorf("correlation %q %q %q %q vs %q %q", e.RequestID, e.TraceID, e.SpanID, e.ParentSpanID, rid, tp)
	case h.BytesIn != 17 || h.BytesOut != 11:
		t.Errorf("bytes in %d out %d", h.BytesIn, h.BytesOut)
	case h.RequestBody == nil || h.RequestBody.Text != `{"title":"hello"}` || h.RequestBody.Truncated:
		t.Errorf("request body %+v", h.RequestBody)
	case h.ResponseBody == nil || h.ResponseBody.Text != `{"id":"42"}` || h.ResponseBody.ContentType != "application/json":
		t.Errorf("response body %+v", h.ResponseBody)
	case !strings.HasPrefix(h.URL, "http://127.0.0.1:") || !strings.HasSuffix(h.URL, "/notes/42?x=1"):
		t.Errorf("url %q", h.URL)
	case e.App != "notes" || e.Instance != "i1":
		t.Errorf("app %q instance %q", e.App, e.Instance)
	case len(h.ResponseHeaders["X-Request-Id"]) != 1 || len(h.RequestHeaders["Content-Type"]) != 1:
		t.Errorf("headers %v / %v", h.RequestHeaders, h.ResponseHeaders)
	case e.DurationNs <= 0 || !strings.HasPrefix(h.RemoteAddr, "127.0.0.1:"):
		t.Errorf("duration %d remote %q", e.DurationNs, h.RemoteAddr)
	}
}

func TestRequestIDAndTraceparent(t *testing.T) {
	r := newTestRecorder(t, Config{})
	h := r.Middleware(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {}))
	const parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	cases := []struct {
		name, rid, tp string
		keepRID       bool
		keepTrace     bool
	}{
		{"valid both", "abc-123_x.y", parent, true, true},
		{"none", "", "", false, false},
		{"space in id", "abc 123", parent, false, true},
		{"quote in id", `a"b`, "", false, false},
		{"too long", strings.Repeat("a", 129), "", false, false},
		{"zero trace", "ok", "00-00000000000000000000000000000000-00f067aa0ba902b7-01", true, false},
		{"upper hex", "ok", strings.ToUpper(parent), true, false},
		{"version ff", "ok", "ff" + parent[2:], true, false},
		{"v00 too long", "ok", parent + "-x", true, false},
		{"future version", "ok", "01" + parent[2:] + "-what", true, true},
	}
	for _, c := range cases {
		req := httptest.NewRequest("GET", "/x", nil)
		if c.rid != "" {
			req.Header.Set("X-Request-Id", c.rid)
		}
		if c.tp != "" {
			req.Header.Set("Traceparent", c.tp)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		rid, tp := w.Header().Get("X-Request-Id"), w.Header().Get("Traceparent")
		if (rid == c.rid) != c.keepRID || !validRequestID(rid) {
			t.Errorf("%s: request id %q (incoming %q)", c.name, rid, c.rid)
		}
		if !validTraceparent(tp) || len(tp) != 55 {
			t.Errorf("%s: bad traceparent %q", c.name, tp)
			continue
		}
		if kept := c.tp != "" && len(c.tp) >= 35 && tp[3:35] == c.tp[3:35]; kept != c.keepTrace {
			t.Errorf("%s: trace continued=%v, want %v (%q)", c.name, kept, c.keepTrace, tp)
		}
		if c.tp != "" && tp[36:52] == c.tp[36:52] {
			t.Errorf("%s: span not renewed", c.name)
		}
	}
	flush(t, r)
	evs := allEvents(t, r.Store())
	if len(evs) != len(cases) {
		t.Fatalf("%d events for %d requests", len(evs), len(cases))
	}
	if evs[0].ParentSpanID != "00f067aa0ba902b7" || evs[0].TraceID != "4bf92f3577b34da6a3ce929d0e0e4736" {
		t.Errorf("continued trace: trace %q parent %q", evs[0].TraceID, evs[0].ParentSpanID)
	}
}

func TestMiddlewareSSEFlushes(t *testing.T) {
	r := newTestRecorder(t, Config{})
	next := make(chan struct{})
	h := r.Middleware(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if _, ok := w.(http.Flusher); !ok {
			t.Error("writer is not an http.Flusher")
		}
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, "data: one\n\n")
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("ResponseController.Flush: %v", err)
		}
		select {
		case <-next: // the client saw "one" before the handler returned: streamed
		case <-time.After(10 * time.Second):
			t.Error("client never received the flushed event")
		}
		_, _ = io.WriteString(w, "data: two\n\n")
		w.(http.Flusher).Flush()
	}))
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	line, err := br.ReadString('\n')
	if err != nil || line != "data: one\n" {
		t.Fatalf("first line %q %v", line, err)
	}
	close(next)
	rest, _ := io.ReadAll(br)
	if string(rest) != "\ndata: two\n\n" {
		t.Fatalf("rest %q", rest)
	}
	flush(t, r)
	e := one(t, allEvents(t, r.Store()), event.KindRequest)
	if e.Status != 200 || e.HTTP.BytesOut != 22 || e.HTTP.ResponseBody == nil || e.HTTP.ResponseBody.Text != "data: one\n\ndata: two\n\n" {
		t.Fatalf("sse event: status %d bytes %d body %+v", e.Status, e.HTTP.BytesOut, e.HTTP.ResponseBody)
	}
}

func TestMiddlewareWebsocketUpgrade(t *testing.T) {
	r := newTestRecorder(t, Config{})
	h := r.Middleware(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		c, err := websocket.Accept(w, req, nil)
		if err != nil {
			t.Errorf("accept through middleware: %v", err)
			return
		}
		defer c.CloseNow()
		typ, msg, err := c.Read(req.Context())
		if err != nil {
			return
		}
		_ = c.Write(req.Context(), typ, append([]byte("echo:"), msg...))
		_ = c.Close(websocket.StatusNormalClosure, "")
	}))
	served := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		defer close(served)
		h.ServeHTTP(w, req)
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if resp.Header.Get("X-Request-Id") == "" {
		t.Error("no X-Request-Id on the upgrade response")
	}
	if err := c.Write(ctx, websocket.MessageText, []byte("hi")); err != nil {
		t.Fatal(err)
	}
	_, msg, err := c.Read(ctx)
	if err != nil || string(msg) != "echo:hi" {
		t.Fatalf("read %q %v", msg, err)
	}
	_, _, err = c.Read(ctx)
	if websocket.CloseStatus(err) != websocket.StatusNormalClosure {
		t.Fatalf("close: %v", err)
	}
	c.CloseNow()
	<-served // hijacked connections are not waited for by srv.Close
	flush(t, r)
	e := one(t, allEvents(t, r.Store()), event.KindRequest)
	if e.Status != http.StatusSwitchingProtocols {
		t.Fatalf("websocket request recorded with status %d", e.Status)
	}
}

func TestMiddlewareHijackAndController(t *testing.T) {
	r := newTestRecorder(t, Config{})
	h := r.Middleware(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		rc := http.NewResponseController(w)
		if err := rc.SetWriteDeadline(time.Now().Add(5 * time.Second)); err != nil {
			t.Errorf("SetWriteDeadline through the wrapper: %v", err)
		}
		conn, brw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		defer conn.Close()
		_, _ = brw.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi")
		_ = brw.Flush()
	}))
	served := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		defer close(served)
		h.ServeHTTP(w, req)
	}))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "hi" {
		t.Fatalf("hijacked body %q", b)
	}
	<-served
	flush(t, r)
	one(t, allEvents(t, r.Store()), event.KindRequest)

	// A writer that cannot hijack: the wrapper says so instead of panicking.
	h2 := r.Middleware(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if _, _, err := w.(http.Hijacker).Hijack(); !errors.Is(err, http.ErrNotSupported) {
			t.Errorf("hijack on a recorder writer: %v", err)
		}
		w.WriteHeader(http.StatusTeapot)
		w.WriteHeader(http.StatusOK) // superfluous, ignored for the record
	}))
	w := httptest.NewRecorder()
	h2.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	if w.Code != http.StatusTeapot {
		t.Fatalf("status %d", w.Code)
	}
}

func TestMiddlewarePanicRecorded(t *testing.T) {
	r := newTestRecorder(t, Config{})
	h := r.Middleware(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		panic("boom: database on fire")
	}))
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.Start()
	defer srv.Close()
	if resp, err := http.Get(srv.URL + "/explode"); err == nil {
		resp.Body.Close()
		t.Fatal("a panicking handler answered")
	}
	flush(t, r)
	evs := allEvents(t, r.Store())
	pe := one(t, evs, event.KindError)
	re := one(t, evs, event.KindRequest)
	if pe.RequestID == "" || pe.RequestID != re.RequestID || pe.TraceID != re.TraceID {
		t.Errorf("panic not correlated: %q/%q", pe.RequestID, re.RequestID)
	}
	if !strings.Contains(pe.Message, "boom: database on fire") {
		t.Errorf("message %q", pe.Message)
	}
	if st, _ := pe.Attrs["stack"].(string); !strings.Contains(st, "TestMiddlewarePanicRecorded") {
		t.Errorf("stack does not show the panicking handler: %.200q", st)
	}
	if re.Status != 500 {
		t.Errorf("request status %d", re.Status)
	}

	// The middleware re-panics: the caller's recovery still sees it.
	func() {
		defer func() {
			if p := recover(); p == nil {
				t.Error("panic swallowed")
			}
		}()
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	}()
}

func TestBodyLimitAndBinary(t *testing.T) {
	const limit = 1024
	r := newTestRecorder(t, Config{BodyLimit: limit})
	big := strings.Repeat("é", 2000) // 4000 bytes, 2-byte runes; limit lands mid-rune? 1024 is even: shift by one
	big = "x" + big
	h := r.Middleware(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		_, _ = io.Copy(io.Discard, req.Body)
		switch req.URL.Path {
		case "/png":
			w.Header().Set("Content-Type", "image/png")
			_, _ = w.Write([]byte("\x89PNG\r\n\x1a\n0000"))
		case "/stream":
			w.Header().Set("Content-Type", "text/plain")
			chunk := []byte(strings.Repeat("z", 32<<10))
			for range 64 { // 2 MiB, teed only up to the limit
				_, _ = w.Write(chunk)
			}
		default:
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			_, _ = io.WriteString(w, big)
		}
	}))
	srv := httptest.NewServer(h)
	defer srv.Close()
	for _, p := range []string{"/text", "/png", "/stream"} {
		resp, err := http.Post(srv.URL+p, "text/plain", strings.NewReader(big))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	flush(t, r)
	evs := byKind(allEvents(t, r.Store()), event.KindRequest)
	if len(evs) != 3 {
		t.Fatalf("%d events", len(evs))
	}
	for _, e := range evs {
		rb, sb := e.HTTP.RequestBody, e.HTTP.ResponseBody
		if rb == nil || !rb.Truncated || rb.Size != int64(len(big)) || len(rb.Text) > limit || !utf8.ValidString(rb.Text) || len(rb.Text) < limit-4 {
			t.Errorf("%s: request body size %d truncated %v len %d valid %v", e.Path(), rb.Size, rb.Truncated, len(rb.Text), utf8.ValidString(rb.Text))
		}
		switch e.Path() {
		case "/png":
			if sb == nil || !sb.Binary || sb.Text != "" || sb.Size != 12 || sb.ContentType != "image/png" {
				t.Errorf("png body %+v", sb)
			}
		case "/stream":
			if sb == nil || sb.Size != 2<<20 || len(sb.Text) != limit || !sb.Truncated || e.HTTP.BytesOut != 2<<20 {
				t.Errorf("stream body size %d len %d", sb.Size, len(sb.Text))
			}
		default:
			if sb == nil || !sb.Truncated || len(sb.Text) > limit || !utf8.ValidString(sb.Text) {
				t.Errorf("text body %+v", sb)
			}
		}
	}
}

func TestCutUTF8(t *testing.T) {
	s := []byte("aé€😀")
	for n := 0; n <= len(s); n++ {
		c := cutUTF8(s, n)
		if len(c) > n || !utf8.Valid(c) || len(c) < n-3 {
			t.Errorf("cut %d: %q", n, c)
		}
	}
}

// TestUnknownEnvironmentsFailClosed: only development (and unset) records
// by default; any other name, known or not, behaves as production: off,
// route 404, and when enabled explicitly the route needs Authorize.
func TestUnknownEnvironmentsFailClosed(t *testing.T) {
	t.Setenv("BEIGNET_ENV", "")
	t.Setenv("APP_ENV", "")
	for _, env := range []string{"staging", "prd", "live", "test", "prodution", "qa"} {
		t.Run(env, func(t *testing.T) {
			dir := t.TempDir()
			r, err := New(Config{Env: env, StorePath: filepath.Join(dir, ".beignet", "devtools.db")})
			if err != nil {
				t.Fatal(err)
			}
			if r.Enabled() || r.Store() != nil {
				t.Fatalf("%s: recorder on by default (enabled=%v)", env, r.Enabled())
			}
			if _, err := os.Stat(filepath.Join(dir, ".beignet")); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("%s: disabled recorder created its store folder: %v", env, err)
			}
			h, err := r.Handler(HandlerOptions{})
			if err != nil {
				t.Fatalf("%s: disabled route: %v", env, err)
			}
			w := httptest.NewRecorder()
			req := httptest.NewRequest("GET", "/api/devtools/stats", nil)
			req.RemoteAddr = "127.0.0.1:1"
			h.ServeHTTP(w, req)
			if w.Code != http.StatusNotFound {
				t.Fatalf("%s: disabled route answered %d", env, w.Code)
			}
			on := newTestRecorder(t, Config{Env: env, Enabled: ptr(true)})
			if _, err := on.Handler(HandlerOptions{}); !errors.Is(err, ErrNoAuthorize) {
				t.Fatalf("%s: enabled route without Authorize: %v", env, err)
			}
		})
	}
	for _, env := range []string{"", "development", "dev", "local", "Development"} {
		if r := newTestRecorder(t, Config{Env: env}); !r.Enabled() {
			t.Errorf("%q: development not recording by default", env)
		}
	}
}
