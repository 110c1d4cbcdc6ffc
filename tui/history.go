package tui

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/internal/apiclient"
	"github.com/beignet/devtools/stream"
)

// historySource is what a live source pages through: older and newer
// events around a cursor and the events of one request (routeHistory).
type historySource interface {
	Older(ctx context.Context, before event.ID, limit int) ([]event.Event, error)
	Newer(ctx context.Context, after event.ID, limit int) ([]event.Event, error)
	Correlated(ctx context.Context, requestID string) ([]event.Event, error)
}

// routeHistory reads a recorder's JSON routes (GET {base}/events and GET
// {base}/requests/{requestId}) through the one devtools client, with the
// live stream's credentials.
type routeHistory struct{ c *apiclient.Client }

// newRouteHistory returns the history of the devtools route whose
// websocket is opts.URL ({base}/ws), or nil when opts.URL is not one.
func newRouteHistory(opts stream.ClientOptions) historySource {
	u, err := url.Parse(opts.URL)
	if err != nil || !strings.HasSuffix(u.Path, "/ws") {
		return nil
	}
	c, err := apiclient.New(apiclient.Options{
		URL:         (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String(),
		Token:       opts.Token,
		TokenHeader: opts.TokenHeader,
		Header:      opts.Header,
		HTTPClient:  opts.HTTPClient,
		Logger:      opts.Logger,
	})
	if err != nil {
		return nil
	}
	return routeHistory{c}
}

// historyErr marks a route without history (404) as errNoHistory.
func historyErr(err error) error {
	if errors.Is(err, stream.ErrNotFound) {
		return fmt.Errorf("%w: %w", errNoHistory, err)
	}
	return err
}

// Older returns up to limit events older than before, newest first.
func (h routeHistory) Older(ctx context.Context, before event.ID, limit int) ([]event.Event, error) {
	evs, err := h.c.Older(ctx, before, min(max(limit, 1), 1000))
	return evs, historyErr(err)
}

// Newer returns up to limit events newer than after, oldest first.
func (h routeHistory) Newer(ctx context.Context, after event.ID, limit int) ([]event.Event, error) {
	evs, err := h.c.Newer(ctx, after, min(max(limit, 1), 1000))
	return evs, historyErr(err)
}

// Correlated returns the events of one request, oldest first.
func (h routeHistory) Correlated(ctx context.Context, requestID string) ([]event.Event, error) {
	evs, err := h.c.Correlated(ctx, requestID)
	return evs, historyErr(err)
}
