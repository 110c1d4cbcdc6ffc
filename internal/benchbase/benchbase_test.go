package benchbase

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/coder/websocket"
)

func TestFanoutDeliversEveryFrameToEveryClient(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	f := NewFanout("proto.v1")
	defer f.Close()
	const clients, n = 3, 50
	frames := [][]byte{[]byte(`a`), []byte(`bb`)}
	got := make(chan []string, clients)
	for range clients {
		ws, _, err := websocket.Dial(ctx, f.URL(), &websocket.DialOptions{Subprotocols: []string{"proto.v1"}})
		if err != nil {
			t.Fatal(err)
		}
		defer ws.CloseNow()
		go func() {
			var msgs []string
			for range n {
				_, b, err := ws.Read(ctx)
				if err != nil {
					break
				}
				msgs = append(msgs, string(b))
			}
			got <- msgs
		}()
	}
	if err := f.Accept(ctx, clients); err != nil {
		t.Fatal(err)
	}
	if err := f.Write(ctx, n, frames); err != nil {
		t.Fatal(err)
	}
	for range clients {
		msgs := <-got
		if len(msgs) != n {
			t.Fatalf("client got %d messages, want %d", len(msgs), n)
		}
		for i, m := range msgs {
			if want := string(frames[i%len(frames)]); m != want {
				t.Fatalf("message %d = %q, want %q", i, m, want)
			}
		}
	}
	if err := f.Write(ctx, 1, nil); err == nil {
		t.Error("Write with no frames: no error")
	}
}

func TestFanoutAcceptEndsWithContext(t *testing.T) {
	f := NewFanout("")
	defer f.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := f.Accept(ctx, 1); err == nil {
		t.Fatal("Accept with no client and an ended context: no error")
	}
}

func TestRequestServesTheNoteHandler(t *testing.T) {
	body := JSONBody(2048)
	if len(body) < 2048-40 || len(body) > 2048+40 || !json.Valid(body) {
		t.Fatalf("JSONBody(2048): %d bytes, valid %v", len(body), json.Valid(body))
	}
	var logged bytes.Buffer
	h := SlogMiddleware(slog.New(slog.NewJSONHandler(&logged, nil)), StatusMiddleware(NoteHandler()))
	for _, b := range [][]byte{nil, body} {
		q := NewRequest(b)
		for range 3 { // served again, the body rewound and the writer cleared
			var seen int
			counting := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				h.ServeHTTP(w, r)
				n, _ := io.Copy(io.Discard, r.Body)
				seen = int(n)
				if r.Pattern != "/notes/{id}" {
					t.Errorf("pattern %q after the mux, want /notes/{id}", r.Pattern)
				}
			})
			w := q.Serve(counting)
			if w.Status != http.StatusOK || w.Bytes == 0 || w.Header().Get("Content-Type") != "application/json" || len(w.Header()) != 1 {
				t.Fatalf("served: status %d, %d bytes, headers %v", w.Status, w.Bytes, w.Header())
			}
			if seen != 0 {
				t.Fatalf("the handler left %d body bytes unread", seen)
			}
		}
	}
	var line struct {
		Method, Path, Remote string
		Status               int
		Bytes                int64
	}
	first, _, _ := bytes.Cut(logged.Bytes(), []byte("\n"))
	if err := json.Unmarshal(first, &line); err != nil {
		t.Fatal(err)
	}
	if line.Method != "GET" || line.Path != "/notes/42" || line.Status != 200 || line.Bytes == 0 || line.Remote == "" {
		t.Fatalf("log line %s", first)
	}
	if n := bytes.Count(logged.Bytes(), []byte("\n")); n != 6 {
		t.Fatalf("%d log lines, want 6", n)
	}
}

func TestFanoutWriteEndsWithContext(t *testing.T) {
	f := NewFanout("")
	defer f.Close()
	bg := context.Background()
	ws, _, err := websocket.Dial(bg, f.URL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow() // never read: the writer blocks once the socket buffers fill
	if err := f.Accept(bg, 1); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(bg, 50*time.Millisecond)
	defer cancel()
	err = f.Write(ctx, 1<<30, [][]byte{bytes.Repeat([]byte("x"), 64<<10)})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Write past its deadline: %v, want context.DeadlineExceeded", err)
	}
}
