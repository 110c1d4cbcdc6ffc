package recorder

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/stream"
)

const goodToken = "0123456789abcdef0123456789abcdef-good"

func TestTokenAuth(t *testing.T) {
	if _, err := TokenAuth(strings.Repeat("x", 31)); !errors.Is(err, ErrShortToken) {
		t.Fatalf("short token: %v", err)
	}
	if _, err := TokenAuth(""); !errors.Is(err, ErrNoToken) || errors.Is(err, ErrShortToken) {
		t.Fatalf("empty token: %v", err)
	}
	auth, err := TokenAuth(goodToken)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		header, value string
		want          bool
	}{
		{"Authorization", "Bearer " + goodToken, true},
		{"Authorization", "bearer " + goodToken, true},
		{"X-Devtools-Token", goodToken, true},
		{"Authorization", "Bearer " + goodToken + "x", false},
		{"Authorization", "Bearer " + goodToken[:31], false},
		{"Authorization", "Basic " + goodToken, false},
		{"Authorization", goodToken, false},
		{"X-Devtools-Token", "", false},
		{"", "", false},
	}
	for _, c := range cases {
		req := httptest.NewRequest("GET", "/", nil)
		if c.header != "" {
			req.Header.Set(c.header, c.value)
		}
		if got := auth(req); got != c.want {
			t.Errorf("%s: %.20q = %v, want %v", c.header, c.value, got, c.want)
		}
	}
	// A token in the query string is never looked at.
	req := httptest.NewRequest("GET", "/?token="+goodToken, nil)
	if auth(req) {
		t.Error("query token accepted")
	}
}

type policyCase struct {
	env       string
	enabled   *bool
	authorize bool
	remote    bool
	token     string // good, bad, missing, query
	origin    string // none, same, allowed, evil
	host      string // loopback, rebind
}

func (c policyCase) String() string {
	en := "nil"
	if c.enabled != nil {
		en = fmt.Sprint(*c.enabled)
	}
	return fmt.Sprintf("env=%s enabled=%s authorize=%v remote=%v token=%s origin=%s host=%s", c.env, en, c.authorize, c.remote, c.token, c.origin, c.host)
}

// expect is the policy of DESIGN.md and issue 4, written independently of
// the implementation: construction error, or the status of GET /stats.
func (c policyCase) expect() (constructErr bool, status int) {
	on := c.env == "development"
	if c.enabled != nil {
		on = *c.enabled
	}
	if !on {
		return false, 404
	}
	if c.env != "development" && !c.authorize {
		return true, 0
	}
	if c.token == "query" {
		return false, 400
	}
	if c.origin == "evil" {
		return false, 403 // before authorization: a refused origin is not a guess
	}
	var ok bool
	if c.authorize {
		ok = c.token == "good"
	} else {
		ok = !c.remote && c.host == "loopback"
	}
	if !ok {
		return false, 401
	}
	return false, 200
}

func TestPolicyMatrix(t *testing.T) {
	auth, err := TokenAuth(goodToken)
	if err != nil {
		t.Fatal(err)
	}
	recs := map[string]*Recorder{}
	recFor := func(env string, enabled *bool) *Recorder {
		key := fmt.Sprint(env, enabled != nil && *enabled, enabled == nil)
		if r := recs[key]; r != nil {
			return r
		}
		r := newTestRecorder(t, Config{Env: env, Enabled: enabled})
		recs[key] = r
		return r
	}
	n := 0
	for _, env := range []string{"development", "staging", "production", "prd"} {
		for _, enabled := range []*bool{nil, ptr(true), ptr(false)} {
			for _, authorize := range []bool{false, true} {
				for _, remote := range []bool{false, true} {
					for _, token := range []string{"good", "bad", "missing", "query"} {
						for _, origin := range []string{"none", "same", "allowed", "evil"} {
							for _, host := range []string{"loopback", "rebind"} {
								c := policyCase{env, enabled, authorize, remote, token, origin, host}
								checkPolicy(t, c, recFor(env, enabled), auth)
								n++
							}
						}
					}
				}
			}
		}
	}
	t.Logf("%d policy cases", n)
}

func checkPolicy(t *testing.T, c policyCase, r *Recorder, auth func(*http.Request) bool) {
	t.Helper()
	opts := HandlerOptions{Enabled: c.enabled, AllowedOrigins: []string{"http://console.example:3000"}}
	if c.authorize {
		opts.Authorize = auth
	}
	wantErr, want := c.expect()
	h, err := r.Handler(opts)
	if wantErr {
		if !errors.Is(err, ErrNoAuthorize) {
			t.Errorf("%s: construction error %v, want ErrNoAuthorize", c, err)
		}
		return
	}
	if err != nil {
		t.Errorf("%s: construction error %v", c, err)
		return
	}
	target := "/api/devtools/stats"
	if c.token == "query" {
		target += "?token=" + goodToken
	}
	req := httptest.NewRequest("GET", target, nil)
	req.RemoteAddr = "127.0.0.1:40000"
	if c.remote {
		req.RemoteAddr = "203.0.113.7:40000"
	}
	req.Host = "localhost:8080"
	if c.host == "rebind" {
		req.Host = "attacker.example:8080" // resolves to 127.0.0.1 for the victim's browser
	}
	switch c.token {
	case "good", "query":
		req.Header.Set("Authorization", "Bearer "+goodToken)
	case "bad":
		req.Header.Set("Authorization", "Bearer "+strings.Repeat("z", 40))
	}
	switch c.origin {
	case "same":
		req.Header.Set("Origin", "http://"+req.Host)
	case "allowed":
		req.Header.Set("Origin", "http://console.example:3000")
	case "evil":
		req.Header.Set("Origin", "http://evil.example")
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != want {
		t.Errorf("%s: status %d, want %d (%s)", c, w.Code, want, strings.TrimSpace(w.Body.String()))
		return
	}
	switch want {
	case 401:
		if w.Body.String() != unauthorizedBody {
			t.Errorf("%s: unauthorized body %q", c, w.Body.String())
		}
	case 200:
		var out map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil || out["recorder"] == nil {
			t.Errorf("%s: stats %q", c, w.Body.String())
		}
	}
}

func TestLoopbackPolicyDetails(t *testing.T) {
	r := newTestRecorder(t, Config{})
	h, err := r.Handler(HandlerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		remote, host string
		hdr          string
		want         int
	}{
		{"127.0.0.1:1", "127.0.0.1:8080", "", 200},
		{"[::1]:1", "[::1]:8080", "", 200},
		{"[::ffff:127.0.0.1]:1", "localhost", "", 200},
		{"127.0.0.1:1", "app.localhost:8080", "", 200},
		{"127.0.0.1:1", "LOCALHOST.", "", 200},
		{"127.0.0.1:1", "127.0.0.1.nip.io", "", 401},
		{"127.0.0.1:1", "localhost.attacker.example", "", 401},
		{"127.0.0.1:1", "0.0.0.0:8080", "", 401},
		{"127.0.0.1:1", "localhost", "X-Forwarded-For", 401},
		{"127.0.0.1:1", "localhost", "Forwarded", 401},
		{"192.168.1.5:1", "localhost", "", 401},
		{"garbage", "localhost", "", 401},
	}
	for _, c := range cases {
		req := httptest.NewRequest("GET", "/api/devtools/stats", nil)
		req.RemoteAddr, req.Host = c.remote, c.host
		if c.hdr != "" {
			req.Header.Set(c.hdr, "203.0.113.9")
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != c.want {
			t.Errorf("remote %s host %s %s: %d, want %d", c.remote, c.host, c.hdr, w.Code, c.want)
		}
	}
}

func TestHandlerConstruction(t *testing.T) {
	r := newTestRecorder(t, Config{})
	for _, bp := range []string{"api", "/a?b", "/a/{x}", "/a b"} {
		if _, err := r.Handler(HandlerOptions{BasePath: bp}); !errors.Is(err, ErrBadBasePath) {
			t.Errorf("base path %q: %v", bp, err)
		}
	}
	if _, err := r.Handler(HandlerOptions{AllowedOrigins: []string{"http://x.example/path"}}); err == nil {
		t.Error("origin with a path accepted")
	}
	// Outside development, enabled explicitly on a disabled-by-default env.
	rp := newTestRecorder(t, Config{Env: "production", Enabled: ptr(true)})
	if _, err := rp.Handler(HandlerOptions{}); !errors.Is(err, ErrNoAuthorize) {
		t.Errorf("production enabled without Authorize: %v", err)
	}
}

func TestQueryCredentialsRefused(t *testing.T) {
	r := newTestRecorder(t, Config{})
	h, err := r.Handler(HandlerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"token=x", "access_token=x", "Auth=x", "api-key=x", "x=1&apikey=y", "%74oken=x", "password=x"} {
		req := httptest.NewRequest("GET", "/api/devtools/events?"+q, nil)
		req.RemoteAddr, req.Host = "127.0.0.1:1", "localhost"
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 400 || strings.Contains(w.Body.String(), "events") {
			t.Errorf("%s: %d %s", q, w.Code, w.Body.String())
		}
	}
	req := httptest.NewRequest("GET", "/api/devtools/events?kind=request&q=max_tokens&limit=5", nil)
	req.RemoteAddr, req.Host = "127.0.0.1:1", "localhost"
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != 200 {
		t.Errorf("ordinary query refused: %d %s", w.Code, w.Body.String())
	}
}

// TestNoLockout: an attacker without the token cannot stop its holder.
// Guesses (refusals with a credential) are limited per address; a valid
// credential is served whatever its address did; requests without a
// credential, refused Origins and query-string credentials are not
// guesses.
func TestNoLockout(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	r := newTestRecorder(t, Config{Env: "staging", Enabled: ptr(true), Now: clock})
	auth, _ := TokenAuth(goodToken)
	h, err := r.Handler(HandlerOptions{Authorize: auth})
	if err != nil {
		t.Fatal(err)
	}
	do := func(remote string, hdr http.Header, path string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", "/api/devtools/"+path, nil)
		req.RemoteAddr = remote
		for k, v := range hdr {
			req.Header[k] = v
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w
	}
	bearerOf := func(tok string) http.Header { return http.Header{"Authorization": {"Bearer " + tok}} }
	bad := strings.Repeat("b", 40)

	// Not guesses: no credential, a refused Origin, a query credential.
	for i := range 50 {
		if c := do("198.51.100.1:1", nil, "stats").Code; c != 401 {
			t.Fatalf("no credential %d: %d", i, c)
		}
		if c := do("198.51.100.1:1", http.Header{"Authorization": {"Bearer " + bad}, "Origin": {"https://evil.example"}}, "stats").Code; c != 403 {
			t.Fatalf("refused origin %d: %d", i, c)
		}
		if c := do("198.51.100.1:1", nil, "stats?token="+bad).Code; c != 400 {
			t.Fatalf("query credential %d: %d", i, c)
		}
	}
	// A websocket upgrade without a token carries Sec-WebSocket-Key: a
	// nonce, not a credential.
	for i := range 20 {
		up := http.Header{"Connection": {"Upgrade"}, "Upgrade": {"websocket"}, "Sec-Websocket-Key": {"dGhlIHNhbXBsZSBub25jZQ=="}, "Sec-Websocket-Version": {"13"}}
		if c := do("198.51.100.1:1", up, "ws").Code; c != 401 {
			t.Fatalf("upgrade without a token %d: %d", i, c)
		}
	}
	// Guesses: ten, then 429 with Retry-After.
	for i := range 10 {
		if c := do("198.51.100.1:2", bearerOf(bad), "stats").Code; c != 401 {
			t.Fatalf("guess %d: %d, want 401 (the budget was spent by non-guesses?)", i, c)
		}
	}
	w := do("198.51.100.1:3", http.Header{"X-Devtools-Token": {bad}}, "events")
	if w.Code != 429 {
		t.Fatalf("11th guess: %d, want 429", w.Code)
	}
	if ra, err := strconv.Atoi(w.Header().Get("Retry-After")); err != nil || ra < 1 || ra > 6 {
		t.Fatalf("Retry-After = %q", w.Header().Get("Retry-After"))
	}
	// The valid token from the same address: served, on every route.
	for _, path := range []string{"stats", "events", "events/" + event.ID{1}.String()} {
		if c := do("198.51.100.1:4", bearerOf(goodToken), path).Code; c == 429 || c == 401 {
			t.Fatalf("good token on %s while the address is limited: %d", path, c)
		}
	}
	if c := do("198.51.100.1:4", http.Header{"X-Devtools-Token": {goodToken}}, "stats").Code; c != 200 {
		t.Fatalf("good X-Devtools-Token while limited: %d", c)
	}
	// Another address has its own budget.
	if c := do("198.51.100.2:1", bearerOf(bad), "stats").Code; c != 401 {
		t.Fatalf("other address: %d", c)
	}
	// IPv6 clients are limited per /64: rotating the interface ID does not help.
	for i := range 10 {
		do(fmt.Sprintf("[2001:db8::%x]:1", i+1), bearerOf(bad), "stats")
	}
	if c := do("[2001:db8::ffff]:1", bearerOf(bad), "stats").Code; c != 429 {
		t.Fatalf("same /64 after 10 guesses: %d, want 429", c)
	}
	if c := do("[2001:db8::ffff]:1", bearerOf(goodToken), "stats").Code; c != 200 {
		t.Fatalf("good token in a limited /64: %d", c)
	}
	mu.Lock()
	now = now.Add(7 * time.Second)
	mu.Unlock()
	if c := do("198.51.100.1:5", bearerOf(bad), "stats").Code; c != 401 {
		t.Fatalf("after refill: %d", c)
	}
	stats := do("198.51.100.1:5", bearerOf(goodToken), "stats").Body.String()
	if !strings.Contains(stats, `"rateLimited":2`) || !strings.Contains(stats, `"authFailures":`) {
		t.Errorf("stats do not count refusals: %s", stats)
	}
}

// TestNoLockoutCustomAuthorize: with a weak custom secret (the Beignet
// docs' x-devtools-token comparison), guessing is limited and the holder
// is never refused; loopback refusals in development count nothing.
func TestNoLockoutCustomAuthorize(t *testing.T) {
	r := newTestRecorder(t, Config{Env: "staging", Enabled: ptr(true)})
	weak := "hunter2"
	h, err := r.Handler(HandlerOptions{Authorize: func(req *http.Request) bool {
		return req.Header.Get("x-devtools-token") == weak
	}})
	if err != nil {
		t.Fatal(err)
	}
	do := func(tok string) int {
		req := httptest.NewRequest("GET", "/api/devtools/stats", nil)
		req.RemoteAddr = "127.0.0.1:1"
		req.Header.Set("X-Devtools-Token", tok)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w.Code
	}
	codes := map[int]int{}
	for i := range 100 {
		codes[do(fmt.Sprintf("guess-%d", i))]++
	}
	if codes[401] != 10 || codes[429] != 90 {
		t.Fatalf("100 guesses: %v, want 10 x 401 then 429", codes)
	}
	if c := do(weak); c != 200 {
		t.Fatalf("the holder after the guesses: %d", c)
	}

	dev := newTestRecorder(t, Config{Env: "development"})
	hd, err := dev.Handler(HandlerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 30 {
		req := httptest.NewRequest("GET", "/api/devtools/stats", nil)
		req.RemoteAddr, req.Host = "127.0.0.1:1", "rebind.example"
		req.Header.Set("Authorization", "Bearer x")
		w := httptest.NewRecorder()
		hd.ServeHTTP(w, req)
		if w.Code != 401 {
			t.Fatalf("refused host %d: %d", i, w.Code)
		}
	}
	req := httptest.NewRequest("GET", "/api/devtools/stats", nil)
	req.RemoteAddr, req.Host = "127.0.0.1:1", "localhost"
	w := httptest.NewRecorder()
	hd.ServeHTTP(w, req)
	if w.Code != 200 {
		t.Fatalf("loopback after refused hosts: %d", w.Code)
	}
}

// TestNoLockoutWebsocket: failed attempts from the console's own address
// never keep its valid token from upgrading.
func TestNoLockoutWebsocket(t *testing.T) {
	r := newTestRecorder(t, Config{Env: "staging", Enabled: ptr(true)})
	auth, _ := TokenAuth(goodToken)
	srv := devtoolsServer(t, r, HandlerOptions{Authorize: auth})
	for range 15 {
		req, _ := http.NewRequest("GET", srv.URL+"/api/devtools/stats", nil)
		req.Header.Set("Authorization", "Bearer wrong-wrong-wrong-wrong-wrong-wrong")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	ctx := t.Context()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/api/devtools/ws", &websocket.DialOptions{
		HTTPHeader:   http.Header{"Authorization": {"Bearer " + goodToken}},
		Subprotocols: []string{stream.Subprotocol},
	})
	if err != nil {
		t.Fatalf("websocket with the valid token after guesses from its address: %v", err)
	}
	c.Close(websocket.StatusNormalClosure, "")
}

// TestTrustedProxies: behind a configured proxy, limits are kept per
// forwarded client; forwarding headers from other peers are ignored.
func TestTrustedProxies(t *testing.T) {
	r := newTestRecorder(t, Config{Env: "staging", Enabled: ptr(true)})
	auth, _ := TokenAuth(goodToken)
	if _, err := r.Handler(HandlerOptions{Authorize: auth, TrustedProxies: []string{"10.0.0.0/33"}}); err == nil {
		t.Fatal("bad prefix accepted")
	}
	if _, err := r.Handler(HandlerOptions{Authorize: auth, TrustedProxies: []string{"proxy.local"}}); err == nil {
		t.Fatal("host name accepted")
	}
	h, err := r.Handler(HandlerOptions{Authorize: auth, TrustedProxies: []string{"10.0.0.0/8", "::1"}})
	if err != nil {
		t.Fatal(err)
	}
	guess := func(peer string, fwd http.Header) int {
		req := httptest.NewRequest("GET", "/api/devtools/stats", nil)
		req.RemoteAddr = peer
		req.Header.Set("Authorization", "Bearer wrong")
		for k, v := range fwd {
			req.Header[k] = v
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w.Code
	}
	xff := func(v string) http.Header { return http.Header{"X-Forwarded-For": {v}} }
	// The attacker behind the proxy spends its own budget, even when it
	// sends a forged X-Forwarded-For (the proxy appends the real one).
	for range 10 {
		guess("10.0.0.1:1", xff("192.0.2.77, 203.0.113.9, 10.0.0.2"))
	}
	if c := guess("10.0.0.1:1", xff("203.0.113.9")); c != 429 {
		t.Fatalf("attacker behind the proxy: %d, want 429", c)
	}
	if c := guess("10.0.0.1:1", xff("203.0.113.10")); c != 401 {
		t.Fatalf("another client behind the same proxy: %d, want 401", c)
	}
	if c := guess("[::1]:1", http.Header{"Forwarded": {`for="[2001:db8:1::5]:4711";proto=https, for=10.0.0.3`}}); c != 401 {
		t.Fatalf("Forwarded: %d", c)
	}
	// An untrusted peer's forwarding headers are ignored: it is limited by
	// its own address however it rotates them.
	for i := range 10 {
		guess("198.51.100.7:1", xff(fmt.Sprintf("203.0.113.%d", 100+i)))
	}
	if c := guess("198.51.100.7:1", xff("203.0.113.200")); c != 429 {
		t.Fatalf("spoofed X-Forwarded-For from an untrusted peer: %d, want 429", c)
	}
	px, _ := parseProxies([]string{"10.0.0.0/8"})
	for _, c := range []struct {
		peer, xff, want string
	}{
		{"10.0.0.1:1", "203.0.113.9", "203.0.113.9"},
		{"10.0.0.1:1", "203.0.113.9, 10.1.1.1", "203.0.113.9"},
		{"10.0.0.1:1", "garbage, 10.1.1.1", "10.1.1.1"},
		{"10.0.0.1:1", "", "10.0.0.1"},
		{"192.0.2.1:1", "203.0.113.9", "192.0.2.1"},
		{"[::ffff:10.0.0.1]:1", "203.0.113.9", "203.0.113.9"},
	} {
		req := httptest.NewRequest("GET", "/", nil)
		req.RemoteAddr = c.peer
		if c.xff != "" {
			req.Header.Set("X-Forwarded-For", c.xff)
		}
		if got := px.client(req).String(); got != c.want {
			t.Errorf("peer %s xff %q: client %s, want %s", c.peer, c.xff, got, c.want)
		}
	}
}

func TestLimiterBounded(t *testing.T) {
	l := newLimiter(time.Now)
	l.max = 64
	for i := range 1000 {
		l.fail(netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}))
	}
	l.mu.Lock()
	n := len(l.buckets)
	l.mu.Unlock()
	if n > 64 {
		t.Fatalf("limiter holds %d entries", n)
	}
}

// devtoolsServer serves the route of r on a loopback test server.
func devtoolsServer(t *testing.T, r *Recorder, opts HandlerOptions) *httptest.Server {
	t.Helper()
	h, err := r.Handler(opts)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/api/devtools/", h)
	mux.Handle("/", r.Middleware(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		_, _ = io.WriteString(w, "app")
	})))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestWebsocketPolicy(t *testing.T) {
	r := newTestRecorder(t, Config{Env: "staging", Enabled: ptr(true)})
	auth, _ := TokenAuth(goodToken)
	srv := devtoolsServer(t, r, HandlerOptions{Authorize: auth, AllowedOrigins: []string{"https://console.example"}})
	wsURL := "ws" + strings.TrimPrefix(srv.URL, "http") + "/api/devtools/ws"
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	dial := func(h http.Header) (*websocket.Conn, *http.Response, error) {
		return websocket.Dial(ctx, wsURL, &websocket.DialOptions{
			HTTPHeader:      h,
			Subprotocols:    []string{stream.Subprotocol},
			CompressionMode: websocket.CompressionContextTakeover,
		})
	}
	// No token: refused before the upgrade, no event data.
	_, resp, err := dial(nil)
	if err == nil || resp == nil || resp.StatusCode != 401 {
		t.Fatalf("unauthenticated upgrade: %v %v", err, resp)
	}
	// Cross-origin: refused even with a good token.
	h := http.Header{"Authorization": {"Bearer " + goodToken}, "Origin": {"https://evil.example"}}
	if _, resp, err = dial(h); err == nil || resp == nil || resp.StatusCode != 403 {
		t.Fatalf("cross-origin upgrade: %v %v", err, resp)
	}
	// Allowed origin, good token: upgraded, no compression, hello first.
	h.Set("Origin", "https://console.example")
	c, resp, err := dial(h)
	if err != nil {
		t.Fatalf("allowed upgrade: %v", err)
	}
	defer c.CloseNow()
	if ext := resp.Header.Get("Sec-Websocket-Extensions"); ext != "" {
		t.Errorf("compression negotiated: %q", ext)
	}
	_, msg, err := c.Read(ctx)
	if err != nil || !strings.Contains(string(msg), `"type":"hello"`) || !strings.Contains(string(msg), `"env":"staging"`) {
		t.Fatalf("hello: %s %v", msg, err)
	}
	c.Close(websocket.StatusNormalClosure, "")
}

func TestRoutes(t *testing.T) {
	r := newTestRecorder(t, Config{})
	srv := devtoolsServer(t, r, HandlerOptions{})
	var rids []string
	for i := range 5 {
		resp, err := http.Get(fmt.Sprintf("%s/notes/%d", srv.URL, i))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		rids = append(rids, resp.Header.Get("X-Request-Id"))
	}
	r.Audit(context.Background(), Audit{Action: "x"})
	// The devtools route itself is not recorded.
	getJSON(t, srv.URL+"/api/devtools/stats", 200, nil)
	flush(t, r)

	var page struct {
		Events []json.RawMessage `json:"events"`
		Next   string            `json:"next"`
	}
	getJSON(t, srv.URL+"/api/devtools/events?kind=request&limit=2", 200, &page)
	if len(page.Events) != 2 || page.Next == "" {
		t.Fatalf("page 1: %d events next %q", len(page.Events), page.Next)
	}
	seen := 0
	var ids []string
	for {
		for _, raw := range page.Events {
			var e event.Event
			if err := event.Unmarshal(raw, &e); err != nil || e.Kind != event.KindRequest {
				t.Fatalf("event %s: %v", raw, err)
			}
			ids = append(ids, e.ID.String())
			seen++
		}
		if page.Next == "" {
			break
		}
		next := page.Next
		page.Events, page.Next = nil, ""
		getJSON(t, srv.URL+"/api/devtools/events?kind=request&limit=2&before="+next, 200, &page)
	}
	if seen != 5 {
		t.Fatalf("paged %d request events, want 5", seen)
	}
	var e event.Event
	getJSON(t, srv.URL+"/api/devtools/events/"+ids[0], 200, &e)
	if e.ID.String() != ids[0] {
		t.Fatalf("get: %v", e.ID)
	}
	getJSON(t, srv.URL+"/api/devtools/events/"+event.IDFromTime(time.Unix(1, 0)).String(), 404, nil)
	getJSON(t, srv.URL+"/api/devtools/events/nope", 400, nil)
	getJSON(t, srv.URL+"/api/devtools/events?kind=bogus", 400, nil)
	getJSON(t, srv.URL+"/api/devtools/events?status=5xx&method=get&path=/notes&since=1h", 200, nil)

	var corr struct {
		RequestID string            `json:"requestId"`
		Events    []json.RawMessage `json:"events"`
	}
	getJSON(t, srv.URL+"/api/devtools/requests/"+rids[2], 200, &corr)
	if corr.RequestID != rids[2] || len(corr.Events) != 1 {
		t.Fatalf("correlated: %+v", corr)
	}
	var stats struct {
		Recorder Stats `json:"recorder"`
		Store    struct {
			Count int `json:"Count"`
		} `json:"store"`
	}
	getJSON(t, srv.URL+"/api/devtools/stats", 200, &stats)
	if stats.Recorder.Recorded != 6 || stats.Store.Count != 6 {
		t.Fatalf("stats %+v", stats)
	}

	post := func(body string, ct string) (int, PurgeResult) {
		req, _ := http.NewRequest("POST", srv.URL+"/api/devtools/purge", strings.NewReader(body))
		req.Header.Set("Content-Type", ct)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var res PurgeResult
		_ = json.NewDecoder(resp.Body).Decode(&res)
		return resp.StatusCode, res
	}
	if c, _ := post(`{"olderThan":"0"}`, "text/plain"); c != 415 {
		t.Fatalf("purge as text/plain: %d", c)
	}
	if c, _ := post(`{"olderThan":"soon"}`, "application/json"); c != 400 {
		t.Fatalf("bad purge: %d", c)
	}
	if c, _ := post(`{}`, "application/json"); c != 400 {
		t.Fatalf("empty purge: %d", c)
	}
	if c, res := post(`{"kinds":["audit"],"dryRun":true}`, "application/json"); c != 200 || res.Removed != 1 || !res.DryRun {
		t.Fatalf("dry run: %d %+v", c, res)
	}
	if c, res := post(`{"kinds":["audit"]}`, "application/json"); c != 200 || res.Removed != 1 {
		t.Fatalf("purge kinds: %d %+v", c, res)
	}
	if c, res := post(`{"keep":2,"compact":true}`, "application/json"); c != 200 || res.Trimmed != 3 || !res.Compacted {
		t.Fatalf("keep: %d %+v", c, res)
	}
	if c, res := post(`{"olderThan":"0"}`, "application/json"); c != 200 || res.Removed != 2 {
		t.Fatalf("purge all: %d %+v", c, res)
	}
	// Cross-site form post: refused by origin checks.
	req, _ := http.NewRequest("POST", srv.URL+"/api/devtools/purge", strings.NewReader(`{"olderThan":"0"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Origin", "http://evil.example")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Fatalf("cross-site purge: %d", resp.StatusCode)
	}
	getJSON(t, srv.URL+"/api/devtools/nothing", 404, nil)
}

func getJSON(t *testing.T, url string, want int, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("GET %s: %d, want %d: %s", url, resp.StatusCode, want, b)
	}
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("GET %s: %v: %s", url, err, b)
		}
	}
}
