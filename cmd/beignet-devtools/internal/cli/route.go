package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/beignet/devtools/cmd/beignet-devtools/internal/endpoint"
	"github.com/beignet/devtools/internal/apiclient"
	"github.com/beignet/devtools/stream"
)

// needsTokenTimeout bounds the question "does this route need a token?".
const needsTokenTimeout = 10 * time.Second

// client resolves the one --url target and its credentials into the one
// devtools client; see clients.
func (t *target) client(ctx context.Context, env *Env, ts *tokenSource, cmd string) (*apiclient.Client, error) {
	cs, err := t.clients(ctx, env, ts, cmd)
	if err != nil {
		return nil, err
	}
	return cs[0], nil
}

// clients resolves the --url targets (and, with --each-address, every
// address of each) and their credentials into devtools clients, one per
// instance, all with the one token. Without a token from --token-file or
// the environment (and without --no-token) it asks the first route,
// without credentials, whether it needs one: a development route without
// Authorize answers 200 to a loopback client, and then no token is asked
// for; a 401 or 403 prompts (on a terminal) or fails with how to pass one.
// An unreachable route is left to the command to report.
func (t *target) clients(ctx context.Context, env *Env, ts *tokenSource, cmd string) ([]*apiclient.Client, error) {
	eps := make([]endpoint.Endpoint, len(t.urls))
	for i, raw := range t.urls {
		ep, err := parseURL(raw)
		if err != nil {
			return nil, err
		}
		eps[i] = ep
	}
	tok, err := ts.token(env, eps[0].Base, false)
	if err != nil {
		return nil, err
	}
	opts := apiclient.Options{Token: tok, TokenHeader: ts.authHeader(env)}
	var all []apiclient.Options
	for _, ep := range eps {
		o := opts
		o.URL = ep.Base
		if !t.eachAddress {
			all = append(all, o)
			continue
		}
		addrs, err := endpoint.Addresses(ctx, ep, env.lookupHost)
		if err != nil {
			return nil, failErr("%s: --each-address: %w", cmd, err)
		}
		for _, a := range addrs {
			o.DialAddress = a
			all = append(all, o)
		}
	}
	build := func(token string) ([]*apiclient.Client, error) {
		cs := make([]*apiclient.Client, len(all))
		for i, o := range all {
			o.Token = token
			c, err := apiclient.New(o)
			if err != nil {
				return nil, usageErr("%s: %w", cmd, err)
			}
			cs[i] = c
		}
		return cs, nil
	}
	cs, err := build(tok)
	if err != nil || tok != "" || ts.none {
		return cs, err
	}
	c := cs[0]
	pctx, cancel := context.WithTimeout(ctx, needsTokenTimeout)
	need, err := c.NeedsToken(pctx)
	cancel()
	switch {
	case err == nil && !need:
		return cs, nil
	case err == nil:
		if tok, err = ts.prompt(env, c.Base()); err != nil {
			return nil, err
		}
		return build(tok)
	case errors.Is(err, stream.ErrRateLimited), errors.Is(err, stream.ErrNotFound), errors.Is(err, stream.ErrOriginRefused):
		if len(cs) == 1 {
			return nil, routeError(cmd, c, err)
		}
	}
	return cs, nil // unreachable or failing: the command says so
}

// instanceName names a client in messages: its base URL, and the address
// it dials when --each-address pinned one.
func instanceName(c *apiclient.Client) string {
	if a := c.DialAddress(); a != "" {
		return c.Base() + " (" + a + ")"
	}
	return c.Base()
}

// routeError is the message for a call to the route that failed: what
// happened and what to do, from the typed error.
func routeError(cmd string, c *apiclient.Client, err error) error {
	var he *stream.HTTPError
	status := 0
	if errors.As(err, &he) {
		status = he.StatusCode
	}
	switch {
	case errors.Is(err, stream.ErrRateLimited):
		if he != nil && he.RetryAfter > 0 {
			return failErr("%s: rate-limited, retry in %d s (the devtools route at %s refuses this address for now after too many failed attempts)", cmd, stream.RetrySeconds(he.RetryAfter), c.Base())
		}
		return failErr("%s: rate-limited by the devtools route at %s; retry later", cmd, c.Base())
	case errors.Is(err, stream.ErrOriginRefused):
		return failErr("%s: the devtools route refused this client's origin (HTTP %d)", cmd, status)
	case errors.Is(err, stream.ErrUnauthorized):
		if !c.HasToken() {
			return failErr("%s: the devtools route needs a token (HTTP %d): pass --token-file PATH or set $%s", cmd, status, TokenEnv)
		}
		return failErr("%s: the devtools route refused the token (HTTP %d); check --token-file or $%s%s", cmd, status, TokenEnv, headerHint(c))
	case errors.Is(err, stream.ErrNotFound):
		return failErr("%s: nothing serves devtools at %s (HTTP 404): %s", cmd, c.Base(), noRouteHint)
	case he != nil:
		msg := ""
		if he.Message != "" {
			msg = ": " + he.Message
		}
		return failErr("%s: the app answered HTTP %d%s", cmd, status, msg)
	case errors.Is(err, stream.ErrProtocol):
		return failErr("%s: unexpected answer from the app: %v", cmd, err)
	}
	if inner := errors.Unwrap(err); inner != nil {
		err = inner
	}
	return failErr("%s: cannot reach %s: %v", cmd, c.Base(), err)
}

// headerHint says where the token went, and how to send it elsewhere.
func headerHint(c *apiclient.Client) string {
	if h := c.TokenHeader(); h != "" {
		return fmt.Sprintf(" (sent in %s, as --auth-header or $%s asked)", h, AuthHeaderEnv)
	}
	return fmt.Sprintf(" (sent as Authorization: Bearer; if the app's Authorize reads another header, such as X-Devtools-Token, pass --auth-header NAME or set $%s)", AuthHeaderEnv)
}
