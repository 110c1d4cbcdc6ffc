package faults_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/beignet/devtools/demo/app"
	"github.com/beignet/devtools/demo/demotest"
	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/internal/testutil"
	"github.com/beignet/devtools/stream"
)

func startDemo(t *testing.T) *app.Server {
	t.Helper()
	srv, _ := demotest.Start(t, app.Options{SlowDelay: time.Millisecond})
	return srv
}

func dialRoute(t *testing.T, ctx context.Context, srv *app.Server) *websocket.Conn {
	t.Helper()
	h := http.Header{}
	h.Set("Authorization", "Bearer "+srv.App.Token())
	c, resp, err := websocket.Dial(ctx, srv.DevtoolsURL+"/ws", &websocket.DialOptions{HTTPHeader: h, Subprotocols: []string{stream.Subprotocol}})
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial devtools route: %v (HTTP %d)", err, status)
	}
	c.SetReadLimit(16 << 20)
	return c
}

func readType(ctx context.Context, c *websocket.Conn) (string, []byte, error) {
	_, b, err := c.Read(ctx)
	if err != nil {
		return "", nil, err
	}
	var m struct {
		Type string `json:"type"`
	}
	_ = json.Unmarshal(b, &m)
	return m.Type, b, nil
}

// TestStuckConsoleGetsGapOthersUnaffected attaches a console that subscribes
// and then stops reading, and a healthy one, and records far more events than
// the stuck one's buffers hold. The app keeps answering, the healthy console
// gets every event without a gap, and the stuck one, when it reads again, is
// told about the gap.
func TestStuckConsoleGetsGapOthersUnaffected(t *testing.T) {
	srv := startDemo(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	stuck := dialRoute(t, ctx, srv)
	defer stuck.CloseNow()
	if err := stuck.Write(ctx, websocket.MessageText, []byte(`{"type":"subscribe"}`)); err != nil {
		t.Fatal(err)
	}

	var healthy, healthyGaps atomic.Int64
	cctx, stopClient := context.WithCancel(ctx)
	synced := make(chan struct{}, 1)
	client := stream.NewClient(stream.ClientOptions{URL: srv.DevtoolsURL + "/ws", Token: srv.App.Token(), Filter: &stream.Filter{Kinds: []event.Kind{event.KindCustom}}})
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = client.Run(cctx, func(u stream.Update) {
			switch u.Kind {
			case stream.UpdateEvent:
				healthy.Add(1)
			case stream.UpdateGap:
				healthyGaps.Add(1)
			case stream.UpdateSynced:
				select {
				case synced <- struct{}{}:
				default:
				}
			}
		})
	}()
	defer func() { stopClient(); <-done }()
	select {
	case <-synced:
	case <-ctx.Done():
		t.Fatal("healthy console never synced")
	}
	testutil.WaitFor(t, 10*time.Second, "both consoles subscribed", func() bool {
		return strings.Contains(statsBody(t, srv), `"subscribers":2`)
	})

	// 2 KiB events: 20,000 of them is ~40 MiB, far past the stuck
	// subscriber's 4,096-message buffer and the kernel's socket buffers.
	rec := srv.App.Recorder()
	pad := strings.Repeat("p", 2048)
	const total = 20_000
	client2 := &http.Client{Timeout: 5 * time.Second}
	for i := 0; i < total; i++ {
		rec.Event(context.Background(), event.KindCustom, "flood", map[string]any{"i": i, "pad": pad})
		if i%500 == 0 {
			// The app keeps answering while a console is stuck.
			if code := get(client2, srv.URL+"/healthz"); code != http.StatusOK {
				t.Fatalf("app answered %d while a console was stuck", code)
			}
			// Let the pipeline keep up: this test is about the
			// subscriber, not the queue.
			testutil.WaitFor(t, 30*time.Second, "pipeline to drain", func() bool { return rec.Stats().Queued < 1000 })
			// Pace by the healthy console (the race detector slows its
			// decoding), so that only the stuck one falls behind.
			testutil.WaitFor(t, 30*time.Second, "healthy console to keep up", func() bool { return healthy.Load() > int64(i)-2000 })
		}
	}
	deadline := time.Now().Add(time.Minute)
	for healthy.Load() < total && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if h := healthy.Load(); h < total {
		t.Fatalf("healthy console got %d of %d events (%d gaps); recorder stats %+v", h, total, healthyGaps.Load(), rec.Stats())
	}
	if st := rec.Stats(); st.Dropped != 0 {
		t.Fatalf("recorder dropped %d events; the test needs all of them", st.Dropped)
	}
	if g := healthyGaps.Load(); g != 0 {
		t.Fatalf("healthy console got %d gaps", g)
	}

	// Now the stuck console reads. The server must have cut it off rather
	// than wait for it: either it is told about the gap, or (when it stalled
	// past the keepalive deadline) the server closed its connection.
	n := 0
	for {
		typ, _, err := readType(ctx, stuck)
		if err != nil {
			if ctx.Err() != nil {
				t.Fatalf("stuck console: %v", err)
			}
			t.Logf("stuck console was disconnected by the server after %d buffered messages", n)
			return
		}
		n++
		if typ == stream.TypeGap {
			t.Logf("stuck console got a gap after %d buffered messages", n)
			return
		}
		if n > total+100 {
			t.Fatalf("stuck console read %d messages and was never told about a gap", n)
		}
	}
}

func statsBody(t *testing.T, srv *app.Server) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, srv.DevtoolsURL+"/stats", nil)
	req.Header.Set("Authorization", "Bearer "+srv.App.Token())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.WriteString(string(buf[:n]))
		if err != nil {
			break
		}
	}
	return b.String()
}

// TestBadWebsocketInput throws malformed JSON, unknown types, 1 MiB frames
// and a thousand subscribes at the real devtools route. The server answers
// errors or closes the offending connection, stays up for the next client,
// and its memory stays bounded.
func TestBadWebsocketInput(t *testing.T) {
	srv := startDemo(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	heapBefore := heap()

	// Malformed JSON and unknown types: an error message, connection kept.
	c := dialRoute(t, ctx, srv)
	if typ, _, err := readType(ctx, c); err != nil || typ != stream.TypeHello {
		t.Fatalf("first message %q, %v; want hello", typ, err)
	}
	for _, frame := range []string{`{"type":`, `not json`, `{"type":"teleport"}`, `[]`, `{"type":"subscribe","since":"not-an-id"}`} {
		if err := c.Write(ctx, websocket.MessageText, []byte(frame)); err != nil {
			t.Fatalf("write %q: %v", frame, err)
		}
		typ, body, err := readType(ctx, c)
		if err != nil {
			t.Fatalf("after %q: %v", frame, err)
		}
		if typ != stream.TypeError {
			t.Fatalf("after %q got %q, want error: %s", frame, typ, body)
		}
	}
	// A thousand subscribes on one connection replace each other.
	for i := 0; i < 1000; i++ {
		if err := c.Write(ctx, websocket.MessageText, []byte(`{"type":"subscribe"}`)); err != nil {
			t.Fatalf("subscribe %d: %v", i, err)
		}
	}
	testutil.WaitFor(t, 20*time.Second, "one subscription after a thousand subscribes", func() bool {
		return strings.Contains(statsBody(t, srv), `"subscribers":1`)
	})
	c.CloseNow()

	// 1 MiB frames: the connection is closed with "message too big".
	for i := 0; i < 5; i++ {
		big := dialRoute(t, ctx, srv)
		_, _, _ = readType(ctx, big) // hello
		_ = big.Write(ctx, websocket.MessageText, []byte(`{"type":"subscribe","x":"`+strings.Repeat("a", 1<<20)+`"}`))
		_, _, err := readType(ctx, big)
		if code := websocket.CloseStatus(err); code != websocket.StatusMessageTooBig && code != websocket.StatusPolicyViolation {
			t.Fatalf("1 MiB frame: read error %v (close status %d), want 1009 or 1008", err, code)
		}
		big.CloseNow()
	}

	// The server is still up for a well-behaved console.
	ok := dialRoute(t, ctx, srv)
	if typ, _, err := readType(ctx, ok); err != nil || typ != stream.TypeHello {
		t.Fatalf("after the abuse: %q, %v", typ, err)
	}
	ok.CloseNow()
	if code := get(http.DefaultClient, srv.URL+"/healthz"); code != http.StatusOK {
		t.Fatalf("app answered %d after the abuse", code)
	}
	if grown := int64(heap()) - int64(heapBefore); grown > 64<<20 {
		t.Fatalf("heap grew by %d MiB during the abuse", grown>>20)
	}
}

func heap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

var _ = fmt.Sprintf
