package recorder

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/beignet/devtools/event"
)

// Transport returns a RoundTripper that records a provider event per call
// made through base (http.DefaultTransport when nil). The event is
// correlated to the inbound request through the request's context (request
// ID, trace ID, and the inbound request's span as parent), has its own span,
// and the call carries a traceparent header for that span. Bodies are teed
// up to the capture limit as they are sent and as the caller reads the
// response; the event is recorded when the caller reads the response body
// to EOF or closes it (a failed call is recorded at once). Name the
// operation with WithOperation.
//
// A disabled recorder returns base unchanged.
func (r *Recorder) Transport(base http.RoundTripper, provider string) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	if !r.Enabled() {
		return base
	}
	return &transport{r: r, base: base, provider: provider}
}

type transport struct {
	r        *Recorder
	base     http.RoundTripper
	provider string
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := t.r
	if r.closed.Load() {
		return t.base.RoundTrip(req)
	}
	start := r.now()
	ctx := req.Context()
	rec := newRecord()
	e := &rec.ev
	var tp string
	if info := infoFrom(ctx); info != nil {
		tp = childTraceparent(info.traceparent())
		e.RequestID = info.requestID
		e.ParentSpanID = info.spanID()
	} else {
		// No recorded inbound request: continue a traceparent the caller
		// set, else start a trace.
		tp, e.ParentSpanID = newTraceparent(req.Header.Get("Traceparent"))
	}
	e.Kind = event.KindProvider
	e.Time = start
	e.TraceID = tp[3:35]
	e.SpanID = tp[36:52]

	out := req.Clone(ctx) // a RoundTripper must not modify the caller's request
	out.Header.Set("Traceparent", tp)
	capMax := r.captureMax()
	if req.Body != nil && req.Body != http.NoBody {
		b := &rec.body
		b.rc = req.Body
		b.capMax = capMax
		b.hint = req.ContentLength
		b.capturing = capMax > 0 && !binaryType(req.Header.Get("Content-Type")) && identity(req.Header.Get("Content-Encoding"))
		out.Body = b
		rec.reqBody.present = true
		rec.reqBody.contentType = req.Header.Get("Content-Type")
		rec.reqBody.encoding = req.Header.Get("Content-Encoding")
	}

	op := operationFrom(ctx)
	if op == "" {
		op = req.Method + " " + req.URL.Path
	}
	e.Name = t.provider + " " + op
	u := req.URL.String()
	prov := &event.Provider{Name: t.provider, Operation: op, Method: req.Method, URL: u}
	e.Provider = prov
	rec.http = event.HTTP{Method: req.Method, URL: u, RequestHeaders: out.Header}
	e.HTTP = &rec.http

	resp, err := t.base.RoundTrip(out)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			prov.Error = ue.Err.Error() // url.Error repeats the URL unredacted
		} else {
			prov.Error = err.Error()
		}
		e.Level = "ERROR"
		t.finishRequestBody(rec, req)
		e.DurationNs = int64(r.now().Sub(start))
		r.submitCtx(ctx, rec)
		return nil, err
	}
	prov.Status = resp.StatusCode
	rec.http.Status = resp.StatusCode
	e.Status = resp.StatusCode
	rec.http.ResponseHeaders = resp.Header.Clone()
	ct := resp.Header.Get("Content-Type")
	enc := resp.Header.Get("Content-Encoding")
	if resp.Uncompressed {
		enc = "" // the transport decompressed it
	}
	rb := &respTee{
		rc:        resp.Body,
		r:         r,
		t:         t,
		rec:       rec,
		req:       req,
		start:     start,
		length:    resp.ContentLength,
		capMax:    capMax,
		capturing: capMax > 0 && !binaryType(ct) && identity(enc),
	}
	rec.respBody.contentType = ct
	rec.respBody.encoding = enc
	if resp.Body == nil || resp.Body == http.NoBody {
		rb.finish()
		return resp, nil
	}
	resp.Body = rb
	return resp, nil
}

func (t *transport) finishRequestBody(rec *record, req *http.Request) {
	if !rec.reqBody.present {
		return
	}
	b := &rec.body
	size := b.n
	if req.ContentLength > size {
		size = req.ContentLength
	}
	rec.reqBody.size = size
	rec.reqBody.raw = b.buf
	rec.http.BytesOut = size
}

// respTee tees a provider response body as the caller reads it and records
// the event at EOF or Close, whichever comes first.
type respTee struct {
	rc        io.ReadCloser
	r         *Recorder
	t         *transport
	rec       *record
	req       *http.Request
	start     time.Time
	buf       []byte
	n         int64
	length    int64
	capMax    int
	capturing bool
	eof       bool
	done      atomic.Bool
}

func (b *respTee) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if n > 0 && !b.done.Load() {
		b.n += int64(n)
		if b.capturing && len(b.buf) < b.capMax {
			if b.buf == nil {
				c := b.capMax
				if b.length > 0 && b.length < int64(c) {
					c = int(b.length)
				}
				b.buf = make([]byte, 0, c)
			}
			b.buf = append(b.buf, p[:min(n, b.capMax-len(b.buf))]...)
		}
	}
	if err == io.EOF {
		b.eof = true
		b.finish()
	}
	return n, err
}

func (b *respTee) Close() error {
	err := b.rc.Close()
	b.finish()
	return err
}

func (b *respTee) finish() {
	if b.done.Swap(true) {
		return
	}
	rec := b.rec
	b.t.finishRequestBody(rec, b.req)
	size := b.n
	if b.length > size {
		size = b.length
	}
	rec.http.BytesIn = size
	if size > 0 || len(b.buf) > 0 {
		rec.respBody.present = true
		rec.respBody.size = size
		rec.respBody.raw = b.buf
		rec.respBody.partial = !b.eof
	}
	rec.ev.DurationNs = int64(b.r.now().Sub(b.start))
	b.r.submitCtx(b.req.Context(), rec)
}
