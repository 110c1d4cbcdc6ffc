package benchbase

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"

	"github.com/coder/websocket"
)

// Fanout is the bare websocket fan-out baseline: a loopback server whose
// every accepted coder/websocket connection is written by a goroutine of
// its own, frame after frame, with no hub, no subscription and no
// batching: the ceiling for any fan-out over websockets. The clients are
// the caller's (dial URL with the same readers as the product's side), so
// that both sides are read alike.
type Fanout struct {
	ts       *httptest.Server
	accepted chan *websocket.Conn
	done     chan struct{} // closed by Close: handlers stop waiting

	mu    sync.Mutex
	conns []*websocket.Conn // taken by Accept
}

// NewFanout starts the server. It accepts websocket connections that
// offer subprotocol (empty: any).
func NewFanout(subprotocol string) *Fanout {
	f := &Fanout{accepted: make(chan *websocket.Conn), done: make(chan struct{})}
	var opts websocket.AcceptOptions
	if subprotocol != "" {
		opts.Subprotocols = []string{subprotocol}
	}
	f.ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, &opts)
		if err != nil {
			return
		}
		select {
		case f.accepted <- ws:
		case <-f.done:
			_ = ws.CloseNow()
		}
	}))
	return f
}

// URL is the websocket URL to dial.
func (f *Fanout) URL() string { return "ws" + strings.TrimPrefix(f.ts.URL, "http") }

// Accept waits until n more clients have connected, or ctx ends.
func (f *Fanout) Accept(ctx context.Context, n int) error {
	for range n {
		select {
		case ws := <-f.accepted:
			f.mu.Lock()
			f.conns = append(f.conns, ws)
			f.mu.Unlock()
		case <-ctx.Done():
			return fmt.Errorf("benchbase: accepting websocket clients: %w", ctx.Err())
		}
	}
	return nil
}

// Write writes n text messages to every accepted client, frames[i %
// len(frames)] for the i-th, one goroutine per client, and returns when
// all are written, or with the first error. If ctx ends first, Write
// closes the connections and returns ctx's error.
//
// Each message is written with a context that cannot end, as
// stream.Server writes its frames: a cancelable one costs coder/websocket
// a timer registration (four allocations) per message, which would lower
// the ceiling.
func (f *Fanout) Write(ctx context.Context, n int, frames [][]byte) error {
	if len(frames) == 0 {
		return errors.New("benchbase: no frames to write")
	}
	f.mu.Lock()
	conns := append([]*websocket.Conn(nil), f.conns...)
	f.mu.Unlock()
	stop := context.AfterFunc(ctx, func() {
		for _, ws := range conns {
			_ = ws.CloseNow()
		}
	})
	defer stop()
	wctx := context.WithoutCancel(ctx)
	errs := make(chan error, len(conns))
	for _, ws := range conns {
		go func() {
			for i := range n {
				if err := ws.Write(wctx, websocket.MessageText, frames[i%len(frames)]); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	var first error
	for range conns {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	if err := ctx.Err(); err != nil && first != nil {
		return fmt.Errorf("benchbase: websocket write: %w", err)
	}
	if first != nil {
		return fmt.Errorf("benchbase: websocket write: %w", first)
	}
	return nil
}

// Close closes the accepted connections and the server.
func (f *Fanout) Close() error {
	f.mu.Lock()
	conns := f.conns
	f.conns = nil
	f.mu.Unlock()
	for _, ws := range conns {
		_ = ws.CloseNow()
	}
	close(f.done)
	f.ts.Close()
	return nil
}
