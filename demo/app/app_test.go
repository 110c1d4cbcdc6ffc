package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/beignet/devtools/demo/app"
	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/store"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

type client struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newClient(t *testing.T, base string) *client {
	jar, _ := cookiejar.New(nil)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &client{t: t, base: base, c: &http.Client{Jar: jar, Transport: tr, Timeout: 10 * time.Second}}
}

func (c *client) do(method, path, ct string, body string, hdr ...string) (int, string, http.Header) {
	c.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.c.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func start(t *testing.T) (*app.Server, string) {
	t.Helper()
	db := filepath.Join(t.TempDir(), "state", "devtools.db")
	srv, err := app.Start(app.Options{StorePath: db, SlowDelay: 60 * time.Millisecond}, "")
	if err != nil {
		t.Fatal(err)
	}
	return srv, db
}

func TestEndpointsAndEvents(t *testing.T) {
	srv, db := start(t)
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := srv.Shutdown(ctx); err != nil {
				t.Errorf("shutdown: %v", err)
			}
		}
	}
	defer stop()
	if !strings.HasPrefix(srv.URL, "http://127.0.0.1:") || srv.DevtoolsURL != srv.URL+"/api/devtools" {
		t.Fatalf("URLs: %s %s", srv.URL, srv.DevtoolsURL)
	}
	if len(srv.App.Token()) < 32 {
		t.Fatalf("token too short")
	}
	c := newClient(t, srv.URL)

	if st, _, _ := c.do("GET", "/notes", "", ""); st != http.StatusUnauthorized {
		t.Fatalf("notes without session: %d", st)
	}
	if st, _, _ := c.do("POST", "/signin", "application/json", `{"email":"ada@example.com","password":"nope-nope"}`); st != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", st)
	}
	form := url.Values{"email": {"ada@example.com"}, "password": {app.DemoPassword}}.Encode()
	if st, body, _ := c.do("POST", "/signin", "application/x-www-form-urlencoded", form); st != http.StatusOK {
		t.Fatalf("form sign-in: %d %s", st, body)
	}
	st, body, _ := c.do("POST", "/notes", "application/json", `{"title":"t1","body":"b1","awsSecretAccessKey":"`+app.CloudSecretKey+`"}`)
	if st != http.StatusCreated {
		t.Fatalf("create: %d %s", st, body)
	}
	var n struct{ ID int }
	_ = json.Unmarshal([]byte(body), &n)
	p := "/notes/" + itoa(n.ID)
	if st, _, _ := c.do("GET", p, "", ""); st != http.StatusOK {
		t.Fatalf("get: %d", st)
	}
	if st, _, _ := c.do("PUT", p, "application/json", `{"title":"t2","body":"b2"}`); st != http.StatusOK {
		t.Fatalf("update: %d", st)
	}
	// Other tenant cannot see it.
	other := newClient(t, srv.URL)
	other.do("POST", "/signin", "application/json", `{"email":"linus@example.com","password":"`+app.DemoPassword+`"}`)
	if st, _, _ := other.do("GET", p, "", ""); st != http.StatusNotFound {
		t.Fatalf("cross-tenant get: %d", st)
	}
	if st, _, _ := c.do("GET", "/notes", "", "", "Authorization", "Bearer "+app.PersonalAccessToken); st != http.StatusOK {
		t.Fatalf("PAT: %d", st)
	}
	if st, _, _ := newClient(t, srv.URL).do("GET", "/notes?access_token="+url.QueryEscape(app.PersonalAccessToken), "", ""); st != http.StatusOK {
		t.Fatalf("query PAT: %d", st)
	}
	if st, _, _ := c.do("GET", "/search?q=t&api_key="+url.QueryEscape(app.SearchAPIKey), "", ""); st != http.StatusOK {
		t.Fatalf("search: %d", st)
	}
	if st, body, _ := c.do("POST", "/checkout", "application/json", `{"amount":1200,"paymentMethod":"`+app.PaymentMethodOK+`"}`); st != http.StatusCreated {
		t.Fatalf("checkout ok: %d %s", st, body)
	}
	st, _, hdr := c.do("POST", "/checkout", "application/json", `{"amount":1300,"paymentMethod":"`+app.PaymentMethodDeclined+`"}`)
	if st != http.StatusPaymentRequired {
		t.Fatalf("checkout declined: %d", st)
	}
	declinedReq := hdr.Get("X-Request-Id")
	if st, _, _ := c.do("GET", "/slow", "", ""); st != http.StatusOK {
		t.Fatalf("slow: %d", st)
	}
	if st, _, _ := c.do("GET", "/fail", "", ""); st != http.StatusInternalServerError {
		t.Fatalf("fail: %d", st)
	}
	if st, _, _ := c.do("GET", "/panic", "", ""); st != http.StatusInternalServerError {
		t.Fatalf("panic: %d", st)
	}
	if st, _, _ := c.do("GET", "/healthz", "", ""); st != http.StatusOK {
		t.Fatalf("server did not survive the panic: %d", st)
	}
	st, body, hdr = c.do("GET", "/notes/feed?n=3", "", "")
	if st != http.StatusOK || hdr.Get("Content-Type") != "text/event-stream" || strings.Count(body, "event: notes") != 3 {
		t.Fatalf("feed: %d %q %q", st, hdr.Get("Content-Type"), body)
	}
	if st, _, _ := c.do("DELETE", p, "", ""); st != http.StatusNoContent {
		t.Fatalf("delete: %d", st)
	}
	if st, _, _ := c.do("POST", "/signout", "", ""); st != http.StatusNoContent {
		t.Fatalf("signout: %d", st)
	}
	// The devtools route wants the token.
	if st, _, _ := c.do("GET", "/api/devtools/events", "", ""); st != http.StatusUnauthorized {
		t.Fatalf("devtools without token: %d", st)
	}
	if st, _, _ := c.do("GET", "/api/devtools/events", "", "", "Authorization", "Bearer "+srv.App.Token()); st != http.StatusOK {
		t.Fatalf("devtools with token: %d", st)
	}
	stop()

	raw, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range app.Planted() {
		if bytes.Contains(raw, []byte(s)) {
			t.Errorf("planted secret %.8s… found in the store file", s)
		}
	}
	s, err := store.Open(db, store.Options{ReadOnly: true, MaxAge: -1, MaxEvents: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	stats, err := s.Stats()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range event.Kinds()[:5] {
		if stats.PerKind[k] == 0 {
			t.Errorf("no %s events stored: %+v", k, stats.PerKind)
		}
	}
	// The declined checkout correlates request, provider, audit, log and error.
	page, err := s.List(store.Query{Kinds: []event.Kind{event.KindRequest}, PathPrefix: "/checkout", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	rid := declinedReq
	for _, e := range page.Events {
		if e.Status == http.StatusPaymentRequired || e.HTTP != nil && e.HTTP.Status == http.StatusPaymentRequired {
			if rid == "" {
				rid = e.RequestID
			}
		}
	}
	if rid == "" {
		t.Fatalf("no declined checkout request event: %d events", len(page.Events))
	}
	corr, err := s.Correlated(rid)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[event.Kind]int{}
	for _, e := range corr {
		seen[e.Kind]++
	}
	for _, k := range []event.Kind{event.KindRequest, event.KindProvider, event.KindAudit, event.KindLog, event.KindError} {
		if seen[k] == 0 {
			t.Errorf("declined checkout %s: no %s event (got %v)", rid, k, seen)
		}
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestStartRefusesNonLoopback(t *testing.T) {
	if _, err := app.Start(app.Options{}, "0.0.0.0:0"); err == nil {
		t.Fatal("non-loopback address accepted")
	}
}

func TestTempStoreRemovedOnClose(t *testing.T) {
	a, err := app.New(app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(a.StorePath())
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("temp dir missing: %v", err)
	}
	if err := a.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("temp dir left behind: %v", err)
	}
}
