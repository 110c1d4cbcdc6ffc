package recorder

// RouteStats is the "route" part of GET {base}/stats: how the route's
// policy answered.
type RouteStats struct {
	// AuthFailures counts requests Authorize refused.
	AuthFailures uint64 `json:"authFailures"`
	// RateLimited counts refused guesses answered 429 (see HandlerOptions).
	RateLimited uint64 `json:"rateLimited"`
	// Connections is the number of consoles connected now, of at most
	// MaxConnections (0: no cap); ConnectionsRefused counts those refused
	// over the cap.
	Connections        int    `json:"connections"`
	MaxConnections     int    `json:"maxConnections"`
	ConnectionsRefused uint64 `json:"connectionsRefused"`
}

func (h *devtools) routeStats() RouteStats {
	s := RouteStats{AuthFailures: h.authFailed.Load(), RateLimited: h.rateLimited.Load()}
	if h.ws != nil {
		s.Connections = h.ws.Connections()
		s.MaxConnections = h.ws.MaxConnections()
		s.ConnectionsRefused = h.ws.Refused()
	}
	return s
}
