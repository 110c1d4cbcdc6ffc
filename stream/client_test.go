package stream

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/beignet/devtools/event"
)

// runClient runs c in a goroutine; the returned stop cancels it and returns
// Run's error.
func runClient(t *testing.T, c *Client, fn func(Update)) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- c.Run(ctx, fn) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-errc:
			case <-time.After(15 * time.Second):
				t.Fatal("Run did not return after cancel")
			}
		})
		return err
	}
	t.Cleanup(func() { stop() })
	return stop
}

// The client resumes across forced disconnects while the publisher keeps
// going: every event exactly once, in order.
func TestClientResumeUnderLoad(t *testing.T) {
	hist := &memHistory{}
	ts := startServer(t, ServerOptions{History: hist, ReplayPage: 64})
	src := newSource(ts.hub, hist)
	const total = 6000

	var (
		mu         sync.Mutex
		got        []event.ID
		reconnects int
		gaps       int
	)
	live := make(chan struct{}, 64)
	done := make(chan struct{})
	var doneOnce sync.Once
	finish := func() { doneOnce.Do(func() { close(done) }) }
	var last atomic.Pointer[event.ID]
	c := NewClient(ClientOptions{URL: ts.url, MinBackoff: time.Millisecond, MaxBackoff: 20 * time.Millisecond, FillGaps: true})
	stop := runClient(t, c, func(u Update) {
		switch u.Kind {
		case UpdateEvent:
			mu.Lock()
			got = append(got, u.Event.ID)
			mu.Unlock()
			if l := last.Load(); l != nil && *l == u.Event.ID {
				finish()
			}
		case UpdateGap:
			mu.Lock()
			gaps++
			mu.Unlock()
		case UpdateState:
			switch u.State {
			case StateLive:
				select {
				case live <- struct{}{}:
				default:
				}
			case StateReconnecting:
				mu.Lock()
				reconnects++
				mu.Unlock()
			}
		}
	})
	<-live

	kills := 0
	for i := range total {
		e := src.publish(event.KindRequest, "GET /load", 200)
		if i == total-1 {
			id := e.ID
			last.Store(&id)
		}
		if i%1000 == 500 {
			// Drop the connection mid-stream (a kill may also land
			// while the client is between connections).
			if ts.srv.killConnections() > 0 {
				kills++
			}
		}
		if i%50 == 0 {
			time.Sleep(time.Millisecond) // pace the publisher: ~50k events/s at most
		}
	}
	// The last event may have arrived before last was stored.
	if c.LastID() == *last.Load() {
		finish()
	}
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		mu.Lock()
		t.Fatalf("client got %d of %d events", len(got), total)
	}
	if err := stop(); !errors.Is(err, ErrClosed) || !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want ErrClosed and context.Canceled", err)
	}
	mu.Lock()
	defer mu.Unlock()
	want := src.published()
	if len(got) != len(want) {
		t.Fatalf("got %d events, want %d (duplicates or holes)", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("event %d = %s, want %s", i, got[i], want[i])
		}
	}
	if kills == 0 || reconnects == 0 {
		t.Fatalf("kills %d, reconnects %d: the test did not disconnect the client", kills, reconnects)
	}
	t.Logf("%d events, %d kills, %d reconnects, %d gaps filled", len(got), kills, reconnects, gaps)
}

// TestClientRefusalsNoRetry: a refused token and a missing route end Run
// after one attempt, each with its own error and state.
func TestClientRefusalsNoRetry(t *testing.T) {
	for _, tc := range []struct {
		status int
		err    error
		state  ConnState
	}{
		{http.StatusUnauthorized, ErrUnauthorized, StateAuthRefused},
		{http.StatusForbidden, ErrUnauthorized, StateAuthRefused},
		{http.StatusNotFound, ErrNotFound, StateNotFound},
	} {
		status := tc.status
		var hits atomic.Int64
		var auth atomic.Value
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits.Add(1)
			auth.Store(r.Header.Get("Authorization"))
			http.Error(w, "unauthorized", status)
		}))
		var states []ConnState
		c := NewClient(ClientOptions{URL: ts.URL + "/ws", Token: "tok-123", MinBackoff: time.Millisecond})
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := c.Run(ctx, func(u Update) {
			if u.Kind == UpdateState {
				states = append(states, u.State)
			}
		})
		cancel()
		ts.Close()
		var he *HTTPError
		if !errors.Is(err, tc.err) || !errors.As(err, &he) || he.StatusCode != status {
			t.Fatalf("HTTP %d: Run = %v, want %v with the status", status, err, tc.err)
		}
		for _, other := range []error{ErrUnauthorized, ErrOriginRefused, ErrNotFound} {
			if other != tc.err && errors.Is(err, other) {
				t.Fatalf("HTTP %d: reported as %v too", status, other)
			}
		}
		if n := hits.Load(); n != 1 {
			t.Fatalf("HTTP %d: %d dial attempts, want 1", status, n)
		}
		if got := auth.Load(); got != "Bearer tok-123" {
			t.Fatalf("Authorization = %q", got)
		}
		if !slices.Equal(states, []ConnState{StateConnecting, tc.state}) {
			t.Fatalf("HTTP %d: states = %v", status, states)
		}
	}
}

func TestClientOriginRefused(t *testing.T) {
	ts := startServer(t, ServerOptions{})
	c := NewClient(ClientOptions{URL: ts.url, Header: http.Header{"Origin": {"http://evil.example"}}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := c.Run(ctx, func(Update) {})
	if !errors.Is(err, ErrOriginRefused) {
		t.Fatalf("Run = %v, want ErrOriginRefused", err)
	}
}

func TestClientBadURL(t *testing.T) {
	for _, u := range []string{"ftp://127.0.0.1/ws", "127.0.0.1:80", "ws://", "http://[::1"} {
		err := NewClient(ClientOptions{URL: u}).Run(context.Background(), func(Update) {})
		if !errors.Is(err, ErrBadURL) {
			t.Errorf("%q: Run = %v, want ErrBadURL", u, err)
		}
	}
}

// fakeServer runs handle for each websocket connection, in the handler
// goroutine.
func fakeServer(t *testing.T, handle func(n int, ws *websocket.Conn)) string {
	t.Helper()
	var n atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{Subprotocol}})
		if err != nil {
			return
		}
		defer ws.CloseNow()
		handle(int(n.Add(1)), ws)
	}))
	t.Cleanup(ts.Close)
	return ts.URL // http:// on purpose: the client accepts it
}

func TestClientIgnoresUnknownTypesAndFillsGaps(t *testing.T) {
	gen := event.NewGenerator(nil)
	e1, enc1 := makeEvent(gen, event.KindLog, "one", 0)
	e2, enc2 := makeEvent(gen, event.KindLog, "two", 0)
	sinces := make(chan event.ID, 2)
	url := fakeServer(t, func(n int, ws *websocket.Conn) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = ws.Write(ctx, websocket.MessageText, []byte(`{"type":"hello","hello":{"protocol":"beignet-devtools.v1","version":1}}`))
		_, b, err := ws.Read(ctx)
		if err != nil {
			return
		}
		m := Message{}
		if json := mustUnmarshal(b, &m); json != nil || m.Type != TypeSubscribe {
			t.Errorf("first client message %s", b)
			return
		}
		sinces <- m.Since
		frames := [][]byte{
			[]byte(`{"type":"future-thing","x":{"y":1}}`),
			[]byte(`{"type":"synced"}`),
		}
		if n == 1 {
			frames = append(frames, EventFrame(enc1), []byte(`{"type":"gap","after":"`+e1.ID.String()+`"}`))
		} else {
			frames = append(frames, EventFrame(enc1), EventFrame(enc2)) // e1 again: a replay overlap
		}
		for _, f := range frames {
			if ws.Write(ctx, websocket.MessageText, f) != nil {
				return
			}
		}
		_, _, _ = ws.Read(ctx) // until the client leaves
	})
	var kinds []UpdateKind
	var events []event.ID
	done := make(chan struct{})
	c := NewClient(ClientOptions{URL: url, FillGaps: true, MinBackoff: time.Millisecond})
	stop := runClient(t, c, func(u Update) {
		kinds = append(kinds, u.Kind)
		if u.Kind == UpdateEvent {
			events = append(events, u.Event.ID)
			if u.Event.ID == e2.ID {
				close(done)
			}
		}
	})
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("timeout")
	}
	stop()
	if !slices.Equal(events, []event.ID{e1.ID, e2.ID}) {
		t.Fatalf("events = %v", events)
	}
	if s := <-sinces; !s.IsZero() {
		t.Fatalf("first subscribe since %s, want zero", s)
	}
	if s := <-sinces; s != e1.ID {
		t.Fatalf("resubscribe since %s, want %s", s, e1.ID)
	}
	if !slices.Contains(kinds, UpdateGap) || slices.Contains(kinds, UpdateError) {
		t.Fatalf("update kinds = %v", kinds)
	}
}

func TestClientBackoffJitter(t *testing.T) {
	// A loopback port with nothing listening.
	ts := httptest.NewServer(http.NotFoundHandler())
	url := ts.URL
	ts.Close()
	var retries []time.Duration
	c := NewClient(ClientOptions{URL: url, MinBackoff: time.Millisecond, MaxBackoff: 8 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	err := c.Run(ctx, func(u Update) {
		if u.Kind == UpdateState && u.State == StateReconnecting {
			if u.Err == nil {
				t.Error("reconnecting without a reason")
			}
			retries = append(retries, u.RetryIn)
			if len(retries) == 8 {
				cancel()
			}
		}
	})
	if !errors.Is(err, ErrClosed) {
		t.Fatalf("Run = %v", err)
	}
	for i, d := range retries {
		limit := min(8*time.Millisecond, time.Millisecond<<i)
		if d < 0 || d > limit {
			t.Fatalf("retry %d in %v, want within [0, %v]", i, d, limit)
		}
	}
}

func TestClientReconnectsAfterServerRestartStatus(t *testing.T) {
	// 503 (a server shutting down) is retried, not fatal.
	var hits atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
	}))
	defer ts.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var last error
	err := NewClient(ClientOptions{URL: ts.URL, MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond}).Run(ctx, func(u Update) {
		if u.Kind == UpdateState && u.State == StateReconnecting {
			last = u.Err
			if hits.Load() >= 3 {
				cancel()
			}
		}
	})
	var he *HTTPError
	if !errors.Is(err, ErrClosed) || !errors.As(last, &he) || he.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("Run = %v, last reason %v", err, last)
	}
}

func TestClientShutdownReconnects(t *testing.T) {
	// Shutdown sends 1001; a client retries (and gets 503 until a new
	// server comes up).
	ts := startServer(t, ServerOptions{})
	states := make(chan ConnState, 16)
	c := NewClient(ClientOptions{URL: ts.url, MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond})
	stop := runClient(t, c, func(u Update) {
		if u.Kind == UpdateState {
			select {
			case states <- u.State:
			default:
			}
		}
	})
	waitState := func(want ConnState) {
		t.Helper()
		for {
			select {
			case s := <-states:
				if s == want {
					return
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("no state %v", want)
			}
		}
	}
	waitState(StateLive)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := ts.srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	waitState(StateReconnecting)
	if err := stop(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Run = %v", err)
	}
}

func TestUpdateAndStateStrings(t *testing.T) {
	if UpdateGap.String() != "gap" || StateLive.String() != "live" || !strings.Contains(UpdateKind(99).String(), "99") {
		t.Fatal("String methods")
	}
}

func TestClientRequiresSubprotocol(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil) // selects no subprotocol
		if err != nil {
			return
		}
		defer ws.CloseNow()
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		_, _, _ = ws.Read(ctx)
	}))
	defer ts.Close()
	err := NewClient(ClientOptions{URL: ts.URL}).Run(context.Background(), func(Update) {})
	if !errors.Is(err, ErrProtocol) {
		t.Fatalf("Run = %v, want ErrProtocol", err)
	}
}

// A connection on which nothing arrives (no events, no keepalive) is
// dropped by the client's watchdog and redialled.
func TestClientIdleWatchdog(t *testing.T) {
	dials := make(chan int, 8)
	url := fakeServer(t, func(n int, ws *websocket.Conn) {
		dials <- n
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = ws.Write(ctx, websocket.MessageText, []byte(`{"type":"hello","hello":{"protocol":"beignet-devtools.v1","version":1}}`))
		_, _, _ = ws.Read(ctx) // the subscribe; then silence until the client leaves
		_, _, _ = ws.Read(ctx)
	})
	c := NewClient(ClientOptions{URL: url, IdleTimeout: 40 * time.Millisecond, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond})
	stop := runClient(t, c, func(Update) {})
	for want := 1; want <= 2; want++ {
		select {
		case n := <-dials:
			if n != want {
				t.Fatalf("dial %d, want %d", n, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no dial %d: the idle connection was not dropped", want)
		}
	}
	stop()
}

// Cancelling Run against a server that never answers the close handshake
// still returns promptly.
func TestClientCancelWithUnresponsiveServer(t *testing.T) {
	release := make(chan struct{})
	url := fakeServer(t, func(n int, ws *websocket.Conn) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = ws.Write(ctx, websocket.MessageText, []byte(`{"type":"hello","hello":{"protocol":"beignet-devtools.v1","version":1}}`))
		_ = ws.Write(ctx, websocket.MessageText, []byte(`{"type":"synced"}`))
		<-release // never reads: the client's close frame goes unanswered
	})
	defer close(release)
	live := make(chan struct{}, 1)
	c := NewClient(ClientOptions{URL: url})
	stop := runClient(t, c, func(u Update) {
		if u.Kind == UpdateSynced {
			live <- struct{}{}
		}
	})
	<-live
	start := time.Now()
	if err := stop(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Run = %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("Run took %v to return after cancel", d)
	}
}

func TestClientDialRecordsSocket(t *testing.T) {
	ts := startServer(t, ServerOptions{})
	c := NewClient(ClientOptions{URL: ts.url})
	var raw rawConn
	var seen atomic.Uint64
	ws, err := c.dial(context.Background(), newHTTPClient(time.Second), ts.url, &seen, &raw)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	raw.mu.Lock()
	defer raw.mu.Unlock()
	if raw.nc == nil {
		t.Fatal("the dial hook did not record the socket")
	}
}

// Update.Raw is the event JSON exactly as published (and stored), and
// Hello carries the server's greeting.
func TestClientRawAndHello(t *testing.T) {
	hist := &memHistory{}
	ts := startServer(t, ServerOptions{History: hist, Hello: Hello{App: "notes", Env: "staging", Retention: "24h0m0s", Instance: "i-1"}})
	src := newSource(ts.hub, hist)
	first := src.publish(event.KindLog, "first", 0)
	e, enc := makeEvent(src.gen, event.KindAudit, "note.delete", 0)
	hist.add(e.ID, enc) // in history only: arrives through the replay
	var hello *Hello
	got := make(chan []byte, 1)
	c := NewClient(ClientOptions{URL: ts.url, Since: first.ID})
	stop := runClient(t, c, func(u Update) {
		switch u.Kind {
		case UpdateHello:
			hello = u.Hello
		case UpdateEvent:
			got <- u.Raw
		}
	})
	var raw []byte
	select {
	case raw = <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("no event")
	}
	stop()
	if string(raw) != string(enc) {
		t.Fatalf("Raw = %s\nwant %s", raw, enc)
	}
	if hello == nil || *hello != (Hello{Protocol: Subprotocol, Version: ProtocolVersion, App: "notes", Env: "staging", Retention: "24h0m0s", Instance: "i-1"}) {
		t.Fatalf("hello = %+v", hello)
	}
	if c.LastID() != e.ID {
		t.Fatalf("LastID = %s, want %s", c.LastID(), e.ID)
	}
}

// TestClientTokenHeader: with TokenHeader the token travels in that header,
// as is, and no Authorization header is sent.
func TestClientTokenHeader(t *testing.T) {
	got := make(chan http.Header, 1)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Clone()
		http.Error(w, `{"error":"unauthorized"}`, http.StatusUnauthorized)
	}))
	defer ts.Close()
	c := NewClient(ClientOptions{URL: ts.URL + "/ws", Token: "tok-123", TokenHeader: "x-devtools-token"})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Run(ctx, func(Update) {}); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("Run = %v", err)
	}
	h := <-got
	if h.Get("X-Devtools-Token") != "tok-123" || h.Get("Authorization") != "" {
		t.Fatalf("handshake headers: X-Devtools-Token %q, Authorization %q", h.Get("X-Devtools-Token"), h.Get("Authorization"))
	}
}

// TestClientRateLimitedWaitsRetryAfter: a 429 is retried, never sooner than
// its Retry-After, and the reconnecting state says why and for how long.
func TestClientRateLimitedWaitsRetryAfter(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "7")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte(`{"error":"too many failed attempts; retry later"}` + "\n"))
	}))
	defer ts.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var upd Update
	err := NewClient(ClientOptions{URL: ts.URL, MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond}).Run(ctx, func(u Update) {
		if u.Kind == UpdateState && u.State == StateReconnecting {
			upd = u
			cancel()
		}
	})
	if !errors.Is(err, ErrClosed) {
		t.Fatalf("Run = %v", err)
	}
	var he *HTTPError
	if !errors.Is(upd.Err, ErrRateLimited) || !errors.As(upd.Err, &he) || he.RetryAfter != 7*time.Second {
		t.Fatalf("reconnecting because of %v", upd.Err)
	}
	if upd.RetryIn != 7*time.Second {
		t.Fatalf("RetryIn = %v, want the server's 7s", upd.RetryIn)
	}
	if msg := upd.Err.Error(); !strings.Contains(msg, "rate-limited") || !strings.Contains(msg, "retry in 7 s") {
		t.Fatalf("message %q", msg)
	}
}

func TestResponseError(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		status     int
		retryAfter string
		body       string
		match      []error
		notMatch   []error
		wantRetry  time.Duration
		wantMsg    string
	}{
		{401, "", `{"error":"unauthorized"}`, []error{ErrUnauthorized}, []error{ErrForbidden, ErrOriginRefused}, 0, "unauthorized"},
		{403, "", `{"error":"origin not allowed"}`, []error{ErrOriginRefused}, []error{ErrUnauthorized, ErrForbidden}, 0, "origin not allowed"},
		{403, "", "forbidden by policy\n", []error{ErrForbidden, ErrUnauthorized}, []error{ErrOriginRefused}, 0, "forbidden by policy"},
		{404, "", "404 page not found\n", []error{ErrNotFound}, []error{ErrUnauthorized}, 0, "404 page not found"},
		{429, "6", `{"error":"too many failed attempts; retry later"}`, []error{ErrRateLimited}, []error{ErrServer}, 6 * time.Second, "too many failed attempts; retry later"},
		{429, now.Add(90 * time.Second).Format(http.TimeFormat), "", []error{ErrRateLimited}, nil, 90 * time.Second, ""},
		{429, "soon", "", []error{ErrRateLimited}, nil, 0, ""},
		{503, "2", "store unavailable\x1b[31m", []error{ErrServer}, []error{ErrRateLimited}, 2 * time.Second, "store unavailable[31m"},
		{400, "", `{"error":"bad limit"}`, nil, []error{ErrUnauthorized, ErrNotFound, ErrServer, ErrRateLimited}, 0, "bad limit"},
	} {
		resp := &http.Response{StatusCode: tc.status, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(tc.body))}
		if tc.retryAfter != "" {
			resp.Header.Set("Retry-After", tc.retryAfter)
		}
		e := ResponseError(resp, func() time.Time { return now })
		for _, m := range tc.match {
			if !errors.Is(e, m) {
				t.Errorf("HTTP %d: does not match %v", tc.status, m)
			}
		}
		for _, m := range tc.notMatch {
			if errors.Is(e, m) {
				t.Errorf("HTTP %d: matches %v", tc.status, m)
			}
		}
		if e.RetryAfter != tc.wantRetry || e.Message != tc.wantMsg {
			t.Errorf("HTTP %d: RetryAfter %v Message %q, want %v %q", tc.status, e.RetryAfter, e.Message, tc.wantRetry, tc.wantMsg)
		}
	}
}
