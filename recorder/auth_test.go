package recorder

import (
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coder/websocket"

	"github.com/beignet/devtools/stream"
)

func TestHeaderTokenAuth(t *testing.T) {
	for _, bad := range []string{"", " ", "X Devtools", "x-token:", "Authorization", "authorization"} {
		if _, err := HeaderTokenAuth(bad, goodToken); !errors.Is(err, ErrBadHeader) {
			t.Errorf("header %q: %v, want ErrBadHeader", bad, err)
		}
	}
	if _, err := HeaderTokenAuth("x-devtools-token", ""); !errors.Is(err, ErrNoToken) {
		t.Errorf("empty token: %v", err)
	}
	if _, err := HeaderTokenAuth("x-devtools-token", "short"); !errors.Is(err, ErrShortToken) {
		t.Errorf("short token: %v", err)
	}
	auth, err := HeaderTokenAuth("x-devtools-token", goodToken)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		header, value string
		want          bool
	}{
		{"X-Devtools-Token", goodToken, true},
		{"x-devtools-token", goodToken, true},
		{"X-Devtools-Token", goodToken + "x", false},
		{"X-Devtools-Token", "", false},
		{"Authorization", "Bearer " + goodToken, false}, // only the named header
		{"X-Other-Token", goodToken, false},
	}
	for _, c := range cases {
		req := httptest.NewRequest("GET", "/", nil)
		req.Header.Set(c.header, c.value)
		if got := auth(req); got != c.want {
			t.Errorf("%s: %.20q = %v, want %v", c.header, c.value, got, c.want)
		}
	}
}

// TestHeaderTokenEveryRoute: a route behind a custom header token (the
// Beignet docs' x-devtools-token pattern) answers every JSON route and
// upgrades the websocket for a client that sends that header, and for no
// other.
func TestHeaderTokenEveryRoute(t *testing.T) {
	r := newTestRecorder(t, Config{Env: "staging", Enabled: ptr(true)})
	auth, err := HeaderTokenAuth("X-Devtools-Token", goodToken)
	if err != nil {
		t.Fatal(err)
	}
	srv := devtoolsServer(t, r, HandlerOptions{Authorize: auth})
	resp, err := http.Get(srv.URL + "/notes/1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	flush(t, r)
	evs := allEvents(t, r.Store())
	if len(evs) == 0 {
		t.Fatal("no event recorded")
	}
	id := evs[0].ID.String()
	routes := []struct{ method, path, body string }{
		{"GET", "/api/devtools/events", ""},
		{"GET", "/api/devtools/events/" + id, ""},
		{"GET", "/api/devtools/requests/" + evs[0].RequestID, ""},
		{"GET", "/api/devtools/stats", ""},
		{"POST", "/api/devtools/purge", `{"olderThan":"24h","dryRun":true}`},
	}
	for _, rt := range routes {
		for _, hdr := range []string{"X-Devtools-Token", "Authorization"} {
			req, _ := http.NewRequest(rt.method, srv.URL+rt.path, strings.NewReader(rt.body))
			req.Header.Set("Content-Type", "application/json")
			if hdr == "Authorization" {
				req.Header.Set(hdr, "Bearer "+goodToken)
			} else {
				req.Header.Set(hdr, goodToken)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			want := 200
			if hdr == "Authorization" {
				want = 401
			}
			if resp.StatusCode != want {
				t.Errorf("%s %s with %s: %d, want %d", rt.method, rt.path, hdr, resp.StatusCode, want)
			}
		}
	}
	ctx := t.Context()
	wsURL := "ws" + strings.TrimPrefix(srv.URL, "http") + "/api/devtools/ws"
	c, _, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{
		HTTPHeader:   http.Header{"X-Devtools-Token": {goodToken}},
		Subprotocols: []string{stream.Subprotocol},
	})
	if err != nil {
		t.Fatalf("websocket with the custom header: %v", err)
	}
	_, msg, err := c.Read(ctx)
	if err != nil || !strings.Contains(string(msg), `"type":"hello"`) {
		t.Fatalf("hello: %s %v", msg, err)
	}
	c.Close(websocket.StatusNormalClosure, "")
}

// TestTokenEnv: the token is read from the environment only when the route
// is enabled; an app with devtools off starts without it; a missing token
// where one is required is named in the error.
func TestTokenEnv(t *testing.T) {
	const name = "DEVTOOLS_TOKEN_TEST"
	get := func(h http.Handler, remote string, hdr http.Header) int {
		req := httptest.NewRequest("GET", "/api/devtools/stats", nil)
		req.RemoteAddr, req.Host = remote, "localhost"
		for k, v := range hdr {
			req.Header[k] = v
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w.Code
	}
	bearerTok := http.Header{"Authorization": {"Bearer " + goodToken}}

	t.Run("production off", func(t *testing.T) {
		os.Unsetenv(name)
		r, err := New(Config{Env: "production", StorePath: filepath.Join(t.TempDir(), "x.db")})
		if err != nil {
			t.Fatal(err)
		}
		h, err := r.Handler(HandlerOptions{TokenEnv: name})
		if err != nil {
			t.Fatalf("production without the token: %v", err)
		}
		if c := get(h, "127.0.0.1:1", bearerTok); c != 404 {
			t.Fatalf("disabled route: %d", c)
		}
	})
	t.Run("staging unset", func(t *testing.T) {
		t.Setenv(name, "x")
		os.Unsetenv(name)
		r := newTestRecorder(t, Config{Env: "staging", Enabled: ptr(true)})
		_, err := r.Handler(HandlerOptions{TokenEnv: name})
		if !errors.Is(err, ErrNoToken) || !strings.Contains(err.Error(), name+" is unset") || strings.Count(err.Error(), "recorder:") != 1 {
			t.Fatalf("unset token: %v", err)
		}
		t.Setenv(name, "")
		if _, err := r.Handler(HandlerOptions{TokenEnv: name}); !errors.Is(err, ErrNoToken) || !strings.Contains(err.Error(), name+" is empty") {
			t.Fatalf("empty token: %v", err)
		}
		t.Setenv(name, "short")
		if _, err := r.Handler(HandlerOptions{TokenEnv: name}); !errors.Is(err, ErrShortToken) || !strings.Contains(err.Error(), name) || strings.Contains(err.Error(), "short") {
			t.Fatalf("short token: %v (must name the variable, never the value)", err)
		}
	})
	t.Run("staging set", func(t *testing.T) {
		t.Setenv(name, goodToken)
		r := newTestRecorder(t, Config{Env: "staging", Enabled: ptr(true)})
		h, err := r.Handler(HandlerOptions{TokenEnv: name})
		if err != nil {
			t.Fatal(err)
		}
		if c := get(h, "203.0.113.5:1", bearerTok); c != 200 {
			t.Errorf("bearer: %d", c)
		}
		if c := get(h, "203.0.113.5:1", http.Header{"X-Devtools-Token": {goodToken}}); c != 200 {
			t.Errorf("X-Devtools-Token: %d", c)
		}
		if c := get(h, "127.0.0.1:1", nil); c != 401 {
			t.Errorf("no token from loopback: %d", c)
		}
		hh, err := r.Handler(HandlerOptions{TokenEnv: name, TokenHeader: "x-devtools-key", BasePath: "/other"})
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest("GET", "/other/stats", nil)
		req.Header.Set("X-Devtools-Key", goodToken)
		w := httptest.NewRecorder()
		hh.ServeHTTP(w, req)
		if w.Code != 200 {
			t.Errorf("TokenHeader: %d", w.Code)
		}
		req.Header.Del("X-Devtools-Key")
		req.Header.Set("Authorization", "Bearer "+goodToken)
		w = httptest.NewRecorder()
		hh.ServeHTTP(w, req)
		if w.Code != 401 {
			t.Errorf("bearer where TokenHeader is set: %d", w.Code)
		}
		if _, err := r.Handler(HandlerOptions{TokenEnv: name, Authorize: func(*http.Request) bool { return true }}); err == nil {
			t.Error("TokenEnv and Authorize together accepted")
		}
		if _, err := r.Handler(HandlerOptions{TokenHeader: "X-Devtools-Token"}); err == nil {
			t.Error("TokenHeader without TokenEnv accepted")
		}
		if _, err := r.Handler(HandlerOptions{TokenEnv: name, TokenHeader: "bad header"}); !errors.Is(err, ErrBadHeader) {
			t.Errorf("bad TokenHeader: %v", err)
		}
	})
	t.Run("development unset", func(t *testing.T) {
		t.Setenv(name, "x")
		os.Unsetenv(name)
		r := newTestRecorder(t, Config{Env: "development"})
		h, err := r.Handler(HandlerOptions{TokenEnv: name})
		if err != nil {
			t.Fatal(err)
		}
		if c := get(h, "127.0.0.1:1", nil); c != 200 {
			t.Errorf("loopback without a token in development: %d", c)
		}
		if c := get(h, "203.0.113.5:1", bearerTok); c != 401 {
			t.Errorf("remote in development without a token configured: %d", c)
		}
	})
}

// TestFailedStartCreatesNothing: the README's start (New with the default
// store path, then Handler) that fails on its token leaves no .beignet/
// behind; one that succeeds creates the store when the route is built.
func TestFailedStartCreatesNothing(t *testing.T) {
	const name = "DEVTOOLS_TOKEN_TEST"
	dir := t.TempDir()
	t.Chdir(dir)
	t.Setenv(name, "x")
	os.Unsetenv(name)
	r, err := New(Config{App: "notes", Env: "staging", Enabled: ptr(true)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Handler(HandlerOptions{TokenEnv: name}); !errors.Is(err, ErrNoToken) {
		t.Fatalf("Handler: %v", err)
	}
	if err := r.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, ".beignet")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a failed start left .beignet behind: %v", err)
	}

	t.Setenv(name, goodToken)
	r, err = New(Config{App: "notes", Env: "staging", Enabled: ptr(true)})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(t.Context())
	if _, err := r.Handler(HandlerOptions{TokenEnv: name}); err != nil {
		t.Fatal(err)
	}
	if r.Store() == nil {
		t.Fatalf("store not opened with the route: %s", r.Stats().StoreError)
	}
	if _, err := os.Stat(filepath.Join(dir, ".beignet", "devtools.db")); err != nil {
		t.Fatalf("store file: %v", err)
	}
	// A refused store path still fails New, before anything is created.
	if _, err := New(Config{Env: "development", StorePath: filepath.Join(dir, "public", "devtools.db")}); err == nil {
		t.Fatal("store in public/ accepted")
	}
	if _, err := os.Stat(filepath.Join(dir, "public")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("refused path created a folder: %v", err)
	}
}

// TestDeferredStoreOpensOnFirstEvent: without a route, the store is
// created when the first event is written.
func TestDeferredStoreOpensOnFirstEvent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "devtools.db")
	r, err := New(Config{Env: "development", StorePath: path})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(t.Context())
	if r.Store() != nil {
		t.Fatal("new store file created before any event or route")
	}
	r.Audit(t.Context(), Audit{Action: "x"})
	flush(t, r)
	if r.Store() == nil || r.Stats().Recorded != 1 {
		t.Fatalf("store after the first event: %v %+v", r.Store(), r.Stats())
	}
}

// TestOriginScheme: origins match with their scheme, for the websocket
// upgrade and for writes.
func TestOriginScheme(t *testing.T) {
	r := newTestRecorder(t, Config{Env: "staging", Enabled: ptr(true)})
	auth, _ := TokenAuth(goodToken)
	srv := devtoolsServer(t, r, HandlerOptions{Authorize: auth, AllowedOrigins: []string{"https://console.example", "tools.example"}})
	host := strings.TrimPrefix(srv.URL, "http://")
	wsURL := "ws://" + host + "/api/devtools/ws"
	dial := func(origin string) int {
		c, resp, err := websocket.Dial(t.Context(), wsURL, &websocket.DialOptions{
			HTTPHeader:   http.Header{"Authorization": {"Bearer " + goodToken}, "Origin": {origin}},
			Subprotocols: []string{stream.Subprotocol},
		})
		if err == nil {
			c.Close(websocket.StatusNormalClosure, "")
			return 101
		}
		if resp == nil {
			t.Fatalf("dial with Origin %s: %v", origin, err)
		}
		return resp.StatusCode
	}
	post := func(origin string) int {
		req, _ := http.NewRequest("POST", srv.URL+"/api/devtools/purge", strings.NewReader(`{"olderThan":"24h","dryRun":true}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+goodToken)
		req.Header.Set("Origin", origin)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, c := range []struct {
		origin string
		ok     bool
	}{
		{"http://" + host, true},
		{"https://" + host, false}, // another origin than the http route's
		{"https://console.example", true},
		{"http://console.example", false},
		{"http://tools.example", true}, // a host pattern: any scheme
		{"https://tools.example", true},
		{"ftp://" + host, false},
		{"null", false},
	} {
		wantWS, wantPost := 403, 403
		if c.ok {
			wantWS, wantPost = 101, 200
		}
		if got := dial(c.origin); got != wantWS {
			t.Errorf("upgrade with Origin %s: %d, want %d", c.origin, got, wantWS)
		}
		if got := post(c.origin); got != wantPost {
			t.Errorf("POST with Origin %s: %d, want %d", c.origin, got, wantPost)
		}
	}

	// Behind a trusted TLS-terminating proxy, X-Forwarded-Proto is the
	// route's scheme; from any other peer it is ignored.
	h, err := r.Handler(HandlerOptions{Authorize: auth, TrustedProxies: []string{"10.0.0.1"}, BasePath: "/p"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		peer string
		want int
	}{{"10.0.0.1:1", 200}, {"192.0.2.1:1", 403}} {
		req := httptest.NewRequest("GET", "/p/stats", nil)
		req.RemoteAddr, req.Host = c.peer, "app.example"
		req.Header.Set("Authorization", "Bearer "+goodToken)
		req.Header.Set("Origin", "https://app.example")
		req.Header.Set("X-Forwarded-Proto", "https")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != c.want {
			t.Errorf("https origin via peer %s: %d, want %d", c.peer, w.Code, c.want)
		}
	}
}

// TestRouteMaxConnections: the route caps console connections and says
// so in its stats.
func TestRouteMaxConnections(t *testing.T) {
	r := newTestRecorder(t, Config{})
	srv := devtoolsServer(t, r, HandlerOptions{MaxConnections: 1})
	wsURL := "ws" + strings.TrimPrefix(srv.URL, "http") + "/api/devtools/ws"
	opts := &websocket.DialOptions{Subprotocols: []string{stream.Subprotocol}}
	c, _, err := websocket.Dial(t.Context(), wsURL, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	_, resp, err := websocket.Dial(t.Context(), wsURL, opts)
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("second console over a cap of 1: %v %v", err, resp)
	}
	resp, err = http.Get(srv.URL + "/api/devtools/stats")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st struct {
		Route RouteStats `json:"route"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	if st.Route.Connections != 1 || st.Route.MaxConnections != 1 || st.Route.ConnectionsRefused != 1 {
		t.Fatalf("route stats: %+v", st.Route)
	}
}

// TestErrorsNamePackageOnce: the recorder's errors carry its prefix once,
// whatever they wrap.
func TestErrorsNamePackageOnce(t *testing.T) {
	const name = "DEVTOOLS_TOKEN_TEST"
	t.Setenv(name, "short")
	dir := t.TempDir()
	var errs []error
	_, err := New(Config{Env: "development", StorePath: filepath.Join(dir, "public", "x.db")})
	errs = append(errs, err)
	r := newTestRecorder(t, Config{Env: "staging", Enabled: ptr(true)})
	for _, o := range []HandlerOptions{
		{},
		{TokenEnv: name},
		{TokenEnv: "DEVTOOLS_UNSET_FOR_TEST"},
		{TokenEnv: name, TokenHeader: "bad header"},
		{TokenHeader: "X-A"},
		{Authorize: func(*http.Request) bool { return false }, AllowedOrigins: []string{"https://a.example/path"}},
		{Authorize: func(*http.Request) bool { return false }, TrustedProxies: []string{"nope"}},
		{BasePath: "relative"},
	} {
		_, err := r.Handler(o)
		errs = append(errs, err)
	}
	_, err = TokenAuth("")
	errs = append(errs, err)
	_, err = HeaderTokenAuth("Authorization", goodToken)
	errs = append(errs, err)
	if err := r.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	errs = append(errs, r.Flush(t.Context()))
	for i, err := range errs {
		if err == nil {
			t.Errorf("case %d: no error", i)
			continue
		}
		if n := strings.Count(err.Error(), "recorder:"); n != 1 {
			t.Errorf("case %d: %q names the recorder %d times", i, err, n)
		}
	}
}
