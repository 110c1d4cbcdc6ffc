package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/beignet/devtools/internal/apiclient"
	"github.com/beignet/devtools/stream"
)

// needsTokenTimeout bounds the question "does this route need a token?".
const needsTokenTimeout = 10 * time.Second

// client resolves the --url target and its credentials into the one
// devtools client. Without a token from --token-file or the environment
// (and without --no-token) it asks the route, without credentials, whether
// it needs one: a development route without Authorize answers 200 to a
// loopback client, and then no token is asked for; a 401 or 403 prompts
// (on a terminal) or fails with how to pass one. An unreachable route is
// left to the command to report.
func (t *target) client(ctx context.Context, env *Env, ts *tokenSource, cmd string) (*apiclient.Client, error) {
	ep, err := t.endpoint()
	if err != nil {
		return nil, err
	}
	tok, err := ts.token(env, ep.Base, false)
	if err != nil {
		return nil, err
	}
	opts := apiclient.Options{URL: ep.Base, Token: tok, TokenHeader: ts.authHeader(env)}
	c, err := apiclient.New(opts)
	if err != nil {
		return nil, usageErr("%s: %w", cmd, err)
	}
	if tok != "" || ts.none {
		return c, nil
	}
	pctx, cancel := context.WithTimeout(ctx, needsTokenTimeout)
	need, err := c.NeedsToken(pctx)
	cancel()
	switch {
	case err == nil && !need:
		return c, nil
	case err == nil:
		if opts.Token, err = ts.prompt(env, ep.Base); err != nil {
			return nil, err
		}
		return apiclient.New(opts)
	case errors.Is(err, stream.ErrRateLimited), errors.Is(err, stream.ErrNotFound), errors.Is(err, stream.ErrOriginRefused):
		return nil, routeError(cmd, c, err)
	}
	return c, nil // unreachable or failing: the command says so
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
