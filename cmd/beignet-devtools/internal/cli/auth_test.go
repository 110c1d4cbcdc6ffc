package cli

import (
	"context"
	"crypto/subtle"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/recorder"
)

const ownToken = "own-app-token-0123456789abcdef0123456789"

// ownApp is an app that embeds the recorder with the given Authorize (nil:
// none, development) and has n custom events recorded; it returns the
// devtools route's base URL.
func ownApp(t *testing.T, env string, authorize func(*http.Request) bool, n int) string {
	t.Helper()
	enabled := true
	rec, err := recorder.New(recorder.Config{App: "own", Env: env, Enabled: &enabled, StorePath: filepath.Join(t.TempDir(), "devtools.db")})
	if err != nil {
		t.Fatal(err)
	}
	h, err := rec.Handler(recorder.HandlerOptions{Authorize: authorize})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/api/devtools/", h)
	srv := httptest.NewServer(rec.Middleware(mux))
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
		_ = rec.Close(context.Background())
	})
	for i := range n {
		rec.Event(context.Background(), event.KindCustom, fmt.Sprintf("own.%d", i), nil)
	}
	if err := rec.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	return srv.URL + "/api/devtools"
}

// xDevtoolsToken is the Beignet docs' pattern: a hand-written Authorize
// comparing the x-devtools-token header.
func xDevtoolsToken(r *http.Request) bool {
	return subtle.ConstantTimeCompare([]byte(r.Header.Get("x-devtools-token")), []byte(ownToken)) == 1
}

func lines(s string) int { return strings.Count(s, "\n") }

// TestAuthHeader: an app whose Authorize reads x-devtools-token refuses the
// CLI's default Bearer (and the message says how to fix it), and serves
// tail, scan, purge and doctor given --auth-header or
// $BEIGNET_DEVTOOLS_AUTH_HEADER.
func TestAuthHeader(t *testing.T) {
	base := ownApp(t, "staging", xDevtoolsToken, 5)
	tok := map[string]string{TokenEnv: ownToken}
	withEnv := map[string]string{TokenEnv: ownToken, AuthHeaderEnv: "X-Devtools-Token"}

	r := run(t, tok, "tail", "--url", base, "--since", "all", "--no-follow")
	if r.code != ExitFailure || !strings.Contains(r.stderr, "refused the token") || !strings.Contains(r.stderr, "--auth-header NAME") {
		t.Fatalf("Bearer to a header Authorize: %d %s", r.code, r.stderr)
	}
	r = run(t, tok, "tail", "--url", base, "--since", "all", "--no-follow", "--auth-header", "x-devtools-token")
	if r.code != ExitOK || lines(r.stdout) != 5 {
		t.Fatalf("tail --auth-header: %d %q %s", r.code, r.stdout, r.stderr)
	}
	r = run(t, withEnv, "tail", "--url", base, "--since", "all", "--no-follow", "--json")
	if r.code != ExitOK || lines(r.stdout) != 5 {
		t.Fatalf("tail with $%s: %d %q %s", AuthHeaderEnv, r.code, r.stdout, r.stderr)
	}
	r = run(t, withEnv, "scan", "--url", base)
	if r.code != ExitOK || !strings.Contains(r.stderr, "0 finding(s) in 0 of 5 events") {
		t.Fatalf("scan: %d %q %s", r.code, r.stdout, r.stderr)
	}
	r = run(t, tok, "doctor", "--url", base)
	if r.code != ExitOK || !strings.Contains(r.stdout, "DT207") || !strings.Contains(r.stdout, "--auth-header") {
		t.Fatalf("doctor without --auth-header: %d %s", r.code, r.stdout)
	}
	r = run(t, withEnv, "doctor", "--url", base)
	if r.code != ExitOK || !strings.Contains(r.stdout, "no problems found") {
		t.Fatalf("doctor: %d %s", r.code, r.stdout)
	}
	r = run(t, tok, "purge", "--url", base, "--keep", "2", "--auth-header", "X-Devtools-Token")
	if r.code != ExitOK || !strings.Contains(r.stdout, "removed 3 more to keep the newest 2") {
		t.Fatalf("purge: %d %q %s", r.code, r.stdout, r.stderr)
	}
	r = run(t, map[string]string{AuthHeaderEnv: "X-Devtools-Token"}, "purge", "--url", base, "--keep", "1")
	if r.code != ExitUsage || !strings.Contains(r.stderr, "needs one") {
		t.Fatalf("no token for a token route: %d %s", r.code, r.stderr)
	}
	for _, secret := range []string{r.stdout, r.stderr} {
		if strings.Contains(secret, ownToken) {
			t.Fatal("the token was printed")
		}
	}
}

// TestNoTokenRoute: a development route without Authorize serves loopback
// clients with no token; the CLI asks the route, asks for no token, and
// --no-token skips the question.
func TestNoTokenRoute(t *testing.T) {
	base := ownApp(t, "development", nil, 4)
	for _, args := range [][]string{
		{"tail", "--url", base, "--since", "all", "--no-follow"},
		{"tail", "--url", base, "--since", "all", "--no-follow", "--no-token"},
	} {
		r := run(t, nil, args...)
		if r.code != ExitOK || lines(r.stdout) != 4 {
			t.Fatalf("%q: %d %q %s", args, r.code, r.stdout, r.stderr)
		}
	}
	r := run(t, nil, "scan", "--url", base)
	if r.code != ExitOK || !strings.Contains(r.stderr, "of 4 events") {
		t.Fatalf("scan: %d %s", r.code, r.stderr)
	}
	r = run(t, nil, "purge", "--url", base, "--keep", "1", "--no-token")
	if r.code != ExitOK || !strings.Contains(r.stdout, "removed 3 more") {
		t.Fatalf("purge: %d %q %s", r.code, r.stdout, r.stderr)
	}
}

// TestRateLimited: a route that answers 429 gets "rate-limited, retry in N
// s" from every command, and doctor reports its checks as not run.
func TestRateLimited(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "6")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte(`{"error":"too many failed attempts; retry later"}` + "\n"))
	}))
	defer srv.Close()
	tok := map[string]string{TokenEnv: ownToken}
	for _, args := range [][]string{
		{"tail", "--url", srv.URL},
		{"tail", "--url", srv.URL, "--no-token"},
		{"scan", "--url", srv.URL},
		{"purge", "--url", srv.URL, "--keep", "1"},
		{"purge", "--url", srv.URL, "--keep", "1", "--no-token"},
	} {
		for _, vars := range []map[string]string{tok, nil} {
			r := run(t, vars, args...)
			if r.code != ExitFailure || !strings.Contains(r.stderr, args[0]+": rate-limited, retry in 6 s") {
				t.Errorf("%q (token %v): %d %s", args, vars != nil, r.code, r.stderr)
			}
		}
	}
	for _, vars := range []map[string]string{tok, nil} {
		r := run(t, vars, "doctor", "--url", srv.URL)
		if r.code != ExitFailure || !strings.Contains(r.stdout, "DT209") || !strings.Contains(r.stdout, "retry in 6 s") ||
			strings.Contains(r.stdout, "no problems found") {
			t.Errorf("doctor (token %v): %d %s", vars != nil, r.code, r.stdout)
		}
	}
}

// TestPromptOnlyWhenNeeded: on a terminal without a configured token, the
// CLI prompts for one only when the route answers 401 without credentials.
func TestPromptOnlyWhenNeeded(t *testing.T) {
	for _, c := range []struct {
		name      string
		authorize func(*http.Request) bool
		env       string
		prompted  bool
	}{
		{"token route", xDevtoolsToken, "staging", true},
		{"development route", nil, "development", false},
	} {
		base := ownApp(t, c.env, c.authorize, 2)
		var out, errb strings.Builder
		asked := 0
		code := Main(context.Background(), []string{"tail", "--url", base, "--since", "all", "--no-follow"}, Env{
			Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
			Getenv:        func(k string) string { return map[string]string{AuthHeaderEnv: "X-Devtools-Token"}[k] },
			StdinTerminal: true,
			ReadPassword:  func() ([]byte, error) { asked++; return []byte(ownToken + "\n"), nil },
		})
		if code != ExitOK || lines(out.String()) != 2 {
			t.Errorf("%s: exit %d, %q %s", c.name, code, out.String(), errb.String())
		}
		if got := asked == 1 && strings.Contains(errb.String(), "Devtools token for "); got != c.prompted {
			t.Errorf("%s: prompted %v (%d reads, stderr %q), want %v", c.name, got, asked, errb.String(), c.prompted)
		}
	}
}
