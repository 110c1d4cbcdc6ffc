package routers_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/recorder"
)

// newRecorder returns a development recorder writing to a temp store.
func newRecorder(t *testing.T) *recorder.Recorder {
	t.Helper()
	rec, err := recorder.New(recorder.Config{Env: "development", StorePath: filepath.Join(t.TempDir(), "devtools.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := rec.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return rec
}

// requestNames serves each path through h (wrapped in rec's middleware)
// and returns the recorded request events' names by path.
func requestNames(t *testing.T, rec *recorder.Recorder, h http.Handler, paths ...string) map[string]string {
	t.Helper()
	srv := httptest.NewServer(rec.Middleware(h))
	defer srv.Close()
	for _, p := range paths {
		resp, err := http.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if err := rec.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	evs, err := rec.Store().Since(event.ID{}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	for _, e := range evs {
		if e.Kind == event.KindRequest {
			names[e.HTTP.URL[len(srv.URL):]] = e.Name
		}
	}
	return names
}

func checkNames(t *testing.T, got, want map[string]string) {
	t.Helper()
	for p, w := range want {
		if got[p] != w {
			t.Errorf("%s: event named %q, want %q", p, got[p], w)
		}
	}
}
