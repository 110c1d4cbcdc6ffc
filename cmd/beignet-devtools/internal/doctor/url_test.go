package doctor

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func ids(fs []Finding) map[string]Severity {
	m := map[string]Severity{}
	for _, f := range fs {
		m[f.ID] = f.Severity
	}
	return m
}

// wideOpen serves event data to anyone, takes tokens from the query string
// and upgrades every websocket request.
func wideOpen(w http.ResponseWriter, r *http.Request) {
	if strings.HasSuffix(r.URL.Path, "/ws") {
		w.Header().Set("Connection", "Upgrade")
		w.Header().Set("Upgrade", "websocket")
		w.WriteHeader(http.StatusSwitchingProtocols)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"events":[{"v":1,"kind":"request"}]}`))
}

func TestCheckURLWideOpen(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(wideOpen))
	defer srv.Close()
	fs, err := CheckURL(context.Background(), URLOptions{URL: srv.URL, Token: "t0ken-t0ken-t0ken-t0ken-t0ken-t0ken"})
	if err != nil {
		t.Fatal(err)
	}
	got := ids(fs)
	for _, id := range []string{IDUnauthenticated, IDQueryToken, IDWebsocketOpen, IDWebsocketOrigin} {
		if got[id] != Error {
			t.Errorf("missing error %s: %+v", id, fs)
		}
	}
	for _, f := range fs {
		if strings.Contains(f.Where+f.Message, "t0ken") {
			t.Errorf("finding quotes the token: %+v", f)
		}
	}
}

func TestCheckURLLockedDown(t *testing.T) {
	const tok = "good-token-good-token-good-token-00"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.RawQuery != "" && strings.Contains(r.URL.RawQuery, "token") {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		if r.Header.Get("Authorization") != "Bearer "+tok {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if r.Header.Get("Origin") != "" {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		_, _ = w.Write([]byte(`{"events":[]}`))
	}))
	defer srv.Close()
	fs, err := CheckURL(context.Background(), URLOptions{URL: srv.URL + "/api/devtools", Token: tok})
	if err != nil || len(fs) != 0 {
		t.Fatalf("locked-down route: %v %+v", err, fs)
	}
	fs, _ = CheckURL(context.Background(), URLOptions{URL: srv.URL, Token: "wrong-token-wrong-token-wrong-token"})
	if ids(fs)[IDTokenRefused] != Warning || Failed(fs, false) || !Failed(fs, true) {
		t.Fatalf("refused token: %+v", fs)
	}
}

func TestCheckURLUnreachableAndDisabled(t *testing.T) {
	fs, err := CheckURL(context.Background(), URLOptions{URL: "http://127.0.0.1:1"})
	if err != nil || ids(fs)[IDUnreachable] != Error {
		t.Fatalf("unreachable: %v %+v", err, fs)
	}
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	fs, _ = CheckURL(context.Background(), URLOptions{URL: srv.URL})
	if ids(fs)[IDRouteDisabled] != Info || Failed(fs, true) {
		t.Fatalf("disabled: %+v", fs)
	}
	if _, err := CheckURL(context.Background(), URLOptions{URL: "ftp://x"}); err == nil {
		t.Fatal("bad URL accepted")
	}
}

// TestCheckURLRateLimited: probes cut short by a 429 are reported as not
// run, as an error, never as a clean run.
func TestCheckURLRateLimited(t *testing.T) {
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n++
		if n > 1 { // the first probe passes, the rest are limited
			w.Header().Set("Retry-After", "4")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer srv.Close()
	fs, err := CheckURL(context.Background(), URLOptions{URL: srv.URL, Token: "good-token-good-token-good-token-00"})
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 1 || fs[0].ID != IDNotRun || fs[0].Severity != Error || !Failed(fs, false) {
		t.Fatalf("findings: %+v", fs)
	}
	if m := fs[0].Message; !strings.Contains(m, "DT202, DT203, DT207, DT204") || !strings.Contains(m, "retry in 4 s") {
		t.Fatalf("message: %s", m)
	}
	if n != 2 {
		t.Fatalf("%d requests: probing went on after the 429", n)
	}
}

// TestCheckURLTokenHeader: the token checks send the token in the header
// the app's Authorize reads.
func TestCheckURLTokenHeader(t *testing.T) {
	const tok = "good-token-good-token-good-token-00"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Devtools-Token") != tok || r.Header.Get("Authorization") != "" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if r.Header.Get("Origin") != "" {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		_, _ = w.Write([]byte(`{"events":[]}`))
	}))
	defer srv.Close()
	fs, err := CheckURL(context.Background(), URLOptions{URL: srv.URL, Token: tok, TokenHeader: "x-devtools-token"})
	if err != nil || len(fs) != 0 {
		t.Fatalf("with the header: %v %+v", err, fs)
	}
	fs, _ = CheckURL(context.Background(), URLOptions{URL: srv.URL, Token: tok})
	if ids(fs)[IDTokenRefused] != Warning || !strings.Contains(fs[0].Message, "DT204") {
		t.Fatalf("Bearer to a header Authorize: %+v", fs)
	}
}
