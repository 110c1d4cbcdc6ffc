package traffic_test

import (
	"context"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/beignet/devtools/demo/app"
	"github.com/beignet/devtools/demo/traffic"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestRunDrivesTheAppAndStops(t *testing.T) {
	srv, err := app.Start(app.Options{StorePath: filepath.Join(t.TempDir(), "d.db"), SlowDelay: 30 * time.Millisecond}, "")
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Error(err)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	start := time.Now()
	st, err := traffic.Run(ctx, traffic.Options{BaseURL: srv.URL, Rate: 100, Seed: 42, Transport: tr})
	if err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Fatalf("Run did not stop with its context: %v", el)
	}
	if st.Requests < 20 || st.Responses == 0 || st.Failures > st.Requests/10 {
		t.Fatalf("stats: %+v", st)
	}
	if st.Requests > 200 {
		t.Fatalf("rate ceiling not kept: %d requests in 1.5s at 100/s", st.Requests)
	}
}

func TestRunRefusesBadURLs(t *testing.T) {
	for _, u := range []string{"", "ftp://127.0.0.1:1", "http://10.0.0.1:80", "http://example.com"} {
		if _, err := traffic.Run(context.Background(), traffic.Options{BaseURL: u}); err == nil {
			t.Errorf("%q accepted", u)
		}
	}
}

func TestPlantedIncludesAppSecrets(t *testing.T) {
	got := map[string]bool{}
	for _, s := range traffic.Planted() {
		if len(s) < 16 {
			t.Errorf("planted secret too short to search for: %q", s)
		}
		got[s] = true
	}
	for _, s := range app.Planted() {
		if !got[s] {
			t.Errorf("missing %.6s…", s)
		}
	}
}
