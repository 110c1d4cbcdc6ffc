package recorder

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/beignet/devtools/event"
)

// manualClock is a clock that only moves when told.
type manualClock struct{ ns atomic.Int64 }

func newManualClock() *manualClock {
	c := &manualClock{}
	c.ns.Store(time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC).UnixNano())
	return c
}

func (c *manualClock) Now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *manualClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// seqRand returns the values of seq in turn, round and round.
func seqRand(seq ...float64) func() float64 {
	var mu sync.Mutex
	i := 0
	return func() float64 {
		mu.Lock()
		defer mu.Unlock()
		v := seq[i%len(seq)]
		i++
		return v
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// sampleApp is an app whose routes each record a known set of events:
//
//	/ok        request, provider, log (info), custom              4 events
//	/fail      request (500), provider                            2
//	/provfail  request, provider (503)                            2
//	/panic     request (500), log (info), error (panic)           3
//	/audit     request, audit                                     2
//	/slow      request (2s on the clock), log (info)              2
//	/errlog    request, log (error)                               2
func sampleApp(r *Recorder, clock *manualClock) http.Handler {
	client := &http.Client{Transport: r.Transport(roundTripFunc(func(req *http.Request) (*http.Response, error) {
		status := http.StatusOK
		if req.URL.Path == "/unavailable" {
			status = http.StatusServiceUnavailable
		}
		return &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(strings.NewReader(`{"ok":true}`)), Request: req}, nil
	}), "payments")}
	call := func(req *http.Request, path string) {
		out, _ := http.NewRequestWithContext(req.Context(), http.MethodGet, "http://payments.test"+path, nil)
		resp, err := client.Do(out)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}
	log := slog.New(r.SlogHandler(slog.DiscardHandler))
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, req *http.Request) {
		call(req, "/charge")
		log.InfoContext(req.Context(), "charged")
		r.Event(req.Context(), event.KindCustom, "note.viewed", nil)
	})
	mux.HandleFunc("/fail", func(w http.ResponseWriter, req *http.Request) {
		call(req, "/charge")
		w.WriteHeader(http.StatusInternalServerError)
	})
	mux.HandleFunc("/provfail", func(w http.ResponseWriter, req *http.Request) {
		call(req, "/unavailable")
	})
	mux.HandleFunc("/panic", func(w http.ResponseWriter, req *http.Request) {
		log.InfoContext(req.Context(), "about to fail")
		panic("boom")
	})
	mux.HandleFunc("/audit", func(w http.ResponseWriter, req *http.Request) {
		r.Audit(req.Context(), Audit{Actor: "ada", Action: "note.delete", Outcome: "ok"})
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, req *http.Request) {
		clock.Advance(2 * time.Second)
		log.InfoContext(req.Context(), "took a while")
	})
	mux.HandleFunc("/errlog", func(w http.ResponseWriter, req *http.Request) {
		log.ErrorContext(req.Context(), "something broke")
	})
	return r.Middleware(mux)
}

// serve runs one request through h, swallowing the re-panic of /panic.
func serve(h http.Handler, path string) {
	defer func() { _ = recover() }()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, path, nil))
}

// kindsByRequest groups stored events by request ID: their kinds, sorted.
func kindsByRequest(evs []event.Event) map[string]string {
	m := map[string][]string{}
	for _, e := range evs {
		m[e.RequestID] = append(m[e.RequestID], string(e.Kind))
	}
	out := map[string]string{}
	for id, ks := range m {
		sort.Strings(ks)
		out[id] = strings.Join(ks, ",")
	}
	return out
}

func TestSampleKeepsErrorsPanicsAuditsAndSlowRequests(t *testing.T) {
	clock := newManualClock()
	r := newTestRecorder(t, Config{Now: clock.Now, Sample: &Sample{Rate: -1, Slow: time.Second}})
	h := sampleApp(r, clock)
	for _, p := range []string{"/ok", "/ok", "/ok", "/fail", "/provfail", "/panic", "/audit", "/slow", "/errlog"} {
		serve(h, p)
	}
	flush(t, r)
	evs := allEvents(t, r.Store())

	// Every error, panic, slow request and audit is there, each request
	// with every event it recorded; nothing of the ordinary requests.
	got := map[string]int{}
	for _, ks := range kindsByRequest(evs) {
		got[ks]++
	}
	want := map[string]int{
		"provider,request":  2, // /fail (500) and /provfail (provider 503)
		"error,log,request": 1, // /panic
		"audit":             1, // /audit: the audit only, its request was ordinary
		"log,request":       2, // /slow and /errlog
	}
	if len(got) != len(want) {
		t.Fatalf("stored requests by kinds = %v, want %v\n%s", got, want, dump(evs))
	}
	for ks, n := range want {
		if got[ks] != n {
			t.Fatalf("stored requests by kinds = %v, want %v\n%s", got, want, dump(evs))
		}
	}
	st := r.Stats()
	// Kept: 2+2+3+1+2+2; left out: three /ok of 4 events and /audit's request.
	if st.Recorded != 12 || st.Sampled != 13 || st.Dropped != 0 {
		t.Fatalf("stats recorded %d sampled %d dropped %d, want 12, 13, 0", st.Recorded, st.Sampled, st.Dropped)
	}
	if ss := r.serverStats(); ss.Sampled != 13 || ss.Dropped != 0 {
		t.Fatalf("wire stats sampled %d dropped %d, want 13 and 0 apart", ss.Sampled, ss.Dropped)
	}
}

func TestSampleRateKeepsWholeRequests(t *testing.T) {
	clock := newManualClock()
	// Half the requests, decided by the injected rand: kept, out, kept, ...
	r := newTestRecorder(t, Config{Now: clock.Now, Sample: &Sample{Rate: 0.5, Rand: seqRand(0.25, 0.75)}})
	h := sampleApp(r, clock)
	for range 6 {
		serve(h, "/ok")
	}
	flush(t, r)
	evs := allEvents(t, r.Store())
	byReq := kindsByRequest(evs)
	if len(byReq) != 3 {
		t.Fatalf("%d requests stored, want 3 of 6\n%s", len(byReq), dump(evs))
	}
	for id, ks := range byReq {
		if ks != "custom,log,provider,request" {
			t.Errorf("request %s stored %q, want its request, provider, log and custom events", id, ks)
		}
	}
	if st := r.Stats(); st.Recorded != 12 || st.Sampled != 12 || st.Dropped != 0 {
		t.Fatalf("stats recorded %d sampled %d dropped %d, want 12, 12, 0", st.Recorded, st.Sampled, st.Dropped)
	}
}

func TestSampleEventsPerSecondBudget(t *testing.T) {
	clock := newManualClock()
	// 8 events a second; /ok records 4: two requests fill the second.
	r := newTestRecorder(t, Config{Now: clock.Now, Sample: &Sample{EventsPerSecond: 8}})
	h := sampleApp(r, clock)
	for range 4 {
		serve(h, "/ok")
	}
	serve(h, "/fail") // over budget, kept anyway: 2 events
	clock.Advance(time.Second)
	for range 4 {
		serve(h, "/ok")
	}
	flush(t, r)
	st := r.Stats()
	if st.Recorded != 2*8+2 || st.Sampled != 4*4 || st.Dropped != 0 {
		t.Fatalf("stats recorded %d sampled %d dropped %d, want 18, 16, 0", st.Recorded, st.Sampled, st.Dropped)
	}
}

func TestSampleDefaultKeepsEverything(t *testing.T) {
	clock := newManualClock()
	r := newTestRecorder(t, Config{Now: clock.Now})
	h := sampleApp(r, clock)
	for range 3 {
		serve(h, "/ok")
	}
	serve(h, "/audit")
	flush(t, r)
	if st := r.Stats(); st.Recorded != 14 || st.Sampled != 0 {
		t.Fatalf("stats recorded %d sampled %d, want 14 and 0", st.Recorded, st.Sampled)
	}
}

func TestSampleLateEventsFollowTheDecision(t *testing.T) {
	clock := newManualClock()
	r := newTestRecorder(t, Config{Now: clock.Now, Sample: &Sample{Rate: 0.5, Rand: seqRand(0.75, 0.25)}})
	var ctxs []context.Context
	h := r.Middleware(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		ctxs = append(ctxs, context.WithoutCancel(req.Context()))
	}))
	serve(h, "/first")  // left out
	serve(h, "/second") // kept
	// Events recorded after their request ended (a goroutine it started)
	// follow its decision; an error is kept either way.
	r.Event(ctxs[0], event.KindCustom, "late.out", nil)
	r.Event(ctxs[1], event.KindCustom, "late.kept", nil)
	r.Event(ctxs[0], event.KindError, "late.error", nil)
	flush(t, r)
	var names []string
	for _, e := range allEvents(t, r.Store()) {
		names = append(names, e.Name)
	}
	sort.Strings(names)
	if got := strings.Join(names, ","); got != "GET /second,late.error,late.kept" {
		t.Fatalf("stored %s, want GET /second, late.error and late.kept", got)
	}
	if st := r.Stats(); st.Sampled != 2 {
		t.Fatalf("sampled %d, want 2 (the first request and its late custom event)", st.Sampled)
	}
}
