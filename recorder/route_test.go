package recorder

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/beignet/devtools/event"
)

// TestSetRoute: a router that does not set Request.Pattern names the
// route with SetRoute; the request event is named from it.
func TestSetRoute(t *testing.T) {
	r := newTestRecorder(t, Config{})
	// A router of its own, mounted under a ServeMux catch-all (Pattern
	// "/" for every request), naming its routes gin-style.
	router := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		switch req.URL.Path {
		case "/users/42/orders/7":
			SetRoute(req.Context(), "/users/:id/orders/:order")
		case "/files/a/b/c":
			SetRoute(req.Context(), "/files/*filepath")
		case "/static/x":
			SetRoute(req.Context(), "/static/*")
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux := http.NewServeMux()
	mux.Handle("/", router)
	srv := httptest.NewServer(r.Middleware(mux))
	defer srv.Close()
	for _, p := range []string{"/users/42/orders/7", "/files/a/b/c", "/static/x", "/plain"} {
		resp, err := http.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	flush(t, r)
	names := map[string]string{}
	for _, e := range byKind(allEvents(t, r.Store()), event.KindRequest) {
		names[e.HTTP.URL[len(srv.URL):]] = e.Name + " | " + e.HTTP.Route
	}
	want := map[string]string{
		"/users/42/orders/7": "GET /users/{id}/orders/{order} | /users/{id}/orders/{order}",
		"/files/a/b/c":       "GET /files/{filepath...} | /files/{filepath...}",
		"/static/x":          "GET /static/{path...} | /static/{path...}",
		"/plain":             "GET / | /", // no SetRoute: the ServeMux pattern
	}
	for p, w := range want {
		if names[p] != w {
			t.Errorf("%s: %q, want %q", p, names[p], w)
		}
	}
	// Outside a recorded request: no-op, no panic.
	SetRoute(context.Background(), "/x/:id")
	SetRoute(context.TODO(), "")
}

func TestNormalizeRoute(t *testing.T) {
	for in, want := range map[string]string{
		"/users/{id}":         "/users/{id}",
		"/users/:id":          "/users/{id}",
		"GET /users/:id/x":    "GET /users/{id}/x",
		"/a/*rest":            "/a/{rest...}",
		"/*":                  "/{path...}",
		"/a:b/c":              "/a:b/c",
		"/v1/:org/:repo/*sub": "/v1/{org}/{repo}/{sub...}",
	} {
		if got := normalizeRoute(in); got != want {
			t.Errorf("normalizeRoute(%q) = %q, want %q", in, got, want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { _ = normalizeRoute("/users/{id}") }); n != 0 {
		t.Errorf("a net/http pattern allocates %v", n)
	}
}
