package benchbase

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"time"
)

// NoteHandler is the bare-handler request baseline: GET /notes/{id} as
// the demo app serves it, a small JSON document behind http.ServeMux. The
// mux sets Request.Pattern, so a middleware around it names the route as
// it would in an app.
func NoteHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/notes/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil {
			_, _ = io.Copy(io.Discard, r.Body)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, `{"id":"`+r.PathValue("id")+`","title":"Groceries","body":"eggs, flour, chicory coffee","tenant":"acme"}`)
	})
	return mux
}

// statusWriter is what a minimal access-log middleware wraps around the
// writer.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) { w.status = code; w.ResponseWriter.WriteHeader(code) }

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// StatusMiddleware captures status and bytes and does nothing with them:
// the floor of any request middleware.
func StatusMiddleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(&statusWriter{ResponseWriter: w}, r)
	})
}

// SlogMiddleware is the slog JSON request line baseline, what most Go
// users write instead of devtools: one log line per request with the
// method, path, status, bytes, duration and remote address (the fields a
// recorded request event has too).
func SlogMiddleware(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		logger.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", sw.status),
			slog.Int64("bytes", sw.bytes),
			slog.Duration("duration", time.Since(start)),
			slog.String("remote", r.RemoteAddr),
		)
	})
}

// JSONBody returns a JSON document (a list of tasks) of about size bytes
// (within 40), the same for the same size.
func JSONBody(size int) []byte {
	type item struct {
		ID    int    `json:"id"`
		Title string `json:"title"`
		Done  bool   `json:"done"`
	}
	var items []item
	var b []byte
	for i := 0; len(b) < size-40; i++ {
		items = append(items, item{ID: i, Title: fmt.Sprintf("task number %d for the week", i), Done: i%3 == 0})
		var err error
		if b, err = json.Marshal(map[string]any{"items": items}); err != nil {
			panic(err) // plain structs always encode
		}
	}
	return b
}

// Writer is the cheapest ResponseWriter: it keeps headers and the status
// and drops the body, so a benchmark measures the handler and its
// middleware, not I/O. Request.Serve clears it between requests instead of
// allocating a new one. The zero value is ready to use.
type Writer struct {
	h      http.Header
	Status int   // the status written, 0 before WriteHeader or Write
	Bytes  int64 // body bytes written
}

// Header returns the response headers.
func (w *Writer) Header() http.Header {
	if w.h == nil {
		w.h = make(http.Header, 4)
	}
	return w.h
}

// Write counts b and drops it.
func (w *Writer) Write(b []byte) (int, error) {
	if w.Status == 0 {
		w.Status = http.StatusOK
	}
	w.Bytes += int64(len(b))
	return len(b), nil
}

// WriteHeader records code.
func (w *Writer) WriteHeader(code int) { w.Status = code }

// rewindBody is a request body rewound between requests without
// allocating.
type rewindBody struct{ bytes.Reader }

func (*rewindBody) Close() error { return nil }

// Request is the baseline's request, served again and again: GET
// /notes/42 as a server hands it to a handler (RequestURI set, URL not
// absolute, remote address and a session cookie), or a POST of body when
// body is not nil. Serving rewinds the body and clears the writer, so
// the only allocations a benchmark sees are the handler's and its
// middleware's.
type Request struct {
	req  *http.Request
	body []byte
	rb   *rewindBody
	w    Writer
}

// NewRequest returns the request, with body as its JSON body when not nil.
func NewRequest(body []byte) *Request {
	method := http.MethodGet
	if body != nil {
		method = http.MethodPost
	}
	r := httptest.NewRequest(method, "/notes/42?view=full", nil)
	r.Host = "127.0.0.1:8080"
	r.RemoteAddr = "127.0.0.1:53124"
	r.Header.Set("Accept", "application/json")
	r.Header.Set("User-Agent", "bench/1.0")
	r.Header.Set("Cookie", "session=s3ss10n-abcdef0123456789")
	q := &Request{req: r, body: body}
	if body != nil {
		r.Header.Set("Content-Type", "application/json")
		r.ContentLength = int64(len(body))
		q.rb = &rewindBody{}
	}
	return q
}

// HTTP returns the request itself, for a caller that serves it otherwise.
func (q *Request) HTTP() *http.Request { return q.req }

// Serve serves the request once with h and returns the writer, valid
// until the next Serve.
func (q *Request) Serve(h http.Handler) *Writer {
	clear(q.w.h)
	q.w.Status, q.w.Bytes = 0, 0
	if q.rb != nil {
		q.rb.Reset(q.body)
		q.req.Body = q.rb
	}
	h.ServeHTTP(&q.w, q.req)
	return &q.w
}
