package recorder_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"

	"github.com/beignet/devtools/recorder"
)

// An app embeds the recorder: middleware around its routes, the transport
// on its outbound client, the slog handler on its logger, and the devtools
// route (here for staging, explicitly enabled, behind a token).
func Example() {
	dir, _ := os.MkdirTemp("", "devtools-example")
	defer os.RemoveAll(dir)

	on := true // outside development the recorder is off unless enabled
	rec, err := recorder.New(recorder.Config{
		App:       "notes",
		Env:       "staging",
		Enabled:   &on,
		StorePath: filepath.Join(dir, "devtools.db"),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer rec.Close(context.Background())

	logger := slog.New(rec.SlogHandler(slog.DiscardHandler))
	client := &http.Client{Transport: rec.Transport(nil, "payments")}
	_ = client

	mux := http.NewServeMux()
	mux.HandleFunc("GET /notes/{id}", func(w http.ResponseWriter, r *http.Request) {
		logger.InfoContext(r.Context(), "note read", "id", r.PathValue("id"))
		rec.Audit(r.Context(), recorder.Audit{Actor: "u1", Action: "note.read", Resource: r.PathValue("id"), Outcome: "ok"})
		fmt.Fprintln(w, "a note")
	})

	// Outside development the route needs Authorize.
	if _, err := rec.Handler(recorder.HandlerOptions{}); err != nil {
		fmt.Println("without Authorize:", err != nil)
	}
	auth, err := recorder.TokenAuth("a-long-random-token-of-at-least-32-bytes")
	if err != nil {
		fmt.Println(err)
		return
	}
	devtools, err := rec.Handler(recorder.HandlerOptions{Authorize: auth})
	if err != nil {
		fmt.Println(err)
		return
	}
	mux.Handle("/api/devtools/", devtools)

	srv := httptest.NewServer(rec.Middleware(mux))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/notes/7")
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	_ = rec.Flush(context.Background())

	evs, _ := rec.Store().Correlated(resp.Header.Get("X-Request-Id"))
	for _, e := range evs {
		fmt.Println(e.Kind, e.Name)
	}
	// Output:
	// without Authorize: true
	// log note read
	// audit note.read
	// request GET /notes/{id}
}
