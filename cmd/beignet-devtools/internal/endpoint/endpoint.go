package endpoint

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
)

// DefaultBasePath is the recorder's default route base path.
const DefaultBasePath = "/api/devtools"

// Endpoint is a parsed devtools route location.
type Endpoint struct {
	// Base is the route's base URL, e.g. http://127.0.0.1:8080/api/devtools.
	Base string
	// WS is the websocket URL, Base + "/ws".
	WS string
	// Host is host[:port].
	Host string
	// Loopback is true for 127.0.0.0/8, ::1 and localhost.
	Loopback bool
	// TLS is true for https.
	TLS bool
}

// Parse parses raw; see the package doc for the accepted forms.
func Parse(raw string) (Endpoint, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return Endpoint{}, fmt.Errorf("%w: empty", ErrBadURL)
	}
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return Endpoint{}, fmt.Errorf("%w: %v", ErrBadURL, err)
	}
	switch u.Scheme {
	case "http", "https":
	case "ws":
		u.Scheme = "http"
	case "wss":
		u.Scheme = "https"
	default:
		return Endpoint{}, fmt.Errorf("%w: scheme %q (want http, https, ws or wss)", ErrBadURL, u.Scheme)
	}
	if u.Host == "" {
		return Endpoint{}, fmt.Errorf("%w: no host", ErrBadURL)
	}
	if u.User != nil {
		return Endpoint{}, fmt.Errorf("%w: credentials in the URL are refused; use --token-file or BEIGNET_DEVTOOLS_TOKEN", ErrBadURL)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return Endpoint{}, fmt.Errorf("%w: a query string or fragment is refused (tokens in URLs end up in logs); use --token-file or BEIGNET_DEVTOOLS_TOKEN", ErrBadURL)
	}
	p := strings.TrimRight(u.Path, "/")
	p = strings.TrimSuffix(p, "/ws")
	if p == "" {
		p = DefaultBasePath
	}
	base := u.Scheme + "://" + u.Host + p
	host := u.Hostname()
	ip := net.ParseIP(host)
	return Endpoint{
		Base:     base,
		WS:       base + "/ws",
		Host:     u.Host,
		Loopback: host == "localhost" || ip != nil && ip.IsLoopback(),
		TLS:      u.Scheme == "https",
	}, nil
}

// Port returns the route's port: the URL's, else 443 for https and 80
// for http.
func (e Endpoint) Port() string {
	if _, port, err := net.SplitHostPort(e.Host); err == nil {
		return port
	}
	if e.TLS {
		return "443"
	}
	return "80"
}

// Hostname returns the route's host without its port or IPv6 brackets.
func (e Endpoint) Hostname() string {
	if host, _, err := net.SplitHostPort(e.Host); err == nil {
		return host
	}
	return strings.Trim(e.Host, "[]")
}

// Addresses resolves the route's host with lookup (net.Resolver's
// LookupHost in the CLI) and returns one dial address (ip:port) per
// address it resolves to, in lookup's order without repeats: one
// instance each behind a Kubernetes headless Service or a DNS
// round-robin name. A host that is an IP address is its own one address.
func Addresses(ctx context.Context, e Endpoint, lookup func(ctx context.Context, host string) ([]string, error)) ([]string, error) {
	host, port := e.Hostname(), e.Port()
	if net.ParseIP(host) != nil {
		return []string{net.JoinHostPort(host, port)}, nil
	}
	ips, err := lookup(ctx, host)
	if err != nil {
		return nil, fmt.Errorf("endpoint: resolve %s: %w", host, err)
	}
	addrs := make([]string, 0, len(ips))
	for _, ip := range ips {
		a := net.JoinHostPort(ip, port)
		if !slices.Contains(addrs, a) {
			addrs = append(addrs, a)
		}
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("endpoint: resolve %s: no addresses", host)
	}
	return addrs, nil
}
