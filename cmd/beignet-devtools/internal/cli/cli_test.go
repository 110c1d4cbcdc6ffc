package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/beignet/devtools/demo/app"
	"github.com/beignet/devtools/demo/demotest"
	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/store"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

type result struct {
	code           int
	stdout, stderr string
}

// run runs the command line in-process with the given environment.
func run(t *testing.T, vars map[string]string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	env := Env{
		Stdin:  strings.NewReader(""),
		Stdout: &out,
		Stderr: &errb,
		Getenv: func(k string) string { return vars[k] },
		Now:    func() time.Time { return testNow },
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	code := Main(ctx, args, env)
	return result{code, out.String(), errb.String()}
}

var testNow = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

func TestUsageAndExitCodes(t *testing.T) {
	db := filepath.Join(t.TempDir(), "x.db")
	cases := []struct {
		args []string
		code int
		want string // in stderr (or stdout for code 0)
	}{
		{[]string{"nope"}, ExitUsage, "unknown command"},
		{[]string{"tail"}, ExitUsage, "needs --url URL or --db PATH"},
		{[]string{"tail", "--url", "http://127.0.0.1:1", "--db", db}, ExitUsage, "not both"},
		{[]string{"tail", "--token", "abc", "--url", "http://127.0.0.1:1"}, ExitUsage, "there is no --token flag"},
		{[]string{"console", "--token", "abc"}, ExitUsage, "unknown flag: --token"},
		{[]string{"tail", "--db", db, "extra"}, ExitUsage, "takes no arguments"},
		{[]string{"tail", "--db", db, "--filter", "bogus:1"}, ExitUsage, "--filter"},
		{[]string{"tail", "--db", db, "--since", "yesterday-ish"}, ExitUsage, "--since"},
		{[]string{"tail", "--url", "http://127.0.0.1:1/api/devtools?token=abc"}, ExitUsage, "query string"},
		{[]string{"tail", "--url", "http://u:p@127.0.0.1:1"}, ExitUsage, "credentials in the URL"},
		{[]string{"tail", "--url", "http://127.0.0.1:1"}, ExitFailure, "cannot connect"},
		{[]string{"tail", "--url", "http://127.0.0.1:1", "--no-token", "--token-file", db}, ExitUsage, "contradict"},
		{[]string{"tail", "--url", "http://127.0.0.1:1", "--auth-header", "X Token"}, ExitUsage, "not a header name"},
		{[]string{"purge", "--url", "http://127.0.0.1:1", "--keep", "1", "--auth-header", "Cookie"}, ExitUsage, "reserved"},
		{[]string{"purge", "--db", db}, ExitUsage, "purge needs"},
		{[]string{"purge", "--db", db, "--older-than", "soon"}, ExitUsage, "--older-than"},
		{[]string{"purge", "--db", db, "--older-than", "1h", "--kind", "bogus"}, ExitUsage, "unknown kind"},
		{[]string{"purge", "--db", db, "--keep", "-1"}, ExitUsage, "--keep"},
		{[]string{"console", "--db", db}, ExitUsage, "needs a terminal"},
		{[]string{"demo"}, ExitUsage, "needs a terminal"},
		{[]string{"demo", "--headless", "--rate", "-1"}, ExitUsage, "--rate"},
		{[]string{"scan"}, ExitUsage, "needs --url URL or --db PATH"},
		{[]string{"doctor", "--dir", filepath.Join(t.TempDir(), "missing")}, ExitUsage, "source dir"},
		{[]string{"version"}, ExitOK, "beignet-devtools "},
		{[]string{"--version"}, ExitOK, "protocol beignet-devtools.v1"},
		{[]string{"completion", "bash"}, ExitOK, "beignet-devtools"},
		{[]string{"completion", "zsh"}, ExitOK, "compdef"},
	}
	for _, c := range cases {
		r := run(t, nil, c.args...)
		text := r.stderr
		if c.code == ExitOK {
			text = r.stdout
		}
		if r.code != c.code || !strings.Contains(text, c.want) {
			t.Errorf("%q: exit %d, want %d with %q\nstdout: %s\nstderr: %s", c.args, r.code, c.code, c.want, r.stdout, r.stderr)
		}
	}
}

func TestEveryCommandHasHelpWithExample(t *testing.T) {
	for _, cmd := range []string{"demo", "console", "tail", "purge", "export", "doctor", "scan", "version"} {
		r := run(t, nil, cmd, "--help")
		if r.code != ExitOK || !strings.Contains(r.stdout, "Examples:") || !strings.Contains(r.stdout, "beignet-devtools "+cmd) {
			t.Errorf("%s --help: exit %d\n%s", cmd, r.code, r.stdout)
		}
	}
	r := run(t, nil, "--help")
	if r.code != ExitOK || !strings.Contains(r.stdout, "Examples:") || !strings.Contains(r.stdout, "completion") {
		t.Errorf("root --help: %d\n%s", r.code, r.stdout)
	}
}

// fixtureStore writes a store with events at known times and returns its
// path and the events, oldest first.
func fixtureStore(t *testing.T) (string, []event.Event) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "data", "devtools.db")
	s, err := store.Open(path, store.Options{NoSync: true, MaxAge: -1, MaxEvents: -1, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	at := func(ago time.Duration) time.Time { return testNow.Add(-ago) }
	evs := []event.Event{
		{Kind: event.KindRequest, Time: at(72 * time.Hour), Name: "GET /old", RequestID: "r-old", Status: 200, DurationNs: int64(1500 * time.Microsecond),
			HTTP: &event.HTTP{Method: "GET", URL: "http://127.0.0.1:8080/old?x=1", Route: "GET /old", Status: 200}},
		{Kind: event.KindLog, Time: at(48 * time.Hour), Name: "old log", Level: "INFO", Message: "old log"},
		{Kind: event.KindRequest, Time: at(30 * time.Minute), Name: "POST /checkout", RequestID: "r1", Status: 402, DurationNs: int64(41200 * time.Microsecond),
			HTTP: &event.HTTP{Method: "POST", URL: "http://127.0.0.1:8080/checkout", Route: "POST /checkout", Status: 402}},
		{Kind: event.KindProvider, Time: at(30 * time.Minute), Name: "payments charges.create", RequestID: "r1", Status: 402, DurationNs: int64(35 * time.Millisecond),
			Provider: &event.Provider{Name: "payments", Operation: "charges.create", Method: "POST", URL: "http://127.0.0.1:9/v1/charges", Status: 402}},
		{Kind: event.KindAudit, Time: at(30 * time.Minute), Name: "payment.charge", RequestID: "r1",
			Audit: &event.Audit{Actor: "ada@example.com", Tenant: "acme", Action: "payment.charge", Resource: "tenant:acme", Outcome: "declined"}},
		{Kind: event.KindLog, Time: at(30 * time.Minute), Name: "payment declined", RequestID: "r1", Level: "WARN", Message: "payment declined\x1b[31m"},
		{Kind: event.KindError, Time: at(30 * time.Minute), Name: "payment declined", RequestID: "r1"},
	}
	for i := range evs {
		evs[i].V = event.SchemaVersion
		evs[i].ID = event.IDFromTime(evs[i].Time)
		evs[i].ID[15] = byte(i + 1) // distinct IDs within one millisecond
	}
	if err := s.Append(evs...); err != nil {
		t.Fatal(err)
	}
	return path, evs
}

func TestTailDBFormatAndJSON(t *testing.T) {
	path, evs := fixtureStore(t)
	r := run(t, nil, "tail", "--db", path)
	if r.code != ExitOK {
		t.Fatalf("tail: %d %s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if len(lines) != len(evs) {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(evs), r.stdout)
	}
	want := []string{
		"2026-11-26T12:00:00.000Z request  GET /old 200 1.5ms  req=r-old  id=" + evs[0].ID.String(),
		"2026-11-27T12:00:00.000Z log      INFO old log  id=" + evs[1].ID.String(),
		"2026-11-29T11:30:00.000Z request  POST /checkout 402 41.2ms  req=r1  id=" + evs[2].ID.String(),
		"2026-11-29T11:30:00.000Z provider payments charges.create POST 402 35.0ms  req=r1  id=" + evs[3].ID.String(),
		"2026-11-29T11:30:00.000Z audit    ada@example.com payment.charge tenant:acme declined tenant=acme  req=r1  id=" + evs[4].ID.String(),
		"2026-11-29T11:30:00.000Z log      WARN payment declined\\x1b[31m  req=r1  id=" + evs[5].ID.String(),
		"2026-11-29T11:30:00.000Z error    payment declined  req=r1  id=" + evs[6].ID.String(),
	}
	for i := range want {
		if lines[i] != want[i] {
			t.Errorf("line %d:\n got %q\nwant %q", i, lines[i], want[i])
		}
	}

	r = run(t, nil, "tail", "--db", path, "--json", "--filter", "req:r1 -kind:log")
	if r.code != ExitOK {
		t.Fatalf("tail --json: %d %s", r.code, r.stderr)
	}
	jl := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if len(jl) != 4 {
		t.Fatalf("filtered JSON lines: %d\n%s", len(jl), r.stdout)
	}
	for _, l := range jl {
		var e event.Event
		if err := event.Unmarshal([]byte(l), &e); err != nil || e.RequestID != "r1" || e.Kind == event.KindLog {
			t.Errorf("bad JSON line %q: %v", l, err)
		}
		again, _ := event.Marshal(&e)
		if string(again) != l {
			t.Errorf("JSON line is not the schema v1 encoding:\n%s\n%s", l, again)
		}
	}

	// -n N: the newest N, oldest first, like Unix tail.
	ids := func(out string) []string {
		var got []string
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			if _, id, ok := strings.Cut(l, "id="); ok {
				got = append(got, id)
			}
		}
		return got
	}
	for _, c := range []struct {
		args []string
		want []int
	}{
		{[]string{"-n", "3"}, []int{4, 5, 6}},
		{[]string{"-n", "1", "--since", evs[4].ID.String()}, []int{6}},
		{[]string{"-n", "5", "--since", evs[4].ID.String()}, []int{5, 6}},
		{[]string{"-n", "2", "--filter", "kind:request"}, []int{0, 2}},
		{[]string{"-n", "100"}, []int{0, 1, 2, 3, 4, 5, 6}},
	} {
		r = run(t, nil, append([]string{"tail", "--db", path}, c.args...)...)
		var want []string
		for _, i := range c.want {
			want = append(want, evs[i].ID.String())
		}
		if got := ids(r.stdout); r.code != ExitOK || strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("tail --db %q: %d\n got %v\nwant %v", c.args, r.code, got, want)
		}
	}
	r = run(t, nil, "tail", "--db", path, "--since", "1h")
	if r.code != ExitOK || strings.Count(r.stdout, "\n") != 5 {
		t.Errorf("--since 1h: %d %q", r.code, r.stdout)
	}
}

func TestTailDBErrors(t *testing.T) {
	r := run(t, nil, "tail", "--db", filepath.Join(t.TempDir(), "missing.db"))
	if r.code != ExitFailure || !strings.Contains(r.stderr, "tail:") {
		t.Errorf("missing file: %d %s", r.code, r.stderr)
	}
	notdb := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(notdb, bytes.Repeat([]byte("hello "), 2000), 0o600); err != nil {
		t.Fatal(err)
	}
	r = run(t, nil, "tail", "--db", notdb)
	if r.code != ExitFailure || !strings.Contains(r.stderr, "store") {
		t.Errorf("not a store: %d %s", r.code, r.stderr)
	}
}

func count(t *testing.T, path string) int {
	t.Helper()
	s, err := store.Open(path, store.Options{ReadOnly: true, MaxAge: -1, MaxEvents: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	st, err := s.Stats()
	if err != nil {
		t.Fatal(err)
	}
	return st.Count
}

// bytesStay is what purge says after removing events without --compact.
const bytesStay = "purge: the removed events' bytes stay in the file's free pages until it is compacted; --compact rewrites it now\n"

func TestPurgeFile(t *testing.T) {
	path, evs := fixtureStore(t)
	r := run(t, nil, "purge", "--db", path, "--older-than", "1d", "--dry-run")
	if r.code != ExitOK || r.stdout != "purge: would remove 2 events older than 1d\npurge:   log 1, request 1; recorded 2026-11-26T12:00:00Z to 2026-11-27T12:00:00Z\n" {
		t.Fatalf("dry run: %d %q %s", r.code, r.stdout, r.stderr)
	}
	if n := count(t, path); n != len(evs) {
		t.Fatalf("dry run changed the file: %d events", n)
	}
	r = run(t, nil, "purge", "--db", path, "--older-than", "0", "--kind", "log,error")
	if r.code != ExitOK || r.stdout != "purge: removed 3 log,error events (all ages)\n"+bytesStay {
		t.Fatalf("kinds: %d %q %s", r.code, r.stdout, r.stderr)
	}
	r = run(t, nil, "purge", "--db", path, "--older-than", "24h")
	if r.code != ExitOK || r.stdout != "purge: removed 1 events older than 24h\n"+bytesStay {
		t.Fatalf("older-than: %d %q %s", r.code, r.stdout, r.stderr)
	}
	r = run(t, nil, "purge", "--db", path, "--keep", "1", "--compact")
	if r.code != ExitOK || r.stdout != "purge: removed 2 more to keep the newest 1\npurge: compacted the file\n" {
		t.Fatalf("keep: %d %q %s", r.code, r.stdout, r.stderr)
	}
	if n := count(t, path); n != 1 {
		t.Fatalf("after purges: %d events, want 1", n)
	}
}

func TestPurgeFileLockedSaysUseURL(t *testing.T) {
	path, _ := fixtureStore(t)
	s, err := store.Open(path, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r := run(t, nil, "purge", "--db", path, "--older-than", "1h")
	if r.code != ExitFailure || !strings.Contains(r.stderr, "locked") || !strings.Contains(r.stderr, "purge --url") {
		t.Fatalf("locked: %d %s", r.code, r.stderr)
	}
}

// startDemo runs the demo app with a few requests recorded.
func startDemo(t *testing.T) (*app.Server, func()) {
	t.Helper()
	srv, stop := demotest.Start(t, app.Options{})
	tr := &http.Transport{}
	c := &http.Client{Transport: tr}
	for _, p := range []string{"/healthz", "/fail", "/notes", "/healthz"} {
		resp, err := c.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	tr.CloseIdleConnections()
	return srv, stop
}

// stored lists the app's stored events of the given kinds (all when
// none). It uses List, not Stats: store.Stats is not safe beside writes
// (bbolt's DB.Info races with a remap).
func stored(t *testing.T, srv *app.Server, kinds ...event.Kind) []event.Event {
	t.Helper()
	page, err := srv.App.Recorder().Store().List(store.Query{Kinds: kinds, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return page.Events
}

// waitStored waits until the app's store holds at least n events.
func waitStored(t *testing.T, srv *app.Server, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if len(stored(t, srv)) >= n {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("store did not reach %d events", n)
}

func TestPurgeURL(t *testing.T) {
	srv, _ := startDemo(t)
	waitStored(t, srv, 6)
	tok := map[string]string{TokenEnv: srv.App.Token()}

	r := run(t, tok, "purge", "--url", srv.URL, "--older-than", "0", "--kind", "request", "--dry-run")
	if r.code != ExitOK || !strings.HasPrefix(r.stdout, "purge: would remove 4 request events (all ages)\npurge:   request 4; recorded ") {
		t.Fatalf("dry run: %d %q %s", r.code, r.stdout, r.stderr)
	}
	r = run(t, tok, "purge", "--url", srv.DevtoolsURL, "--older-than", "0", "--kind", "request")
	if r.code != ExitOK || r.stdout != "purge: removed 4 request events (all ages)\n"+bytesStay {
		t.Fatalf("purge: %d %q %s", r.code, r.stdout, r.stderr)
	}
	if n, all := len(stored(t, srv, event.KindRequest)), len(stored(t, srv)); n != 0 || all == 0 {
		t.Fatalf("after purge: %d requests of %d events", n, all)
	}
	tokFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokFile, []byte("wrong-token-0123456789abcdef0123456789\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r = run(t, nil, "purge", "--url", srv.URL, "--token-file", tokFile, "--keep", "1")
	if r.code != ExitFailure || !strings.Contains(r.stderr, "refused the token") {
		t.Fatalf("wrong token: %d %s", r.code, r.stderr)
	}
	r = run(t, tok, "scan", "--url", srv.URL)
	if r.code != ExitOK || !strings.Contains(r.stderr, "0 finding(s)") {
		t.Fatalf("scan --url: %d %q %s", r.code, r.stdout, r.stderr)
	}
	r = run(t, tok, "purge", "--url", "http://127.0.0.1:1", "--keep", "1")
	if r.code != ExitFailure || !strings.Contains(r.stderr, "cannot reach") {
		t.Fatalf("unreachable: %d %s", r.code, r.stderr)
	}
	for _, cmd := range [][]string{{"purge", "--keep", "1"}, {"scan"}} {
		r = run(t, tok, append(cmd, "--url", srv.URL+"/not-devtools/ws")...)
		if r.code != ExitFailure || !strings.Contains(r.stderr, "nothing serves devtools at") {
			t.Fatalf("%s, wrong base path: %d %s", cmd[0], r.code, r.stderr)
		}
	}
}

func TestTailURL(t *testing.T) {
	srv, _ := startDemo(t)
	waitStored(t, srv, 6)
	tok := map[string]string{TokenEnv: srv.App.Token()}
	r := run(t, tok, "tail", "--url", srv.URL, "--since", "all", "--no-follow", "--json", "--filter", "kind:request")
	if r.code != ExitOK {
		t.Fatalf("tail: %d %s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 4 {
		t.Fatalf("want 4 request lines, got %d:\n%s", len(lines), r.stdout)
	}
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil || m["kind"] != "request" || m["v"] != float64(1) {
			t.Errorf("bad line %q", l)
		}
	}
	r = run(t, tok, "tail", "--url", srv.DevtoolsURL+"/ws", "--since", "all", "-n", "2")
	if r.code != ExitOK || strings.Count(r.stdout, "\n") != 2 {
		t.Fatalf("-n 2: %d %q %s", r.code, r.stdout, r.stderr)
	}
	r = run(t, map[string]string{TokenEnv: "not-the-token-0123456789abcdef0123456789"}, "tail", "--url", srv.URL)
	if r.code != ExitFailure || !strings.Contains(r.stderr, "refused the token") {
		t.Fatalf("bad token: %d %s", r.code, r.stderr)
	}
	r = run(t, tok, "tail", "--url", "http://127.0.0.1:1")
	if r.code != ExitFailure || !strings.Contains(r.stderr, "cannot connect") {
		t.Fatalf("unreachable: %d %s", r.code, r.stderr)
	}
	r = run(t, tok, "tail", "--url", srv.URL+"/not-devtools/ws", "--retry")
	if r.code != ExitFailure || !strings.Contains(r.stderr, "nothing serves devtools at") || !strings.Contains(r.stderr, "base path") {
		t.Fatalf("wrong base path: %d %s", r.code, r.stderr)
	}
}

func TestDoctorCommand(t *testing.T) {
	fixtures := filepath.Join("..", "doctor", "testdata", "src")
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"doctor", "--dir", filepath.Join(fixtures, "clean")}, ExitOK, "no problems found"},
		{[]string{"doctor", "--dir", filepath.Join(fixtures, "long-retention")}, ExitOK, "DT103"},
		{[]string{"doctor", "--strict", "--dir", filepath.Join(fixtures, "long-retention")}, ExitFailure, "DT103"},
		{[]string{"doctor", "--dir", filepath.Join(fixtures, "hardcoded-token")}, ExitFailure, "DT104"},
		{[]string{"doctor", "--dir", filepath.Join(fixtures, "public-store")}, ExitFailure, "main.go:12"},
	}
	for _, c := range cases {
		r := run(t, nil, c.args...)
		if r.code != c.code || !strings.Contains(r.stdout, c.want) {
			t.Errorf("%q: %d, want %d with %q\n%s%s", c.args, r.code, c.code, c.want, r.stdout, r.stderr)
		}
	}
	r := run(t, nil, "doctor", "--json", "--dir", filepath.Join(fixtures, "no-authorize"))
	var f struct{ ID, Severity, Where, Message, Fix string }
	if r.code != ExitOK || json.Unmarshal([]byte(r.stdout), &f) != nil || f.ID != "DT101" || f.Severity != "warning" || f.Where != "main.go:10" {
		t.Errorf("--json: %d %q", r.code, r.stdout)
	}

	// A store file readable by others.
	path, _ := fixtureStore(t)
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	r = run(t, nil, "doctor", "--db", path)
	if r.code != ExitFailure || !strings.Contains(r.stdout, "DT301") || !strings.Contains(r.stdout, "chmod 600") {
		t.Errorf("loose db: %d %s", r.code, r.stdout)
	}
	_ = os.Chmod(path, 0o600)
	r = run(t, nil, "doctor", "--db", path)
	if r.code != ExitOK || !strings.Contains(r.stdout, "no problems") {
		t.Errorf("ok db: %d %s", r.code, r.stdout)
	}

	// A running app with a token: clean.
	srv, _ := startDemo(t)
	r = run(t, map[string]string{TokenEnv: srv.App.Token()}, "doctor", "--url", srv.URL)
	if r.code != ExitOK || !strings.Contains(r.stdout, "no problems") {
		t.Errorf("url: %d %s", r.code, r.stdout)
	}
	r = run(t, nil, "doctor", "--url", "http://127.0.0.1:1")
	if r.code != ExitFailure || !strings.Contains(r.stdout, "DT206") {
		t.Errorf("unreachable url: %d %s", r.code, r.stdout)
	}
}

func TestScanDB(t *testing.T) {
	path, _ := fixtureStore(t)
	r := run(t, nil, "scan", "--db", path)
	if r.code != ExitOK || r.stdout != "" || !strings.Contains(r.stderr, "0 finding(s) in 0 of 7 events") {
		t.Fatalf("clean: %d %q %q", r.code, r.stdout, r.stderr)
	}
	// An event that got past redaction.
	leak := "sk_" + "live_" + "abcdefghijklmnop1234"
	s, err := store.Open(path, store.Options{NoSync: true, MaxAge: -1, MaxEvents: -1})
	if err != nil {
		t.Fatal(err)
	}
	e := event.Event{V: 1, ID: event.IDFromTime(testNow), Time: testNow, Kind: event.KindProvider, Name: "payments charges.create",
		HTTP: &event.HTTP{Method: "POST", URL: "http://127.0.0.1:9/v1/charges", RequestHeaders: map[string][]string{"X-Api-Key": {leak}}}}
	e.ID[15] = 7
	if err := s.Append(e); err != nil {
		t.Fatal(err)
	}
	s.Close()
	r = run(t, nil, "scan", "--db", path)
	if r.code != ExitFailure {
		t.Fatalf("leak not reported: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, e.ID.String()+"  http.requestHeaders.X-Api-Key  ") || strings.Contains(r.stdout+r.stderr, leak) {
		t.Fatalf("report: %q", r.stdout)
	}
}
