package app

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"
)

// Payment methods the fake provider knows, after the usual test-mode names.
const (
	PaymentMethodOK       = "pm_card_visa"
	PaymentMethodDeclined = "pm_card_chargeDeclined"
)

// startProvider serves the fake payment provider on a loopback port inside
// the process.
func (a *App) startProvider() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("app: provider listen: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/charges", a.providerCharge)
	a.provider = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	a.providerURL = "http://" + ln.Addr().String()
	a.providerDone = make(chan struct{})
	go func() {
		defer close(a.providerDone)
		if err := a.provider.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("payment provider stopped", "error", err)
		}
	}()
	return nil
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// providerCharge is the fake provider's POST /v1/charges: form body with
// amount, currency and source; X-Api-Key must be ProviderAPIKey.
func (a *App) providerCharge(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Request-Id", "req_"+randHex(8))
	if subtle.ConstantTimeCompare([]byte(r.Header.Get("X-Api-Key")), []byte(ProviderAPIKey)) != 1 {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"error":{"type":"invalid_request_error","message":"Invalid API key provided."}}`))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":{"type":"invalid_request_error","message":"Malformed body."}}`))
		return
	}
	amount, err := strconv.Atoi(r.PostForm.Get("amount"))
	if err != nil || amount <= 0 {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":{"type":"invalid_request_error","param":"amount","message":"Invalid amount."}}`))
		return
	}
	// A little latency, like a real provider.
	select {
	case <-time.After(time.Duration(20+amount%60) * time.Millisecond):
	case <-r.Context().Done():
		return
	}
	if r.PostForm.Get("source") == PaymentMethodDeclined {
		w.WriteHeader(http.StatusPaymentRequired)
		_, _ = w.Write([]byte(`{"error":{"type":"card_error","code":"card_declined","decline_code":"generic_decline","message":"Your card was declined."}}`))
		return
	}
	id := randHex(12)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"id":            "ch_" + id,
		"object":        "charge",
		"amount":        amount,
		"currency":      r.PostForm.Get("currency"),
		"status":        "succeeded",
		"client_secret": ClientSecretPrefix + id + "_secret_" + randHex(12),
	})
}
