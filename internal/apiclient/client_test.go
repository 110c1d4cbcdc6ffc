package apiclient_test

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/internal/apiclient"
	"github.com/beignet/devtools/recorder"
	"github.com/beignet/devtools/store"
	"github.com/beignet/devtools/stream"
)

const token = "x-devtools-token-0123456789abcdef0123456789"

// app embeds the recorder the way the Beignet docs show a custom
// Authorize: compare the x-devtools-token header.
func app(t *testing.T, env string, authorize func(*http.Request) bool) (*recorder.Recorder, string) {
	t.Helper()
	enabled := true
	rec, err := recorder.New(recorder.Config{App: "own", Env: env, Enabled: &enabled, StorePath: filepath.Join(t.TempDir(), "devtools.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rec.Close(context.Background()) })
	h, err := rec.Handler(recorder.HandlerOptions{Authorize: authorize})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/api/devtools/", h)
	srv := httptest.NewServer(rec.Middleware(mux))
	t.Cleanup(srv.Close)
	return rec, srv.URL + "/api/devtools"
}

func headerAuth(r *http.Request) bool {
	return subtle.ConstantTimeCompare([]byte(r.Header.Get("x-devtools-token")), []byte(token)) == 1
}

func record(t *testing.T, rec *recorder.Recorder, n int) {
	t.Helper()
	for i := range n {
		rec.Event(context.Background(), event.KindCustom, fmt.Sprintf("e%02d", i), nil)
	}
	if err := rec.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func flushRec(t *testing.T, rec *recorder.Recorder) {
	t.Helper()
	if err := rec.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func newClient(t *testing.T, opts apiclient.Options) *apiclient.Client {
	t.Helper()
	c, err := apiclient.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestCustomHeaderAuthorize drives every call against a recorder whose
// Authorize reads x-devtools-token: with TokenHeader they all pass, with
// the default Bearer they are refused as unauthorized.
func TestCustomHeaderAuthorize(t *testing.T) {
	rec, base := app(t, "staging", headerAuth)
	record(t, rec, 25)
	ctx := context.Background()

	bearer := newClient(t, apiclient.Options{URL: base, Token: token})
	if _, err := bearer.Events(ctx, apiclient.Query{}); !errors.Is(err, stream.ErrUnauthorized) {
		t.Fatalf("Bearer against a header Authorize: %v", err)
	}

	c := newClient(t, apiclient.Options{URL: base + "/ws", Token: token, TokenHeader: "x-devtools-token"})
	if c.Base() != base || !strings.HasPrefix(c.WebsocketURL(), "ws://") {
		t.Fatalf("Base %s WebsocketURL %s", c.Base(), c.WebsocketURL())
	}
	newest, err := c.Older(ctx, event.ID{}, 10)
	if err != nil || len(newest) != 10 || newest[0].Name != "e24" || newest[9].Name != "e15" {
		t.Fatalf("Older: %v %d", err, len(newest))
	}
	older, err := c.Older(ctx, newest[9].ID, 100)
	if err != nil || len(older) != 15 || older[0].Name != "e14" {
		t.Fatalf("Older page 2: %v %d", err, len(older))
	}
	newer, err := c.Newer(ctx, older[5].ID, 3) // after e09: e10, e11, e12
	if err != nil || len(newer) != 3 || newer[0].Name != "e10" || newer[2].Name != "e12" {
		t.Fatalf("Newer: %v %v", err, names(newer))
	}
	p, err := c.Events(ctx, apiclient.Query{Limit: 20})
	if err != nil || len(p.Events) != 20 || p.Next.IsZero() {
		t.Fatalf("Events: %v %d next %s", err, len(p.Events), p.Next)
	}
	e, err := c.Event(ctx, newest[3].ID)
	if err != nil || e.Name != "e21" {
		t.Fatalf("Event: %v %q", err, e.Name)
	}
	if _, err := c.Event(ctx, event.IDFromTime(time.Unix(1, 0))); !errors.Is(err, stream.ErrNotFound) {
		t.Fatalf("missing event: %v", err)
	}
	st, err := c.Stats(ctx)
	if err != nil || st.App != "own" || st.Env != "staging" || len(st.Store) == 0 {
		t.Fatalf("Stats: %v %+v", err, st)
	}
	// Each purge through the route is recorded as an audit event.
	res, err := c.Purge(ctx, store.PurgeRequest{Keep: 5, DryRun: true})
	if err != nil || res.Trimmed != 20 || !res.DryRun {
		t.Fatalf("Purge dry run: %v %+v", err, res)
	}
	flushRec(t, rec)
	res, err = c.Purge(ctx, store.PurgeRequest{Keep: 5})
	if err != nil || res.Trimmed != 21 {
		t.Fatalf("Purge: %v %+v", err, res)
	}
	flushRec(t, rec)
	if need, err := c.NeedsToken(ctx); err != nil || !need {
		t.Fatalf("NeedsToken on a token route: %v %v", need, err)
	}

	// The websocket with the same credentials replays the five left and
	// the purge's audit event.
	ws := c.Stream(stream.ClientOptions{Since: event.IDFromTime(time.UnixMilli(1))})
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	n := 0
	_ = ws.Run(sctx, func(u stream.Update) {
		switch u.Kind {
		case stream.UpdateEvent:
			n++
		case stream.UpdateSynced:
			cancel()
		}
	})
	if n != 6 {
		t.Fatalf("websocket replayed %d events, want 6", n)
	}
}

func names(evs []event.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Name
	}
	return out
}

// TestNeedsTokenDevelopmentLoopback: a development route without Authorize
// serves loopback clients with no token at all.
func TestNeedsTokenDevelopmentLoopback(t *testing.T) {
	rec, base := app(t, "development", nil)
	record(t, rec, 3)
	c := newClient(t, apiclient.Options{URL: base})
	need, err := c.NeedsToken(context.Background())
	if err != nil || need {
		t.Fatalf("NeedsToken = %v, %v; want false", need, err)
	}
	if evs, err := c.Older(context.Background(), event.ID{}, 10); err != nil || len(evs) != 3 {
		t.Fatalf("Older without a token: %v %d", err, len(evs))
	}
}

// TestErrorsAndRetries: refusals are typed and not retried; 503 is retried
// until it passes; 429 is not retried and carries Retry-After; purge is
// sent once.
func TestErrorsAndRetries(t *testing.T) {
	var hits atomic.Int64
	var mode atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := hits.Add(1)
		switch mode.Load().(string) {
		case "401":
			http.Error(w, `{"error":"unauthorized"}`, http.StatusUnauthorized)
		case "403":
			http.Error(w, `{"error":"forbidden"}`, http.StatusForbidden)
		case "404":
			http.NotFound(w, r)
		case "429":
			w.Header().Set("Retry-After", "6")
			http.Error(w, `{"error":"too many failed attempts; retry later"}`, http.StatusTooManyRequests)
		case "503-then-ok":
			if n < 3 {
				http.Error(w, "restarting", http.StatusServiceUnavailable)
				return
			}
			_, _ = w.Write([]byte(`{"events":[]}`))
		case "500":
			http.Error(w, `{"error":"store error"}`, http.StatusInternalServerError)
		case "redirect":
			http.Redirect(w, r, "http://login.example/", http.StatusFound)
		case "garbage":
			_, _ = w.Write([]byte(`<html>`))
		}
	}))
	defer srv.Close()
	c := newClient(t, apiclient.Options{URL: srv.URL + "/api/devtools", Token: token, MinBackoff: time.Millisecond})
	ctx := context.Background()
	for _, tc := range []struct {
		mode  string
		want  error
		hits  int64
		check func(error) string
	}{
		{"401", stream.ErrUnauthorized, 1, nil},
		{"403", stream.ErrForbidden, 1, nil},
		{"404", stream.ErrNotFound, 1, nil},
		{"429", stream.ErrRateLimited, 1, func(err error) string {
			var he *stream.HTTPError
			if !errors.As(err, &he) || he.RetryAfter != 6*time.Second || !strings.Contains(err.Error(), "retry in 6 s") {
				return "no Retry-After in " + err.Error()
			}
			return ""
		}},
		{"503-then-ok", nil, 3, nil},
		{"500", stream.ErrServer, 1, nil},
		{"redirect", nil, 1, func(err error) string {
			var he *stream.HTTPError
			if !errors.As(err, &he) || he.StatusCode != http.StatusFound {
				return fmt.Sprintf("redirect followed or untyped: %v", err)
			}
			return ""
		}},
		{"garbage", stream.ErrProtocol, 1, nil},
	} {
		mode.Store(tc.mode)
		hits.Store(0)
		_, err := c.Events(ctx, apiclient.Query{})
		if tc.want == nil && tc.check == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%s: Events = %v, want %v", tc.mode, err, tc.want)
		}
		if tc.check != nil {
			if msg := tc.check(err); msg != "" {
				t.Errorf("%s: %s", tc.mode, msg)
			}
		}
		if hits.Load() != tc.hits {
			t.Errorf("%s: %d requests, want %d", tc.mode, hits.Load(), tc.hits)
		}
	}
	mode.Store("503-then-ok")
	hits.Store(0)
	if _, err := c.Purge(ctx, store.PurgeRequest{Keep: 1}); !errors.Is(err, stream.ErrServer) || hits.Load() != 1 {
		t.Errorf("purge: %v after %d requests, want one request", err, hits.Load())
	}
}

func TestNewRefuses(t *testing.T) {
	for _, o := range []apiclient.Options{
		{URL: "ftp://x/api/devtools"},
		{URL: "http:///api/devtools"},
		{URL: "http://u:p@127.0.0.1/api/devtools"},
		{URL: "http://127.0.0.1/api/devtools?token=x"},
		{URL: "http://127.0.0.1", TokenHeader: "x devtools"},
		{URL: "http://127.0.0.1", TokenHeader: "Host"},
		{URL: "http://127.0.0.1", TokenHeader: "Sec-WebSocket-Protocol"},
		{URL: "http://127.0.0.1", TokenHeader: "Cookie"},
	} {
		if _, err := apiclient.New(o); !errors.Is(err, apiclient.ErrBadOptions) {
			t.Errorf("%+v: %v", o, err)
		}
	}
	// "Authorization" is the default: Bearer.
	got := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Get("Authorization")
		_, _ = w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	c := newClient(t, apiclient.Options{URL: srv.URL, Token: "t", TokenHeader: "authorization"})
	if _, err := c.Stats(context.Background()); err != nil || <-got != "Bearer t" {
		t.Fatal("TokenHeader Authorization is not Bearer")
	}
}

// TestDialAddress reaches one instance behind a name it does not resolve:
// every JSON call and the websocket go to DialAddress, while the Host
// header stays the URL's (what a load balancer or TLS name expects).
func TestDialAddress(t *testing.T) {
	rec, base := app(t, "staging", headerAuth)
	record(t, rec, 3)
	real := strings.TrimPrefix(strings.TrimSuffix(base, "/api/devtools"), "http://")
	_, port, _ := strings.Cut(real, ":")
	named := "http://fleet.invalid:" + port + "/api/devtools"

	c := newClient(t, apiclient.Options{URL: named, Token: token, TokenHeader: "X-Devtools-Token", DialAddress: real})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	page, err := c.Events(ctx, apiclient.Query{})
	if err != nil {
		t.Fatalf("events through DialAddress: %v", err)
	}
	if len(page.Events) != 3 {
		t.Fatalf("got %d events, want 3", len(page.Events))
	}
	opts := c.StreamOptions(stream.ClientOptions{})
	if opts.HTTPClient == nil {
		t.Fatal("StreamOptions does not carry the pinned dialer: the websocket would resolve fleet.invalid")
	}
	// The websocket follows the same address: it gets hello and the replay.
	got, hello := 0, false
	var first event.ID
	first[len(first)-1] = 1 // the smallest ID: replay everything
	opts.Since = first
	sc := stream.NewClient(opts)
	sctx, scancel := context.WithCancel(ctx)
	defer scancel()
	_ = sc.Run(sctx, func(u stream.Update) {
		switch u.Kind {
		case stream.UpdateHello:
			hello = true
		case stream.UpdateEvent:
			got++
		case stream.UpdateSynced:
			scancel()
		case stream.UpdateState:
			if u.Err != nil {
				t.Errorf("websocket through DialAddress: %v", u.Err)
				scancel()
			}
		}
	})
	if !hello || got != 3 {
		t.Fatalf("websocket through DialAddress: hello %v, %d events replayed, want 3", hello, got)
	}

	if _, err := apiclient.New(apiclient.Options{URL: named, DialAddress: real, HTTPClient: http.DefaultClient}); !errors.Is(err, apiclient.ErrBadOptions) {
		t.Fatalf("DialAddress with HTTPClient: %v, want ErrBadOptions", err)
	}
	if _, err := apiclient.New(apiclient.Options{URL: named, DialAddress: "no-port"}); !errors.Is(err, apiclient.ErrBadOptions) {
		t.Fatalf("DialAddress without a port: %v, want ErrBadOptions", err)
	}
}
