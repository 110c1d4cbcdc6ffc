package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beignet/devtools/demo/traffic"
	"github.com/beignet/devtools/event"
)

// buildCommand builds the command once per test binary run.
func buildCommand(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		dir, err := os.MkdirTemp("", "beignet-devtools-e2e-*")
		if err != nil {
			built.err = err
			return
		}
		built.dir = dir
		built.bin = filepath.Join(dir, "beignet-devtools")
		out, err := exec.Command("go", "build", "-o", built.bin, ".").CombinedOutput()
		if err != nil {
			built.err = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.bin
}

// built is the binary shared by the end-to-end tests; TestMain removes it.
var built struct {
	once     sync.Once
	dir, bin string
	err      error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		_ = os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// TestDemoHeadlessEndToEnd builds the command, runs `demo --headless` as a
// process, tails it over the websocket with the printed token, and checks
// that one request's request, provider, audit, log and error events arrive
// correlated, that the planted secrets were redacted (the redaction paths
// show up) and that none of them is in anything received or in the store
// file.
func TestDemoHeadlessEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the command")
	}
	dir := t.TempDir()
	bin := buildCommand(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	db := filepath.Join(dir, "state", "demo.db")
	demo := exec.CommandContext(ctx, bin, "demo", "--headless", "--rate", "40", "--db", db)
	var demoErr bytes.Buffer
	demo.Stderr = &demoErr
	demoOut, err := demo.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := demo.Start(); err != nil {
		t.Fatal(err)
	}
	demoDone := false
	defer func() {
		if !demoDone {
			_ = demo.Process.Kill()
			_ = demo.Wait()
		}
	}()

	// The headless lines: url=, token=, app=, db=.
	vals := map[string]string{}
	lines := bufio.NewScanner(demoOut)
	for len(vals) < 4 && lines.Scan() {
		k, v, ok := strings.Cut(lines.Text(), "=")
		if !ok {
			t.Fatalf("headless line without '=': %q", lines.Text())
		}
		vals[k] = v
	}
	if !regexp.MustCompile(`^http://127\.0\.0\.1:\d+/api/devtools$`).MatchString(vals["url"]) ||
		!regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(vals["token"]) ||
		vals["app"]+"/api/devtools" != vals["url"] || vals["db"] != db {
		t.Fatalf("headless output: %v\nstderr: %s", vals, demoErr.String())
	}
	go func() { _, _ = io.Copy(io.Discard, demoOut) }()
	token := vals["token"]

	tail := exec.CommandContext(ctx, bin, "tail", "--url", vals["url"], "--since", "all", "--json")
	tail.Env = append(os.Environ(), "BEIGNET_DEVTOOLS_TOKEN="+token)
	var tailErr bytes.Buffer
	tail.Stderr = &tailErr
	tailOut, err := tail.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := tail.Start(); err != nil {
		t.Fatal(err)
	}

	// Read until one request ID has all five kinds and every planted
	// secret's place shows up as redacted.
	wantKinds := []event.Kind{event.KindRequest, event.KindProvider, event.KindAudit, event.KindLog, event.KindError}
	wantRedacted := []string{
		"http.requestHeaders.authorization", // bearer personal access token
		"http.requestHeaders.cookie",        // session and remember-me cookies
		"http.responseHeaders.set-cookie",   // the session cookie issued
		"http.url.query.access_token",       // token in a query string
		"http.url.query.api_key",            // key in a query string
		"http.requestHeaders.x-api-key",     // provider API key
		"http.requestBody",                  // passwords in JSON and form bodies
		"http.responseBody",                 // session token, client_secret
	}
	var (
		mu       sync.Mutex
		received bytes.Buffer
		byReq    = map[string]map[event.Kind]bool{}
		redacted = map[string]bool{}
		complete string
	)
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(tailOut)
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		for sc.Scan() {
			line := sc.Bytes()
			var e event.Event
			if err := event.Unmarshal(line, &e); err != nil {
				t.Errorf("tail printed a line that is not an event: %q", line)
				return
			}
			mu.Lock()
			received.Write(line)
			received.WriteByte('\n')
			for _, p := range e.Redacted {
				redacted[p] = true
			}
			if e.RequestID != "" {
				if byReq[e.RequestID] == nil {
					byReq[e.RequestID] = map[event.Kind]bool{}
				}
				byReq[e.RequestID][e.Kind] = true
				all := true
				for _, k := range wantKinds {
					all = all && byReq[e.RequestID][k]
				}
				if all && complete == "" {
					complete = e.RequestID
				}
			}
			ok := complete != ""
			for _, p := range wantRedacted {
				ok = ok && redacted[p]
			}
			mu.Unlock()
			if ok {
				return
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(150 * time.Second):
	}
	if err := tail.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	go func() { _, _ = io.Copy(io.Discard, tailOut) }()
	if err := tail.Wait(); err != nil {
		t.Errorf("tail exit after SIGINT: %v\n%s", err, tailErr.String())
	}
	<-done

	mu.Lock()
	got := received.Bytes()
	if complete == "" {
		t.Errorf("no request ID with request, provider, audit, log and error events among %d request IDs", len(byReq))
	}
	for _, p := range wantRedacted {
		if !redacted[p] {
			t.Errorf("never saw %s redacted (was the secret planted?)", p)
		}
	}
	mu.Unlock()

	if err := demo.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	err = demo.Wait()
	demoDone = true
	if err != nil {
		var ee *exec.ExitError
		errors.As(err, &ee)
		t.Fatalf("demo exit after SIGINT: %v\nstderr: %s", err, demoErr.String())
	}

	file, err := os.ReadFile(db)
	if err != nil {
		t.Fatalf("store file: %v", err)
	}
	secrets := append(traffic.Planted(), token)
	session := regexp.MustCompile(`session=[0-9a-f]{64}|"sessionToken":"[0-9a-f]{64}"`)
	for name, data := range map[string][]byte{"tail output": got, "store file": file} {
		for _, s := range secrets {
			if bytes.Contains(data, []byte(s)) {
				t.Errorf("%s contains a planted secret (%.6s…)", name, s)
			}
		}
		if session.Match(data) {
			t.Errorf("%s contains a session ID", name)
		}
	}
	if len(got) == 0 || len(file) == 0 {
		t.Fatalf("nothing received (%d bytes) or stored (%d bytes)", len(got), len(file))
	}

	// The CLI's own audit agrees: nothing secret-shaped in the store.
	scan := exec.CommandContext(ctx, bin, "scan", "--db", db)
	if out, err := scan.CombinedOutput(); err != nil {
		t.Errorf("scan --db found something or failed: %v\n%s", err, out)
	}
}
