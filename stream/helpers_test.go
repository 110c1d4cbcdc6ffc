package stream

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/beignet/devtools/event"
)

// memHistory is an in-memory History, safe for concurrent use.
type memHistory struct {
	mu   sync.Mutex
	ids  []event.ID
	encs [][]byte
	fail bool
}

func (h *memHistory) add(id event.ID, enc []byte) {
	h.mu.Lock()
	h.ids = append(h.ids, id)
	h.encs = append(h.encs, enc)
	h.mu.Unlock()
}

func (h *memHistory) SinceEncoded(ctx context.Context, after event.ID, limit int) ([]event.ID, [][]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.fail {
		return nil, nil, context.DeadlineExceeded
	}
	i, _ := slices.BinarySearchFunc(h.ids, after, func(a, b event.ID) int { return a.Compare(b) })
	for i < len(h.ids) && h.ids[i].Compare(after) <= 0 {
		i++
	}
	j := min(i+limit, len(h.ids))
	return slices.Clone(h.ids[i:j]), slices.Clone(h.encs[i:j]), nil
}

// source makes events and publishes them the way the recorder does:
// history first, then the hub.
type source struct {
	gen  *event.Generator
	hub  *Hub
	hist *memHistory
	mu   sync.Mutex
	all  []event.ID
}

func newSource(hub *Hub, hist *memHistory) *source {
	return &source{gen: event.NewGenerator(nil), hub: hub, hist: hist}
}

func makeEvent(gen *event.Generator, kind event.Kind, name string, pad int) (event.Event, []byte) {
	e := event.Event{Kind: kind, Name: name}
	if pad > 0 {
		e.Message = strings.Repeat("x", pad)
	}
	e.Stamp(gen, time.Now())
	enc, err := event.Marshal(&e)
	if err != nil {
		panic(err)
	}
	return e, enc
}

// publish records and publishes one event; calls are serialized so that
// IDs reach the hub in order.
func (s *source) publish(kind event.Kind, name string, pad int) event.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, enc := makeEvent(s.gen, kind, name, pad)
	if s.hist != nil {
		s.hist.add(e.ID, enc)
	}
	s.all = append(s.all, e.ID)
	s.hub.Publish(e.ID, e.Kind, e.RequestID, enc)
	return e
}

func (s *source) published() []event.ID {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.all)
}

type testServer struct {
	hub  *Hub
	srv  *Server
	http *httptest.Server
	url  string
}

func startServer(t testing.TB, opts ServerOptions) *testServer {
	t.Helper()
	if opts.Hub == nil {
		opts.Hub = NewHub(HubOptions{})
	}
	srv := NewServer(opts)
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		ts.Close()
		opts.Hub.Close()
	})
	return &testServer{hub: opts.Hub, srv: srv, http: ts, url: "ws" + strings.TrimPrefix(ts.URL, "http")}
}

// killConnections drops every connection of s without a close handshake,
// the way a network failure would.
func (s *Server) killConnections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.kill()
	}
	return len(s.conns)
}

// testConn is a raw websocket connection of a test. readMsg and expectType
// on it see an events message as that many event messages in a row (the way
// the Client does); readFrame returns messages exactly as sent.
type testConn struct {
	*websocket.Conn
	pending []json.RawMessage // events of an events message not yet returned by readMsg
}

func dialRaw(t testing.TB, url string, subprotocols ...string) *testConn {
	t.Helper()
	if subprotocols == nil {
		subprotocols = []string{Subprotocol}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: subprotocols})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	ws.SetReadLimit(16 << 20)
	t.Cleanup(func() { _ = ws.CloseNow() })
	return &testConn{Conn: ws}
}

// readFrame reads one message as sent, and checks the shape of an events
// message: two or more events, each a JSON object.
func readFrame(t testing.TB, ws *testConn) (Message, []byte) {
	t.Helper()
	if len(ws.pending) > 0 {
		t.Fatalf("readFrame with %d events of an events message unread", len(ws.pending))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, b, err := ws.Read(ctx)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	var m Message
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("decode %q: %v", b, err)
	}
	if m.Type == TypeEvents {
		if err := checkEventsFrame(&m, b); err != nil {
			t.Fatal(err)
		}
	}
	return m, b
}

// checkEventsFrame checks that an events message holds two to
// maxBatchEvents events, is at most maxBatchBytes long, and is exactly what
// EventsFrame makes of its events.
func checkEventsFrame(m *Message, b []byte) error {
	if len(m.Events) < 2 || len(m.Events) > maxBatchEvents || len(b) > maxBatchBytes {
		return fmt.Errorf("events message with %d events in %d bytes", len(m.Events), len(b))
	}
	encs := make([][]byte, len(m.Events))
	for i, raw := range m.Events {
		encs[i] = raw
	}
	if !bytes.Equal(b, eventsFrame(encs)) {
		return fmt.Errorf("events message is not the stored events between prefix and suffix: %.120s", b)
	}
	return nil
}

// readMsg reads the next message; the events of an events message come one
// by one, as event messages (raw is then what EventFrame makes of them).
func readMsg(t testing.TB, ws *testConn) (Message, []byte) {
	t.Helper()
	if len(ws.pending) == 0 {
		m, b := readFrame(t, ws)
		if m.Type != TypeEvents {
			return m, b
		}
		ws.pending = m.Events
	}
	raw := ws.pending[0]
	ws.pending = ws.pending[1:]
	return Message{Type: TypeEvent, Event: raw}, EventFrame(raw)
}

// frameEventIDs returns the IDs of the events in an event or events message
// (none for other messages), and the message type.
func frameEventIDs(b []byte) ([]event.ID, string, error) {
	var m Message
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, "", err
	}
	var raws []json.RawMessage
	switch m.Type {
	case TypeEvent:
		raws = []json.RawMessage{m.Event}
	case TypeEvents:
		if err := checkEventsFrame(&m, b); err != nil {
			return nil, m.Type, err
		}
		raws = m.Events
	}
	ids := make([]event.ID, 0, len(raws))
	for _, raw := range raws {
		var e event.Event
		if err := event.Unmarshal(raw, &e); err != nil {
			return nil, m.Type, err
		}
		ids = append(ids, e.ID)
	}
	return ids, m.Type, nil
}

func writeMsg(t testing.TB, ws *testConn, m Message) {
	t.Helper()
	writeRaw(t, ws, mustMarshal(&m))
}

func writeRaw(t testing.TB, ws *testConn, b []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := ws.Write(ctx, websocket.MessageText, b); err != nil {
		t.Fatalf("write: %v", err)
	}
}

// expectType reads until a message of type typ, failing on any other.
func expectType(t testing.TB, ws *testConn, typ string) Message {
	t.Helper()
	m, b := readMsg(t, ws)
	if m.Type != typ {
		t.Fatalf("got %s, want type %q", b, typ)
	}
	return m
}

func newLoopbackServer(t testing.TB, h http.Handler) *httptest.Server {
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts
}

func mustUnmarshal(b []byte, m *Message) error { return json.Unmarshal(b, m) }
