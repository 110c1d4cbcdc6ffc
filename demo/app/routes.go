package app

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/recorder"
)

const sessionCookie = "session"

// routes builds the root handler: the devtools route beside the app, and the
// app wrapped as recover(recorder(mux)) so that the recorder sees panics and
// the outer recover keeps the server alive.
func (a *App) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", a.index)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("POST /signin", a.signin)
	mux.HandleFunc("POST /signout", a.signout)
	mux.HandleFunc("GET /notes", a.authed(a.listNotes))
	mux.HandleFunc("POST /notes", a.authed(a.createNote))
	mux.HandleFunc("GET /notes/feed", a.authed(a.feed))
	mux.HandleFunc("GET /notes/{id}", a.authed(a.getNote))
	mux.HandleFunc("PUT /notes/{id}", a.authed(a.updateNote))
	mux.HandleFunc("DELETE /notes/{id}", a.authed(a.deleteNote))
	mux.HandleFunc("GET /search", a.search)
	mux.HandleFunc("POST /checkout", a.authed(a.checkout))
	mux.HandleFunc("GET /slow", a.slow)
	mux.HandleFunc("GET /fail", a.fail)
	mux.HandleFunc("GET /panic", a.panics)

	root := http.NewServeMux()
	root.Handle(DevtoolsBasePath+"/", a.devtools)
	root.Handle(DevtoolsBasePath, a.devtools)
	root.Handle("/", recoverMiddleware(a.log, a.rec.Middleware(mux)))
	return root
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func (a *App) index(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"app": a.name,
		"endpoints": []string{
			"POST /signin", "POST /signout", "GET /notes", "POST /notes", "GET /notes/{id}",
			"PUT /notes/{id}", "DELETE /notes/{id}", "GET /notes/feed", "GET /search",
			"POST /checkout", "GET /slow", "GET /fail", "GET /panic",
		},
		"users":    UserEmails(),
		"devtools": DevtoolsBasePath,
	})
}

// signinRequest is the sign-in body, JSON or form.
type signinRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Remember bool   `json:"remember"`
}

func (a *App) signin(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var in signinRequest
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/json":
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			writeError(w, http.StatusBadRequest, "malformed JSON body")
			return
		}
	case "application/x-www-form-urlencoded":
		if err := r.ParseForm(); err != nil {
			writeError(w, http.StatusBadRequest, "malformed form body")
			return
		}
		in.Email, in.Password = r.PostForm.Get("email"), r.PostForm.Get("password")
		in.Remember = r.PostForm.Get("remember") == "on"
	default:
		writeError(w, http.StatusUnsupportedMediaType, "send JSON or a form")
		return
	}
	u, known := a.data.users[strings.ToLower(in.Email)]
	okPass := subtle.ConstantTimeCompare([]byte(in.Password), []byte(DemoPassword)) == 1
	if !known || !okPass {
		a.rec.Audit(ctx, recorder.Audit{Actor: in.Email, Tenant: u.Tenant, Action: "session.create", Resource: "session", Outcome: "denied"})
		a.log.WarnContext(ctx, "sign-in failed", "email", in.Email, "reason", "bad credentials")
		writeError(w, http.StatusUnauthorized, "wrong email or password")
		return
	}
	sid := a.data.newSession(u.Email)
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: sid, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, MaxAge: 3600})
	a.rec.Audit(ctx, recorder.Audit{Actor: u.Email, Tenant: u.Tenant, Action: "session.create", Resource: "session", Outcome: "success"})
	a.log.InfoContext(ctx, "signed in", "user", u.Email, "tenant", u.Tenant)
	writeJSON(w, http.StatusOK, map[string]any{"user": u.Email, "tenant": u.Tenant, "sessionToken": sid, "expiresIn": 3600})
}

func (a *App) signout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		if u, ok := a.data.session(c.Value); ok {
			a.rec.Audit(r.Context(), recorder.Audit{Actor: u.Email, Tenant: u.Tenant, Action: "session.delete", Resource: "session", Outcome: "success"})
		}
		a.data.endSession(c.Value)
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1})
	w.WriteHeader(http.StatusNoContent)
}

// authed resolves the caller from the session cookie, a bearer personal
// access token, or (legacy clients) an access_token query parameter.
func (a *App) authed(h func(http.ResponseWriter, *http.Request, user)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie(sessionCookie); err == nil {
			if u, ok := a.data.session(c.Value); ok {
				h(w, r, u)
				return
			}
		}
		tok := ""
		if v, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			tok = v
		} else if v := r.URL.Query().Get("access_token"); v != "" {
			tok = v
			a.log.WarnContext(r.Context(), "access token in query string", "client", r.UserAgent())
		}
		if tok != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(PersonalAccessToken)) == 1 {
			h(w, r, a.data.users["ada@example.com"])
			return
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="notes"`)
		writeError(w, http.StatusUnauthorized, "sign in first")
	}
}

func (a *App) listNotes(w http.ResponseWriter, r *http.Request, u user) {
	notes := a.data.list(u.Tenant)
	a.log.DebugContext(r.Context(), "listed notes", "tenant", u.Tenant, "count", len(notes))
	writeJSON(w, http.StatusOK, map[string]any{"notes": notes, "count": len(notes)})
}

// noteRequest is a note body. Extra fields (people paste anything) are
// accepted and ignored.
type noteRequest struct {
	Title string `json:"title"`
	Body  string `json:"body"`
}

func (a *App) readNote(w http.ResponseWriter, r *http.Request) (noteRequest, bool) {
	var in noteRequest
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeError(w, http.StatusBadRequest, "malformed JSON body")
		return in, false
	}
	if strings.TrimSpace(in.Title) == "" {
		writeError(w, http.StatusUnprocessableEntity, "title is required")
		return in, false
	}
	return in, true
}

func (a *App) createNote(w http.ResponseWriter, r *http.Request, u user) {
	in, ok := a.readNote(w, r)
	if !ok {
		return
	}
	now := a.now().UTC()
	n := a.data.create(u.Tenant, note{Title: in.Title, Body: in.Body, Author: u.Email, Created: now, Updated: now})
	a.rec.Audit(r.Context(), recorder.Audit{Actor: u.Email, Tenant: u.Tenant, Action: "note.create", Resource: "note:" + strconv.Itoa(n.ID), Outcome: "success"})
	a.log.InfoContext(r.Context(), "note created", "note", n.ID, "tenant", u.Tenant)
	w.Header().Set("Location", "/notes/"+strconv.Itoa(n.ID))
	writeJSON(w, http.StatusCreated, n)
}

func noteID(r *http.Request) (int, bool) {
	id, err := strconv.Atoi(r.PathValue("id"))
	return id, err == nil && id > 0
}

func (a *App) getNote(w http.ResponseWriter, r *http.Request, u user) {
	id, ok := noteID(r)
	if !ok {
		writeError(w, http.StatusBadRequest, "bad note id")
		return
	}
	n, ok := a.data.get(u.Tenant, id)
	if !ok {
		writeError(w, http.StatusNotFound, "no such note")
		return
	}
	writeJSON(w, http.StatusOK, n)
}

func (a *App) updateNote(w http.ResponseWriter, r *http.Request, u user) {
	id, ok := noteID(r)
	if !ok {
		writeError(w, http.StatusBadRequest, "bad note id")
		return
	}
	in, ok := a.readNote(w, r)
	if !ok {
		return
	}
	n, ok := a.data.update(u.Tenant, id, in.Title, in.Body, a.now().UTC())
	if !ok {
		a.rec.Audit(r.Context(), recorder.Audit{Actor: u.Email, Tenant: u.Tenant, Action: "note.update", Resource: "note:" + strconv.Itoa(id), Outcome: "not_found"})
		writeError(w, http.StatusNotFound, "no such note")
		return
	}
	a.rec.Audit(r.Context(), recorder.Audit{Actor: u.Email, Tenant: u.Tenant, Action: "note.update", Resource: "note:" + strconv.Itoa(id), Outcome: "success"})
	writeJSON(w, http.StatusOK, n)
}

func (a *App) deleteNote(w http.ResponseWriter, r *http.Request, u user) {
	id, ok := noteID(r)
	if !ok {
		writeError(w, http.StatusBadRequest, "bad note id")
		return
	}
	outcome := "success"
	if !a.data.remove(u.Tenant, id) {
		outcome = "not_found"
	}
	a.rec.Audit(r.Context(), recorder.Audit{Actor: u.Email, Tenant: u.Tenant, Action: "note.delete", Resource: "note:" + strconv.Itoa(id), Outcome: outcome})
	if outcome != "success" {
		writeError(w, http.StatusNotFound, "no such note")
		return
	}
	a.log.InfoContext(r.Context(), "note deleted", "note", id, "tenant", u.Tenant)
	w.WriteHeader(http.StatusNoContent)
}

// search is a "public search API" authenticated by an api_key query
// parameter, the kind of thing that leaks keys into access logs.
func (a *App) search(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if subtle.ConstantTimeCompare([]byte(q.Get("api_key")), []byte(SearchAPIKey)) != 1 {
		writeError(w, http.StatusForbidden, "invalid api_key")
		return
	}
	term := strings.ToLower(q.Get("q"))
	var hits []note
	for _, tenant := range []string{"acme", "initech"} {
		for _, n := range a.data.list(tenant) {
			if term == "" || strings.Contains(strings.ToLower(n.Title), term) {
				hits = append(hits, n)
			}
		}
	}
	if len(hits) > 10 {
		hits = hits[:10]
	}
	writeJSON(w, http.StatusOK, map[string]any{"q": term, "hits": len(hits)})
}

// checkoutRequest is the POST /checkout body.
type checkoutRequest struct {
	Amount        int    `json:"amount"`
	Currency      string `json:"currency"`
	PaymentMethod string `json:"paymentMethod"`
}

// checkout charges the fake payment provider through recorder.Transport, so
// the outbound call is a provider event correlated with this request. A
// declined card yields request, provider, audit, log and error events that
// share one requestId.
func (a *App) checkout(w http.ResponseWriter, r *http.Request, u user) {
	ctx := r.Context()
	var in checkoutRequest
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Amount <= 0 {
		writeError(w, http.StatusBadRequest, "amount and paymentMethod are required")
		return
	}
	if in.Currency == "" {
		in.Currency = "eur"
	}
	form := url.Values{"amount": {strconv.Itoa(in.Amount)}, "currency": {in.Currency}, "source": {in.PaymentMethod}, "description": {"notes pro, " + u.Tenant}}
	req, err := http.NewRequestWithContext(recorder.WithOperation(ctx, "charges.create"), http.MethodPost, a.providerURL+"/v1/charges", strings.NewReader(form.Encode()))
	if err != nil {
		writeError(w, http.StatusInternalServerError, "internal error")
		return
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Api-Key", ProviderAPIKey)
	req.Header.Set("Idempotency-Key", randHex(16))
	resource := "tenant:" + u.Tenant
	resp, err := a.client.Do(req)
	if err != nil {
		a.rec.Audit(ctx, recorder.Audit{Actor: u.Email, Tenant: u.Tenant, Action: "payment.charge", Resource: resource, Outcome: "error"})
		a.log.ErrorContext(ctx, "payment provider unreachable", "provider", "payments", "error", errorClass(err))
		a.rec.Event(ctx, event.KindError, "payment provider unreachable", map[string]any{"provider": "payments", "amount": in.Amount})
		writeError(w, http.StatusBadGateway, "payment provider unavailable")
		return
	}
	defer resp.Body.Close()
	var out struct {
		ID    string `json:"id"`
		Error *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	_ = json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&out)
	switch {
	case resp.StatusCode == http.StatusOK:
		a.rec.Audit(ctx, recorder.Audit{Actor: u.Email, Tenant: u.Tenant, Action: "payment.charge", Resource: resource, Outcome: "success", Metadata: map[string]any{"amount": in.Amount, "currency": in.Currency, "charge": out.ID}})
		a.log.InfoContext(ctx, "charge created", "amount", in.Amount, "currency", in.Currency, "charge", out.ID)
		writeJSON(w, http.StatusCreated, map[string]any{"charge": out.ID, "status": "succeeded"})
	case resp.StatusCode == http.StatusPaymentRequired:
		code := "declined"
		if out.Error != nil && out.Error.Code != "" {
			code = out.Error.Code
		}
		a.rec.Audit(ctx, recorder.Audit{Actor: u.Email, Tenant: u.Tenant, Action: "payment.charge", Resource: resource, Outcome: "declined", Metadata: map[string]any{"amount": in.Amount, "code": code}})
		a.log.WarnContext(ctx, "payment declined", "amount", in.Amount, "code", code)
		a.rec.Event(ctx, event.KindError, "payment declined", map[string]any{"provider": "payments", "code": code, "amount": in.Amount})
		writeError(w, http.StatusPaymentRequired, "card declined")
	default:
		a.rec.Audit(ctx, recorder.Audit{Actor: u.Email, Tenant: u.Tenant, Action: "payment.charge", Resource: resource, Outcome: "error"})
		a.log.ErrorContext(ctx, "payment provider error", "status", resp.StatusCode)
		a.rec.Event(ctx, event.KindError, "payment provider error", map[string]any{"provider": "payments", "status": resp.StatusCode})
		writeError(w, http.StatusBadGateway, "payment provider error")
	}
}

// errorClass names an error without its text, which may quote a URL.
func errorClass(err error) string {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	return "transport"
}

// slow takes a while: a report that scans everything.
func (a *App) slow(w http.ResponseWriter, r *http.Request) {
	d := a.slowDelay/3 + rand.N(a.slowDelay*2/3+1)
	a.log.InfoContext(r.Context(), "building report", "estimate", d.Round(time.Millisecond).String())
	select {
	case <-time.After(d):
	case <-r.Context().Done():
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"report": "quarterly", "tookMs": d.Milliseconds()})
}

// fail fails the way a flaky dependency does: a logged error and a 500.
func (a *App) fail(w http.ResponseWriter, r *http.Request) {
	a.log.ErrorContext(r.Context(), "export failed", "dependency", "postgres", "error", "context deadline exceeded after 2s")
	a.rec.Event(r.Context(), event.KindError, "export failed", map[string]any{"dependency": "postgres"})
	writeError(w, http.StatusInternalServerError, "internal error")
}

// panics panics, as handlers sometimes do. The recorder records it; the
// outer recover middleware answers 500 and keeps the server running.
func (a *App) panics(w http.ResponseWriter, r *http.Request) {
	var counts map[string]int
	if r.URL.Query().Get("kind") == "index" {
		var s []int
		_ = s[len(r.URL.Path)] // index out of range
	}
	//lint:ignore SA5000 the demo panics on purpose, as handlers sometimes do
	counts["oops"]++ // assignment to entry in nil map
}

// feed is a server-sent events stream of note counts, n ticks (default 5,
// at most 50), 250ms apart, until the client goes away or the app closes.
func (a *App) feed(w http.ResponseWriter, r *http.Request, u user) {
	n, _ := strconv.Atoi(r.URL.Query().Get("n"))
	if n <= 0 {
		n = 5
	}
	n = min(n, 50)
	a.sseMu.Lock()
	if a.sseClosed {
		a.sseMu.Unlock()
		writeError(w, http.StatusServiceUnavailable, "shutting down")
		return
	}
	a.sseWG.Add(1)
	a.sseMu.Unlock()
	defer a.sseWG.Done()

	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for i := 1; i <= n; i++ {
		if _, err := fmt.Fprintf(w, "id: %d\nevent: notes\ndata: {\"tenant\":%q,\"count\":%d}\n\n", i, u.Tenant, a.data.count(u.Tenant)); err != nil {
			return
		}
		if err := rc.Flush(); err != nil {
			return
		}
		if i == n {
			break
		}
		select {
		case <-tick.C:
		case <-r.Context().Done():
			return
		case <-a.sseStop:
			return
		}
	}
}

// recoverMiddleware answers 500 for a panic that got past next (the
// recorder records it, then lets it go on), logs it, and keeps the server
// alive. http.ErrAbortHandler is re-panicked, as net/http expects.
func recoverMiddleware(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tw := &trackingWriter{ResponseWriter: w}
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			log.ErrorContext(r.Context(), "panic recovered", "method", r.Method, "path", r.URL.Path)
			if !tw.wrote {
				writeError(tw, http.StatusInternalServerError, "internal error")
			}
		}()
		next.ServeHTTP(tw, r)
	})
}

// trackingWriter remembers whether the header was written. It unwraps for
// http.ResponseController and passes Flush through.
type trackingWriter struct {
	http.ResponseWriter
	wrote bool
}

func (t *trackingWriter) WriteHeader(code int) {
	t.wrote = true
	t.ResponseWriter.WriteHeader(code)
}

func (t *trackingWriter) Write(p []byte) (int, error) {
	t.wrote = true
	return t.ResponseWriter.Write(p)
}

func (t *trackingWriter) Flush() {
	t.wrote = true
	if f, ok := t.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (t *trackingWriter) Unwrap() http.ResponseWriter { return t.ResponseWriter }
