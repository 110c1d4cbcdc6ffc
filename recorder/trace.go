package recorder

import (
	"context"
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"
	"unsafe"

	"github.com/beignet/devtools/event"
)

// reqInfo is what the middleware puts in the request context: the
// correlation of everything recorded while the request is served. It is
// read-only once the context carries it.
type reqInfo struct {
	requestID  string
	parentSpan string // the caller's span when the trace was continued
	// route is the exception to read-only: SetRoute writes it, on the
	// request's goroutine, while the handler runs; the middleware reads it
	// on the same goroutine once the handler has returned.
	route string
	// ids holds the traceparent text (00-<trace>-<span>-<flags> of the
	// request's own span), then a generated request ID, which requestID
	// then points into (unsafe.String). Written once by setIDs, before any
	// string over it exists, and never again.
	ids [55 + event.IDLen]byte
}

// traceparent is the request span's traceparent (a string over ids).
func (i *reqInfo) traceparent() string { return unsafe.String(&i.ids[0], 55) }
func (i *reqInfo) traceID() string     { return i.traceparent()[3:35] }
func (i *reqInfo) spanID() string      { return i.traceparent()[36:52] }

type ctxKey struct{}
type opKey struct{}

// infoCtx carries a reqInfo. It is the middleware's one allocation per
// request: the context, the correlation, the generated IDs' text, the
// response header values and the request copy handed to the handler
// (where context.WithValue, the info, the ID string and r.WithContext
// would be four). Cancellation and other values come from the embedded
// parent. Everything in it is written before the context is handed out and
// never after, so it is safe to share with any goroutine.
type infoCtx struct {
	context.Context
	info reqInfo
	hdr  [2]string    // response header values, X-Request-Id and Traceparent
	req  http.Request // the request the handler gets: *r with this context
}

// setIDs fills c.info: the traceparent of a new span (continuing parent
// when it is valid), the parent span ID, and the request ID (incomingID
// when valid, else generated from t). The generated text lives in
// c.info.ids, so this allocates nothing.
func (c *infoCtx) setIDs(parent, incomingID string, t time.Time) {
	i := &c.info
	i.parentSpan = fillTraceparent(i.ids[:55], parent)
	if validRequestID(incomingID) {
		i.requestID = incomingID
		return
	}
	putRequestID(i.ids[55:], t)
	i.requestID = unsafe.String(&i.ids[55], event.IDLen)
}

func (c *infoCtx) Value(key any) any {
	if _, ok := key.(ctxKey); ok {
		return &c.info
	}
	return c.Context.Value(key)
}

func infoFrom(ctx context.Context) *reqInfo {
	if ctx == nil {
		return nil
	}
	i, _ := ctx.Value(ctxKey{}).(*reqInfo)
	return i
}

// RequestID returns the request ID the middleware assigned to the request
// that ctx belongs to, or "".
func RequestID(ctx context.Context) string {
	if i := infoFrom(ctx); i != nil {
		return i.requestID
	}
	return ""
}

// TraceParent returns the W3C traceparent of the request span that ctx
// belongs to, or "".
func TraceParent(ctx context.Context) string {
	if i := infoFrom(ctx); i != nil {
		return i.traceparent()
	}
	return ""
}

// SetRoute names the route pattern of the request that ctx belongs to,
// for routers that do not set http.Request.Pattern: the request event is
// then named from it ("GET /users/{id}") instead of from the raw path
// ("GET /users/42"), which keeps names few and route filters working.
// Call it from the router's middleware, on the request's goroutine,
// before the handler returns: with gin, c.FullPath(); with echo, c.Path();
// with chi, chi.RouteContext(ctx).RoutePattern() after routing. Parameter
// segments in the router's syntax (":id", "*path") are written the
// net/http way ("{id}", "{path...}"). It overrides Request.Pattern (a
// router mounted under a ServeMux pattern sees that pattern, "/", for
// every request). An empty pattern, or a ctx that does not come from the
// middleware, is a no-op.
func SetRoute(ctx context.Context, pattern string) {
	i := infoFrom(ctx)
	if i == nil || pattern == "" {
		return
	}
	i.route = normalizeRoute(pattern)
}

// routeOr returns the route SetRoute named, else pattern.
func (i *reqInfo) routeOr(pattern string) string {
	if i.route != "" {
		return i.route
	}
	return pattern
}

// normalizeRoute rewrites router parameter segments (":id", "*path", "*")
// as net/http pattern wildcards ("{id}", "{path...}", "{path...}"); a
// pattern without them is returned as it is (no allocation).
func normalizeRoute(p string) string {
	if !strings.ContainsAny(p, ":*") {
		return p
	}
	var b strings.Builder
	b.Grow(len(p) + 8)
	for i, seg := range strings.Split(p, "/") {
		if i > 0 {
			b.WriteByte('/')
		}
		switch {
		case len(seg) > 1 && seg[0] == ':':
			b.WriteString("{" + seg[1:] + "}")
		case len(seg) > 0 && seg[0] == '*':
			name := seg[1:]
			if name == "" {
				name = "path"
			}
			b.WriteString("{" + name + "...}")
		default:
			b.WriteString(seg)
		}
	}
	return b.String()
}

// WithOperation names the provider operation (e.g. "charges.create") of
// outbound calls made with the returned context; Transport uses it for the
// event's name and Provider.Operation instead of "METHOD /path".
func WithOperation(ctx context.Context, operation string) context.Context {
	return context.WithValue(ctx, opKey{}, operation)
}

func operationFrom(ctx context.Context) string {
	s, _ := ctx.Value(opKey{}).(string)
	return s
}

// crockford is the alphabet of event.ID's text form.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// putRequestID writes a ULID-shaped request ID (26 Crockford base32
// characters, the form of event.ID) into dst: the start time's
// millisecond, then 80 random bits. It is time-ordered, so the store's
// request index grows at its end, and needs no lock (unlike
// event.Generator, no order within a millisecond is promised).
func putRequestID(dst []byte, t time.Time) {
	_ = dst[event.IDLen-1]
	// The first 10 characters are the 48-bit millisecond (the first one
	// carries 3 bits), the other 16 the 80 random bits.
	ms := uint64(max(t.UnixMilli(), 0))
	for i := 9; i >= 0; i-- {
		dst[i] = crockford[ms&31]
		ms >>= 5
	}
	r := rand.Uint64()
	for i := 10; i < 22; i++ {
		dst[i] = crockford[r&31]
		r >>= 5
	}
	r = uint64(rand.Uint32())
	for i := 22; i < event.IDLen; i++ {
		dst[i] = crockford[r&31]
		r >>= 5
	}
}

// putHex writes v as 16 lower-case hex digits into dst.
func putHex(dst []byte, v uint64) {
	_ = dst[15]
	binary.LittleEndian.PutUint64(dst[0:8], hex8(uint32(v>>32)))
	binary.LittleEndian.PutUint64(dst[8:16], hex8(uint32(v)))
}

// hex8 returns the 8 lower-case hex digits of x, the first digit in the
// lowest byte (for a little-endian store), computed on all eight at once.
func hex8(x uint32) uint64 {
	v := uint64(x)
	v = (v | v<<16) & 0x0000ffff0000ffff
	v = (v | v<<8) & 0x00ff00ff00ff00ff
	v = (v | v<<4) & 0x0f0f0f0f0f0f0f0f                           // byte k holds nibble k, least significant first
	v = bits.ReverseBytes64(v)                                    // most significant nibble first
	letters := (v + 0x0606060606060606) >> 4 & 0x0101010101010101 // 1 where the nibble is >= 10
	return v + 0x3030303030303030 + letters*('a'-'0'-10)
}

// nonZero returns a random uint64 that is not zero (W3C forbids all-zero IDs).
func nonZero() uint64 {
	for {
		if v := rand.Uint64(); v != 0 {
			return v
		}
	}
}

// newTraceparent builds "00-<trace>-<span>-<flags>": a new span in the trace
// of parent (a valid incoming traceparent), or a new trace when parent is
// not valid. It returns the parent's span ID when the trace was continued.
func newTraceparent(parent string) (tp, parentSpan string) {
	var b [55]byte
	parentSpan = fillTraceparent(b[:], parent)
	return string(b[:]), parentSpan
}

// fillTraceparent writes a new span's traceparent into b (55 bytes).
func fillTraceparent(b []byte, parent string) (parentSpan string) {
	copy(b, "00-")
	b[35], b[52] = '-', '-'
	putHex(b[36:52], nonZero())
	if validTraceparent(parent) {
		copy(b[3:35], parent[3:35])
		copy(b[53:55], parent[53:55])
		return parent[36:52]
	}
	putHex(b[3:19], rand.Uint64())
	putHex(b[19:35], nonZero())
	copy(b[53:55], "01")
	return ""
}

// childTraceparent returns a traceparent for a new span under tp.
func childTraceparent(tp string) string {
	var b [55]byte
	copy(b[:], tp)
	putHex(b[36:52], nonZero())
	return string(b[:])
}

// validTraceparent checks a W3C trace-context header: version 00 (exactly
// 55 bytes) or a later version (55 bytes, or more after a '-'), lower-case
// hex, trace and parent IDs not all zero, version not ff.
func validTraceparent(s string) bool {
	if len(s) < 55 || s[2] != '-' || s[35] != '-' || s[52] != '-' {
		return false
	}
	if !isLowerHex(s[0:2]) || s[0:2] == "ff" || !isLowerHex(s[3:35]) || !isLowerHex(s[36:52]) || !isLowerHex(s[53:55]) {
		return false
	}
	if s[0:2] == "00" && len(s) != 55 {
		return false
	}
	if len(s) > 55 && s[55] != '-' {
		return false
	}
	return !allZero(s[3:35]) && !allZero(s[36:52])
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func allZero(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != '0' {
			return false
		}
	}
	return true
}

// maxRequestIDLen bounds an incoming X-Request-Id that is reused.
const maxRequestIDLen = 128

// validRequestID accepts 1 to 128 bytes of letters, digits and - _ . : + = @ /.
// Anything else (spaces, quotes, control characters, non-ASCII) is replaced
// by a generated ID, so a request ID is always safe to log and to echo.
func validRequestID(s string) bool {
	if len(s) == 0 || len(s) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '-', c == '_', c == '.', c == ':', c == '+', c == '=', c == '@', c == '/':
		default:
			return false
		}
	}
	return true
}
