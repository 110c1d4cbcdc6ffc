package cli

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/recorder"
)

// fleetApp is one instance of a staging app on ln: the recorder named
// instance (empty: none), behind the x-devtools-token Authorize. It
// returns the recorder, to record into, and the app's URL.
func fleetApp(t *testing.T, ln net.Listener, instance string) (*recorder.Recorder, string) {
	t.Helper()
	enabled := true
	rec, err := recorder.New(recorder.Config{App: "shop", Instance: instance, Env: "staging", Enabled: &enabled, StorePath: filepath.Join(t.TempDir(), "devtools.db")})
	if err != nil {
		t.Fatal(err)
	}
	h, err := rec.Handler(recorder.HandlerOptions{Authorize: xDevtoolsToken})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/api/devtools/", h)
	srv := &http.Server{Handler: rec.Middleware(mux)}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		_ = srv.Close()
		_ = rec.Close(context.Background())
	})
	return rec, "http://" + ln.Addr().String()
}

func listen(t *testing.T, addr string) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// recordRounds records rounds custom events in each recorder, round by
// round, so that the instances' events interleave in time.
func recordRounds(t *testing.T, recs []*recorder.Recorder, rounds int) {
	t.Helper()
	for r := range rounds {
		for i, rec := range recs {
			rec.Event(context.Background(), event.KindCustom, fmt.Sprintf("i%d.r%d", i, r), nil)
			if err := rec.Flush(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func runFleet(t *testing.T, lookup func(context.Context, string) ([]string, error), args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	env := Env{
		Stdin:  strings.NewReader(""),
		Stdout: &out,
		Stderr: &errb,
		Getenv: func(k string) string {
			return map[string]string{TokenEnv: ownToken, AuthHeaderEnv: "X-Devtools-Token"}[k]
		},
		Now:        func() time.Time { return testNow },
		LookupHost: lookup,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	code := Main(ctx, args, env)
	return result{code, out.String(), errb.String()}
}

// jsonLines decodes tail --json output.
func jsonLines(t *testing.T, out string) []event.Event {
	t.Helper()
	var evs []event.Event
	for l := range strings.Lines(out) {
		var e event.Event
		if err := event.Unmarshal([]byte(strings.TrimSpace(l)), &e); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		evs = append(evs, e)
	}
	return evs
}

// TestTailFleetUnion: tail over three instances, one of them down, prints
// the union of the two live ones' histories in ID (recording) order, each
// line keeping its instance (the address of the URL for an app that names
// none), and says which instance it could not follow.
func TestTailFleetUnion(t *testing.T) {
	recA, urlA := fleetApp(t, listen(t, "127.0.0.1:0"), "web-1")
	recB, urlB := fleetApp(t, listen(t, "127.0.0.1:0"), "")
	dead := listen(t, "127.0.0.1:0")
	deadURL := "http://" + dead.Addr().String()
	dead.Close()
	const rounds = 40
	recordRounds(t, []*recorder.Recorder{recA, recB}, rounds)

	r := runFleet(t, nil, "tail", "--url", urlA, "--url", deadURL, "--url", urlB, "--since", "all", "--no-follow", "--json")
	if r.code != ExitOK {
		t.Fatalf("tail over a fleet with one instance down: exit %d\n%s", r.code, r.stderr)
	}
	evs := jsonLines(t, r.stdout)
	if len(evs) != 2*rounds {
		t.Fatalf("got %d events, want the union of %d", len(evs), 2*rounds)
	}
	if !slices.IsSortedFunc(evs, func(a, b event.Event) int { return a.ID.Compare(b.ID) }) {
		t.Fatal("the union is not in recording order")
	}
	hostB := strings.TrimPrefix(urlB, "http://")
	per := map[string]int{}
	for _, e := range evs {
		per[e.Instance]++
		if want := map[bool]string{true: "web-1", false: hostB}[strings.HasPrefix(e.Name, "i0.")]; e.Instance != want {
			t.Fatalf("event %s has instance %q, want %q", e.Name, e.Instance, want)
		}
	}
	if per["web-1"] != rounds || per[hostB] != rounds {
		t.Fatalf("events per instance: %v", per)
	}
	if !strings.Contains(r.stderr, dead.Addr().String()) || !strings.Contains(r.stderr, "following the others") {
		t.Fatalf("stderr does not name the instance that is down:\n%s", r.stderr)
	}

	// Readable lines name the instance too.
	r = runFleet(t, nil, "tail", "--url", urlA, "--url", urlB, "--since", "all", "--no-follow", "--filter", "i0.r1")
	if r.code != ExitOK || !strings.Contains(r.stdout, "web-1") {
		t.Fatalf("readable: %d %q %s", r.code, r.stdout, r.stderr)
	}

	// No instance reachable: a failure naming them.
	r = runFleet(t, nil, "tail", "--url", deadURL, "--url", deadURL+"/api/devtools", "--since", "all", "--no-follow")
	if r.code != ExitFailure || !strings.Contains(r.stderr, "no instance could be followed") {
		t.Fatalf("all down: %d %s", r.code, r.stderr)
	}
	// One-instance commands refuse several URLs.
	r = runFleet(t, nil, "purge", "--url", urlA, "--url", urlB, "--older-than", "1h")
	if r.code != ExitUsage || !strings.Contains(r.stderr, "takes one --url") {
		t.Fatalf("purge with two URLs: %d %s", r.code, r.stderr)
	}
}

// TestTailEachAddress: a name that resolves to two addresses (as a
// headless Service does) is followed at each, one stream per address, with
// the Host header kept as the name.
func TestTailEachAddress(t *testing.T) {
	lnA := listen(t, "127.0.0.1:0")
	port := lnA.Addr().(*net.TCPAddr).Port
	lnB, err := net.Listen("tcp", fmt.Sprintf("[::1]:%d", port))
	if err != nil {
		lnA.Close()
		t.Skipf("no ::1 listener on port %d: %v", port, err)
	}
	recA, _ := fleetApp(t, lnA, "pod-a")
	recB, _ := fleetApp(t, lnB, "pod-b")
	recordRounds(t, []*recorder.Recorder{recA, recB}, 5)
	var asked []string
	lookup := func(_ context.Context, host string) ([]string, error) {
		asked = append(asked, host)
		return []string{"127.0.0.1", "::1"}, nil
	}
	url := fmt.Sprintf("http://devtools.shop.svc:%d", port)
	r := runFleet(t, lookup, "tail", "--url", url, "--each-address", "--since", "all", "--no-follow", "--json")
	if r.code != ExitOK {
		t.Fatalf("--each-address: %d %s", r.code, r.stderr)
	}
	if !slices.Equal(asked, []string{"devtools.shop.svc"}) {
		t.Fatalf("resolved %v", asked)
	}
	per := map[string]int{}
	for _, e := range jsonLines(t, r.stdout) {
		per[e.Instance]++
	}
	if per["pod-a"] != 5 || per["pod-b"] != 5 || len(per) != 2 {
		t.Fatalf("events per instance through one name: %v", per)
	}
	// Without --each-address the name itself is dialled (and fails here).
	r = runFleet(t, lookup, "tail", "--each-address")
	if r.code != ExitUsage {
		t.Fatalf("--each-address without --url: %d", r.code)
	}
}
