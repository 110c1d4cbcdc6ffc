package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/beignet/devtools/internal/testutil"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestRunPrintsURLAndTokenAndServes(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb testutil.Buffer
	db := filepath.Join(t.TempDir(), "demo.db")
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"-db", db, "-traffic", "20"}, &out, &errb) }()

	vals := map[string]string{}
	deadline := time.Now().Add(10 * time.Second)
	for len(vals) < 4 && time.Now().Before(deadline) {
		for _, l := range strings.Split(out.String(), "\n") {
			if k, v, ok := strings.Cut(l, "="); ok {
				vals[k] = v
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.HasPrefix(vals["url"], "http://127.0.0.1:") || len(vals["token"]) != 64 || vals["db"] != db {
		t.Fatalf("output: %q", out.String())
	}
	if !strings.Contains(errb.String(), "console --url "+vals["url"]) {
		t.Errorf("no console hint on stderr: %q", errb.String())
	}
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	req, _ := http.NewRequest("GET", vals["url"]+"/events?limit=1", nil)
	req.Header.Set("Authorization", "Bearer "+vals["token"])
	// Traffic runs: events show up.
	for time.Now().Before(deadline) {
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("devtools with the printed token: %d", resp.StatusCode)
		}
		if strings.Contains(string(b), `"kind"`) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
}

func TestRunRefusesNonLoopback(t *testing.T) {
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"-addr", "0.0.0.0:0"}, &out, &errb); err == nil {
		t.Fatal("non-loopback address accepted")
	}
}
