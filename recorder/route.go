package recorder

// RouteStats is the "route" part of GET {base}/stats: how the route's
// policy answered.
type RouteStats struct {
	// AuthFailures counts requests Authorize refused.
	AuthFailures uint64 `json:"authFailures"`
	// RateLimited counts refused guesses answered 429 (see HandlerOptions).
	RateLimited uint64 `json:"rateLimited"`
}

func (h *devtools) routeStats() RouteStats {
	return RouteStats{AuthFailures: h.authFailed.Load(), RateLimited: h.rateLimited.Load()}
}
