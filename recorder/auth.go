package recorder

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"
)

// MinTokenLen is the shortest token TokenAuth, HeaderTokenAuth and
// HandlerOptions.TokenEnv accept.
const MinTokenLen = 32

// TokenAuth returns an Authorize callback that accepts a request carrying
// token in "Authorization: Bearer <token>" or "X-Devtools-Token: <token>",
// compared in constant time (over SHA-256 digests, so the length does not
// leak either). It refuses an empty token (ErrNoToken) and tokens shorter
// than MinTokenLen bytes (ErrShortToken). Tokens in the query string are
// never looked at (Handler refuses such requests).
//
// TokenAuth checks its token at once. To read the token from the
// environment only when the route is enabled (so that an app whose
// devtools are off starts without one), use HandlerOptions.TokenEnv.
func TokenAuth(token string) (func(*http.Request) bool, error) {
	if err := checkToken(token, "the token"); err != nil {
		return nil, err
	}
	return tokenCheck("", token), nil
}

// HeaderTokenAuth returns an Authorize callback that accepts a request
// carrying token in the header named header (for example
// "X-Devtools-Token", the Beignet docs' pattern), and only there, compared
// in constant time like TokenAuth. The CLI sends it there with
// --auth-header NAME (or BEIGNET_DEVTOOLS_AUTH_HEADER). Errors:
// ErrBadHeader for a header name that is not a valid HTTP field name or is
// Authorization (use TokenAuth for bearer tokens), ErrNoToken and
// ErrShortToken as TokenAuth.
func HeaderTokenAuth(header, token string) (func(*http.Request) bool, error) {
	canon, err := tokenHeader(header)
	if err != nil {
		return nil, err
	}
	if err := checkToken(token, "the token"); err != nil {
		return nil, err
	}
	return tokenCheck(canon, token), nil
}

// tokenHeader validates and canonicalises a token header name.
func tokenHeader(header string) (string, error) {
	h := strings.TrimSpace(header)
	if h == "" || !validFieldName(h) {
		return "", fmt.Errorf("%w %q: want an HTTP header name such as X-Devtools-Token", ErrBadHeader, header)
	}
	canon := http.CanonicalHeaderKey(h)
	if canon == "Authorization" {
		return "", fmt.Errorf("%w %q: for Authorization: Bearer use TokenAuth", ErrBadHeader, header)
	}
	return canon, nil
}

// validFieldName reports whether s is an HTTP field name (RFC 9110 token).
func validFieldName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return s != ""
}

// checkToken refuses an empty or short token; what names where it came
// from in the error ("the token", "DEVTOOLS_TOKEN").
func checkToken(token, what string) error {
	switch {
	case token == "":
		return fmt.Errorf("%w: %s is empty", ErrNoToken, what)
	case len(token) < MinTokenLen:
		return fmt.Errorf("%w: %s holds %d (generate one: openssl rand -hex 32)", ErrShortToken, what, len(token))
	}
	return nil
}

// tokenCheck returns the callback of TokenAuth (header empty) or
// HeaderTokenAuth (header canonical).
func tokenCheck(header, token string) func(*http.Request) bool {
	want := sha256.Sum256([]byte(token))
	return func(r *http.Request) bool {
		var got string
		if header != "" {
			got = hget(r.Header, header)
		} else {
			var ok bool
			if got, ok = bearer(hget(r.Header, "Authorization")); !ok {
				got = hget(r.Header, "X-Devtools-Token")
			}
		}
		if got == "" {
			return false
		}
		sum := sha256.Sum256([]byte(got))
		return subtle.ConstantTimeCompare(sum[:], want[:]) == 1
	}
}

// credentialHeader reports whether a request header's name looks like it
// carries a credential: Authorization, Cookie, X-Devtools-Token,
// X-Api-Key and the like. A refused request without any is not a guess
// (see limiter).
func credentialHeader(name string) bool {
	n := strings.ToLower(name)
	if strings.HasPrefix(n, "sec-") {
		return false // set by the browser (Sec-WebSocket-Key is a nonce, not a key)
	}
	for _, w := range []string{"auth", "token", "key", "secret", "pass", "session", "cookie", "credential", "signature", "jwt"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// hasCredential reports whether req carries a credential-shaped header
// (or the route's configured token header).
func hasCredential(req *http.Request, header string) bool {
	if header != "" && hget(req.Header, header) != "" {
		return true
	}
	for k, v := range req.Header {
		if len(v) > 0 && v[0] != "" && credentialHeader(k) {
			return true
		}
	}
	return false
}

func bearer(h string) (string, bool) {
	const prefix = "bearer "
	if len(h) <= len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return "", false
	}
	t := strings.TrimSpace(h[len(prefix):])
	return t, t != ""
}

// credentialKey reports whether a (normalised) query parameter name looks
// like a credential. A request carrying one is refused: query strings end up
// in logs.
func credentialKey(k string) bool {
	switch k {
	case "token", "access_token", "accesstoken", "auth", "auth_token", "authtoken",
		"authorization", "api_key", "apikey", "key", "bearer", "jwt", "devtools_token",
		"x_devtools_token", "password", "passwd", "secret", "session", "sessionid",
		"session_id", "id_token", "refresh_token", "credentials":
		return true
	}
	return false
}

// queryCredential reports whether a raw query carries a credential-shaped
// parameter (or one the redactor considers secret).
func (r *Recorder) queryCredential(raw string) bool {
	for raw != "" {
		var kv string
		kv, raw, _ = strings.Cut(raw, "&")
		k, _, _ := strings.Cut(kv, "=")
		if k == "" {
			continue
		}
		if u, err := url.QueryUnescape(k); err == nil {
			k = u
		}
		norm := strings.ReplaceAll(strings.ToLower(strings.TrimSpace(k)), "-", "_")
		if credentialKey(norm) {
			return true
		}
		if r != nil && r.redactor != nil && r.redactor.IsSecretKey(k) {
			return true
		}
	}
	return false
}

// limiter counts failed authorization attempts that carried a credential
// (guesses) per client address, with a token bucket each (a burst of 10,
// then one every 6 s), in a bounded map. It never decides about a request
// whose credential is valid: the route asks it only after Authorize said
// no.
type limiter struct {
	mu      sync.Mutex
	now     func() time.Time
	buckets map[netip.Addr]*bucket
	max     int
	burst   float64
	every   time.Duration // one attempt regained per interval
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newLimiter(now func() time.Time) *limiter {
	return &limiter{now: now, buckets: map[netip.Addr]*bucket{}, max: 4096, burst: 10, every: 6 * time.Second}
}

func (l *limiter) refill(b *bucket, now time.Time) {
	if d := now.Sub(b.last); d > 0 {
		b.tokens = min(l.burst, b.tokens+float64(d)/float64(l.every))
		b.last = now
	}
}

// fail counts one failed attempt with a credential from addr. It reports
// whether addr is over its budget (the attempt is then refused with 429),
// and if so how long until the next attempt is allowed. An address over
// budget is not charged further: its bucket refills at the same pace.
func (l *limiter) fail(addr netip.Addr) (limited bool, retry time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b := l.buckets[addr]
	if b == nil {
		if len(l.buckets) >= l.max {
			l.evict(now)
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[addr] = b
	}
	l.refill(b, now)
	if b.tokens < 1 {
		return true, time.Duration((1 - b.tokens) * float64(l.every))
	}
	b.tokens--
	return false, 0
}

// evict drops buckets that have refilled completely (they carry no state);
// if none has, it drops arbitrary ones until there is room.
func (l *limiter) evict(now time.Time) {
	for a, b := range l.buckets {
		l.refill(b, now)
		if b.tokens >= l.burst {
			delete(l.buckets, a)
		}
	}
	for a := range l.buckets {
		if len(l.buckets) < l.max {
			break
		}
		delete(l.buckets, a)
	}
}

// clientAddr is the address of the peer (RemoteAddr; forwarding headers are
// not trusted).
func clientAddr(r *http.Request) netip.Addr {
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		return ap.Addr().Unmap()
	}
	if a, err := netip.ParseAddr(r.RemoteAddr); err == nil {
		return a.Unmap()
	}
	return netip.Addr{}
}

// limitKey is the rate limiter's key for a client address: the address
// itself for IPv4, its /64 for IPv6 (one host usually holds a whole /64).
func limitKey(a netip.Addr) netip.Addr {
	if a.Is6() && !a.IsLoopback() {
		if p, err := a.Prefix(64); err == nil {
			return p.Addr()
		}
	}
	return a
}

// loopbackRequest is the development policy without Authorize: the peer is
// a loopback address, the request was not forwarded by a proxy, and the
// Host header names a loopback host (an attacker's domain resolving to
// 127.0.0.1 — DNS rebinding — fails here).
func loopbackRequest(r *http.Request) bool {
	if a := clientAddr(r); !a.IsValid() || !a.IsLoopback() {
		return false
	}
	for _, h := range []string{"Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Real-Ip"} {
		if _, ok := r.Header[h]; ok {
			return false
		}
	}
	return loopbackHost(r.Host)
}

func loopbackHost(host string) bool {
	if h, _, ok := splitHostPort(host); ok {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}

// splitHostPort splits "host:port" and "[v6]:port"; ok is false when there
// is no port.
func splitHostPort(s string) (host, port string, ok bool) {
	if strings.HasPrefix(s, "[") {
		i := strings.Index(s, "]")
		if i < 0 {
			return s, "", false
		}
		if len(s) > i+1 && s[i+1] == ':' {
			return s[1:i], s[i+2:], true
		}
		return s[1:i], "", false
	}
	if i := strings.LastIndexByte(s, ':'); i >= 0 && strings.Count(s, ":") == 1 {
		return s[:i], s[i+1:], true
	}
	return s, "", false
}
