package tui

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/beignet/devtools/event"
)

// History is what a source pages through: older and newer events around a
// cursor and the events of one request. offlineSource and httpHistory
// implement it.
type History interface {
	Older(ctx context.Context, before event.ID, limit int) ([]event.Event, error)
	Newer(ctx context.Context, after event.ID, limit int) ([]event.Event, error)
	Correlated(ctx context.Context, requestID string) ([]event.Event, error)
}

// httpHistory reads a recorder's JSON routes (GET {base}/events and GET
// {base}/requests/{requestId}) with the same bearer token as the stream.
type httpHistory struct {
	base   string
	token  string
	client *http.Client
}

// maxHistoryResponse bounds one history response (a page of at most 1000
// events with capped bodies).
const maxHistoryResponse = 64 << 20

// newHTTPHistory returns a History over the devtools route at base (for
// example http://127.0.0.1:8080/api/devtools). client nil means
// http.DefaultClient.
func newHTTPHistory(base, token string, client *http.Client) *httpHistory {
	if client == nil {
		client = http.DefaultClient
	}
	return &httpHistory{base: strings.TrimRight(base, "/"), token: token, client: client}
}

// historyBase derives the devtools base URL from a websocket route URL
// ending in /ws, or "".
func historyBase(wsURL string) string {
	u, err := url.Parse(wsURL)
	if err != nil || !strings.HasSuffix(u.Path, "/ws") {
		return ""
	}
	switch strings.ToLower(u.Scheme) {
	case "ws", "http":
		u.Scheme = "http"
	case "wss", "https":
		u.Scheme = "https"
	default:
		return ""
	}
	u.Path = strings.TrimSuffix(u.Path, "/ws")
	u.RawQuery, u.Fragment, u.ForceQuery = "", "", false
	return u.String()
}

func (h *httpHistory) get(ctx context.Context, path string, q url.Values, into any) error {
	u := h.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("tui: history: %w", err)
	}
	if h.token != "" {
		req.Header.Set("Authorization", "Bearer "+h.token)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := h.client.Do(req)
	if err != nil {
		return fmt.Errorf("tui: history: %w", err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return fmt.Errorf("tui: history: refused (HTTP %d)", resp.StatusCode)
	case resp.StatusCode == http.StatusNotFound:
		return ErrNoHistory
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("tui: history: HTTP %d", resp.StatusCode)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxHistoryResponse)).Decode(into); err != nil {
		return fmt.Errorf("tui: history: decode: %w", err)
	}
	return nil
}

func decodeAll(raws []json.RawMessage) ([]event.Event, error) {
	out := make([]event.Event, 0, len(raws))
	for _, r := range raws {
		var e event.Event
		if err := event.Unmarshal(r, &e); err != nil {
			return out, fmt.Errorf("tui: history: %w", err)
		}
		out = append(out, e)
	}
	return out, nil
}

type historyPage struct {
	Events []json.RawMessage `json:"events"`
}

// Older returns up to limit events older than before, newest first.
func (h *httpHistory) Older(ctx context.Context, before event.ID, limit int) ([]event.Event, error) {
	q := url.Values{"limit": {strconv.Itoa(min(max(limit, 1), 1000))}}
	if !before.IsZero() {
		q.Set("before", before.String())
	}
	var p historyPage
	if err := h.get(ctx, "/events", q, &p); err != nil {
		return nil, err
	}
	return decodeAll(p.Events)
}

// Newer returns up to limit events newer than after, oldest first.
func (h *httpHistory) Newer(ctx context.Context, after event.ID, limit int) ([]event.Event, error) {
	q := url.Values{"limit": {strconv.Itoa(min(max(limit, 1), 1000))}, "after": {after.String()}}
	var p historyPage
	if err := h.get(ctx, "/events", q, &p); err != nil {
		return nil, err
	}
	evs, err := decodeAll(p.Events)
	for i, j := 0, len(evs)-1; i < j; i, j = i+1, j-1 {
		evs[i], evs[j] = evs[j], evs[i]
	}
	return evs, err
}

// Correlated returns the events of one request, oldest first.
func (h *httpHistory) Correlated(ctx context.Context, requestID string) ([]event.Event, error) {
	var p historyPage
	if err := h.get(ctx, "/requests/"+url.PathEscape(requestID), nil, &p); err != nil {
		return nil, err
	}
	return decodeAll(p.Events)
}
