package cli

import (
	"bufio"
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/beignet/devtools/demo/app"
	"github.com/beignet/devtools/event"
)

// exportLines decodes JSON lines, failing on any that is not an event.
func exportLines(t *testing.T, b []byte) []event.Event {
	t.Helper()
	var out []event.Event
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e event.Event
		if err := event.Unmarshal(sc.Bytes(), &e); err != nil || e.V != event.SchemaVersion {
			t.Fatalf("line %q: %v", sc.Bytes(), err)
		}
		out = append(out, e)
	}
	return out
}

func TestPrivacyRequestOnFile(t *testing.T) {
	path, evs := fixtureStore(t)

	// Exact: adam is not ada.
	r := run(t, nil, "purge", "--db", path, "--match", "actor:adam@example.com", "--dry-run")
	if r.code != ExitOK || r.stdout != "purge: would remove 0 events matching \"actor:adam@example.com\"\npurge: would compact the file\n" {
		t.Fatalf("adam: %d %q %s", r.code, r.stdout, r.stderr)
	}
	r = run(t, nil, "purge", "--db", path, "--match", "actor:ADA@example.com", "--with-requests", "--dry-run")
	want := "purge: would remove 5 events matching \"actor:ADA@example.com\", with their requests\n" +
		"purge:   audit 1, error 1, log 1, provider 1, request 1 (4 through --with-requests); recorded 2026-11-29T11:30:00Z to 2026-11-29T11:30:00Z\n" +
		"purge: would compact the file\n"
	if r.code != ExitOK || r.stdout != want {
		t.Fatalf("dry run:\n%q\nwant\n%q\n%s", r.stdout, want, r.stderr)
	}

	// Export: the same five, to a new 0600 file; never over an existing one.
	out := filepath.Join(t.TempDir(), "ada.jsonl")
	r = run(t, nil, "export", "--db", path, "--match", "actor:ada@example.com", "--with-requests", "-o", out)
	if r.code != ExitOK || !strings.HasPrefix(r.stderr, "export: wrote 5 events to "+out+"\nexport:   audit 1, error 1,") {
		t.Fatalf("export: %d %q %q", r.code, r.stdout, r.stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got := exportLines(t, b)
	if len(got) != 5 || got[0].RequestID != "r1" || got[4].RequestID != "r1" {
		t.Fatalf("exported %d events: %+v", len(got), got)
	}
	if fi, _ := os.Stat(out); fi.Mode().Perm() != 0o600 {
		t.Fatalf("export file mode %v", fi.Mode().Perm())
	}
	r = run(t, nil, "export", "--db", path, "--match", "tenant:acme", "-o", out)
	if r.code != ExitUsage || !strings.Contains(r.stderr, "exists") {
		t.Fatalf("export over a file: %d %s", r.code, r.stderr)
	}
	if b2, _ := os.ReadFile(out); !bytes.Equal(b, b2) {
		t.Fatal("the refused export changed the existing file")
	}
	r = run(t, nil, "export", "--db", path, "--match", "tenant:acme")
	if r.code != ExitOK || len(exportLines(t, []byte(r.stdout))) != 1 || !strings.Contains(r.stderr, "wrote 1 events to stdout") {
		t.Fatalf("export to stdout: %d %q %s", r.code, r.stdout, r.stderr)
	}
	for _, args := range [][]string{
		{"export", "--db", path},
		{"export", "--db", path, "--match", "nosuch:x"},
		{"purge", "--db", path, "--match", `"open`},
		{"purge", "--db", path, "--with-requests"},
		{"purge", "--db", path, "--match", "x", "--compact", "--no-compact"},
	} {
		if r := run(t, nil, args...); r.code != ExitUsage {
			t.Errorf("%q: %d %s", args, r.code, r.stderr)
		}
	}

	// Erase: removed, compacted, ada's address is no longer in the file.
	if raw, _ := os.ReadFile(path); !bytes.Contains(raw, []byte("ada@example.com")) {
		t.Fatal("the fixture does not hold ada's address: the test proves nothing")
	}
	r = run(t, nil, "purge", "--db", path, "--match", "actor:ada@example.com", "--with-requests")
	if r.code != ExitOK || !strings.HasPrefix(r.stdout, "purge: removed 5 events matching") ||
		!strings.HasSuffix(r.stdout, "purge: compacted the file: the removed events' bytes are gone from it\n") {
		t.Fatalf("erase: %d %q %s", r.code, r.stdout, r.stderr)
	}
	if raw, _ := os.ReadFile(path); bytes.Contains(raw, []byte("ada@example.com")) || bytes.Contains(raw, []byte("payments charges.create")) {
		t.Fatal("ada's data is still in the file after the erasure")
	}
	if n := count(t, path); n != len(evs)-5 {
		t.Fatalf("%d events left, want %d", n, len(evs)-5)
	}
}

// TestPrivacyRequestThroughApp signs ada in to the demo app, exports and
// erases her events through the route, and finds the erasure recorded.
func TestPrivacyRequestThroughApp(t *testing.T) {
	srv, _ := startDemo(t)
	for _, email := range []string{"ada@example.com", "grace@example.com"} {
		resp, err := http.Post(srv.URL+"/signin", "application/json", strings.NewReader(`{"email":"`+email+`","password":"`+app.DemoPassword+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	flush := func() {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.App.Recorder().Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	flush()
	if n := len(stored(t, srv, event.KindAudit)); n != 2 {
		t.Fatalf("%d sign-in audits", n)
	}
	tok := map[string]string{TokenEnv: srv.App.Token()}

	r := run(t, tok, "export", "--url", srv.URL, "--match", "actor:ada@example.com", "--with-requests")
	got := exportLines(t, []byte(r.stdout))
	if r.code != ExitOK || len(got) < 2 || !strings.Contains(r.stderr, "export: wrote ") {
		t.Fatalf("export --url: %d %d events %s", r.code, len(got), r.stderr)
	}
	for _, e := range got {
		if e.Audit != nil && e.Audit.Actor != "ada@example.com" {
			t.Fatalf("exported %s", e.Audit.Actor)
		}
	}
	r = run(t, tok, "purge", "--url", srv.URL, "--match", "actor:ada@example.com", "--with-requests")
	if r.code != ExitOK || !strings.Contains(r.stdout, "compacted the file") {
		t.Fatalf("purge --url: %d %q %s", r.code, r.stdout, r.stderr)
	}
	flush()
	audits := stored(t, srv, event.KindAudit)
	if len(audits) != 3 {
		t.Fatalf("%d audit events", len(audits))
	}
	// Newest first: purge, export, grace's sign-in.
	if audits[0].Name != "devtools.purge" || audits[1].Name != "devtools.export" || audits[2].Audit.Actor != "grace@example.com" {
		t.Fatalf("audits: %s, %s, %s", audits[0].Name, audits[1].Name, audits[2].Name)
	}
	for _, e := range stored(t, srv) {
		raw, _ := event.Marshal(&e)
		if bytes.Contains(raw, []byte("ada@example.com")) {
			t.Fatalf("ada's address is still stored: %s", raw)
		}
	}
}
