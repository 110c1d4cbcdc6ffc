package doctor

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/beignet/devtools/cmd/beignet-devtools/internal/endpoint"
	"github.com/beignet/devtools/internal/apiclient"
	"github.com/beignet/devtools/stream"
)

// URLOptions configures CheckURL.
type URLOptions struct {
	// URL is the app or devtools route URL (see package endpoint).
	URL string
	// Token, when set, is used to check that the route accepts it in a
	// header and refuses it in a query string. It is never printed.
	Token string
	// TokenHeader names the header the app's Authorize reads the token
	// from (sent as is); empty means Authorization: Bearer.
	TokenHeader string
	// Client is the HTTP client; nil means one with a 10s timeout.
	Client *http.Client
}

// CheckURL probes a running devtools route. A route it cannot reach is an
// error finding, not an error: the error return is for bad options. When
// the route rate-limits the probes (HTTP 429) the checks that did not run
// are reported as not run (DT209, an error): a run cut short is never
// "no problems found".
func CheckURL(ctx context.Context, opts URLOptions) ([]Finding, error) {
	ep, err := endpoint.Parse(opts.URL)
	if err != nil {
		return nil, err
	}
	c, err := apiclient.New(apiclient.Options{URL: ep.Base, Token: opts.Token, TokenHeader: opts.TokenHeader,
		HTTPClient: opts.Client, Timeout: 10 * time.Second})
	if err != nil {
		return nil, err
	}
	p := &prober{ctx: ctx, c: c, ep: ep}
	events := ep.Base + "/events?limit=1"

	if !ep.Loopback && !ep.TLS {
		p.add(Finding{ID: IDCleartext, Severity: Warning, Where: ep.Base,
			Message: "the devtools route is reached over plain http on a non-loopback host: the token travels in clear text",
			Fix:     "serve the route over https (or reach it through an SSH tunnel to loopback)"})
	}

	// 1. No credentials: no event data.
	a, err := p.probe("DT201", apiclient.Probe{Path: "/events", RawQuery: "limit=1"})
	if err != nil {
		p.add(Finding{ID: IDUnreachable, Severity: Error, Where: ep.Base,
			Message: "cannot reach the devtools route: " + errClass(err),
			Fix:     "check --url (app base URL or the route's base path, default /api/devtools) and that the app runs"})
		return p.done(), nil
	}
	switch st := a.Status; {
	case st == http.StatusTooManyRequests:
	case st >= 200 && st < 300:
		p.add(Finding{ID: IDUnauthenticated, Severity: Error, Where: events,
			Message: fmt.Sprintf("an unauthenticated request got HTTP %d%s", st, dataHint(a.Body)),
			Fix:     "set HandlerOptions.Authorize (e.g. recorder.TokenAuth) on the devtools route"})
	case st == http.StatusNotFound:
		p.add(Finding{ID: IDRouteDisabled, Severity: Info, Where: events,
			Message: "the route answers 404: devtools disabled here (the production default) or a different base path",
			Fix:     "nothing to do if disabled on purpose; otherwise pass the route's base path in --url"})
	}

	// 2. A token in the query string is refused, real or not.
	qtok := opts.Token
	if qtok == "" {
		qtok = randomToken()
	}
	q := "limit=1&token=" + url.QueryEscape(qtok) + "&access_token=" + url.QueryEscape(qtok)
	if a, err := p.probe("DT202", apiclient.Probe{Path: "/events", RawQuery: q}); err == nil && a.Status >= 200 && a.Status < 300 {
		p.add(Finding{ID: IDQueryToken, Severity: Error, Where: events + "&token=…",
			Message: fmt.Sprintf("a token in the query string was accepted (HTTP %d%s); query strings end up in logs", a.Status, dataHint(a.Body)),
			Fix:     "accept tokens only in Authorization: Bearer or X-Devtools-Token (recorder.TokenAuth does)"})
	}

	// 3. Websocket upgrade without a token is refused.
	if a, err := p.probe("DT203", apiclient.Probe{Path: "/ws", Header: wsHeaders("")}); err == nil && a.Status == http.StatusSwitchingProtocols {
		p.add(Finding{ID: IDWebsocketOpen, Severity: Error, Where: ep.WS,
			Message: "a websocket upgrade without a token was accepted",
			Fix:     "set HandlerOptions.Authorize on the devtools route"})
	}

	if opts.Token != "" {
		a, err := p.probe("DT207", apiclient.Probe{Path: "/events", RawQuery: "limit=1", Credentials: true})
		refused := err == nil && (a.Status == http.StatusUnauthorized || a.Status == http.StatusForbidden)
		if refused {
			where := "as Authorization: Bearer"
			if h := c.TokenHeader(); h != "" {
				where = "in " + h
			}
			p.add(Finding{ID: IDTokenRefused, Severity: Warning, Where: events,
				Message: fmt.Sprintf("the given token (sent %s) was refused (HTTP %d); the check that needs it (DT204) did not run", where, a.Status),
				Fix:     "check the token (--token-file or BEIGNET_DEVTOOLS_TOKEN) against the app's, and --auth-header if its Authorize reads another header"})
		}
		// 4. With a valid token, a foreign Origin is still refused.
		if !refused {
			if a, err := p.probe("DT204", apiclient.Probe{Path: "/ws", Header: wsHeaders("https://attacker.example"), Credentials: true}); err == nil && a.Status == http.StatusSwitchingProtocols {
				p.add(Finding{ID: IDWebsocketOrigin, Severity: Error, Where: ep.WS,
					Message: "a websocket upgrade from a foreign Origin (https://attacker.example) was accepted",
					Fix:     "keep origin verification on; list only your own origins in HandlerOptions.AllowedOrigins"})
			}
		}
	}
	return p.done(), nil
}

// prober runs the checks' requests and, once the route answers 429, stops
// sending and records which checks did not run.
type prober struct {
	ctx        context.Context
	c          *apiclient.Client
	ep         endpoint.Endpoint
	out        []Finding
	notRun     []string
	retryAfter time.Duration
}

func (p *prober) add(f Finding) { p.out = append(p.out, f) }

// probe sends one check's request, unless the route rate-limited an
// earlier one; a rate-limited answer marks the check as not run.
func (p *prober) probe(check string, pr apiclient.Probe) (apiclient.Answer, error) {
	if len(p.notRun) > 0 {
		p.notRun = append(p.notRun, check)
		return apiclient.Answer{Status: http.StatusTooManyRequests}, nil
	}
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	a, err := p.c.Probe(ctx, pr)
	if err == nil && a.Status == http.StatusTooManyRequests {
		p.notRun = append(p.notRun, check)
		p.retryAfter = a.RetryAfter
	}
	return a, err
}

// done adds the not-run finding, if any, and sorts.
func (p *prober) done() []Finding {
	if len(p.notRun) > 0 {
		retry := "retry later"
		if p.retryAfter > 0 {
			retry = fmt.Sprintf("retry in %d s", stream.RetrySeconds(p.retryAfter))
		}
		p.add(Finding{ID: IDNotRun, Severity: Error, Where: p.ep.Base,
			Message: fmt.Sprintf("checks not run (%s): the route answered HTTP 429, rate-limited; %s", strings.Join(p.notRun, ", "), retry),
			Fix:     "run doctor again once the limit has passed; a limit that refuses a valid token is a lockout to fix in the app"})
	}
	Sort(p.out)
	return p.out
}

func randomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return "doctor-probe-" + hex.EncodeToString(b[:])
}

func wsHeaders(origin string) http.Header {
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

func dataHint(body []byte) string {
	if bytes.Contains(body, []byte(`"kind"`)) || bytes.Contains(body, []byte(`"events"`)) {
		return " with event data"
	}
	return ""
}

// errClass describes a transport error without quoting URLs it may hold
// (the client's errors name the path, never the URL).
func errClass(err error) string {
	if inner := errors.Unwrap(err); inner != nil {
		return inner.Error()
	}
	return err.Error()
}
