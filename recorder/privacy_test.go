package recorder

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/store"
)

// TestPrivacyRoutes serves a data-subject request through the route:
// export ada's events with their requests, erase them (the marker planted
// in her request's URL and her audit record leaves the file), and find
// both operations recorded as audit events that do not repeat her data.
func TestPrivacyRoutes(t *testing.T) {
	st := openStore(t)
	r := newTestRecorder(t, Config{Store: st})
	var rnd [8]byte
	rand.Read(rnd[:])
	marker := "planted" + hex.EncodeToString(rnd[:])

	h, err := r.Handler(HandlerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/api/devtools/", h)
	mux.Handle("/notes", r.Middleware(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		who := req.URL.Query().Get("user")
		r.Audit(req.Context(), Audit{Actor: who, Tenant: "acme", Action: "note.create", Outcome: "allowed",
			Metadata: map[string]any{"title": req.URL.Query().Get("title")}})
		_, _ = io.WriteString(w, "ok")
	})))
	srv := newServer(t, mux)
	for _, q := range []string{"user=ada@example.com&title=" + marker, "user=adam@example.com&title=hello", "user=ADA@example.com&title=" + marker} {
		resp, err := http.Get(srv + "/notes?" + q)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	flush(t, r)
	if !fileHas(t, st.Path(), marker) {
		t.Fatal("marker not in the store file: the test proves nothing")
	}

	post := func(path, body string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("POST", srv+"/api/devtools"+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "privacy-test/1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}

	// Export: JSON lines as stored, ada's audit records and their requests.
	resp := post("/export", `{"match":"actor:ada@example.com","withRequests":true}`)
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/x-ndjson" {
		t.Fatalf("export: %d %s: %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	kinds := map[event.Kind]int{}
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		var e event.Event
		if err := event.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("export line %q: %v", sc.Bytes(), err)
		}
		if e.Audit != nil && !strings.EqualFold(e.Audit.Actor, "ada@example.com") {
			t.Fatalf("exported %s's record", e.Audit.Actor)
		}
		kinds[e.Kind]++
	}
	if kinds[event.KindAudit] != 2 || kinds[event.KindRequest] != 2 || len(kinds) != 2 {
		t.Fatalf("exported %v, want 2 audit + 2 request", kinds)
	}
	if got := resp.Trailer.Get("Beignet-Exported"); got != "4" || resp.Trailer.Get("Beignet-Export-Error") != "" {
		t.Fatalf("trailers %v", resp.Trailer)
	}
	for _, bad := range []string{`{}`, `{"match":"nosuch:x"}`, `{"match":"x","bogus":1}`, `not json`} {
		if resp := post("/export", bad); resp.StatusCode != 400 {
			t.Errorf("export %s: %d", bad, resp.StatusCode)
		}
	}

	// Erase: 4 events, compacted, the marker's bytes gone.
	resp = post("/purge", `{"match":"actor:ada@example.com","withRequests":true}`)
	var res store.PurgeResult
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil || resp.StatusCode != 200 {
		t.Fatalf("purge: %d %v", resp.StatusCode, err)
	}
	if res.Removed != 4 || !res.Compacted || res.Widened != 2 || res.PerKind[event.KindAudit] != 2 {
		t.Fatalf("purge = %+v", res)
	}
	flush(t, r)
	for _, m := range []string{marker, "ada@example.com", "ADA@example.com"} {
		if fileHas(t, st.Path(), m) {
			t.Fatalf("%q still in the store file after the erasure (or its audit record)", m)
		}
	}

	// Both operations are audit events of the app: who, what, how many.
	var audits []event.Event
	for _, e := range allEvents(t, st) {
		if e.Kind == event.KindAudit && strings.HasPrefix(e.Name, "devtools.") {
			audits = append(audits, e)
		}
	}
	if len(audits) != 2 || audits[0].Name != "devtools.export" || audits[1].Name != "devtools.purge" {
		t.Fatalf("audit events: %+v", audits)
	}
	for _, a := range audits {
		if !strings.HasPrefix(a.Audit.Actor, "devtools client 127.0.0.1") || a.Audit.Outcome != "done" {
			t.Errorf("%s: actor %q outcome %q", a.Name, a.Audit.Actor, a.Audit.Outcome)
		}
		if a.Attrs["query"] != "actor:…" || a.Attrs["withRequests"] != true || a.Attrs["userAgent"] != "privacy-test/1" {
			t.Errorf("%s attrs %v", a.Name, a.Attrs)
		}
	}
	if n, _ := audits[0].Attrs["exported"].(json.Number); n != "4" {
		t.Errorf("export audit: exported %v", audits[0].Attrs["exported"])
	}
	if n, _ := audits[1].Attrs["removed"].(json.Number); n != "4" {
		t.Errorf("purge audit: removed %v", audits[1].Attrs["removed"])
	}
	// Refused requests do nothing and record nothing.
	if resp := post("/purge", `{"match":"actor:"}`); resp.StatusCode != 400 {
		t.Fatalf("bad match: %d", resp.StatusCode)
	}
	flush(t, r)
	if n := len(allEvents(t, st)); n != 4 { // adam's request + audit, two devtools audits
		t.Fatalf("%d events left", n)
	}
}

func TestPrivacyRoutesNeedAuthorization(t *testing.T) {
	st := openStore(t)
	r := newTestRecorder(t, Config{Store: st, Env: "staging", Enabled: ptr(true)})
	auth, _ := TokenAuth(goodToken)
	srv := devtoolsServer(t, r, HandlerOptions{Authorize: auth})
	r.Audit(context.Background(), Audit{Actor: "ada@example.com", Action: "x"})
	flush(t, r)
	for _, path := range []string{"/purge", "/export"} {
		req, _ := http.NewRequest("POST", srv.URL+"/api/devtools"+path, strings.NewReader(`{"match":"actor:ada@example.com"}`))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Fatalf("%s without a token: %d", path, resp.StatusCode)
		}
	}
	flush(t, r)
	if evs := allEvents(t, st); len(evs) != 1 {
		t.Fatalf("refused requests changed the store: %d events", len(evs))
	}
}

func fileHas(t *testing.T, path, s string) bool {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Contains(b, []byte(s))
}

func newServer(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}
