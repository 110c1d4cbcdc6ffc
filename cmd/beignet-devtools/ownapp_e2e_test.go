package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/internal/testutil"
	"github.com/beignet/devtools/recorder"
)

// ownApp is a user's own app: it embeds the recorder and authorizes the
// devtools route the way the Beignet docs show, with a hand-written
// callback that compares the x-devtools-token header.
type ownApp struct {
	URL, Devtools, Token string
	rec                  *recorder.Recorder
	client               *http.Client
}

func startOwnApp(t *testing.T) *ownApp {
	t.Helper()
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	token := hex.EncodeToString(b[:])
	on := true
	rec, err := recorder.New(recorder.Config{App: "ownapp", Env: "staging", Enabled: &on,
		StorePath: filepath.Join(t.TempDir(), ".beignet", "devtools.db")})
	if err != nil {
		t.Fatal(err)
	}
	authorize := func(r *http.Request) bool {
		return subtle.ConstantTimeCompare([]byte(r.Header.Get("x-devtools-token")), []byte(token)) == 1
	}
	devtools, err := rec.Handler(recorder.HandlerOptions{Authorize: authorize})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/api/devtools/", devtools)
	mux.HandleFunc("GET /hello/{name}", func(w http.ResponseWriter, r *http.Request) {
		rec.Audit(r.Context(), recorder.Audit{Actor: r.PathValue("name"), Action: "hello.say", Resource: "greeting", Outcome: "success"})
		fmt.Fprintln(w, "hello", r.PathValue("name"))
	})
	srv := httptest.NewServer(rec.Middleware(mux))
	a := &ownApp{URL: srv.URL, Devtools: srv.URL + "/api/devtools", Token: token, rec: rec, client: srv.Client()}
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
		_ = rec.Close(context.Background())
	})
	return a
}

// traffic sends n requests, each with a credential the recorder must
// redact, and waits until their events are stored.
func (a *ownApp) traffic(t *testing.T, names ...string) {
	t.Helper()
	for _, n := range names {
		req, _ := http.NewRequest(http.MethodGet, a.URL+"/hello/"+n, nil)
		req.Header.Set("Authorization", "Bearer own-app-user-session-"+a.Token[:16])
		resp, err := a.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if err := a.rec.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// runCLI runs the built command with the given extra environment.
func runCLI(t *testing.T, bin string, env []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code = 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, out.String(), errb.String()
}

// TestOwnAppCustomHeaderEndToEnd embeds the recorder in an app of its own
// whose Authorize compares x-devtools-token, and drives it with the built
// CLI: the default Bearer is refused with a hint, and tail, scan, doctor
// --url and purge work given the header (flag or environment); the token
// never appears in any output.
func TestOwnAppCustomHeaderEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the command")
	}
	bin := buildCommand(t)
	app := startOwnApp(t)
	app.traffic(t, "ada", "grace", "linus")
	tokenEnv := "BEIGNET_DEVTOOLS_TOKEN=" + app.Token
	header := "BEIGNET_DEVTOOLS_AUTH_HEADER=x-devtools-token"
	var outputs []string
	check := func(what string, code int, stdout, stderr string, wantCode int, want ...string) {
		t.Helper()
		outputs = append(outputs, stdout, stderr)
		text := stdout + stderr
		if code != wantCode {
			t.Errorf("%s: exit %d, want %d\nstdout: %s\nstderr: %s", what, code, wantCode, stdout, stderr)
		}
		for _, w := range want {
			if !strings.Contains(text, w) {
				t.Errorf("%s: output lacks %q\nstdout: %s\nstderr: %s", what, w, stdout, stderr)
			}
		}
	}

	// The default Bearer is refused, and the message says what to do.
	code, out, errs := runCLI(t, bin, []string{tokenEnv}, "tail", "--url", app.URL, "--since", "all", "--no-follow")
	check("tail with Bearer", code, out, errs, 1, "refused the token", "--auth-header NAME")

	// tail, with the header from the environment: every event, redacted.
	code, out, errs = runCLI(t, bin, []string{tokenEnv, header}, "tail", "--url", app.URL, "--since", "all", "--no-follow", "--json")
	check("tail --json", code, out, errs, 0)
	kinds := map[event.Kind]int{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var e event.Event
		if err := event.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("tail printed %q: %v", l, err)
		}
		kinds[e.Kind]++
	}
	if kinds[event.KindRequest] != 3 || kinds[event.KindAudit] != 3 {
		t.Errorf("tail got %v, want 3 requests and 3 audits", kinds)
	}
	if !strings.Contains(out, "http.requestHeaders.authorization") || strings.Contains(out, "own-app-user-session") {
		t.Errorf("the request's credential was not redacted:\n%s", out)
	}

	// tail, the flag instead of the environment, readable lines.
	code, out, errs = runCLI(t, bin, []string{tokenEnv}, "tail", "--url", app.Devtools, "--auth-header", "X-Devtools-Token", "--since", "all", "--no-follow", "--filter", "kind:audit")
	check("tail --auth-header", code, out, errs, 0, "grace hello.say greeting success")

	// scan and doctor --url.
	code, out, errs = runCLI(t, bin, []string{tokenEnv, header}, "scan", "--url", app.URL)
	check("scan", code, out, errs, 0, "0 finding(s) in 0 of 6 events")
	code, out, errs = runCLI(t, bin, []string{tokenEnv, header}, "doctor", "--url", app.URL)
	check("doctor", code, out, errs, 0, "no problems found")

	// purge through the route, then tail sees what is left.
	code, out, errs = runCLI(t, bin, []string{tokenEnv, header}, "purge", "--url", app.URL, "--older-than", "0", "--kind", "audit")
	check("purge", code, out, errs, 0, "removed 3 audit events (all ages)", "until it is compacted")
	code, out, errs = runCLI(t, bin, []string{tokenEnv, header}, "tail", "--url", app.URL, "--since", "all", "--no-follow")
	check("tail after purge", code, out, errs, 0)
	// The purge is itself recorded as an audit event of the app
	// (devtools.purge), which tail may or may not see yet.
	var left []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if !strings.Contains(l, "devtools.purge") {
			left = append(left, l)
		}
	}
	if n := len(left); n != 3 || strings.Contains(strings.Join(left, "\n"), "audit ") {
		t.Errorf("after purging the audits, tail printed %d lines:\n%s", n, out)
	}

	for _, o := range outputs {
		if strings.Contains(o, app.Token) {
			t.Fatal("the token appears in the CLI's output")
		}
	}
}

// TestOwnAppConsoleInTmux opens the console in a terminal (tmux) on the
// same kind of app, with the token from a file sent in x-devtools-token
// (--auth-header): the stored history shows at once, a request made while
// it watches arrives live, the token is never on screen, and q exits 0.
func TestOwnAppConsoleInTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the command")
	}
	bin := buildCommand(t)
	app := startOwnApp(t)
	app.traffic(t, "ada", "grace")
	tokFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokFile, []byte(app.Token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	script := shellQuote(bin) + " console --url " + shellQuote(app.URL) + " --token-file " + shellQuote(tokFile) +
		" --auth-header x-devtools-token; echo \"console exited with $?\"; sleep 60"
	tm := testutil.StartTmux(t, "ownapp", 120, 30, script)
	tm.Forbid = app.Token

	hasRow := func(s, kind, text string) bool {
		for _, l := range strings.Split(s, "\n") {
			if strings.Contains(l, kind) && strings.Contains(l, text) {
				return true
			}
		}
		return false
	}
	screen := tm.WaitFor(60*time.Second, "the stored history", func(s string) bool {
		return strings.Contains(s, "● live") && strings.Contains(s, "ownapp") &&
			hasRow(s, "REQ", "/hello/ada") && hasRow(s, "AUDIT", "grace")
	})
	if strings.Contains(screen, "auth refused") || strings.Contains(screen, "Devtools token for") {
		t.Fatalf("the console was refused or prompted:\n%s", screen)
	}
	app.traffic(t, "margaret")
	tm.WaitFor(30*time.Second, "a live request", func(s string) bool {
		return hasRow(s, "REQ", "/hello/margaret") && hasRow(s, "AUDIT", "margaret")
	})
	tm.Keys("q")
	tm.WaitFor(30*time.Second, "the console to exit", func(s string) bool { return strings.Contains(s, "console exited with 0") })

	// Without --auth-header the token goes as a Bearer, which this app's
	// Authorize does not read: the console says so, and on q the command
	// says where the token went and how to send it elsewhere.
	script = shellQuote(bin) + " console --url " + shellQuote(app.URL) + " --token-file " + shellQuote(tokFile) +
		"; echo \"console exited with $?\"; sleep 60"
	bearer := testutil.StartTmux(t, "ownapp-bearer", 120, 30, script)
	bearer.Forbid = app.Token
	bearer.WaitFor(60*time.Second, "the refusal", func(s string) bool { return strings.Contains(s, "auth refused") })
	bearer.Keys("q")
	bearer.WaitFor(30*time.Second, "the console to exit with the reason", func(s string) bool {
		s = strings.ReplaceAll(s, "\n", "") // the message wraps at 120 columns
		return strings.Contains(s, "console exited with 1") && strings.Contains(s, "refused the token") && strings.Contains(s, "--auth-header")
	})
}

// shellQuote quotes s for sh.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
