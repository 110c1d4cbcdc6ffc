package tui

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/stream"
)

// fakeRecorderAPI serves GET /api/devtools/events and /requests/{id} from evs
// (oldest first) the way the recorder does, behind a bearer token.
func fakeRecorderAPI(t *testing.T, evs []event.Event, token string) *httptest.Server {
	t.Helper()
	hs := httptest.NewServer(recorderAPIMux(evs, token))
	t.Cleanup(hs.Close)
	return hs
}

// recorderAPIMux is fakeRecorderAPI's handler (token "" means no token).
func recorderAPIMux(evs []event.Event, token string) *http.ServeMux {
	mux := http.NewServeMux()
	auth := func(w http.ResponseWriter, r *http.Request) bool {
		if token != "" && r.Header.Get("Authorization") != "Bearer "+token {
			http.Error(w, `{"error":"unauthorized"}`, http.StatusUnauthorized)
			return false
		}
		return true
	}
	write := func(w http.ResponseWriter, list []event.Event) {
		raws := make([]json.RawMessage, 0, len(list))
		for i := range list {
			b, _ := event.Marshal(&list[i])
			raws = append(raws, b)
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"events": raws})
	}
	mux.HandleFunc("GET /api/devtools/events", func(w http.ResponseWriter, r *http.Request) {
		if !auth(w, r) {
			return
		}
		q := r.URL.Query()
		limit, _ := strconv.Atoi(q.Get("limit"))
		var before, after event.ID
		if s := q.Get("before"); s != "" {
			before = event.MustParseID(s)
		}
		if s := q.Get("after"); s != "" {
			after = event.MustParseID(s)
		}
		var out []event.Event // newest first
		if !after.IsZero() {
			var asc []event.Event
			for i := range evs {
				if evs[i].ID.Compare(after) > 0 && len(asc) < limit {
					asc = append(asc, evs[i])
				}
			}
			for i := len(asc) - 1; i >= 0; i-- {
				out = append(out, asc[i])
			}
		} else {
			for i := len(evs) - 1; i >= 0 && len(out) < limit; i-- {
				if before.IsZero() || evs[i].ID.Compare(before) < 0 {
					out = append(out, evs[i])
				}
			}
		}
		write(w, out)
	})
	mux.HandleFunc("GET /api/devtools/requests/{id}", func(w http.ResponseWriter, r *http.Request) {
		if !auth(w, r) {
			return
		}
		var out []event.Event
		for i := range evs {
			if evs[i].RequestID == r.PathValue("id") {
				out = append(out, evs[i])
			}
		}
		write(w, out)
	})
	return mux
}

// sliceHistory serves stream replays from evs (oldest first).
type sliceHistory []event.Event

func (h sliceHistory) SinceEncoded(ctx context.Context, after event.ID, limit int) ([]event.ID, [][]byte, error) {
	var ids []event.ID
	var encs [][]byte
	for i := range h {
		if h[i].ID.Compare(after) > 0 && len(ids) < limit {
			b, _ := event.Marshal(&h[i])
			ids, encs = append(ids, h[i].ID), append(encs, b)
		}
	}
	return ids, encs, nil
}

// On connect a live source hands over the newest stored page first and the
// stream resumes right after it: a quiet app's console is not empty, and
// the page and the stream meet with no hole and no duplicate.
func TestLiveSourceShowsHistoryOnConnect(t *testing.T) {
	evs := sampleEvents(0, 700)
	stored := evs[:690] // the last ten are stored between the page read and the subscribe
	mux := recorderAPIMux(stored, "")
	hub := stream.NewHub(stream.HubOptions{})
	defer hub.Close()
	var hist sliceHistory = evs
	srv := stream.NewServer(stream.ServerOptions{Hub: hub, History: hist, Hello: stream.Hello{App: "notes"}})
	defer srv.Shutdown(context.Background())
	mux.Handle("/api/devtools/ws", srv)
	hs := httptest.NewServer(mux)
	defer hs.Close()

	src := NewLiveSource(stream.ClientOptions{URL: hs.URL + "/api/devtools/ws"})
	defer src.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var history, live []event.Event
	more := false
	for len(live) < 10 {
		b, err := src.next(ctx)
		if err != nil {
			t.Fatalf("history %d, live %d: %v", len(history), len(live), err)
		}
		if len(b.History) > 0 {
			if len(live) > 0 {
				t.Fatal("history came after live events")
			}
			history, more = b.History, b.HistoryMore
		}
		live = append(live, b.Events...)
	}
	if len(history) != pageSize || !more || history[0].ID != stored[690-pageSize].ID || history[pageSize-1].ID != stored[689].ID {
		t.Fatalf("history: %d events (more %v), want the newest %d stored, oldest first", len(history), more, pageSize)
	}
	for i := range live {
		if live[i].ID != evs[690+i].ID {
			t.Fatalf("live[%d] = %s, want %s (resumed right after the page)", i, live[i].ID, evs[690+i].ID)
		}
	}

	// The model shows it at once and counts it per kind, but not as arrivals.
	m := unitModel(t, 80, 24)
	m.Update(batchMsg{b: batch{History: history, HistoryMore: true}})
	if m.list.buf.len() != pageSize || m.bar.totals[event.KindRequest] != pageSize/4 || m.bar.rateN != 0 {
		t.Fatalf("model: %d in memory, totals %v, rateN %d", m.list.buf.len(), m.bar.totals, m.bar.rateN)
	}
	if out := ansi.Strip(m.Render()); strings.Contains(out, "waiting for events") {
		t.Fatalf("history not shown:\n%s", out)
	}
}

func TestLiveSourceHistoryOverHTTP(t *testing.T) {
	evs := sampleEvents(0, 100)
	const token = "0123456789abcdef0123456789abcdef"
	hs := fakeRecorderAPI(t, evs, token)
	wsURL := strings.Replace(hs.URL, "http://", "ws://", 1) + "/api/devtools/ws"
	src := NewLiveSource(stream.ClientOptions{URL: wsURL, Token: token})
	defer src.Close()
	ctx := context.Background()

	older, err := src.older(ctx, evs[50].ID, 10)
	if err != nil || len(older) != 10 || older[0].ID != evs[49].ID || older[9].ID != evs[40].ID {
		t.Fatalf("Older = %d events, %v", len(older), err)
	}
	newest, err := src.older(ctx, event.ID{}, 5)
	if err != nil || len(newest) != 5 || newest[0].ID != evs[99].ID {
		t.Fatalf("Older(zero) = %d, %v", len(newest), err)
	}
	newer, err := src.newer(ctx, evs[10].ID, 3)
	if err != nil || len(newer) != 3 || newer[0].ID != evs[11].ID || newer[2].ID != evs[13].ID {
		t.Fatalf("Newer = %d, %v", len(newer), err)
	}
	corr, err := src.correlated(ctx, evs[8].RequestID)
	if err != nil || len(corr) != 4 || corr[0].ID != evs[8].ID {
		t.Fatalf("Correlated = %d, %v", len(corr), err)
	}

	bad := NewLiveSource(stream.ClientOptions{URL: wsURL, Token: "wrong"})
	defer bad.Close()
	if _, err := bad.older(ctx, event.ID{}, 5); !errors.Is(err, stream.ErrUnauthorized) {
		t.Fatalf("wrong token: %v", err)
	}
	plain := NewLiveSource(stream.ClientOptions{URL: "ws://127.0.0.1:1/stream"})
	defer plain.Close()
	if _, err := plain.older(ctx, event.ID{}, 5); !errors.Is(err, errNoHistory) {
		t.Fatalf("non-devtools URL: %v, want errNoHistory", err)
	}
}

func TestRouteHistoryOnlyForDevtoolsRoutes(t *testing.T) {
	for in, want := range map[string]bool{
		"ws://127.0.0.1:8080/api/devtools/ws":    true,
		"wss://staging.example.com/devtools/ws":  true,
		"http://127.0.0.1:8080/api/devtools/ws?": true,
		"ws://127.0.0.1:8080/stream":             false,
		"ftp://x/ws":                             false,
	} {
		if got := newRouteHistory(stream.ClientOptions{URL: in}) != nil; got != want {
			t.Errorf("%q: history %v, want %v", in, got, want)
		}
	}
}
