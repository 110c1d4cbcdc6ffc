package endpoint

import (
	"fmt"
	"net"
	"net/url"
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
