package stream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/internal/hub"
)

// History is what the server replays a resumed subscription from. The
// recorder adapts *store.Store to it. SinceEncoded returns up to limit
// events strictly after `after`, oldest first, with their IDs and their
// JSON exactly as stored.
//
// For "no holes" an event must be visible to SinceEncoded by the time a
// replay that began after the event was published reads it: store, then
// publish; or, as the recorder does, publish first and have SinceEncoded
// wait until what was published before the call is stored.
type History interface {
	SinceEncoded(ctx context.Context, after event.ID, limit int) (ids []event.ID, enc [][]byte, err error)
}

// Defaults of ServerOptions.
const (
	DefaultReadLimit     = 64 << 10
	DefaultPingInterval  = 20 * time.Second
	DefaultStatsInterval = 2 * time.Second
	DefaultReplayPage    = 512
	// DefaultMaxConnections is ServerOptions.MaxConnections' default:
	// far more consoles than a team attaches to one app, far fewer
	// connections (three goroutines and a hub subscriber each) than it
	// would take to weigh on the app.
	DefaultMaxConnections = 64
	// DefaultSubscribeInterval is ServerOptions.SubscribeInterval's
	// default: at most ten subscribes (and replays) a second per
	// connection, a pace no person changing filters notices.
	DefaultSubscribeInterval = 100 * time.Millisecond
)

// maxBadMessages is how many malformed or unknown messages in a row a
// client may send before the server closes the connection with a policy
// violation.
const maxBadMessages = 32

// ServerOptions configures a Server.
type ServerOptions struct {
	// Hub is the live source; required.
	Hub *Hub
	// History is replayed for subscriptions with `since`; nil means live
	// only (a resumed subscription then gets no replay).
	History History
	// Hello is sent to every client on connect; Protocol and Version are
	// filled in.
	Hello Hello
	// Stats, if set, is sent periodically (StatsInterval) as a stats
	// message; the server fills in Subscribers and HubDropped.
	Stats func() ServerStats
	// OriginPatterns is passed to websocket.AcceptOptions.OriginPatterns:
	// host patterns of the cross-origin pages allowed to connect (the
	// request's own host is always allowed). Origin verification is never
	// skipped.
	OriginPatterns []string
	// ReadLimit caps a client frame in bytes (default 64 KiB). A bigger
	// frame closes that connection with status 1009 (message too big).
	ReadLimit int64
	// PingInterval is the keepalive period (default 20s); a client that
	// does not answer a ping within PingTimeout is disconnected. Negative
	// disables keepalive.
	PingInterval time.Duration
	// PingTimeout is how long a client has to answer a keepalive ping;
	// default PingInterval, at least 5s.
	PingTimeout time.Duration
	// StatsInterval is the stats message period (default 2s).
	StatsInterval time.Duration
	// ReplayPage is the page size of history replay (default 512).
	ReplayPage int
	// SubscribeInterval is the least time between two subscribes the
	// server processes on one connection (default
	// DefaultSubscribeInterval; negative: no limit). Each one with since
	// replays history; subscribes that arrive sooner wait, and only the
	// latest of them is processed, so a client that subscribes in a loop
	// costs the app a bounded number of replays, not a core.
	SubscribeInterval time.Duration
	// MaxConnections caps the websocket connections served at once
	// (default DefaultMaxConnections; negative: no cap). A request over
	// the cap is refused before the upgrade with HTTP 503, Retry-After and
	// a JSON {"error": ...} that says so, and counted (Refused).
	MaxConnections int
	// Logger receives diagnostics (never event content); nil discards.
	Logger *slog.Logger
}

// Server is the websocket handler of wire protocol v1. Authorization is the
// caller's job: wrap the Server in a handler that checks the request first.
type Server struct {
	opts   ServerOptions
	hub    *hub.Hub
	log    *slog.Logger
	hello  []byte
	accept websocket.AcceptOptions

	mu       sync.Mutex
	conns    map[*serverConn]struct{}
	active   int // requests holding a connection slot (upgrading or served)
	shutdown bool
	refused  atomic.Uint64 // requests refused over MaxConnections
	closing  chan struct{} // closed by Shutdown: soft close
	wg       sync.WaitGroup
}

// NewServer returns a Server. It panics if opts.Hub is nil, a programming
// error.
func NewServer(opts ServerOptions) *Server {
	if opts.Hub == nil {
		panic("stream: NewServer: nil Hub")
	}
	if opts.ReadLimit <= 0 {
		opts.ReadLimit = DefaultReadLimit
	}
	if opts.PingInterval == 0 {
		opts.PingInterval = DefaultPingInterval
	}
	if opts.PingTimeout <= 0 {
		opts.PingTimeout = max(opts.PingInterval, 5*time.Second)
	}
	if opts.StatsInterval <= 0 {
		opts.StatsInterval = DefaultStatsInterval
	}
	if opts.ReplayPage <= 0 {
		opts.ReplayPage = DefaultReplayPage
	}
	if opts.SubscribeInterval == 0 {
		opts.SubscribeInterval = DefaultSubscribeInterval
	}
	if opts.MaxConnections == 0 {
		opts.MaxConnections = DefaultMaxConnections
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	h := opts.Hello
	h.Protocol = Subprotocol
	h.Version = ProtocolVersion
	return &Server{
		opts:  opts,
		hub:   (*hub.Hub)(opts.Hub),
		log:   opts.Logger,
		hello: mustMarshal(&Message{Type: TypeHello, Hello: &h}),
		accept: websocket.AcceptOptions{
			Subprotocols:    []string{Subprotocol},
			OriginPatterns:  append([]string(nil), opts.OriginPatterns...),
			CompressionMode: websocket.CompressionDisabled,
		},
		conns:   map[*serverConn]struct{}{},
		closing: make(chan struct{}),
	}
}

// Connections returns the number of websocket connections open or being
// opened: the count MaxConnections caps. It includes a connection from
// the moment its upgrade begins, so a client whose Dial returned is
// counted (the server registers the connection itself a moment later).
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.active
}

// Refused returns the number of requests refused because MaxConnections
// were open.
func (s *Server) Refused() uint64 { return s.refused.Load() }

// MaxConnections returns the connection cap (0: none).
func (s *Server) MaxConnections() int { return max(s.opts.MaxConnections, 0) }

// ServeHTTP upgrades the request to a websocket and serves it until the
// client leaves, the connection breaks or the server shuts down. Requests
// after Shutdown, and requests over MaxConnections, get 503 before the
// upgrade.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if s.shutdown || s.hub.IsClosed() {
		s.mu.Unlock()
		refuse(w, "server shutting down", 0)
		return
	}
	if limit := s.opts.MaxConnections; limit > 0 && s.active >= limit {
		s.mu.Unlock()
		s.refused.Add(1)
		s.log.Warn("stream: connection refused: too many open", "remote", r.RemoteAddr, "max", limit)
		refuse(w, fmt.Sprintf("too many devtools connections: %d are open, the most this app serves at once; close a console or raise the cap (MaxConnections)", limit), 5)
		return
	}
	s.active++
	s.wg.Add(1)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.active--
		s.mu.Unlock()
		s.wg.Done()
	}()

	ws, err := websocket.Accept(w, r, &s.accept)
	if err != nil {
		// Accept has answered (403 for a refused origin, 4xx for a bad
		// handshake).
		s.log.Debug("stream: upgrade refused", "remote", r.RemoteAddr, "err", err)
		return
	}
	if ws.Subprotocol() != Subprotocol {
		_ = ws.Close(websocket.StatusPolicyViolation, "subprotocol "+Subprotocol+" required")
		return
	}
	ws.SetReadLimit(s.opts.ReadLimit)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := &serverConn{
		ctx:        ctx,
		cancel:     cancel,
		s:          s,
		ws:         ws,
		remote:     r.RemoteAddr,
		replies:    make(chan []byte, 16),
		pendingSig: make(chan struct{}, 1),
		readerDone: make(chan struct{}),
	}
	s.mu.Lock()
	if s.shutdown {
		s.mu.Unlock()
		_ = ws.Close(websocket.StatusGoingAway, "server shutting down")
		return
	}
	s.conns[c] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
	}()
	c.serve()
}

// refuse answers 503 before the upgrade, with a JSON {"error": msg} and,
// when retry > 0, Retry-After in seconds.
func refuse(w http.ResponseWriter, msg string, retry int) {
	b, _ := json.Marshal(struct {
		Error string `json:"error"`
	}{msg})
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	if retry > 0 {
		h.Set("Retry-After", strconv.Itoa(retry))
	}
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = w.Write(append(b, '\n'))
}

// Shutdown closes every connection with status 1001 (going away), refuses
// new ones, and waits for all connection goroutines to end. When ctx ends
// first, remaining connections are dropped without a close handshake and
// Shutdown returns ctx's error once their goroutines are gone. It does not
// close the Hub. Shutdown is idempotent.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if !s.shutdown {
		s.shutdown = true
		close(s.closing)
	}
	s.mu.Unlock()

	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	s.mu.Lock()
	for c := range s.conns {
		c.kill()
	}
	s.mu.Unlock()
	<-done
	return ctx.Err()
}

// serverConn is one client connection. Its goroutines: the handler
// goroutine (writer, owner), the reader and the pinger, both stopped and
// waited for by serve.
type serverConn struct {
	s      *Server
	ws     *websocket.Conn
	remote string
	ctx    context.Context
	cancel context.CancelFunc // ends the reader's Read, which closes ws even mid close handshake

	replies chan []byte // reader -> writer: error and pong messages

	pendingMu  sync.Mutex
	pending    *Message      // latest unprocessed subscribe; a newer one replaces it
	pendingSig chan struct{} // capacity 1

	closing     atomic.Bool // the writer is performing the close handshake
	readerDone  chan struct{}
	closeCode   websocket.StatusCode // set by the reader before readerDone closes
	closeReason string

	// writer state
	nextSub  time.Time // when the next subscribe may be processed
	sub      *hub.Subscription
	spare    []hub.Item
	lastSent event.ID   // last event ID written (or the subscription's since)
	skipUpTo event.ID   // live events at or before this were replayed already
	buf      []byte     // the frame being written; grows to the largest frame
	replayed []hub.Item // replay: the current page's events to send
}

// kill drops the connection without a close handshake, also when a Close
// is already waiting for the peer.
func (c *serverConn) kill() {
	c.cancel()
	_ = c.ws.CloseNow()
}

func (c *serverConn) serve() {
	ctx, cancel := c.ctx, c.cancel
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		c.readLoop(ctx)
	}()
	if c.s.opts.PingInterval > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.pingLoop(ctx)
		}()
	}
	code, reason := c.writeLoop(ctx)
	if code != 0 {
		// The close handshake needs the reader still reading: cancel
		// after it. The pinger must not kill the connection meanwhile
		// (a reset could destroy the close frame in flight).
		c.closing.Store(true)
		_ = c.ws.Close(code, reason)
	}
	cancel()
	_ = c.ws.CloseNow()
	wg.Wait()
	if c.sub != nil {
		c.sub.Close()
	}
}

// Reasons for the writer to stop that are not write failures.
var (
	errStop       = errors.New("stream: server shutting down")
	errHubClosed  = errors.New("stream: hub closed")
	errReaderGone = errors.New("stream: reader ended")
)

// writeLoop is the only writer of data messages. It returns the close code
// to send, or 0 when the connection is already gone.
func (c *serverConn) writeLoop(ctx context.Context) (websocket.StatusCode, string) {
	if err := c.write(c.s.hello); err != nil {
		return 0, ""
	}
	var statsC <-chan time.Time
	if c.s.opts.Stats != nil {
		t := time.NewTicker(c.s.opts.StatsInterval)
		defer t.Stop()
		statsC = t.C
	}
	// subWait, while set, is when a pending subscribe that came too soon
	// after the last one gets its turn; pendingSig is not watched until
	// then (the pending subscribe stays, newer ones replace it).
	var subWait <-chan time.Time
	subTimer := time.NewTimer(time.Hour)
	subTimer.Stop()
	defer subTimer.Stop()
	for {
		var ready, subDone <-chan struct{}
		if c.sub != nil {
			ready, subDone = c.sub.Ready(), c.sub.Done()
		}
		pendingSig := c.pendingSig
		if subWait != nil {
			pendingSig = nil
		}
		select {
		case <-c.s.closing:
			return websocket.StatusGoingAway, "server shutting down"
		case <-c.readerDone:
			return c.closeCode, c.closeReason
		case <-subDone:
			return websocket.StatusGoingAway, "hub closed"
		case b := <-c.replies:
			if c.write(b) != nil {
				return 0, ""
			}
		case <-pendingSig:
			if wait := time.Until(c.nextSub); wait > 0 {
				subTimer.Reset(wait)
				subWait = subTimer.C
				continue
			}
			if code, reason, stop := c.processPending(ctx); stop {
				return code, reason
			}
		case <-subWait:
			subWait = nil
			if code, reason, stop := c.processPending(ctx); stop {
				return code, reason
			}
		case <-ready:
			if c.forward() != nil {
				return 0, ""
			}
		case <-statsC:
			st := c.s.opts.Stats()
			st.Subscribers = c.s.hub.Subscribers()
			st.HubDropped = c.s.hub.Dropped()
			if c.write(mustMarshal(&Message{Type: TypeStats, Stats: &st})) != nil {
				return 0, ""
			}
		}
	}
}

// write sends one text message. Writes use a context without deadline so
// that they cost no timer; a stuck write ends when the connection is closed
// (ping failure, Shutdown).
func (c *serverConn) write(b []byte) error {
	return c.ws.Write(context.Background(), websocket.MessageText, b)
}

// forward writes the queued live events, skipping replayed ones, and the
// gap message that follows them when the subscriber fell behind.
func (c *serverConn) forward() error {
	// More may be queued while writing: keep going a few rounds without a
	// trip through the select, but not forever, so that shutdown, replies
	// and re-subscribes are seen under a steady stream.
	for range 4 {
		n, err := c.forwardOnce()
		if err != nil || n == 0 {
			return err
		}
		select {
		case <-c.sub.Ready():
		default:
			return nil
		}
	}
	// Still busy: re-arm the signal for the next select round.
	c.sub.Rearm()
	return nil
}

func (c *serverConn) forwardOnce() (int, error) {
	items, gap := c.sub.Drain(c.spare)
	return len(items), c.send(items, gap)
}

// send writes drained items (those the replay did not cover) and then the
// gap message, if the subscriber fell behind past what the replay covered.
func (c *serverConn) send(items []hub.Item, gap hub.Gap) error {
	c.spare = items
	if err := c.writeEvents(items); err != nil {
		return err
	}
	// No gap when every skipped event was already covered by the replay.
	if gap.Dropped > 0 && gap.Last.Compare(c.lastSent) > 0 && gap.Last.Compare(c.skipUpTo) > 0 {
		c.s.log.Debug("stream: subscriber behind", "remote", c.remote, "dropped", gap.Dropped)
		return c.write(mustMarshal(&Message{Type: TypeGap, After: c.lastSent}))
	}
	return nil
}

// writeEvents writes the events of items newer than c.skipUpTo, in order,
// and advances c.lastSent past each frame written. A lone event goes out as
// an event message (a quiet stream keeps its latency and its frames); two or
// more go out as events messages of at most maxBatchEvents events and
// maxBatchBytes each, so that a burst costs one frame, one
// write and one client read per batch instead of per event. Event JSON is
// copied into the frame as stored, never re-encoded.
func (c *serverConn) writeEvents(items []hub.Item) error {
	b := c.buf[:0]
	var first hub.Item // the frame's first event, held back until a second one comes
	var last event.ID  // the frame's newest event
	n, size := 0, 0
	for _, it := range items {
		if it.ID.Compare(c.skipUpTo) <= 0 {
			continue // covered by the replay
		}
		if n > 0 && (n == maxBatchEvents || size+1+len(it.Enc) > maxBatchBytes) {
			if err := c.writeBatch(b, n, first); err != nil {
				return err
			}
			c.lastSent = last
			b, n, size = c.buf[:0], 0, 0
		}
		switch n {
		case 0:
			first = it
			size = len(eventsFramePrefix) + len(eventsFrameSuffix) - 1 // the comma below is one too many
		case 1:
			b = append(b, eventsFramePrefix...)
			b = append(b, first.Enc...)
			b = append(b, ',')
			b = append(b, it.Enc...)
		default:
			b = append(b, ',')
			b = append(b, it.Enc...)
		}
		n++
		size += 1 + len(it.Enc) // the frame's length, were it an events message
		last = it.ID
	}
	if n == 0 {
		return nil
	}
	if err := c.writeBatch(b, n, first); err != nil {
		return err
	}
	c.lastSent = last
	return nil
}

// writeBatch writes the frame writeEvents built: the event message of first
// when n is 1, else the events message begun in b. The frame's buffer is
// kept in c.buf for the next frame.
func (c *serverConn) writeBatch(b []byte, n int, first hub.Item) error {
	if n == 1 {
		b = appendEventFrame(b[:0], first.Enc)
	} else {
		b = append(b, eventsFrameSuffix...)
	}
	c.buf = b
	return c.write(b)
}

// processPending processes the latest pending subscribe, if any, and
// reports whether the writer must stop, with the close code to send.
func (c *serverConn) processPending(ctx context.Context) (websocket.StatusCode, string, bool) {
	m := c.takePending()
	if m == nil {
		return 0, "", false
	}
	if iv := c.s.opts.SubscribeInterval; iv > 0 {
		c.nextSub = time.Now().Add(iv)
	}
	switch err := c.subscribe(ctx, m); {
	case err == nil:
		return 0, "", false
	case errors.Is(err, errStop):
		return websocket.StatusGoingAway, "server shutting down", true
	case errors.Is(err, errHubClosed):
		return websocket.StatusGoingAway, "hub closed", true
	case errors.Is(err, errReaderGone):
		return c.closeCode, c.closeReason, true
	default:
		return 0, "", true
	}
}

// subscribe (re)registers with the hub first, so that live events are
// buffered, then replays history after m.Since, then sends synced. Live
// events already covered by the replay are skipped by forward.
func (c *serverConn) subscribe(ctx context.Context, m *Message) error {
	f := m.Filter.clone()
	if c.sub == nil {
		c.sub = c.s.hub.Subscribe(hubFilter(f))
	} else {
		c.sub.Reset(hubFilter(f))
	}
	select {
	case <-c.sub.Done():
		return errHubClosed // no synced, so clients back off
	default:
	}
	c.lastSent = m.Since
	c.skipUpTo = m.Since
	if m.Since.IsZero() || c.s.opts.History == nil {
		return c.write([]byte(`{"type":"synced"}`))
	}
	if err := c.replay(ctx, m.Since, f); err != nil {
		return err
	}
	// What queued up while the replay ran was mostly replayed too. Take it
	// off the queue before saying synced: left there, it would fill the
	// queue and make the first live events after synced overflow it into
	// a needless gap. What the replay did not cover goes out after synced.
	held, gap := c.sub.Drain(c.spare)
	if err := c.write([]byte(`{"type":"synced"}`)); err != nil {
		return err
	}
	return c.send(held, gap)
}

func (c *serverConn) replay(ctx context.Context, since event.ID, f *Filter) error {
	cursor := since
	page := c.s.opts.ReplayPage
	for {
		select {
		case <-c.s.closing:
			return errStop
		case <-c.readerDone:
			return errReaderGone
		default:
		}
		if c.hasPending() {
			// A newer subscribe replaces this one; the write loop picks
			// it up next.
			return nil
		}
		ids, encs, err := c.s.opts.History.SinceEncoded(ctx, cursor, page)
		if err != nil || len(ids) != len(encs) {
			if ctx.Err() != nil {
				return errReaderGone
			}
			c.s.log.Warn("stream: history replay failed", "remote", c.remote, "err", err)
			if werr := c.write(mustMarshal(&Message{Type: TypeError, Code: CodeHistory, Message: "replay from history failed"})); werr != nil {
				return werr
			}
			// Tell the client what it is missing; live continues.
			return c.write(mustMarshal(&Message{Type: TypeGap, After: c.lastSent}))
		}
		for i, id := range ids {
			if id.Compare(cursor) <= 0 {
				continue // a History that does not honour "strictly after"
			}
			cursor = id
			if !f.isZero() && !matchEncoded(f, encs[i]) {
				continue
			}
			c.replayed = append(c.replayed, hub.Item{ID: id, Enc: encs[i]})
		}
		err = c.writeEvents(c.replayed)
		clear(c.replayed) // the page's events are not kept past their page
		c.replayed = c.replayed[:0]
		if err != nil {
			return err
		}
		c.skipUpTo = cursor
		if len(ids) < page {
			return nil
		}
	}
}

// hubFilter is f for the hub: nil (every event) when f is.
func hubFilter(f *Filter) hub.Filter {
	if f == nil {
		return nil
	}
	return f
}

// matchEncoded applies f to an encoded event, decoding only what f needs.
func matchEncoded(f *Filter, enc []byte) bool {
	var head struct {
		Kind      event.Kind `json:"kind"`
		RequestID string     `json:"requestId"`
	}
	if json.Unmarshal(enc, &head) != nil {
		return false
	}
	return f.Match(head.Kind, head.RequestID)
}

func (c *serverConn) setPending(m *Message) {
	c.pendingMu.Lock()
	c.pending = m
	c.pendingMu.Unlock()
	select {
	case c.pendingSig <- struct{}{}:
	default:
	}
}

func (c *serverConn) takePending() *Message {
	c.pendingMu.Lock()
	defer c.pendingMu.Unlock()
	m := c.pending
	c.pending = nil
	return m
}

func (c *serverConn) hasPending() bool {
	c.pendingMu.Lock()
	defer c.pendingMu.Unlock()
	return c.pending != nil
}

// readLoop reads client messages until the connection ends. It never writes
// itself: answers go through c.replies to the writer.
func (c *serverConn) readLoop(ctx context.Context) {
	defer close(c.readerDone)
	bad := 0
	for {
		typ, data, err := c.ws.Read(ctx)
		if err != nil {
			if websocket.CloseStatus(err) == -1 && ctx.Err() == nil && !errors.Is(err, io.EOF) {
				c.s.log.Debug("stream: read ended", "remote", c.remote, "err", err)
			}
			return // the library has answered oversized frames with 1009
		}
		reply, isErr := c.handle(typ, data)
		if reply == nil {
			bad = 0
			continue
		}
		if isErr {
			bad++
			if bad > maxBadMessages {
				c.closeCode, c.closeReason = websocket.StatusPolicyViolation, "too many bad messages"
				return
			}
		}
		select {
		case c.replies <- reply:
		case <-ctx.Done():
			return
		}
	}
}

// handle interprets one client message and returns the answer to send, if
// any, and whether it is an error message.
func (c *serverConn) handle(typ websocket.MessageType, data []byte) ([]byte, bool) {
	if typ != websocket.MessageText {
		return errorMessage(CodeBadRequest, "binary frames are not part of protocol v1"), true
	}
	var m Message
	if err := json.Unmarshal(data, &m); err != nil {
		return errorMessage(CodeBadRequest, "malformed JSON message"), true
	}
	switch m.Type {
	case TypeSubscribe:
		c.setPending(&m)
		return nil, false
	case TypePing:
		return []byte(`{"type":"pong"}`), false
	case TypePong:
		return nil, false
	case "":
		return errorMessage(CodeBadRequest, "message without type"), true
	}
	return errorMessage(CodeUnknownType, "unknown message type "+quoteShort(m.Type)), true
}

func (c *serverConn) pingLoop(ctx context.Context) {
	iv := c.s.opts.PingInterval
	t := time.NewTicker(iv)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		pctx, cancel := context.WithTimeout(ctx, c.s.opts.PingTimeout)
		err := c.ws.Ping(pctx)
		cancel()
		if err != nil {
			if ctx.Err() == nil && !c.closing.Load() {
				c.s.log.Debug("stream: keepalive failed, dropping client", "remote", c.remote, "err", err)
				c.kill()
			}
			return
		}
	}
}

func errorMessage(code, msg string) []byte {
	return mustMarshal(&Message{Type: TypeError, Code: code, Message: msg})
}

// quoteShort quotes client-supplied text for an error message, cut short.
func quoteShort(s string) string {
	if len(s) > 32 {
		s = s[:32] + "…"
	}
	b, _ := json.Marshal(s)
	return string(b)
}
