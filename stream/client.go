package stream

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/beignet/devtools/event"
)

// Defaults of ClientOptions.
const (
	DefaultMinBackoff      = 250 * time.Millisecond
	DefaultMaxBackoff      = 10 * time.Second
	DefaultClientReadLimit = 16 << 20
	DefaultIdleTimeout     = 60 * time.Second
	DefaultDialTimeout     = 10 * time.Second
)

// ClientOptions configures a Client.
type ClientOptions struct {
	// URL is the full URL of the websocket route: ws://, wss://, http:// or
	// https:// (http means ws).
	URL string
	// Token, if set, is sent as "Authorization: Bearer <token>", or in
	// TokenHeader.
	Token string
	// TokenHeader names the header that carries Token instead of
	// Authorization (for an Authorize callback that reads its own header,
	// such as X-Devtools-Token); the token is sent as is, without
	// "Bearer ". Empty means Authorization: Bearer.
	TokenHeader string
	// Header holds extra handshake headers (Origin, X-Devtools-Token ...).
	Header http.Header
	// Since resumes after this event ID on the first connection; zero means
	// live only.
	Since event.ID
	// Filter narrows the subscription; nil means everything.
	Filter *Filter
	// MinBackoff and MaxBackoff bound the reconnect delay: exponential from
	// MinBackoff, capped at MaxBackoff, with full jitter. Defaults 250ms
	// and 10s.
	MinBackoff, MaxBackoff time.Duration
	// HTTPClient dials; nil means a private client without keep-alive
	// pool that honours the proxy environment variables.
	HTTPClient *http.Client
	// Logger receives diagnostics (never event content); nil discards.
	Logger *slog.Logger

	// ReadLimit caps a server frame in bytes; default 16 MiB.
	ReadLimit int64
	// IdleTimeout drops a connection on which nothing (not even a server
	// keepalive ping) arrived for this long, then reconnects; default 60s,
	// three server ping intervals. Negative disables.
	IdleTimeout time.Duration
	// DialTimeout bounds one handshake; default 10s.
	DialTimeout time.Duration
	// HeadOnly decodes only the top-level scalar fields of each event (ID,
	// time, kind, name, correlation, duration, status, level, message,
	// app, instance) into Update.Event, leaving HTTP, Provider, Audit,
	// Attrs and Redacted nil; Update.Raw holds the whole event as always.
	// For consumers that pass the JSON on (tail --json): building the
	// nested maps is most of what decoding an event costs.
	HeadOnly bool
	// BorrowRaw lends Update.Raw of event updates instead of giving it:
	// Raw is then valid only until fn returns, because it points into the
	// frame the client reads the next message into. For consumers that
	// write the JSON out at once (tail --json): it saves copying every
	// frame's events (in BenchmarkEventsFrame, about half of what a
	// HeadOnly client spends decoding an event).
	BorrowRaw bool
	// FillGaps makes the client reconnect right after a gap message and
	// resume from the last event it got, so that the server replays the
	// skipped events from its history: no holes, at the cost of a
	// reconnect. The gap is still reported to fn first.
	FillGaps bool
}

// UpdateKind says what an Update carries.
type UpdateKind int

// Update kinds.
const (
	UpdateHello  UpdateKind = iota + 1 // Hello set: connected
	UpdateEvent                        // Event and Raw set
	UpdateSynced                       // backlog replayed, live from here
	UpdateGap                          // GapAfter set: events after it were skipped by the server
	UpdateStats                        // Stats set
	UpdateState                        // State (and RetryIn, Err) set
	UpdateError                        // Err set: a server error message or an undecodable frame
)

func (k UpdateKind) String() string {
	switch k {
	case UpdateHello:
		return "hello"
	case UpdateEvent:
		return "event"
	case UpdateSynced:
		return "synced"
	case UpdateGap:
		return "gap"
	case UpdateStats:
		return "stats"
	case UpdateState:
		return "state"
	case UpdateError:
		return "error"
	}
	return fmt.Sprintf("UpdateKind(%d)", int(k))
}

// ConnState is a connection state: the client's, reported in UpdateState,
// and the console's status bar (which adds StateOffline for a store file).
// The zero value is no state.
type ConnState int

// Connection states.
const (
	StateConnecting    ConnState = iota + 1 // dialing
	StateLive                               // subscribed and synced
	StateReconnecting                       // dropped; retrying in RetryIn
	StateAuthRefused                        // 401/403: Run returns ErrUnauthorized
	StateOriginRefused                      // origin refused: Run returns ErrOriginRefused
	StateClosed                             // Run is returning
	StateNotFound                           // 404: Run returns ErrNotFound
	StateOffline                            // not a connection: a reader of a store file (the console's offline source)
)

func (s ConnState) String() string {
	switch s {
	case StateConnecting:
		return "connecting"
	case StateLive:
		return "live"
	case StateReconnecting:
		return "reconnecting"
	case StateAuthRefused:
		return "unauthorized"
	case StateOriginRefused:
		return "origin refused"
	case StateClosed:
		return "closed"
	case StateNotFound:
		return "not found"
	case StateOffline:
		return "offline"
	}
	return fmt.Sprintf("ConnState(%d)", int(s))
}

// Update is one thing Run delivers to its callback.
type Update struct {
	Kind UpdateKind

	Event event.Event // UpdateEvent: the decoded event
	Raw   []byte      // UpdateEvent: the event JSON as sent (owned by the receiver; lent until fn returns with ClientOptions.BorrowRaw)

	Hello *Hello       // UpdateHello
	Stats *ServerStats // UpdateStats

	GapAfter event.ID // UpdateGap: the last event received before the gap

	State   ConnState     // UpdateState
	RetryIn time.Duration // UpdateState with StateReconnecting
	Err     error         // UpdateError; UpdateState: why (reconnecting, refused)
}

// Client connects to a Server, subscribes and resumes after drops.
type Client struct {
	opts    ClientOptions
	log     *slog.Logger
	running atomic.Bool

	mu     sync.Mutex
	lastID event.ID

	// scratch holds the events of the frame being handled, reused from
	// frame to frame (handle runs on Run's goroutine only) so that a frame
	// costs no allocation for its bookkeeping.
	scratch []scannedEvent
}

// NewClient returns a Client; nothing happens until Run.
func NewClient(opts ClientOptions) *Client {
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = DefaultMinBackoff
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = DefaultMaxBackoff
	}
	if opts.MaxBackoff < opts.MinBackoff {
		opts.MaxBackoff = opts.MinBackoff
	}
	if opts.ReadLimit <= 0 {
		opts.ReadLimit = DefaultClientReadLimit
	}
	if opts.IdleTimeout == 0 {
		opts.IdleTimeout = DefaultIdleTimeout
	}
	if opts.DialTimeout <= 0 {
		opts.DialTimeout = DefaultDialTimeout
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	opts.Filter = opts.Filter.clone()
	return &Client{opts: opts, log: opts.Logger, lastID: opts.Since}
}

// LastID returns the ID of the last event delivered (or ClientOptions.Since
// before any). Safe to call from any goroutine.
func (c *Client) LastID() event.ID {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastID
}

func (c *Client) setLastID(id event.ID) {
	c.mu.Lock()
	c.lastID = id
	c.mu.Unlock()
}

// maxRetryAfter caps how long Run honours a server's Retry-After.
const maxRetryAfter = 5 * time.Minute

// errResync ends a session to resume right away (FillGaps).
var errResync = errors.New("stream: resync after gap")

// Run connects and delivers updates to fn, called from Run's goroutine, in
// order, until ctx ends or the server refuses the client. After a drop it
// reconnects with exponential backoff and full jitter and resumes from
// LastID: events are delivered in ID order without duplicates, and without
// holes as long as the server's history still holds them.
//
// Run returns an error matching ErrUnauthorized (HTTP 401/403),
// ErrOriginRefused or ErrNotFound (HTTP 404) without retrying; other
// answers (5xx from a proxy while the app restarts, say, or 429) and
// network errors are retried, never sooner than the server's Retry-After
// (up to five minutes): the StateReconnecting update carries the delay
// and the reason, an *HTTPError matching ErrRateLimited for a 429. It
// returns one matching ErrProtocol when the server does not speak protocol
// v1, ErrBadURL for a bad URL, and, when ctx ends, one matching both
// ErrClosed and ctx.Err(). A Client runs once at a time.
func (c *Client) Run(ctx context.Context, fn func(Update)) error {
	if !c.running.CompareAndSwap(false, true) {
		return errors.New("stream: client already running")
	}
	defer c.running.Store(false)
	wsURL, err := normalizeURL(c.opts.URL)
	if err != nil {
		return err
	}
	if c.opts.Token != "" && strings.HasPrefix(wsURL, "ws://") && !isLoopbackURL(wsURL) {
		c.log.Warn("stream: sending the devtools token over an unencrypted connection to a non-loopback host; use https/wss")
	}
	hc := c.opts.HTTPClient
	if hc == nil {
		hc = newHTTPClient(c.opts.DialTimeout)
	}
	attempt := 0
	for {
		fn(Update{Kind: UpdateState, State: StateConnecting})
		err := c.session(ctx, hc, wsURL, fn, &attempt)
		if ctx.Err() != nil {
			fn(Update{Kind: UpdateState, State: StateClosed})
			return fmt.Errorf("%w: %w", ErrClosed, ctx.Err())
		}
		switch {
		case errors.Is(err, ErrOriginRefused):
			fn(Update{Kind: UpdateState, State: StateOriginRefused, Err: err})
			return err
		case errors.Is(err, ErrUnauthorized):
			fn(Update{Kind: UpdateState, State: StateAuthRefused, Err: err})
			return err
		case errors.Is(err, ErrNotFound):
			fn(Update{Kind: UpdateState, State: StateNotFound, Err: err})
			return err
		case errors.Is(err, ErrProtocol):
			fn(Update{Kind: UpdateState, State: StateClosed, Err: err})
			return err
		case errors.Is(err, errResync):
			// Resume right away, with a little jitter so that a client
			// that keeps falling behind cannot hammer the server.
			if !sleepCtx(ctx, c.backoff(0)) {
				fn(Update{Kind: UpdateState, State: StateClosed})
				return fmt.Errorf("%w: %w", ErrClosed, ctx.Err())
			}
			continue
		}
		delay := c.backoff(attempt)
		attempt++
		// A server that says when to come back (429, 503) is not asked
		// sooner.
		var he *HTTPError
		if errors.As(err, &he) && he.RetryAfter > delay {
			delay = min(he.RetryAfter, maxRetryAfter)
		}
		c.log.Debug("stream: disconnected, retrying", "in", delay, "err", err)
		fn(Update{Kind: UpdateState, State: StateReconnecting, RetryIn: delay, Err: err})
		if !sleepCtx(ctx, delay) {
			fn(Update{Kind: UpdateState, State: StateClosed})
			return fmt.Errorf("%w: %w", ErrClosed, ctx.Err())
		}
	}
}

// sleepCtx waits for d or ctx, and reports whether d passed.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// backoff returns a full-jitter delay: uniform in [0, min(max, min*2^n)].
func (c *Client) backoff(n int) time.Duration {
	d := c.opts.MaxBackoff
	if n < 32 {
		if e := c.opts.MinBackoff << n; e > 0 && e < d {
			d = e
		}
	}
	return rand.N(d + 1)
}

func normalizeURL(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrBadURL, err)
	}
	switch strings.ToLower(u.Scheme) {
	case "ws", "wss":
	case "http":
		u.Scheme = "ws"
	case "https":
		u.Scheme = "wss"
	default:
		return "", fmt.Errorf("%w: scheme must be ws, wss, http or https", ErrBadURL)
	}
	if u.Host == "" {
		return "", fmt.Errorf("%w: missing host", ErrBadURL)
	}
	return u.String(), nil
}

func isLoopbackURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil {
		return false
	}
	h := u.Hostname()
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// session is one connection: dial, subscribe, read until it ends.
func (c *Client) session(ctx context.Context, hc *http.Client, wsURL string, fn func(Update), attempt *int) error {
	var seen atomic.Uint64
	var raw rawConn
	ws, err := c.dial(ctx, hc, wsURL, &seen, &raw)
	if err != nil {
		return err
	}
	// Closing on ctx: a clean close handshake, waited for below, cut
	// short after a second (closing the socket) when the server does not
	// answer.
	readCtx, cancelRead := context.WithCancel(context.Background())
	defer cancelRead()
	closed := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(closed)
		t := time.AfterFunc(time.Second, func() {
			cancelRead()
			raw.close()
		})
		defer t.Stop()
		_ = ws.Close(websocket.StatusNormalClosure, "client closing")
	})
	var wg sync.WaitGroup
	done := make(chan struct{})
	defer func() {
		close(done)
		if !stop() {
			<-closed
		}
		_ = ws.CloseNow()
		wg.Wait()
	}()
	if c.opts.IdleTimeout > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			watchdog(ws, &seen, c.opts.IdleTimeout, done)
		}()
	}

	sub := Message{Type: TypeSubscribe, Since: c.LastID(), Filter: c.opts.Filter}
	if err := ws.Write(ctx, websocket.MessageText, mustMarshal(&sub)); err != nil {
		return fmt.Errorf("stream: subscribe: %w", err)
	}
	// One buffer for all the frames of a session, rather than a new one
	// grown from 512 bytes for each (io.ReadAll, as ws.Read does): an
	// events frame runs to a megabyte, and handle copies what it hands on.
	var buf bytes.Buffer
	for {
		_, r, err := ws.Reader(readCtx)
		if err == nil {
			buf.Reset()
			_, err = buf.ReadFrom(r)
		}
		if err != nil {
			if websocket.CloseStatus(err) == websocket.StatusPolicyViolation {
				var ce websocket.CloseError
				if errors.As(err, &ce) && strings.Contains(ce.Reason, "subprotocol") {
					return fmt.Errorf("%w: server requires another protocol: %s", ErrProtocol, ce.Reason)
				}
			}
			return fmt.Errorf("stream: connection lost: %w", err)
		}
		seen.Add(1)
		if err := c.handle(buf.Bytes(), fn, attempt); err != nil {
			return err
		}
		if buf.Cap() > maxKeptReadBuffer {
			buf = bytes.Buffer{} // an unusually big frame: let it go
		}
	}
}

// maxKeptReadBuffer caps the read buffer a session keeps between frames:
// a buffer grown (by doubling) for the biggest events frame a server
// writes stays; one grown for a far bigger lone event is let go.
const maxKeptReadBuffer = 4 * maxBatchBytes

// rawConn records the socket under a websocket, when the client's own
// transport dialled it, so that a stuck close handshake can be cut short.
type rawConn struct {
	mu sync.Mutex
	nc net.Conn
}

func (r *rawConn) set(nc net.Conn) {
	r.mu.Lock()
	r.nc = nc
	r.mu.Unlock()
}

func (r *rawConn) close() {
	r.mu.Lock()
	nc := r.nc
	r.mu.Unlock()
	if nc != nil {
		_ = nc.Close()
	}
}

type rawConnKey struct{}

// newHTTPClient is the default dialer: no keep-alive pool (every dial is a
// fresh socket, nothing idles after Run returns), proxies from the
// environment, and a hook that records the socket.
func newHTTPClient(timeout time.Duration) *http.Client {
	d := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	return &http.Client{Transport: &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DisableKeepAlives:   true,
		TLSHandshakeTimeout: timeout,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			nc, err := d.DialContext(ctx, network, addr)
			if err == nil {
				if r, ok := ctx.Value(rawConnKey{}).(*rawConn); ok {
					r.set(nc)
				}
			}
			return nc, err
		},
	}}
}

func (c *Client) dial(ctx context.Context, hc *http.Client, wsURL string, seen *atomic.Uint64, raw *rawConn) (*websocket.Conn, error) {
	hdr := c.opts.Header.Clone()
	if hdr == nil {
		hdr = http.Header{}
	}
	if c.opts.Token != "" {
		if c.opts.TokenHeader != "" {
			hdr.Set(c.opts.TokenHeader, c.opts.Token)
		} else {
			hdr.Set("Authorization", "Bearer "+c.opts.Token)
		}
	}
	dctx, cancel := context.WithTimeout(context.WithValue(ctx, rawConnKey{}, raw), c.opts.DialTimeout)
	defer cancel()
	ws, resp, err := websocket.Dial(dctx, wsURL, &websocket.DialOptions{
		HTTPClient:   hc,
		HTTPHeader:   hdr,
		Subprotocols: []string{Subprotocol},
		OnPingReceived: func(context.Context, []byte) bool {
			seen.Add(1)
			return true
		},
	})
	if err != nil {
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			return nil, ResponseError(resp, nil)
		}
		return nil, fmt.Errorf("stream: dial: %w", err)
	}
	if ws.Subprotocol() != Subprotocol {
		_ = ws.Close(websocket.StatusProtocolError, "subprotocol "+Subprotocol+" required")
		return nil, fmt.Errorf("%w: server did not select subprotocol %s", ErrProtocol, Subprotocol)
	}
	ws.SetReadLimit(c.opts.ReadLimit)
	return ws, nil
}

// isOriginRefusal tells an origin refusal from another 403 by its body:
// coder/websocket names the request Origin, the devtools route says
// "origin not allowed" or "cross-origin request refused".
func isOriginRefusal(body string) bool {
	body = strings.ToLower(body)
	return strings.Contains(body, "request origin") || strings.Contains(body, "origin not allowed") ||
		strings.Contains(body, "origin refused") || strings.Contains(body, "cross-origin")
}

// watchdog closes ws when nothing arrived for idle.
func watchdog(ws *websocket.Conn, seen *atomic.Uint64, idle time.Duration, done <-chan struct{}) {
	tick := idle / 4
	t := time.NewTicker(tick)
	defer t.Stop()
	last := seen.Load()
	quiet := time.Duration(0)
	for {
		select {
		case <-done:
			return
		case <-t.C:
		}
		if n := seen.Load(); n != last {
			last, quiet = n, 0
			continue
		}
		quiet += tick
		if quiet >= idle {
			_ = ws.CloseNow()
			return
		}
	}
}

// handle decodes one server message and delivers it. It only borrows data
// (the session reuses its buffer): whatever it delivers is a copy.
func (c *Client) handle(data []byte, fn func(Update), attempt *int) error {
	// Event frames are nearly all of the traffic: take their events out of
	// the frame directly and decode each once, instead of decoding the
	// envelope (which scans every byte twice) and then each event again.
	// Anything unexpected falls through to the general decode below.
	if c.handleEventFrame(data, fn) {
		return nil
	}
	var m Message
	if err := json.Unmarshal(data, &m); err != nil {
		fn(Update{Kind: UpdateError, Err: fmt.Errorf("%w: undecodable message: %w", ErrProtocol, err)})
		return nil
	}
	switch m.Type {
	case TypeEvent:
		c.deliver(m.Event, fn)
	case TypeEvents:
		// Several events in one frame: delivered one by one, in order,
		// exactly as that many event messages.
		for _, raw := range m.Events {
			c.deliver(raw, fn)
		}
	case TypeHello:
		if m.Hello == nil {
			m.Hello = &Hello{}
		}
		fn(Update{Kind: UpdateHello, Hello: m.Hello})
	case TypeSynced:
		*attempt = 0
		fn(Update{Kind: UpdateState, State: StateLive})
		fn(Update{Kind: UpdateSynced})
	case TypeGap:
		fn(Update{Kind: UpdateGap, GapAfter: m.After})
		if c.opts.FillGaps {
			return errResync
		}
	case TypeStats:
		if m.Stats != nil {
			fn(Update{Kind: UpdateStats, Stats: m.Stats})
		}
	case TypeError:
		fn(Update{Kind: UpdateError, Err: &ServerError{Code: m.Code, Message: m.Message}})
	default:
		// pong and types from a newer server: ignored.
	}
	return nil
}

// handleEventFrame delivers the events of an `event` or `events` frame laid
// out as the server writes them (EventFrame, eventsFrame) and reports
// whether it did. It delivers nothing unless the whole frame decodes, and
// it accepts exactly the frames that a json.Decoder taking the events
// array apart accepted (handleEventFrameRef in the tests), with the same
// events: the scanner (head.go) only does it in one pass.
func (c *Client) handleEventFrame(data []byte, fn func(Update)) bool {
	headOnly := c.opts.HeadOnly
	if bytes.HasPrefix(data, []byte(eventFramePrefix)) && bytes.HasSuffix(data, []byte(eventFrameSuffix)) {
		raw := data[len(eventFramePrefix) : len(data)-len(eventFrameSuffix)]
		evs, ok := scanEvent(raw, headOnly, c.scratch[:0])
		defer c.keepScratch(evs)
		if !ok || !finishEvents(raw, headOnly, evs) {
			return false
		}
		if !c.opts.BorrowRaw {
			raw = bytes.Clone(raw)
		}
		c.deliverDecoded(evs[0].e, raw, fn)
		return true
	}
	if !bytes.HasPrefix(data, []byte(eventsFramePrefix)) || !bytes.HasSuffix(data, []byte(eventsFrameSuffix)) {
		return false
	}
	body := data[len(eventsFramePrefix)-1 : len(data)-len(eventsFrameSuffix)+1] // the array
	evs, ok := scanEventsFrame(body, headOnly, c.scratch[:0])
	defer c.keepScratch(evs)
	if !ok || !finishEvents(body, headOnly, evs) {
		return false
	}
	// One copy of the events' bytes (data is the session's read buffer,
	// Raw the receiver's): all of them at once, with the commas between
	// them, which costs one allocation per frame and no zeroing. Each Raw
	// is capped so that appending to one cannot spill into the next.
	if len(evs) == 0 {
		return true
	}
	from := evs[0].start
	buf := body[from:evs[len(evs)-1].end]
	if !c.opts.BorrowRaw {
		buf = bytes.Clone(buf)
	}
	for i := range evs {
		ev := &evs[i]
		c.deliverDecoded(ev.e, buf[ev.start-from:ev.end-from:ev.end-from], fn)
	}
	return true
}

// keepScratch clears evs, the events of the frame just handled, so that
// the scratch keeps no event alive, and keeps their array for the next
// frame, unless a frame far bigger than the server's batches made it big.
func (c *Client) keepScratch(evs []scannedEvent) {
	clear(evs)
	if cap(evs) > 2*maxBatchEvents {
		evs = nil
	}
	c.scratch = evs[:0]
}

// deliver decodes one event or events message and hands it to
// fn, unless it was delivered already.
func (c *Client) deliver(raw json.RawMessage, fn func(Update)) {
	var e event.Event
	if err := c.unmarshal(raw, &e); err != nil || e.ID.IsZero() {
		fn(Update{Kind: UpdateError, Err: fmt.Errorf("%w: undecodable event", ErrProtocol)})
		return
	}
	c.deliverDecoded(e, raw, fn)
}

// deliverDecoded hands a decoded event to fn unless it was delivered
// already (replay overlap).
func (c *Client) deliverDecoded(e event.Event, raw []byte, fn func(Update)) {
	if e.ID.Compare(c.LastID()) <= 0 {
		return
	}
	c.setLastID(e.ID)
	fn(Update{Kind: UpdateEvent, Event: e, Raw: raw})
}

// unmarshal decodes one event, whole or (HeadOnly) its head.
func (c *Client) unmarshal(raw []byte, e *event.Event) error {
	if !c.opts.HeadOnly {
		return event.Unmarshal(raw, e)
	}
	var h eventHead
	if err := json.Unmarshal(raw, &h); err != nil {
		return fmt.Errorf("event: decode: %w", err)
	}
	*e = h.event()
	return nil
}

// eventHead is the top-level scalar fields of event.Event, with the same
// JSON names: what HeadOnly decodes (the decoder skips the rest without
// building it).
type eventHead struct {
	V            int        `json:"v"`
	ID           event.ID   `json:"id"`
	Time         time.Time  `json:"time"`
	Kind         event.Kind `json:"kind"`
	Name         string     `json:"name"`
	RequestID    string     `json:"requestId"`
	TraceID      string     `json:"traceId"`
	SpanID       string     `json:"spanId"`
	ParentSpanID string     `json:"parentSpanId"`
	DurationNs   int64      `json:"durationNs"`
	Status       int        `json:"status"`
	Level        string     `json:"level"`
	Message      string     `json:"message"`
	App          string     `json:"app"`
	Instance     string     `json:"instance"`
}

func (h *eventHead) event() event.Event {
	return event.Event{V: h.V, ID: h.ID, Time: h.Time, Kind: h.Kind, Name: h.Name, RequestID: h.RequestID,
		TraceID: h.TraceID, SpanID: h.SpanID, ParentSpanID: h.ParentSpanID, DurationNs: h.DurationNs,
		Status: h.Status, Level: h.Level, Message: h.Message, App: h.App, Instance: h.Instance}
}
