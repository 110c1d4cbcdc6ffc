package doctor

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/beignet/devtools/cmd/beignet-devtools/internal/endpoint"
)

// URLOptions configures CheckURL.
type URLOptions struct {
	// URL is the app or devtools route URL (see package endpoint).
	URL string
	// Token, when set, is used to check that the route accepts it in a
	// header and refuses it in a query string. It is never printed.
	Token string
	// Client is the HTTP client; nil means one with a 10s timeout.
	Client *http.Client
}

// CheckURL probes a running devtools route. A route it cannot reach is an
// error finding, not an error: the error return is for bad options.
func CheckURL(ctx context.Context, opts URLOptions) ([]Finding, error) {
	ep, err := endpoint.Parse(opts.URL)
	if err != nil {
		return nil, err
	}
	client := opts.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	// Never follow redirects: a redirect to a login page is a refusal.
	c := *client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	var out []Finding
	events := ep.Base + "/events?limit=1"

	if !ep.Loopback && !ep.TLS {
		out = append(out, Finding{ID: IDCleartext, Severity: Warning, Where: ep.Base,
			Message: "the devtools route is reached over plain http on a non-loopback host: the token travels in clear text",
			Fix:     "serve the route over https (or reach it through an SSH tunnel to loopback)"})
	}

	// 1. No credentials: no event data.
	st, body, err := probe(ctx, &c, http.MethodGet, events, nil)
	if err != nil {
		return append(out, Finding{ID: IDUnreachable, Severity: Error, Where: ep.Base,
			Message: "cannot reach the devtools route: " + errClass(err),
			Fix:     "check --url (app base URL or the route's base path, default /api/devtools) and that the app runs"}), nil
	}
	switch {
	case st >= 200 && st < 300:
		out = append(out, Finding{ID: IDUnauthenticated, Severity: Error, Where: events,
			Message: fmt.Sprintf("an unauthenticated request got HTTP %d%s", st, dataHint(body)),
			Fix:     "set HandlerOptions.Authorize (e.g. recorder.TokenAuth) on the devtools route"})
	case st == http.StatusNotFound:
		out = append(out, Finding{ID: IDRouteDisabled, Severity: Info, Where: events,
			Message: "the route answers 404: devtools disabled here (the production default) or a different base path",
			Fix:     "nothing to do if disabled on purpose; otherwise pass the route's base path in --url"})
	}

	// 2. A token in the query string is refused, real or not.
	qtok := opts.Token
	if qtok == "" {
		qtok = randomToken()
	}
	qurl := events + "&token=" + url.QueryEscape(qtok) + "&access_token=" + url.QueryEscape(qtok)
	if st, body, err := probe(ctx, &c, http.MethodGet, qurl, nil); err == nil && st >= 200 && st < 300 {
		out = append(out, Finding{ID: IDQueryToken, Severity: Error, Where: events + "&token=…",
			Message: fmt.Sprintf("a token in the query string was accepted (HTTP %d%s); query strings end up in logs", st, dataHint(body)),
			Fix:     "accept tokens only in Authorization: Bearer or X-Devtools-Token (recorder.TokenAuth does)"})
	}

	// 3. Websocket upgrade without a token is refused.
	if st, _, err := probe(ctx, &c, http.MethodGet, ep.WS, wsHeaders(ep, "")); err == nil && st == http.StatusSwitchingProtocols {
		out = append(out, Finding{ID: IDWebsocketOpen, Severity: Error, Where: ep.WS,
			Message: "a websocket upgrade without a token was accepted",
			Fix:     "set HandlerOptions.Authorize on the devtools route"})
	}

	if opts.Token != "" {
		auth := http.Header{"Authorization": {"Bearer " + opts.Token}}
		st, _, err := probe(ctx, &c, http.MethodGet, events, auth)
		if err == nil && (st == http.StatusUnauthorized || st == http.StatusForbidden) {
			out = append(out, Finding{ID: IDTokenRefused, Severity: Warning, Where: events,
				Message: fmt.Sprintf("the given token was refused (HTTP %d)", st),
				Fix:     "check the token (--token-file or BEIGNET_DEVTOOLS_TOKEN) against the app's"})
		}
		// 4. With a valid token, a foreign Origin is still refused.
		h := wsHeaders(ep, "https://attacker.example")
		h.Set("Authorization", "Bearer "+opts.Token)
		if st, _, err := probe(ctx, &c, http.MethodGet, ep.WS, h); err == nil && st == http.StatusSwitchingProtocols {
			out = append(out, Finding{ID: IDWebsocketOrigin, Severity: Error, Where: ep.WS,
				Message: "a websocket upgrade from a foreign Origin (https://attacker.example) was accepted",
				Fix:     "keep origin verification on; list only your own origins in HandlerOptions.AllowedOrigins"})
		}
	}
	Sort(out)
	return out, nil
}

func randomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return "doctor-probe-" + hex.EncodeToString(b[:])
}

func wsHeaders(ep endpoint.Endpoint, origin string) http.Header {
	var key [16]byte
	_, _ = rand.Read(key[:])
	h := http.Header{
		"Connection":             {"Upgrade"},
		"Upgrade":                {"websocket"},
		"Sec-Websocket-Version":  {"13"},
		"Sec-Websocket-Key":      {base64.StdEncoding.EncodeToString(key[:])},
		"Sec-Websocket-Protocol": {"beignet-devtools.v1"},
	}
	if origin != "" {
		h.Set("Origin", origin)
	}
	return h
}

// probe sends one request and returns the status and up to 4 KiB of body.
func probe(ctx context.Context, c *http.Client, method, u string, h http.Header) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return 0, nil, err
	}
	for k, v := range h {
		req.Header[k] = v
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusSwitchingProtocols {
		return resp.StatusCode, nil, nil
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	return resp.StatusCode, b, nil
}

func dataHint(body []byte) string {
	if bytes.Contains(body, []byte(`"kind"`)) || bytes.Contains(body, []byte(`"events"`)) {
		return " with event data"
	}
	return ""
}

// errClass describes a transport error without quoting URLs it may hold.
func errClass(err error) string {
	var ue *url.Error
	if e, ok := err.(*url.Error); ok {
		ue = e
		if ue.Timeout() {
			return "timed out"
		}
		return ue.Err.Error()
	}
	return err.Error()
}
