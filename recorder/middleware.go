package recorder

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/beignet/devtools/event"
)

// Middleware records every request that next serves (except IgnorePaths):
// a request ID (a valid incoming X-Request-Id is reused, else one is
// generated; it is set on the response), a W3C traceparent (continued or
// started; set on the response), method, URL, route pattern, status, bytes
// in and out, duration, headers, and bodies up to the capture limit. A panic
// is recorded as an error event, then re-panicked.
//
// The response writer passed to next keeps http.Flusher, http.Hijacker and
// http.ResponseController working (it implements Unwrap), so streaming
// responses, SSE and websocket upgrades work through it. Bodies are teed as
// they stream: at most the capture limit plus a little slack is copied.
//
// A disabled recorder returns next unchanged.
func (r *Recorder) Middleware(next http.Handler) http.Handler {
	if !r.Enabled() {
		return next
	}
	return &middleware{r: r, next: next}
}

type middleware struct {
	r    *Recorder
	next http.Handler
}

func (r *Recorder) captureMax() int {
	if r.bodyLimit < 0 {
		return 0
	}
	return r.bodyLimit + bodySlack
}

func (m *middleware) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r := m.r
	if r.closed.Load() || r.ignored(req.URL.Path) {
		m.next.ServeHTTP(w, req)
		return
	}
	start := r.start()
	rec := r.getRecord()
	// The request headers are recorded as they arrived (before the
	// handler). One pass copies them and finds the four this needs.
	if cap(rec.hdrs) == 0 {
		rec.hdrs = make([]byte, 0, 256)
	}
	var rh reqHeaders
	rec.hdrs, rh = appendRequestHeader(rec.hdrs[:0], req.Header)
	rec.respHdrs = len(rec.hdrs)
	rec.req.contentType, rec.req.encoding = rh.contentType, rh.encoding
	ictx := &infoCtx{Context: req.Context()}
	info := &ictx.info
	ictx.setIDs(rh.traceparent, rh.requestID, start)
	h := w.Header()
	ictx.hdr = [2]string{info.requestID, info.traceparent()}
	h["X-Request-Id"] = ictx.hdr[0:1:1]
	h["Traceparent"] = ictx.hdr[1:2:2]

	capMax := r.captureMax()
	rw := &rec.w
	*rw = responseWriter{w: w, capMax: capMax, buf: rw.buf[:0]}

	// The handler's request: a shallow copy with the new context, like
	// req.WithContext, but inside ictx (WithContext is inlined and its
	// copy stays on the stack).
	ictx.req = *req.WithContext(ictx)
	req2 := &ictx.req
	hasBody := req.Body != nil && req.Body != http.NoBody
	if hasBody {
		t := &rec.body
		*t = bodyTee{
			rc:        req.Body,
			buf:       t.buf[:0],
			capMax:    capMax,
			hint:      req.ContentLength,
			capturing: capMax > 0 && !binaryType(rh.contentType) && identity(rh.encoding),
		}
		req2.Body = t
	}

	done := false
	defer func() {
		if done {
			return
		}
		p := recover()
		if p == nil {
			// runtime.Goexit (t.FailNow in a test handler): record and go on.
			r.finishRequest(rec, info, req2, start, hasBody)
			return
		}
		if p != http.ErrAbortHandler {
			r.recordPanic(info, req2, p, debug.Stack())
		}
		if !rw.wroteHeader {
			rw.status = http.StatusInternalServerError
		}
		r.finishRequest(rec, info, req2, start, hasBody)
		panic(p)
	}()
	m.next.ServeHTTP(rw, req2)
	done = true
	r.finishRequest(rec, info, req2, start, hasBody)
}

// hget is Header.Get for a key already in canonical form, without the
// canonicalisation (the server and Header.Set store canonical keys).
func hget(h http.Header, canonicalKey string) string {
	if v := h[canonicalKey]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func identity(encoding string) bool {
	return encoding == "" || strings.EqualFold(encoding, "identity")
}

// finishRequest copies what the request event needs into rec.req and
// rec.hdrs and hands rec to the pipeline, which builds the event
// (buildRequest). What is kept is safe to read from the pipeline:
//   - values and strings (immutable) read off the request now;
//   - info, which points into the request's infoCtx, written before the
//     handler ran and never after;
//   - rec.w and rec.body (status, sizes, content types, capture buffers):
//     the middleware's own, written only while the handler runs (a handler
//     must not use its ResponseWriter or read the body after returning);
//   - the headers, copied into rec.hdrs as bytes (the request's when the
//     request started, the response's now), because the header maps stay
//     the app's: an outer middleware may change them after this returns.
//     X-Request-Id and Traceparent, when still the values the middleware
//     set, are not copied: the pipeline takes them from info.
func (r *Recorder) finishRequest(rec *record, info *reqInfo, req *http.Request, start time.Time, hasBody bool) {
	c := &rec.req
	c.durationNs = r.since(start)
	c.info = info
	c.start = start
	rw := &rec.w
	status := rw.status
	if status == 0 {
		if rw.hijacked {
			status = http.StatusSwitchingProtocols
		} else {
			status = http.StatusOK
		}
	}
	c.status = status
	c.bytesOut = rw.bytes
	c.contentLength = req.ContentLength
	c.hasBody = hasBody
	c.tls = req.TLS != nil
	c.method = req.Method
	c.route = info.routeOr(req.Pattern)
	c.remoteAddr = req.RemoteAddr
	c.host, c.uri, c.path = req.Host, req.RequestURI, req.URL.Path
	c.url = nil
	if req.URL.IsAbs() || c.uri == "" {
		u := *req.URL // a copy: the app may change *req.URL later; String() in the pipeline
		c.url = &u
	}
	rec.hdrs, c.ownHdrs = appendResponseHeader(rec.hdrs, rw.w.Header(), info)
	r.enqueue(rec)
}

// recordPanic records a panic as an error event correlated to the request.
func (r *Recorder) recordPanic(info *reqInfo, req *http.Request, p any, stack []byte) {
	pr := newRecord()
	e := &pr.ev
	e.Kind = event.KindError
	e.Time = r.now()
	e.Name = "panic"
	e.Level = "ERROR"
	e.RequestID = info.requestID
	e.TraceID = info.traceID()
	e.SpanID = info.spanID()
	e.ParentSpanID = info.parentSpan
	e.Status = http.StatusInternalServerError
	var msg string
	switch v := p.(type) {
	case error:
		msg = v.Error()
	case string:
		msg = v
	default:
		msg = fmt.Sprint(v)
	}
	e.Message = "panic: " + msg
	e.Attrs = event.Attrs{
		"stack":  string(stack),
		"method": req.Method,
		"route":  info.routeOr(req.Pattern),
		"path":   req.URL.Path,
	}
	r.enqueue(pr)
}

// bodyTee counts and tees (up to capMax bytes) a request body as the
// handler reads it.
type bodyTee struct {
	rc        io.ReadCloser
	buf       []byte
	capMax    int
	hint      int64
	n         int64
	capturing bool
}

func (t *bodyTee) Read(p []byte) (int, error) {
	n, err := t.rc.Read(p)
	if n > 0 {
		t.n += int64(n)
		if t.capturing && len(t.buf) < t.capMax {
			if cap(t.buf) == 0 {
				c := t.capMax
				if t.hint > 0 && t.hint < int64(c) {
					c = int(t.hint)
				}
				t.buf = make([]byte, 0, c)
			}
			t.buf = append(t.buf, p[:min(n, t.capMax-len(t.buf))]...)
		}
	}
	return n, err
}

func (t *bodyTee) Close() error { return t.rc.Close() }

// responseWriter records status and size and tees the first capMax bytes.
type responseWriter struct {
	w           http.ResponseWriter
	status      int
	bytes       int64
	buf         []byte
	capMax      int
	contentType string
	encoding    string
	wroteHeader bool
	capturing   bool
	hijacked    bool
}

var (
	_ http.Flusher  = (*responseWriter)(nil)
	_ http.Hijacker = (*responseWriter)(nil)
)

func (rw *responseWriter) Header() http.Header { return rw.w.Header() }

func (rw *responseWriter) commit(code int) {
	rw.wroteHeader = true
	rw.status = code
	h := rw.w.Header()
	rw.contentType = hget(h, "Content-Type")
	rw.encoding = hget(h, "Content-Encoding")
	rw.capturing = rw.capMax > 0 && !binaryType(rw.contentType) && identity(rw.encoding)
}

func (rw *responseWriter) WriteHeader(code int) {
	if !rw.wroteHeader && !(code >= 100 && code <= 199 && code != http.StatusSwitchingProtocols) {
		rw.commit(code)
	}
	rw.w.WriteHeader(code)
}

func (rw *responseWriter) Write(p []byte) (int, error) {
	if !rw.wroteHeader {
		rw.commit(http.StatusOK)
	}
	n, err := rw.w.Write(p)
	if n > 0 {
		rw.bytes += int64(n)
		if rw.capturing && len(rw.buf) < rw.capMax {
			rw.grow(n)
			rw.buf = append(rw.buf, p[:min(n, rw.capMax-len(rw.buf))]...)
		}
	}
	return n, err
}

// grow sizes the capture buffer for the first write exactly; later
// writes grow it by append, never beyond capMax (plus append's rounding).
func (rw *responseWriter) grow(n int) {
	if cap(rw.buf) == 0 {
		rw.buf = make([]byte, 0, min(rw.capMax, n))
	}
}

// WriteString keeps io.WriteString from converting when the underlying
// writer has WriteString.
func (rw *responseWriter) WriteString(s string) (int, error) {
	sw, ok := rw.w.(io.StringWriter)
	if !ok {
		return rw.Write([]byte(s))
	}
	if !rw.wroteHeader {
		rw.commit(http.StatusOK)
	}
	n, err := sw.WriteString(s)
	if n > 0 {
		rw.bytes += int64(n)
		if rw.capturing && len(rw.buf) < rw.capMax {
			rw.grow(n)
			rw.buf = append(rw.buf, s[:min(n, rw.capMax-len(rw.buf))]...)
		}
	}
	return n, err
}

// Flush implements http.Flusher; it is a no-op when the underlying writer
// cannot flush.
func (rw *responseWriter) Flush() { _ = rw.FlushError() }

// FlushError is what http.ResponseController.Flush calls.
func (rw *responseWriter) FlushError() error {
	if !rw.wroteHeader {
		rw.commit(http.StatusOK)
	}
	return http.NewResponseController(rw.w).Flush()
}

// Hijack implements http.Hijacker through the underlying writer; it returns
// http.ErrNotSupported when that one cannot hijack.
func (rw *responseWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, b, err := http.NewResponseController(rw.w).Hijack()
	if err == nil {
		rw.hijacked = true
	}
	return c, b, err
}

// Unwrap lets http.ResponseController reach the underlying writer
// (deadlines, full duplex).
func (rw *responseWriter) Unwrap() http.ResponseWriter { return rw.w }
