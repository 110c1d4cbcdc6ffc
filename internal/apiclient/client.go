package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/store"
	"github.com/beignet/devtools/stream"
)

// Defaults of Options.
const (
	DefaultTimeout    = 30 * time.Second
	DefaultRetries    = 2
	DefaultMinBackoff = 200 * time.Millisecond
	// MaxResponse bounds one JSON answer (a page of at most 1000 events
	// with capped bodies).
	MaxResponse = 256 << 20
	// maxRetryWait is the longest Retry-After a read waits for before it
	// gives up and returns the error instead.
	maxRetryWait = 5 * time.Second
)

// Options configures a Client. The zero value of each field means the
// documented default; URL is required.
type Options struct {
	// URL is the devtools route: its base URL
	// (http://127.0.0.1:8080/api/devtools) or its websocket URL (ws://,
	// wss://, or any scheme with a trailing /ws). A URL with userinfo, a
	// query or a fragment is refused: credentials there end up in logs.
	URL string
	// Token is the credential; empty sends none.
	Token string
	// TokenHeader names the header that carries Token, as is (for an
	// Authorize callback that compares X-Devtools-Token, say). Empty, or
	// "Authorization", means "Authorization: Bearer <token>".
	TokenHeader string
	// Header holds extra headers for every request and the websocket
	// handshake (never the credential: use Token).
	Header http.Header
	// HTTPClient sends the JSON requests; nil means a client with
	// Timeout. Its redirect policy is replaced: redirects are never
	// followed.
	HTTPClient *http.Client
	// Timeout bounds one JSON request when HTTPClient is nil; default 30s.
	Timeout time.Duration
	// Retries is how many more times a read is tried after a network
	// error or a 502, 503 or 504; default 2, negative for none.
	Retries int
	// MinBackoff is the first retry's delay bound; default 200ms, doubling.
	MinBackoff time.Duration
	// Logger receives retries (never content or credentials); nil discards.
	Logger *slog.Logger
	// Now is the clock for an HTTP-date Retry-After; nil means time.Now.
	Now func() time.Time
	// DialAddress, when set, is the host:port that every connection (JSON
	// requests and the websocket) goes to instead of the address the URL's
	// host resolves to. The URL still names the Host header and the TLS
	// server name, so one instance behind a name that resolves to several
	// (a headless Service, DNS round-robin) is reached as that name. It
	// cannot be combined with HTTPClient.
	DialAddress string
}

// Client talks to one devtools route. It is safe for concurrent use.
type Client struct {
	opts   Options
	base   string // http(s)://host[:port]/base, no trailing slash
	hc     *http.Client
	pinned *http.Client // the websocket's dialer when DialAddress is set
	log    *slog.Logger
}

// New checks opts and returns a Client; nothing is sent until a call.
func New(opts Options) (*Client, error) {
	base, err := baseURL(opts.URL)
	if err != nil {
		return nil, err
	}
	if h := strings.TrimSpace(opts.TokenHeader); h != "" {
		if err := checkTokenHeader(h); err != nil {
			return nil, err
		}
		opts.TokenHeader = http.CanonicalHeaderKey(h)
		if opts.TokenHeader == "Authorization" {
			opts.TokenHeader = ""
		}
	} else {
		opts.TokenHeader = ""
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Retries == 0 {
		opts.Retries = DefaultRetries
	}
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = DefaultMinBackoff
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	opts.Header = opts.Header.Clone()
	var hc http.Client
	var pinned *http.Client
	switch {
	case opts.DialAddress != "" && opts.HTTPClient != nil:
		return nil, fmt.Errorf("%w: DialAddress and HTTPClient both set", ErrBadOptions)
	case opts.DialAddress != "":
		if _, _, err := net.SplitHostPort(opts.DialAddress); err != nil {
			return nil, fmt.Errorf("%w: DialAddress %q: %w", ErrBadOptions, opts.DialAddress, err)
		}
		pinned = &http.Client{Transport: pinnedTransport(opts.DialAddress)}
		hc.Transport = pinned.Transport
		hc.Timeout = opts.Timeout
	case opts.HTTPClient != nil:
		hc = *opts.HTTPClient
	default:
		hc.Timeout = opts.Timeout
	}
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Client{opts: opts, base: base, hc: &hc, pinned: pinned, log: opts.Logger}, nil
}

// pinnedTransport dials addr whatever the request's host: the URL keeps
// naming the Host header and the TLS server name. No proxy: the address
// is the instance itself.
func pinnedTransport(addr string) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	t.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return d.DialContext(ctx, network, addr)
	}
	return t
}

// DialAddress returns Options.DialAddress: the address connections go to
// instead of the URL's host, or "".
func (c *Client) DialAddress() string { return c.opts.DialAddress }

// baseURL turns any accepted form of the route URL into its http(s) base.
func baseURL(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "", fmt.Errorf("%w: %w: %w", ErrBadOptions, stream.ErrBadURL, err)
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "ws":
		u.Scheme = "http"
	case "https", "wss":
		u.Scheme = "https"
	default:
		return "", fmt.Errorf("%w: %w: scheme must be http, https, ws or wss", ErrBadOptions, stream.ErrBadURL)
	}
	if u.Host == "" {
		return "", fmt.Errorf("%w: %w: missing host", ErrBadOptions, stream.ErrBadURL)
	}
	if u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return "", fmt.Errorf("%w: %w: no credentials, query or fragment in the URL (they end up in logs)", ErrBadOptions, stream.ErrBadURL)
	}
	u.Path = strings.TrimSuffix(strings.TrimRight(u.Path, "/"), "/ws")
	u.RawPath = ""
	return strings.TrimRight(u.String(), "/"), nil
}

// checkTokenHeader refuses a header name that is not a valid field name,
// or one that the transport or the websocket handshake owns.
func checkTokenHeader(h string) error {
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return fmt.Errorf("%w: token header %q is not a header name", ErrBadOptions, h)
		}
	}
	switch k := strings.ToLower(h); {
	case k == "host", k == "content-length", k == "content-type", k == "transfer-encoding", k == "connection",
		k == "upgrade", k == "origin", k == "cookie", k == "te", k == "trailer", k == "keep-alive",
		k == "proxy-authorization", k == "accept", k == "accept-encoding",
		strings.HasPrefix(k, "sec-"), strings.HasPrefix(k, "proxy-"):
		return fmt.Errorf("%w: token header %q is reserved; pick the header the app's Authorize reads, e.g. X-Devtools-Token", ErrBadOptions, h)
	}
	return nil
}

// Base returns the route's base URL, e.g. http://127.0.0.1:8080/api/devtools.
func (c *Client) Base() string { return c.base }

// WebsocketURL returns the route's websocket URL (ws:// or wss://).
func (c *Client) WebsocketURL() string {
	if rest, ok := strings.CutPrefix(c.base, "https://"); ok {
		return "wss://" + rest + "/ws"
	}
	return "ws://" + strings.TrimPrefix(c.base, "http://") + "/ws"
}

// HasToken reports whether the client sends a credential.
func (c *Client) HasToken() bool { return c.opts.Token != "" }

// TokenHeader returns the header that carries the token (canonical form),
// or "" for Authorization: Bearer.
func (c *Client) TokenHeader() string { return c.opts.TokenHeader }

// StreamOptions returns o with the route's websocket URL, the client's
// credentials and headers (o's own headers win) and logger (when o has
// none) filled in.
func (c *Client) StreamOptions(o stream.ClientOptions) stream.ClientOptions {
	o.URL = c.WebsocketURL()
	o.Token, o.TokenHeader = c.opts.Token, c.opts.TokenHeader
	h := c.opts.Header.Clone()
	for k, v := range o.Header {
		if h == nil {
			h = http.Header{}
		}
		h[k] = v
	}
	o.Header = h
	if o.Logger == nil {
		o.Logger = c.log
	}
	if o.HTTPClient == nil && c.pinned != nil {
		o.HTTPClient = c.pinned
	}
	return o
}

// Stream returns a websocket client for the route: StreamOptions(o).
func (c *Client) Stream(o stream.ClientOptions) *stream.Client {
	return stream.NewClient(c.StreamOptions(o))
}

// setCredentials puts the token where the app's Authorize looks for it.
func (c *Client) setCredentials(h http.Header) {
	if c.opts.Token == "" {
		return
	}
	if c.opts.TokenHeader != "" {
		h.Set(c.opts.TokenHeader, c.opts.Token)
	} else {
		h.Set("Authorization", "Bearer "+c.opts.Token)
	}
}

// request is one JSON API call.
type request struct {
	method, path string
	query        url.Values
	body         []byte
	noAuth       bool
}

// do sends r (retrying reads) and decodes a 200 answer into into (nil:
// discard). Any other answer is a *stream.HTTPError.
func (c *Client) do(ctx context.Context, r request, into any) error {
	attempts := 1
	if r.method == http.MethodGet && c.opts.Retries > 0 {
		attempts += c.opts.Retries
	}
	var err error
	for i := 0; i < attempts; i++ {
		var retryAfter time.Duration
		retryAfter, err = c.once(ctx, r, into)
		if err == nil || !retryable(err) || i == attempts-1 || ctx.Err() != nil {
			break
		}
		if retryAfter > maxRetryWait {
			break
		}
		d := max(c.backoff(i), retryAfter)
		c.log.Debug("apiclient: retrying", "path", r.path, "in", d, "err", err)
		if !sleep(ctx, d) {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("apiclient: %s %s: %w", r.method, r.path, err)
	}
	return nil
}

// once sends r once; it also returns the answer's Retry-After.
func (c *Client) once(ctx context.Context, r request, into any) (time.Duration, error) {
	u := c.base + r.path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u, body)
	if err != nil {
		return 0, err
	}
	for k, v := range c.opts.Header {
		req.Header[k] = v
	}
	req.Header.Set("Accept", "application/json")
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if !r.noAuth {
		c.setCredentials(req.Header)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, netError(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		he := stream.ResponseError(resp, c.opts.Now)
		return he.RetryAfter, he
	}
	if into == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, MaxResponse))
		return 0, nil
	}
	if sink, ok := into.(*rawSink); ok {
		n, err := io.Copy(sink.w, resp.Body)
		sink.n += n
		if err != nil {
			return 0, fmt.Errorf("copy answer: %w", err)
		}
		sink.trailer = resp.Trailer
		return 0, nil
	}
	dec := json.NewDecoder(io.LimitReader(resp.Body, MaxResponse))
	if err := dec.Decode(into); err != nil {
		return 0, fmt.Errorf("%w: undecodable answer: %w", stream.ErrProtocol, err)
	}
	return 0, nil
}

// netError strips the *url.Error around a transport error: its text
// repeats the whole URL.
func netError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		if ue.Timeout() {
			return fmt.Errorf("timed out: %w", ue.Err)
		}
		return ue.Err
	}
	return err
}

// retryable: network errors and 502, 503, 504 (a proxy while the app
// restarts); never a refusal, a 429 or a protocol error.
func retryable(err error) bool {
	var he *stream.HTTPError
	if errors.As(err, &he) {
		switch he.StatusCode {
		case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			return true
		}
		return false
	}
	return !errors.Is(err, stream.ErrProtocol) && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

// backoff is full jitter over min*2^n.
func (c *Client) backoff(n int) time.Duration {
	d := c.opts.MinBackoff << min(n, 16)
	return rand.N(d + 1)
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// Query selects events for Events; the zero value is the newest page.
type Query struct {
	// Before and After page by event ID (exclusive).
	Before, After event.ID
	// Limit is the page size; 0 means the server's default, at most 1000.
	Limit int
	// Kinds, when set, keeps only these kinds.
	Kinds []event.Kind
	// RequestID, when set, keeps only that request's events.
	RequestID string
}

func (q Query) values() url.Values {
	v := url.Values{}
	if !q.Before.IsZero() {
		v.Set("before", q.Before.String())
	}
	if !q.After.IsZero() {
		v.Set("after", q.After.String())
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(min(q.Limit, 1000)))
	}
	if len(q.Kinds) > 0 {
		ks := make([]string, len(q.Kinds))
		for i, k := range q.Kinds {
			ks[i] = string(k)
		}
		v.Set("kind", strings.Join(ks, ","))
	}
	if q.RequestID != "" {
		v.Set("requestId", q.RequestID)
	}
	return v
}

// Page is one answer of GET {base}/events, newest first.
type Page struct {
	// Events are the events as the server encoded them (schema v1 JSON).
	Events []json.RawMessage `json:"events"`
	// Next is the cursor for the following (older) page: Before = Next;
	// zero when this is the last page.
	Next event.ID `json:"next"`
	// Skipped counts records the server could not decode.
	Skipped int `json:"skipped"`
}

// Events reads one page of GET {base}/events.
func (c *Client) Events(ctx context.Context, q Query) (Page, error) {
	var p Page
	err := c.do(ctx, request{method: http.MethodGet, path: "/events", query: q.values()}, &p)
	return p, err
}

// Older returns up to limit events older than before (zero: the newest),
// newest first.
func (c *Client) Older(ctx context.Context, before event.ID, limit int) ([]event.Event, error) {
	p, err := c.Events(ctx, Query{Before: before, Limit: max(limit, 1)})
	if err != nil {
		return nil, err
	}
	return Decode(p.Events)
}

// Newer returns up to limit events newer than after, oldest first.
func (c *Client) Newer(ctx context.Context, after event.ID, limit int) ([]event.Event, error) {
	p, err := c.Events(ctx, Query{After: after, Limit: max(limit, 1)})
	if err != nil {
		return nil, err
	}
	evs, err := Decode(p.Events)
	for i, j := 0, len(evs)-1; i < j; i, j = i+1, j-1 {
		evs[i], evs[j] = evs[j], evs[i]
	}
	return evs, err
}

// Event reads GET {base}/events/{id}; a missing event is an error matching
// stream.ErrNotFound.
func (c *Client) Event(ctx context.Context, id event.ID) (event.Event, error) {
	var raw json.RawMessage
	var e event.Event
	if err := c.do(ctx, request{method: http.MethodGet, path: "/events/" + id.String()}, &raw); err != nil {
		return e, err
	}
	if err := event.Unmarshal(raw, &e); err != nil {
		return e, fmt.Errorf("apiclient: event %s: %w: %w", id, stream.ErrProtocol, err)
	}
	return e, nil
}

// Correlated reads GET {base}/requests/{requestID}: the request's events,
// oldest first.
func (c *Client) Correlated(ctx context.Context, requestID string) ([]event.Event, error) {
	var p struct {
		Events []json.RawMessage `json:"events"`
	}
	if err := c.do(ctx, request{method: http.MethodGet, path: "/requests/" + url.PathEscape(requestID)}, &p); err != nil {
		return nil, err
	}
	return Decode(p.Events)
}

// Decode decodes events as a page carries them; it stops at the first that
// does not decode (returning those before it).
func Decode(raws []json.RawMessage) ([]event.Event, error) {
	out := make([]event.Event, 0, len(raws))
	for _, r := range raws {
		var e event.Event
		if err := event.Unmarshal(r, &e); err != nil {
			return out, fmt.Errorf("apiclient: %w: undecodable event: %w", stream.ErrProtocol, err)
		}
		out = append(out, e)
	}
	return out, nil
}

// Stats is the answer of GET {base}/stats.
type Stats struct {
	App string `json:"app"`
	Env string `json:"env"`
	// Recorder holds the recorder's counters (recorder.Stats) as sent.
	Recorder json.RawMessage `json:"recorder"`
	// Store holds the store's figures (store.Stats) as sent; empty when
	// the store is unavailable (StoreError says why).
	Store       json.RawMessage `json:"store"`
	StoreError  string          `json:"storeError"`
	Subscribers int             `json:"subscribers"`
}

// Stats reads GET {base}/stats.
func (c *Client) Stats(ctx context.Context) (Stats, error) {
	var s Stats
	err := c.do(ctx, request{method: http.MethodGet, path: "/stats"}, &s)
	return s, err
}

// NeedsToken asks the route, without credentials, whether it serves this
// client without a token: false when GET {base}/stats answers 200 (a
// development route without Authorize, from loopback), true when it
// answers 401 or 403. Any other answer is the error (a 404 matching
// stream.ErrNotFound, a 429 stream.ErrRateLimited, a network error).
func (c *Client) NeedsToken(ctx context.Context) (bool, error) {
	err := c.do(ctx, request{method: http.MethodGet, path: "/stats", noAuth: true}, nil)
	switch {
	case err == nil:
		return false, nil
	case errors.Is(err, stream.ErrUnauthorized):
		return true, nil
	}
	return false, err
}

// Purge sends POST {base}/purge once (never retried). The request and the
// answer are the store's one definition of the route's wire types.
func (c *Client) Purge(ctx context.Context, req store.PurgeRequest) (store.PurgeResult, error) {
	var res store.PurgeResult
	body, err := json.Marshal(req)
	if err != nil {
		return res, fmt.Errorf("apiclient: purge: %w", err)
	}
	err = c.do(ctx, request{method: http.MethodPost, path: "/purge", body: body}, &res)
	return res, err
}

// ErrIncompleteExport: the app's export stopped before its end (its
// trailer says so, or is missing); what was written is a prefix.
var ErrIncompleteExport = errors.New("apiclient: export incomplete")

// Export sends POST {base}/export once (never retried) and copies the
// selected events, JSON lines as the app stores them, to w. It returns how
// many the app wrote, from its Beignet-Exported trailer.
func (c *Client) Export(ctx context.Context, sel store.Selection, w io.Writer) (int, error) {
	body, err := json.Marshal(sel)
	if err != nil {
		return 0, fmt.Errorf("apiclient: export: %w", err)
	}
	sink := &rawSink{w: w}
	if err := c.do(ctx, request{method: http.MethodPost, path: "/export", body: body}, sink); err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(sink.trailer.Get("Beignet-Exported"))
	if err != nil || sink.trailer.Get("Beignet-Export-Error") != "" {
		return n, fmt.Errorf("%w: the app stopped after %d bytes", ErrIncompleteExport, sink.n)
	}
	return n, nil
}

// rawSink, as do's into, receives the answer's body as is and its trailer.
type rawSink struct {
	w       io.Writer
	n       int64
	trailer http.Header
}

// Probe is one raw request for checks that must send what a normal call
// never would (doctor: no credentials, a token in the query string, a bare
// websocket upgrade from a foreign Origin).
type Probe struct {
	// Path is below the base ("/events", "/ws").
	Path string
	// RawQuery is sent as is.
	RawQuery string
	// Header is added to the client's headers.
	Header http.Header
	// Credentials sends the client's token.
	Credentials bool
}

// Answer is what a Probe got.
type Answer struct {
	Status int
	// Body is the first 4 KiB of the body (nothing for 101).
	Body []byte
	// RetryAfter is the answer's Retry-After, zero when absent.
	RetryAfter time.Duration
}

// Probe sends p once as a GET and returns the answer whatever its status;
// the error is for a request that got no answer. Redirects are not
// followed (a redirect is its answer).
func (c *Client) Probe(ctx context.Context, p Probe) (Answer, error) {
	u := c.base + p.Path
	if p.RawQuery != "" {
		u += "?" + p.RawQuery
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return Answer{}, fmt.Errorf("apiclient: probe: %w", err)
	}
	for k, v := range c.opts.Header {
		req.Header[k] = v
	}
	for k, v := range p.Header {
		req.Header[k] = v
	}
	if p.Credentials {
		c.setCredentials(req.Header)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return Answer{}, fmt.Errorf("apiclient: probe: %w", netError(err))
	}
	defer resp.Body.Close()
	a := Answer{Status: resp.StatusCode}
	if ra := resp.Header.Get("Retry-After"); ra != "" {
		a.RetryAfter = stream.ResponseError(&http.Response{StatusCode: resp.StatusCode, Header: resp.Header}, c.opts.Now).RetryAfter
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		a.Body, _ = io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	}
	return a, nil
}
