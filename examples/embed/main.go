package main

import (
	"cmp"
	"context"
	"log"
	"log/slog"
	"net/http"
	"os"

	"github.com/beignet/devtools/recorder"
)

func main() {
	// On in development (BEIGNET_ENV and APP_ENV unset); off in production, staging and any
	// other environment unless enabled. Store at .beignet/devtools.db (0600), 24h retention.
	cfg := recorder.Config{App: "notes"}
	if os.Getenv("DEVTOOLS_ENABLED") == "true" {
		cfg.Enabled = new(true) // staging: on by choice, and then only behind a token
	}
	rec, err := recorder.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer rec.Close(context.Background())

	// The devtools route: websocket for the console, JSON for tail/purge/scan.
	// The token is read only where the route is on; in development without it,
	// the route serves loopback clients only.
	devtools, err := rec.Handler(recorder.HandlerOptions{TokenEnv: "DEVTOOLS_TOKEN"})
	if err != nil {
		log.Fatal(err) // e.g. "DEVTOOLS_TOKEN is unset" where a token is required
	}

	logger := slog.New(rec.SlogHandler(slog.NewTextHandler(os.Stderr, nil))) // logs become events too
	payments := &http.Client{Transport: rec.Transport(http.DefaultTransport, "payments")}

	mux := http.NewServeMux()
	mux.Handle("/api/devtools/", devtools)
	mux.HandleFunc("DELETE /notes/{id}", func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context() // carries the request ID: everything below is correlated
		rec.Audit(ctx, recorder.Audit{Actor: "ada", Tenant: "acme", Action: "note.delete", Resource: "note:" + r.PathValue("id"), Outcome: "success"})
		logger.InfoContext(ctx, "note deleted", "id", r.PathValue("id"))
		req, _ := http.NewRequestWithContext(ctx, "POST", "https://payments.example/v1/refunds", nil)
		if resp, err := payments.Do(req); err == nil {
			resp.Body.Close()
		}
		w.WriteHeader(http.StatusNoContent)
	})
	srv := &http.Server{Addr: cmp.Or(os.Getenv("ADDR"), "127.0.0.1:8080"), Handler: rec.Middleware(mux)}
	log.Print(srv.ListenAndServe())
}
