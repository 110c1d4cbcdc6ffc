package recorder

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/beignet/devtools/internal/testutil"
	"github.com/beignet/devtools/store"
	"github.com/beignet/devtools/stream"
)

// secrets hands out distinctive secret values and remembers them.
type secrets struct{ all []string }

func (s *secrets) new() string {
	const abc = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 28)
	for i := range b {
		b[i] = abc[rand.IntN(len(abc))]
	}
	v := string(b)
	s.all = append(s.all, v)
	return v
}

// leaks returns the secrets (or their first 10 characters: a cut secret
// leaks too) found in b.
func (s *secrets) leaks(b []byte) []string {
	var out []string
	for i, v := range s.all {
		if bytes.Contains(b, []byte(v[:10])) || bytes.Contains(b, []byte(v[len(v)-10:])) {
			out = append(out, fmt.Sprintf("#%d %s", i, v))
		}
	}
	return out
}

func jwt(sig string) string {
	return "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ." + sig
}

// TestNoSecretLeaves plants secrets in every captured field, then reads the
// store file's bytes, the websocket stream and the recorder's log and finds
// none of them.
func TestNoSecretLeaves(t *testing.T) {
	const limit = 512
	sec := &secrets{}
	logs := &testutil.Buffer{}
	dbPath := filepath.Join(t.TempDir(), "devtools.db")
	st, err := store.Open(dbPath, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	r := newTestRecorder(t, Config{Store: st, BodyLimit: limit, Logger: testLogger(logs)})

	// Upstream provider echoes secrets back.
	upToken := sec.new()
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		_, _ = io.Copy(io.Discard, req.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Set-Cookie", "upsid="+upToken+"; HttpOnly")
		_, _ = fmt.Fprintf(w, `{"id":"ok","token":%q}`, upToken)
	}))
	defer upstream.Close()
	upURL, _ := url.Parse(upstream.URL)

	appLogger := slog.New(r.SlogHandler(slog.NewTextHandler(io.Discard, nil)))
	client := &http.Client{Transport: r.Transport(nil, "acme")}
	var (
		outAuth   = sec.new()
		outQuery  = sec.new()
		outUser   = sec.new()
		outBody   = sec.new()
		auditMeta = sec.new()
		logAttr   = sec.new()
		logGroup  = sec.new()
		logMsg    = sec.new()
		custom    = sec.new()
		respBody  = sec.new()
		respCook  = sec.new()
		panicMsg  = sec.new()
	)
	mux := http.NewServeMux()
	mux.HandleFunc("/work", func(w http.ResponseWriter, req *http.Request) {
		_, _ = io.Copy(io.Discard, req.Body)
		ctx := req.Context()
		u := *upURL
		u.User = url.UserPassword("svc", outUser)
		u.Path = "/v1/charge"
		u.RawQuery = "api_key=" + outQuery + "&amount=5"
		out, _ := http.NewRequestWithContext(ctx, "POST", u.String(), strings.NewReader(`{"card":"4242","secret":"`+outBody+`"}`))
		out.Header.Set("Authorization", "Bearer "+outAuth)
		out.Header.Set("Content-Type", "application/json")
		if resp, err := client.Do(out); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		} else {
			t.Errorf("outbound: %v", err)
		}
		r.Audit(ctx, Audit{Actor: "u1", Action: "key.rotate", Metadata: map[string]any{"api_key": auditMeta, "nested": map[string]any{"password": auditMeta}}})
		appLogger.InfoContext(ctx, "login with Bearer "+jwt(logMsg), "password", logAttr, slog.Group("auth", slog.String("token", logGroup)))
		r.Event(ctx, "custom", "x", map[string]any{"client_secret": custom})
		w.Header().Set("Content-Type", "application/json")
		http.SetCookie(w, &http.Cookie{Name: "session", Value: respCook})
		_, _ = fmt.Fprintf(w, `{"access_token":%q,"ok":true}`, respBody)
	})
	mux.HandleFunc("/panic", func(w http.ResponseWriter, req *http.Request) {
		panic("cannot connect: Authorization: Bearer " + jwt(panicMsg))
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, req *http.Request) {
		_, _ = io.Copy(io.Discard, req.Body)
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, "ok")
	})
	app := httptest.NewUnstartedServer(r.Middleware(mux))
	app.Config.ErrorLog = log.New(io.Discard, "", 0)
	app.Start()
	defer app.Close()

	// A live websocket subscriber attached before the traffic.
	h, err := r.Handler(HandlerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dev := httptest.NewServer(h)
	defer dev.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(dev.URL, "http")+"/api/devtools/ws", &websocket.DialOptions{Subprotocols: []string{stream.Subprotocol}})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	if err := ws.Write(ctx, websocket.MessageText, []byte(`{"type":"subscribe"}`)); err != nil {
		t.Fatal(err)
	}
	var wire bytes.Buffer
	for !strings.Contains(wire.String(), `"type":"synced"`) {
		_, msg, err := ws.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		wire.Write(msg)
		wire.WriteByte('\n')
	}

	send := func(method, path, ct, body string, hdr http.Header) {
		t.Helper()
		req, _ := http.NewRequest(method, app.URL+path, strings.NewReader(body))
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		for k, v := range hdr {
			req.Header[k] = v
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			if path == "/panic" {
				return
			}
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	// Headers and query.
	send("POST", "/work?token="+sec.new()+"&page=2&access_token="+sec.new(), "application/json",
		`{"user":"bob","password":"`+sec.new()+`","max_tokens":100}`, http.Header{
			"Authorization":    {"Bearer " + sec.new()},
			"Cookie":           {"session=" + sec.new() + "; theme=dark"},
			"X-Api-Key":        {sec.new()},
			"X-Devtools-Token": {sec.new()},
		})
	// Form body.
	send("POST", "/form", "application/x-www-form-urlencoded", "user=bob&password="+sec.new()+"&remember=1", nil)
	// Secrets straddling the body limit: a JSON field and a bearer JWT in text.
	pad := strings.Repeat("p", limit-30)
	send("POST", "/straddle-json", "application/json", `{"pad":"`+pad+`","password":"`+sec.new()+`","more":"`+strings.Repeat("m", 400)+`"}`, nil)
	sig := sec.new()
	send("POST", "/straddle-text", "text/plain", strings.Repeat("t", limit-40)+" Authorization: Bearer "+jwt(sig)+" "+strings.Repeat("t", 300), nil)
	// A key-less, secret-shaped value whose first 12 bytes are inside the
	// limit: only a redactor that sees past the cut recognises it.
	aws := "AKIA" + strings.NewReplacer("O", "0", "I", "1").Replace(strings.ToUpper(sec.new()[:16]))
	sec.all[len(sec.all)-1] = aws
	send("POST", "/straddle-aws", "text/plain", strings.Repeat("w", limit-13)+" "+aws+" trailing words", nil)
	// A secret value beyond the capture slack, cut mid-value.
	send("POST", "/straddle-far", "application/json", `{"pad":"`+strings.Repeat("q", limit+bodySlack-40)+`","password":"`+sec.new()+sec.new()+`"}`, nil)
	send("GET", "/panic", "", "", nil)
	// Inbound userinfo (absolute-form request target), served directly.
	ui := httptest.NewRequest("GET", "http://admin:"+sec.new()+"@localhost/x?secret="+sec.new(), nil)
	r.Middleware(mux).ServeHTTP(httptest.NewRecorder(), ui)

	flush(t, r)
	n := r.Stats().Recorded
	if n < 10 || r.Stats().Dropped != 0 {
		t.Fatalf("recorded %d, stats %+v", n, r.Stats())
	}
	// The websocket got every event.
	events := 0
	for events < int(n) {
		_, msg, err := ws.Read(ctx)
		if err != nil {
			t.Fatalf("after %d of %d events: %v", events, n, err)
		}
		// Events come alone (event) or batched (events).
		var m stream.Message
		if err := json.Unmarshal(msg, &m); err == nil {
			switch m.Type {
			case stream.TypeEvent:
				events++
			case stream.TypeEvents:
				events += len(m.Events)
			}
		}
		wire.Write(msg)
		wire.WriteByte('\n')
	}
	ws.Close(websocket.StatusNormalClosure, "")

	// Every planted secret was captured somewhere as redacted.
	all := allEvents(t, st)
	redactedPaths := map[string]bool{}
	for _, e := range all {
		for _, p := range e.Redacted {
			redactedPaths[p] = true
		}
	}
	for _, p := range []string{"http.requestHeaders.authorization", "http.requestHeaders.cookie", "http.requestHeaders.x-api-key",
		"http.requestBody", "http.responseBody", "attrs.password", "message"} {
		if !redactedPaths[p] {
			t.Errorf("no event has %s redacted; paths: %v", p, redactedPaths)
		}
	}
	// Bodies were kept (redacted, not dropped) and cut to the limit.
	for _, e := range all {
		if e.HTTP != nil && e.HTTP.RequestBody != nil && len(e.HTTP.RequestBody.Text) > limit {
			t.Errorf("%s: body longer than the limit: %d", e.Name, len(e.HTTP.RequestBody.Text))
		}
	}

	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	file, err := os.ReadFile(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	if l := sec.leaks(file); len(l) > 0 {
		t.Errorf("store file holds secrets: %v", l)
	}
	if l := sec.leaks(wire.Bytes()); len(l) > 0 {
		t.Errorf("websocket stream holds secrets: %v", l)
	}
	if l := sec.leaks([]byte(logs.String())); len(l) > 0 {
		t.Errorf("recorder log holds secrets: %v", l)
	}
	kept := false
	for _, e := range all {
		if e.HTTP != nil && e.HTTP.RequestBody != nil && strings.Contains(e.HTTP.RequestBody.Text, `"max_tokens":100`) &&
			strings.Contains(e.HTTP.RequestBody.Text, `"user":"bob"`) && strings.Contains(e.HTTP.URL, "page=2") {
			kept = true
		}
	}
	if !kept {
		t.Errorf("over-redaction: ordinary fields missing:\n%s", dump(all))
	}
}
