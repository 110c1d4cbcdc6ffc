package recorder

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"
)

// proxies are the trusted reverse proxies of HandlerOptions.TrustedProxies.
type proxies []netip.Prefix

// parseProxies reads addresses ("10.0.0.1", "::1") and CIDR prefixes
// ("10.0.0.0/8").
func parseProxies(in []string) (proxies, error) {
	var out proxies
	for _, s := range in {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if strings.Contains(s, "/") {
			p, err := netip.ParsePrefix(s)
			if err != nil {
				return nil, fmt.Errorf("recorder: trusted proxy %q: want an address or a CIDR prefix such as 10.0.0.0/8", s)
			}
			if p.Addr().Is4In6() {
				p = netip.PrefixFrom(p.Addr().Unmap(), max(p.Bits()-96, 0))
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("recorder: trusted proxy %q: want an address or a CIDR prefix such as 10.0.0.0/8", s)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

func (p proxies) trusted(a netip.Addr) bool {
	if !a.IsValid() {
		return false
	}
	a = a.Unmap()
	for _, pf := range p {
		if pf.Contains(a) {
			return true
		}
	}
	return false
}

// client returns the address a request's limits are kept for: the peer,
// or, when the peer is a trusted proxy, the rightmost forwarded address
// that is not a trusted proxy (X-Forwarded-For, else Forwarded's for=).
// Forwarding headers from an untrusted peer are ignored: anyone can write
// them.
func (p proxies) client(req *http.Request) netip.Addr {
	peer := clientAddr(req)
	if len(p) == 0 || !p.trusted(peer) {
		return peer
	}
	chain := forwardedFor(req.Header)
	for i := len(chain) - 1; i >= 0; i-- {
		a := chain[i]
		if !a.IsValid() {
			break // unparseable: trust nothing to its left
		}
		if !p.trusted(a) {
			return a
		}
		peer = a
	}
	return peer
}

// limitKey is the limiter's key for req (see limitKey).
func (p proxies) limitKey(req *http.Request) netip.Addr { return limitKey(p.client(req)) }

// scheme is the scheme the client used: https when the connection is TLS,
// or, behind a trusted proxy, the one X-Forwarded-Proto names.
func (p proxies) scheme(req *http.Request) string {
	if len(p) > 0 && p.trusted(clientAddr(req)) {
		if v := req.Header.Values("X-Forwarded-Proto"); len(v) > 0 {
			protos := strings.Split(v[len(v)-1], ",")
			switch s := strings.ToLower(strings.TrimSpace(protos[len(protos)-1])); s {
			case "http", "https":
				return s
			}
		}
	}
	if req.TLS != nil {
		return "https"
	}
	return "http"
}

// forwardedFor returns the addresses of X-Forwarded-For, or else of
// Forwarded's for= parameters, in order (client first); an element that is
// not an address (a name, "unknown", an obfuscated node) is the zero Addr.
func forwardedFor(h http.Header) []netip.Addr {
	var out []netip.Addr
	if vs := h.Values("X-Forwarded-For"); len(vs) > 0 {
		for _, v := range vs {
			for _, el := range strings.Split(v, ",") {
				out = append(out, parseNode(el))
			}
		}
		return out
	}
	for _, v := range h.Values("Forwarded") {
		for _, el := range strings.Split(v, ",") {
			for _, pair := range strings.Split(el, ";") {
				k, val, ok := strings.Cut(strings.TrimSpace(pair), "=")
				if ok && strings.EqualFold(k, "for") {
					out = append(out, parseNode(strings.Trim(val, `"`)))
				}
			}
		}
	}
	return out
}

// parseNode parses "1.2.3.4", "1.2.3.4:80", "[::1]", "[::1]:80" or "::1".
func parseNode(s string) netip.Addr {
	s = strings.TrimSpace(s)
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap()
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap()
	}
	return netip.Addr{}
}
