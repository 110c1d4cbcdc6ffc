package recorder

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/internal/filter"
	"github.com/beignet/devtools/store"
	"github.com/beignet/devtools/stream"
)

// HandlerOptions configures the devtools route.
type HandlerOptions struct {
	// BasePath is where the route is mounted; default /api/devtools.
	BasePath string
	// Enabled: nil follows the recorder (off outside development by
	// default). A disabled route answers 404 to everything and reads no
	// token.
	Enabled *bool
	// TokenEnv names the environment variable that holds the route's
	// token (MinTokenLen bytes or more: openssl rand -hex 32). Handler
	// reads it only when the route is enabled, so an app whose devtools
	// are off (outside development by default) starts without it. Enabled
	// outside development with the variable unset or empty, Handler fails
	// with ErrNoToken naming it; in development an unset variable leaves
	// the route to loopback clients, as without Authorize. The token is
	// accepted as TokenAuth does (Authorization: Bearer or
	// X-Devtools-Token), or, when TokenHeader is set, in that header only
	// (HeaderTokenAuth). Set TokenEnv or Authorize, not both.
	TokenEnv string
	// TokenHeader is the header TokenEnv's token travels in, for clients
	// that send it in a header of their own (the CLI's --auth-header).
	TokenHeader string
	// Authorize decides whether a request may use the route (see
	// TokenAuth, HeaderTokenAuth, or a callback of your own). It or
	// TokenEnv is required when the route is enabled outside development;
	// without either, development serves loopback clients only.
	Authorize func(*http.Request) bool
	// AllowedOrigins are the browser origins ("https://console.example",
	// matched with their scheme: http://console.example is another origin)
	// or host patterns ("console.example", "*.example", any scheme)
	// allowed besides the route's own origin (its scheme and host), for
	// websocket upgrades and writes.
	AllowedOrigins []string
	// TrustedProxies are the reverse proxies in front of the app
	// (addresses or CIDR prefixes, "10.0.0.0/8", "127.0.0.1"). Failed
	// attempts are counted per client address; for a request whose peer
	// is one of these, that is the address the proxies forwarded
	// (X-Forwarded-For, else Forwarded: the rightmost one that is not a
	// trusted proxy), and X-Forwarded-Proto is the scheme Origins are
	// matched against. Forwarding headers from any other peer are
	// ignored. Empty: the peer address (RemoteAddr), which behind a proxy
	// is the proxy's, shared by every client.
	TrustedProxies []string
	// MaxConnections caps the console connections (websockets) served at
	// once; default 64 (stream.DefaultMaxConnections), negative: no cap.
	// One more gets HTTP 503 before the upgrade, with a message, and is
	// counted in GET {base}/stats (route.connectionsRefused).
	MaxConnections int
}

// unauthorizedBody is the one body of every refused authorization,
// whatever the reason.
const unauthorizedBody = `{"error":"unauthorized"}` + "\n"

// Handler returns the devtools route: the websocket (GET {base}/ws) and the
// JSON routes GET {base}/events, GET {base}/events/{id}, GET
// {base}/requests/{requestId}, GET {base}/stats, POST {base}/purge and POST
// {base}/export, all behind the policy described in the package
// documentation. Mount it at BasePath (for example
// mux.Handle(opts.BasePath+"/", h)); the recorder's
// middleware skips that path.
//
// Nothing is checked, read or opened when the route is disabled (outside
// development by default): it answers 404. An enabled route fails when it
// is outside development without TokenEnv or Authorize (ErrNoAuthorize),
// when TokenEnv's variable is unset there (ErrNoToken) or short
// (ErrShortToken), or when BasePath, TokenHeader or AllowedOrigins are
// malformed. The recorder creates its store file once the route is built
// (or when the first event is written), so a start that fails here leaves
// nothing on disk.
func (r *Recorder) Handler(opts HandlerOptions) (http.Handler, error) {
	base := opts.BasePath
	if base == "" {
		base = DefaultBasePath
	}
	base = strings.TrimRight(base, "/")
	if base == "" || !strings.HasPrefix(base, "/") || strings.ContainsAny(base, "?#{} \t\r\n%") {
		return nil, ErrBadBasePath
	}
	enabled := r.Enabled()
	if opts.Enabled != nil {
		enabled = *opts.Enabled
	}
	if !enabled {
		return http.HandlerFunc(http.NotFound), nil
	}
	env := r.Env()
	authorize, err := routeAuthorize(opts, env)
	if err != nil {
		return nil, err
	}
	tokenHdr := ""
	if opts.TokenHeader != "" {
		tokenHdr = http.CanonicalHeaderKey(strings.TrimSpace(opts.TokenHeader))
	}
	cop := http.NewCrossOriginProtection()
	// origins are the allowed scheme://host origins; hostPatterns the
	// allowed host patterns (any scheme); patterns both as host patterns,
	// for the websocket library's own (host-only) check.
	var origins, hostPatterns, patterns []string
	for _, o := range opts.AllowedOrigins {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		if strings.Contains(o, "://") {
			u, err := url.Parse(o)
			if err != nil || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
				return nil, fmt.Errorf("recorder: allowed origin %q: want scheme://host[:port]", o)
			}
			if err := cop.AddTrustedOrigin(u.Scheme + "://" + u.Host); err != nil {
				return nil, fmt.Errorf("recorder: allowed origin %q: %w", o, err)
			}
			origins = append(origins, strings.ToLower(u.Scheme+"://"+u.Host))
			patterns = append(patterns, u.Host)
			continue
		}
		if strings.ContainsAny(o, "/?# ") {
			return nil, fmt.Errorf("recorder: allowed origin %q: want scheme://host[:port] or a host pattern", o)
		}
		hostPatterns = append(hostPatterns, o)
		patterns = append(patterns, o)
	}
	if r != nil && r.enabled {
		r.addIgnore(base)
	}
	px, err := parseProxies(opts.TrustedProxies)
	if err != nil {
		return nil, err
	}
	h := &devtools{
		r:            r,
		base:         base,
		authorize:    authorize,
		proxies:      px,
		origins:      origins,
		hostPatterns: hostPatterns,
		cop:          cop,
		mux:          http.NewServeMux(),
	}
	now := time.Now
	if r != nil {
		now = r.now
	}
	h.limit = newLimiter(now)
	h.tokenHeader = tokenHdr
	if r != nil && r.hub != nil {
		h.ws = stream.NewServer(stream.ServerOptions{
			Hub:            (*stream.Hub)(r.hub),
			History:        storeHistory{r},
			Hello:          stream.Hello{App: r.app, Env: r.env, Retention: r.retention, Instance: r.instance},
			Stats:          r.serverStats,
			OriginPatterns: patterns,
			MaxConnections: opts.MaxConnections,
			Logger:         r.log,
		})
		r.mu.Lock()
		closed := r.closed.Load()
		if !closed {
			r.servers = append(r.servers, h.ws)
		}
		r.mu.Unlock()
		if closed {
			_ = h.ws.Shutdown(context.Background())
		}
	}
	h.routes()
	if r != nil {
		r.openDeferred()
	}
	return h, nil
}

// routeAuthorize returns the route's Authorize callback: opts.Authorize,
// or the token check of opts.TokenEnv, or nil (loopback clients only,
// development only).
func routeAuthorize(opts HandlerOptions, env string) (func(*http.Request) bool, error) {
	if opts.TokenHeader != "" && opts.TokenEnv == "" {
		return nil, errors.New("recorder: HandlerOptions.TokenHeader needs TokenEnv (or use HeaderTokenAuth in Authorize)")
	}
	if opts.TokenEnv == "" {
		if env != EnvDevelopment && opts.Authorize == nil {
			return nil, fmt.Errorf("%w (environment %q)", ErrNoAuthorize, env)
		}
		return opts.Authorize, nil
	}
	if opts.Authorize != nil {
		return nil, errors.New("recorder: set HandlerOptions.TokenEnv or Authorize, not both")
	}
	header := ""
	if opts.TokenHeader != "" {
		var err error
		if header, err = tokenHeader(opts.TokenHeader); err != nil {
			return nil, err
		}
	}
	token, set := os.LookupEnv(opts.TokenEnv)
	if token == "" {
		if env == EnvDevelopment {
			return nil, nil // loopback clients only
		}
		state := "unset"
		if set {
			state = "empty"
		}
		return nil, fmt.Errorf("%w: %s is %s, and the devtools route is enabled in environment %q; set it to a token of %d bytes or more (openssl rand -hex 32), or leave devtools off there",
			ErrNoToken, opts.TokenEnv, state, env, MinTokenLen)
	}
	if err := checkToken(token, opts.TokenEnv); err != nil {
		return nil, err
	}
	return tokenCheck(header, token), nil
}

func (r *Recorder) serverStats() stream.ServerStats {
	s := r.Stats()
	return stream.ServerStats{Dropped: s.Dropped, Sampled: s.Sampled, Recorded: s.Recorded, StoreErrors: s.StoreErrors}
}

// storeHistory adapts the recorder's *store.Store to stream.History. While
// the store is unavailable there is no history (live only).
type storeHistory struct{ r *Recorder }

func (h storeHistory) SinceEncoded(ctx context.Context, after event.ID, limit int) ([]event.ID, [][]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	st := h.r.st.Load()
	if st == nil {
		return nil, nil, nil
	}
	if err := h.r.mark.wait(ctx, h.r.done); err != nil {
		return nil, nil, err
	}
	return st.SinceEncoded(after, limit)
}

type devtools struct {
	r            *Recorder
	base         string
	authorize    func(*http.Request) bool
	origins      []string // allowed "scheme://host", lower case
	hostPatterns []string // allowed host patterns, any scheme
	cop          *http.CrossOriginProtection
	limit        *limiter
	proxies      proxies
	// tokenHeader is TokenHeader, canonical (a credential for the limiter).
	tokenHeader string

	authFailed  atomic.Uint64 // refused by Authorize
	rateLimited atomic.Uint64 // answered 429
	ws          *stream.Server
	mux         *http.ServeMux
}

func (h *devtools) routes() {
	b := h.base
	h.mux.HandleFunc("GET "+b+"/ws", h.serveWS)
	h.mux.HandleFunc("GET "+b+"/events", h.listEvents)
	h.mux.HandleFunc("GET "+b+"/events/{id}", h.getEvent)
	h.mux.HandleFunc("GET "+b+"/requests/{requestId}", h.correlated)
	h.mux.HandleFunc("GET "+b+"/stats", h.stats)
	h.mux.HandleFunc("POST "+b+"/purge", h.purge)
	h.mux.HandleFunc("POST "+b+"/export", h.export)
	h.mux.HandleFunc(b+"/", func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusNotFound, "not found")
	})
}

// ServeHTTP applies the route's policy, in an order that lets no one
// without the token stop the one who has it:
//
//  1. Credentials in the query string, refused Origins (and cross-origin
//     writes) are refused outright. They are not guesses: nothing is
//     compared, nothing is counted.
//  2. Authorize (or, without it, the loopback policy) runs next, always: a
//     valid credential is served whatever its address did before. The
//     guess limiter never refuses it.
//  3. A refusal is a guess only when the request carried a credential
//     (a credential-shaped header such as Authorization,
//     X-Devtools-Token or a cookie): those are counted per client address
//     (the forwarded one behind TrustedProxies), and past the budget they
//     get 429 with Retry-After instead of 401. Requests without one, and
//     the loopback policy's refusals (remote peers, foreign Host names),
//     get 401 and count nothing.
func (h *devtools) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	hd := w.Header()
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Content-Type-Options", "nosniff")
	if h.r.queryCredential(req.URL.RawQuery) {
		writeError(w, http.StatusBadRequest, "credentials in the query string are refused; send Authorization: Bearer <token> or X-Devtools-Token")
		return
	}
	if !h.originAllowed(req) {
		writeError(w, http.StatusForbidden, "origin not allowed")
		return
	}
	// With an Origin, originAllowed decided (it is stricter than cop,
	// which matches hosts without their scheme, and knows host patterns);
	// without one, cop looks at Sec-Fetch-Site for cross-site writes.
	if req.Header.Get("Origin") == "" {
		if err := h.cop.Check(req); err != nil {
			writeError(w, http.StatusForbidden, "cross-origin request refused")
			return
		}
	}
	if h.authorize == nil {
		if !loopbackRequest(req) {
			h.unauthorized(w)
			return
		}
	} else if !h.authorize(req) {
		h.authFailed.Add(1)
		if hasCredential(req, h.tokenHeader) {
			if limited, retry := h.limit.fail(h.proxies.limitKey(req)); limited {
				h.rateLimited.Add(1)
				hd.Set("Retry-After", strconv.Itoa(int((retry+time.Second-1)/time.Second)))
				writeError(w, http.StatusTooManyRequests, "too many failed attempts from this address; retry after the time in Retry-After")
				return
			}
		}
		h.unauthorized(w)
		return
	}
	h.mux.ServeHTTP(w, req)
}

func (h *devtools) unauthorized(w http.ResponseWriter) {
	hd := w.Header()
	hd.Set("WWW-Authenticate", `Bearer realm="beignet-devtools"`)
	hd.Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusUnauthorized)
	_, _ = w.Write([]byte(unauthorizedBody))
}

// originAllowed checks a browser's Origin: absent (not a browser), the
// route's own origin (scheme and host: a page served over https is not the
// origin of an http route, nor the reverse), an allowed origin (scheme and
// host), or an allowed host pattern. The websocket library checks the host
// again on upgrade.
func (h *devtools) originAllowed(req *http.Request) bool {
	o := req.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	if u.Scheme == h.proxies.scheme(req) && strings.EqualFold(u.Host, req.Host) {
		return true
	}
	origin := strings.ToLower(u.Scheme + "://" + u.Host)
	for _, a := range h.origins {
		if a == origin {
			return true
		}
	}
	for _, p := range h.hostPatterns {
		if matchHost(p, u.Host) {
			return true
		}
	}
	return false
}

// matchHost matches a host pattern the way coder/websocket does (path.Match,
// case-insensitive).
func matchHost(pattern, host string) bool {
	pattern, host = strings.ToLower(pattern), strings.ToLower(host)
	if pattern == host {
		return true
	}
	if strings.HasPrefix(pattern, "*.") {
		return strings.HasSuffix(host, pattern[1:]) && !strings.Contains(host[:len(host)-len(pattern)+1], "/")
	}
	return false
}

func (h *devtools) serveWS(w http.ResponseWriter, req *http.Request) {
	if h.ws == nil {
		writeError(w, http.StatusServiceUnavailable, "recorder disabled: no live stream")
		return
	}
	h.ws.ServeHTTP(w, req)
}

// store returns the store for a request, once it holds every event
// published live before the request came (see commitMark), or nil after
// answering the request with why not.
func (h *devtools) store(w http.ResponseWriter, req *http.Request) *store.Store {
	st := h.r.Store()
	if st == nil {
		writeError(w, http.StatusServiceUnavailable, "store unavailable; see /stats")
		return nil
	}
	if err := h.r.mark.wait(req.Context(), h.r.done); err != nil {
		writeError(w, http.StatusServiceUnavailable, "request canceled while the pipeline committed")
		return nil
	}
	return st
}

type eventsPage struct {
	Events  []json.RawMessage `json:"events"`
	Next    string            `json:"next,omitempty"`
	Skipped int               `json:"skipped,omitempty"`
}

func (h *devtools) listEvents(w http.ResponseWriter, req *http.Request) {
	st := h.store(w, req)
	if st == nil {
		return
	}
	q, err := parseQuery(req.URL.Query(), h.r.now())
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	page, err := st.List(q)
	if err != nil {
		h.storeError(w, err)
		return
	}
	out := eventsPage{Events: encodeAll(page.Events), Skipped: page.Skipped}
	if !page.Next.IsZero() {
		out.Next = page.Next.String()
	}
	writeJSON(w, http.StatusOK, out)
}

func encodeAll(events []event.Event) []json.RawMessage {
	out := make([]json.RawMessage, 0, len(events))
	for i := range events {
		if b, err := event.Marshal(&events[i]); err == nil {
			out = append(out, b)
		}
	}
	return out
}

// parseQuery reads the /events filters: kind (repeatable or comma list),
// since and until (RFC 3339 or a duration ago such as 15m), status (500,
// >=500, <400, 5xx, 400-499), statusMin, statusMax, method, path (prefix),
// requestId, q or text, before and after (event IDs), limit.
func parseQuery(v url.Values, now time.Time) (store.Query, error) {
	var q store.Query
	for _, ks := range v["kind"] {
		for _, k := range strings.Split(ks, ",") {
			if k = strings.TrimSpace(k); k == "" {
				continue
			}
			kind, err := event.ParseKind(k)
			if err != nil {
				return q, errors.New("bad kind: want request, provider, audit, log, error or custom")
			}
			q.Kinds = append(q.Kinds, kind)
		}
	}
	var err error
	if q.Since, err = parseWhen(v.Get("since"), now); err != nil {
		return q, errors.New("bad since: want RFC 3339 time or a duration such as 15m")
	}
	if q.Until, err = parseWhen(v.Get("until"), now); err != nil {
		return q, errors.New("bad until: want RFC 3339 time or a duration such as 15m")
	}
	if s := v.Get("status"); s != "" {
		if q.StatusMin, q.StatusMax, err = parseStatus(s); err != nil {
			return q, errors.New("bad status: want 500, >=500, <400, 5xx or 400-499")
		}
	}
	for name, dst := range map[string]*int{"statusMin": &q.StatusMin, "statusMax": &q.StatusMax} {
		if s := v.Get(name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 || n > 999 {
				return q, fmt.Errorf("bad %s: want an HTTP status", name)
			}
			*dst = n
		}
	}
	q.Method = strings.ToUpper(v.Get("method"))
	q.PathPrefix = v.Get("path")
	q.RequestID = v.Get("requestId")
	q.Text = v.Get("q")
	if q.Text == "" {
		q.Text = v.Get("text")
	}
	if q.Before, err = event.ParseID(v.Get("before")); err != nil {
		return q, errors.New("bad before: want an event ID")
	}
	if q.After, err = event.ParseID(v.Get("after")); err != nil {
		return q, errors.New("bad after: want an event ID")
	}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return q, errors.New("bad limit: want a positive number (max 1000)")
		}
		q.Limit = min(n, 1000)
	}
	return q, nil
}

func parseWhen(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return time.Time{}, errors.New("bad time")
	}
	return now.Add(-d), nil
}

func parseStatus(s string) (lo, hi int, err error) {
	s = strings.TrimSpace(s)
	atoi := func(x string) (int, error) {
		n, err := strconv.Atoi(strings.TrimSpace(x))
		if err != nil || n < 100 || n > 999 {
			return 0, errors.New("bad status")
		}
		return n, nil
	}
	switch {
	case strings.HasPrefix(s, ">="):
		lo, err = atoi(s[2:])
	case strings.HasPrefix(s, "<="):
		hi, err = atoi(s[2:])
	case strings.HasPrefix(s, ">"):
		lo, err = atoi(s[1:])
		lo++
	case strings.HasPrefix(s, "<"):
		hi, err = atoi(s[1:])
		hi--
	case len(s) == 3 && strings.HasSuffix(strings.ToLower(s), "xx") && s[0] >= '1' && s[0] <= '9':
		lo = int(s[0]-'0') * 100
		hi = lo + 99
	case strings.Contains(s, "-"):
		a, b, _ := strings.Cut(s, "-")
		if lo, err = atoi(a); err == nil {
			hi, err = atoi(b)
		}
	default:
		lo, err = atoi(s)
		hi = lo
	}
	return lo, hi, err
}

func (h *devtools) getEvent(w http.ResponseWriter, req *http.Request) {
	st := h.store(w, req)
	if st == nil {
		return
	}
	id, err := event.ParseID(req.PathValue("id"))
	if err != nil || id.IsZero() {
		writeError(w, http.StatusBadRequest, "bad event id")
		return
	}
	e, err := st.Get(id)
	if err != nil {
		h.storeError(w, err)
		return
	}
	b, err := event.Marshal(&e)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "cannot encode event")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(append(b, '\n'))
}

func (h *devtools) correlated(w http.ResponseWriter, req *http.Request) {
	st := h.store(w, req)
	if st == nil {
		return
	}
	id := req.PathValue("requestId")
	if !validRequestID(id) {
		writeError(w, http.StatusBadRequest, "bad request id")
		return
	}
	events, err := st.Correlated(id)
	if err != nil {
		h.storeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		RequestID string            `json:"requestId"`
		Events    []json.RawMessage `json:"events"`
	}{id, encodeAll(events)})
}

func (h *devtools) stats(w http.ResponseWriter, _ *http.Request) {
	out := struct {
		App         string       `json:"app,omitempty"`
		Env         string       `json:"env"`
		Recorder    Stats        `json:"recorder"`
		Store       *store.Stats `json:"store,omitempty"`
		StoreError  string       `json:"storeError,omitempty"`
		Subscribers int          `json:"subscribers"`
		Route       RouteStats   `json:"route"`
	}{Env: h.r.Env(), Recorder: h.r.Stats(), Route: h.routeStats()}
	if h.r != nil {
		out.App = h.r.app
		if h.r.hub != nil {
			out.Subscribers = h.r.hub.Subscribers()
		}
		if st := h.r.Store(); st != nil {
			if s, err := st.Stats(); err != nil {
				out.StoreError = storeErrorText(err)
			} else {
				out.Store = &s
			}
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// maxBodyBytes bounds the JSON body of POST {base}/purge and /export.
const maxBodyBytes = 64 << 10

// decodeBody reads a JSON request body into v: application/json, at most
// maxBodyBytes, no unknown fields. It writes the error answer itself.
func decodeBody(w http.ResponseWriter, req *http.Request, v any, want string) bool {
	if ct := req.Header.Get("Content-Type"); !strings.HasPrefix(strings.ToLower(ct), "application/json") {
		writeError(w, http.StatusUnsupportedMediaType, "want Content-Type: application/json")
		return false
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, req.Body, maxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, "bad request body: want "+want)
		return false
	}
	return true
}

// purge serves POST {base}/purge: the body is a store.PurgeRequest, the
// answer a store.PurgeResult (see their docs for the JSON). It is recorded
// as an audit event of the app (devtools.purge).
func (h *devtools) purge(w http.ResponseWriter, req *http.Request) {
	st := h.store(w, req)
	if st == nil {
		return
	}
	var p store.PurgeRequest
	if !decodeBody(w, req, &p, `{"match":"actor:ada@example.com","withRequests":true,"olderThan":"24h","kinds":[...],"keep":N,"dryRun":bool,"compact":bool}`) {
		return
	}
	res, err := st.Do(req.Context(), p, h.r.now())
	if errors.Is(err, store.ErrInvalid) {
		writeError(w, http.StatusBadRequest, strings.TrimPrefix(err.Error(), "store: invalid argument: "))
		return
	}
	h.auditPrivacy(req, "devtools.purge", p.Selection, err, map[string]any{
		"dryRun": p.DryRun, "keep": p.Keep, "removed": res.Removed, "trimmed": res.Trimmed,
		"compacted": res.Compacted, "perKind": perKindAttr(res.PerKind), "widened": res.Widened,
	})
	if err != nil {
		h.storeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// Trailers of POST {base}/export: the count written, and an error that
// cut the export short (the status line was already sent).
const (
	trailerExported    = "Beignet-Exported"
	trailerExportError = "Beignet-Export-Error"
)

// export serves POST {base}/export: the body is a store.Selection (a POST,
// not a GET: the query names a person, and query strings end up in access
// logs), the answer the selected events as JSON lines
// (application/x-ndjson), each as stored, oldest first. The trailer
// Beignet-Exported holds the count; Beignet-Export-Error is set when the
// export stopped early. It is recorded as an audit event of the app
// (devtools.export).
func (h *devtools) export(w http.ResponseWriter, req *http.Request) {
	st := h.store(w, req)
	if st == nil {
		return
	}
	var sel store.Selection
	if !decodeBody(w, req, &sel, `{"match":"actor:ada@example.com","withRequests":true,"olderThan":"24h","kinds":[...]}`) {
		return
	}
	if strings.TrimSpace(sel.Match) == "" {
		writeError(w, http.StatusBadRequest, "export needs match (a query such as actor:ada@example.com)")
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "application/x-ndjson")
	hd.Set("Trailer", trailerExported+", "+trailerExportError)
	cw := &countingWriter{w: w}
	res, err := st.Export(req.Context(), sel, cw, h.r.now())
	if errors.Is(err, store.ErrInvalid) && cw.n == 0 {
		hd.Del("Trailer")
		writeError(w, http.StatusBadRequest, strings.TrimPrefix(err.Error(), "store: invalid argument: "))
		return
	}
	h.auditPrivacy(req, "devtools.export", sel, err, map[string]any{
		"exported": res.Exported, "perKind": perKindAttr(res.PerKind), "widened": res.Widened,
	})
	if err != nil && cw.n == 0 {
		hd.Del("Trailer")
		h.storeError(w, err)
		return
	}
	if cw.n == 0 {
		w.WriteHeader(http.StatusOK)
	}
	hd.Set(trailerExported, strconv.Itoa(res.Exported))
	if err != nil {
		hd.Set(trailerExportError, "export stopped early; see the app's log")
		if h.r != nil {
			h.r.log.Warn("recorder: devtools export stopped early", "error", storeErrorText(err))
		}
	}
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w http.ResponseWriter
	n int64
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}

// auditPrivacy records a purge or an export through the route as an audit
// event of the app: who (the client address and user agent), what (the
// query masked: field names kept, values that may name a person replaced),
// how many. It never holds the selected events' data, so an erasure leaves
// a trace without undoing itself.
func (h *devtools) auditPrivacy(req *http.Request, action string, sel store.Selection, err error, counts map[string]any) {
	if h.r == nil {
		return
	}
	md := map[string]any{"query": maskQuery(sel.Match), "withRequests": sel.WithRequests}
	if sel.OlderThan != "" {
		md["olderThan"] = sel.OlderThan
	}
	if len(sel.Kinds) > 0 {
		ks := make([]string, len(sel.Kinds))
		for i, k := range sel.Kinds {
			ks[i] = string(k)
		}
		md["kinds"] = ks
	}
	if ua := req.UserAgent(); ua != "" {
		md["userAgent"] = clipUA(ua)
	}
	for k, v := range counts {
		md[k] = v
	}
	outcome := "done"
	if err != nil {
		outcome = "failed"
	} else if dry, _ := counts["dryRun"].(bool); dry {
		outcome = "dry-run"
	}
	actor := "devtools client"
	if a := clientAddr(req); a.IsValid() {
		actor += " " + a.String()
	}
	// A fresh context: the route's request is not one the app recorded.
	h.r.Audit(context.Background(), Audit{Actor: actor, Action: action, Resource: "devtools store", Outcome: outcome, Metadata: md})
}

// maskQuery is the query with the values that may name a person replaced
// (see filter.Filter.Masked); a query that does not parse is not repeated.
func maskQuery(q string) string {
	if strings.TrimSpace(q) == "" {
		return ""
	}
	f, err := filter.Parse(q)
	if err != nil {
		return "(invalid)"
	}
	return f.Masked()
}

func perKindAttr(m map[event.Kind]int) map[string]any {
	out := make(map[string]any, len(m))
	for k, n := range m {
		out[string(k)] = n
	}
	return out
}

func clipUA(s string) string {
	if len(s) > 100 {
		return s[:100]
	}
	return s
}

func (h *devtools) storeError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "not found")
	case errors.Is(err, store.ErrClosed):
		writeError(w, http.StatusServiceUnavailable, "store closed")
	default:
		if h.r != nil {
			h.r.log.Warn("recorder: devtools route store error", "error", storeErrorText(err))
		}
		writeError(w, http.StatusInternalServerError, "store error")
	}
}

// storeErrorText is an error's text for logs and stats: store errors name
// the store, not event content.
func storeErrorText(err error) string { return err.Error() }

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "cannot encode answer")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

func writeError(w http.ResponseWriter, status int, msg string) {
	b, _ := json.Marshal(struct {
		Error string `json:"error"`
	}{msg})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
