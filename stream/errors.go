package stream

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Errors returned by the client and server, matched with errors.Is.
var (
	// ErrUnauthorized means the server refused the request with HTTP 401
	// or 403: the token is missing, wrong or expired. Run returns it
	// without retrying.
	ErrUnauthorized = errors.New("stream: unauthorized")
	// ErrForbidden means the server answered HTTP 403 for a reason other
	// than the Origin (a policy refusing this client). It also matches
	// ErrUnauthorized.
	ErrForbidden = errors.New("stream: forbidden")
	// ErrOriginRefused means the server refused the upgrade because of the
	// request's Origin header (cross-origin and not allow-listed). Run
	// returns it without retrying. It does not match ErrUnauthorized.
	ErrOriginRefused = errors.New("stream: origin refused")
	// ErrNotFound means the server answered HTTP 404: nothing serves
	// devtools at the URL (a wrong base path, or a recorder that is off,
	// as it is in production unless enabled), or the event asked for is
	// not there. Run returns it without retrying: retrying cannot make the
	// route appear.
	ErrNotFound = errors.New("stream: no devtools route")
	// ErrRateLimited means the server answered HTTP 429: too many failed
	// attempts from this address. HTTPError.RetryAfter says when to try
	// again; Run waits at least that long before its next attempt.
	ErrRateLimited = errors.New("stream: rate-limited")
	// ErrServer means the server (or a proxy in front of it) answered with
	// a 5xx status. Run retries; HTTP callers may.
	ErrServer = errors.New("stream: server error")
	// ErrProtocol means the peer broke wire protocol v1: no or another
	// subprotocol, a frame that is not a v1 message, an event that does
	// not decode.
	ErrProtocol = errors.New("stream: protocol error")
	// ErrClosed means the client or server was stopped: Run's context
	// ended (the returned error also matches the context's error), or the
	// server or hub was shut down.
	ErrClosed = errors.New("stream: closed")
	// ErrBadURL means ClientOptions.URL is not an http, https, ws or wss URL.
	ErrBadURL = errors.New("stream: bad url")
)

// HTTPError is a request (a websocket dial, or a call to the route's JSON
// API) that the server answered with an unexpected HTTP status. It matches
// ErrUnauthorized for 401 and 403, ErrForbidden for a 403 that is not an
// origin refusal, ErrOriginRefused for an origin refusal, ErrNotFound for
// 404, ErrRateLimited for 429 and ErrServer for 5xx; use errors.As to read
// the status, the Retry-After delay and the server's message.
type HTTPError struct {
	StatusCode int
	// RetryAfter is the server's Retry-After (429, 503), zero when absent.
	RetryAfter time.Duration
	// Message is the server's one-line reason ({"error": "..."} or the
	// first line of a text body), cut to 200 characters with control
	// characters removed; it may be empty.
	Message string
	// kinds are the sentinels the error matches.
	kinds []error
}

func (e *HTTPError) Error() string {
	var s string
	switch {
	case e.is(ErrOriginRefused):
		s = fmt.Sprintf("stream: origin refused by server (HTTP %d)", e.StatusCode)
	case e.is(ErrForbidden):
		s = fmt.Sprintf("stream: forbidden (HTTP %d)", e.StatusCode)
	case e.is(ErrUnauthorized):
		s = fmt.Sprintf("stream: unauthorized (HTTP %d)", e.StatusCode)
	case e.is(ErrNotFound):
		s = fmt.Sprintf("stream: no devtools route at this URL (HTTP %d)", e.StatusCode)
	case e.is(ErrRateLimited):
		s = fmt.Sprintf("stream: rate-limited (HTTP %d)", e.StatusCode)
		if e.RetryAfter > 0 {
			s += fmt.Sprintf(", retry in %d s", RetrySeconds(e.RetryAfter))
		}
	case e.is(ErrServer):
		s = fmt.Sprintf("stream: server error (HTTP %d)", e.StatusCode)
	default:
		s = fmt.Sprintf("stream: server answered HTTP %d", e.StatusCode)
	}
	if e.Message != "" && !e.is(ErrUnauthorized) && !e.is(ErrOriginRefused) {
		s += ": " + e.Message
	}
	return s
}

func (e *HTTPError) is(target error) bool {
	for _, k := range e.kinds {
		if k == target {
			return true
		}
	}
	return false
}

// Unwrap returns the sentinels the error matches (none for an unexpected
// status such as 400).
func (e *HTTPError) Unwrap() []error { return e.kinds }

// RetrySeconds rounds a Retry-After delay up to whole seconds (at least 1),
// as people read it: "retry in 6 s".
func RetrySeconds(d time.Duration) int {
	return max(1, int((d+time.Second-1)/time.Second))
}

// ResponseError reads a refusal: resp's status, Retry-After and (up to
// 1 KiB of) body, as an *HTTPError. It is the one place that classifies
// the devtools route's answers, for the websocket dial and for the JSON
// API client (internal/apiclient). now is the clock for an HTTP-date
// Retry-After; nil means time.Now.
func ResponseError(resp *http.Response, now func() time.Time) *HTTPError {
	e := &HTTPError{StatusCode: resp.StatusCode}
	var body string
	if resp.Body != nil {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		body = string(b)
	}
	e.Message = serverMessage(body)
	e.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), now)
	switch st := resp.StatusCode; {
	case st == http.StatusUnauthorized:
		e.kinds = []error{ErrUnauthorized}
	case st == http.StatusForbidden && isOriginRefusal(body):
		e.kinds = []error{ErrOriginRefused}
	case st == http.StatusForbidden:
		e.kinds = []error{ErrForbidden, ErrUnauthorized}
	case st == http.StatusNotFound:
		e.kinds = []error{ErrNotFound}
	case st == http.StatusTooManyRequests:
		e.kinds = []error{ErrRateLimited}
	case st >= 500 && st <= 599:
		e.kinds = []error{ErrServer}
	}
	return e
}

// parseRetryAfter reads delay-seconds or an HTTP-date; zero when absent or
// malformed.
func parseRetryAfter(v string, now func() time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil {
		if n <= 0 {
			return 0
		}
		return time.Duration(min(n, 24*3600)) * time.Second
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0
	}
	if now == nil {
		now = time.Now
	}
	return max(0, min(t.Sub(now()), 24*time.Hour))
}

// serverMessage extracts the reason from a JSON {"error": "..."} body or
// the first line of a text body, without control characters.
func serverMessage(body string) string {
	body = strings.TrimSpace(body)
	if strings.HasPrefix(body, "{") {
		var m struct {
			Error string `json:"error"`
		}
		if json.Unmarshal([]byte(body), &m) != nil {
			return ""
		}
		body = m.Error
	}
	if i := strings.IndexAny(body, "\r\n"); i >= 0 {
		body = body[:i]
	}
	body = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, body)
	if len(body) > 200 {
		cut := 200
		for cut > 0 && !utf8.RuneStart(body[cut]) {
			cut--
		}
		body = body[:cut] + "…"
	}
	return strings.TrimSpace(body)
}

// ServerError is an `error` message sent by the server, delivered to the
// client's callback as Update.Err with Kind UpdateError.
type ServerError struct {
	Code    string
	Message string
}

func (e *ServerError) Error() string {
	return "stream: server error " + e.Code + ": " + e.Message
}

// Error codes the server sends in `error` messages.
const (
	CodeBadRequest  = "bad_request"  // malformed JSON, binary frame, bad field
	CodeUnknownType = "unknown_type" // a message type this server does not know
	CodeHistory     = "history"      // replay from history failed; live continues
)
