package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/beignet/devtools/cmd/beignet-devtools/internal/endpoint"
	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/internal/privfile"
)

// TokenEnv is the environment variable read for the devtools token.
const TokenEnv = "BEIGNET_DEVTOOLS_TOKEN"

// AuthHeaderEnv is the environment variable read for --auth-header.
const AuthHeaderEnv = "BEIGNET_DEVTOOLS_AUTH_HEADER"

// noRouteHint is what to check when --url answers 404: the devtools route
// is not at that path, or the app does not enable the recorder.
const noRouteHint = "check the URL's base path, and that the app enables the recorder (it is off in production unless enabled)"

// Exit codes.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
)

// Env is everything the commands take from the process, so tests can run
// them in-process.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Getenv reads the environment; nil means no variables.
	Getenv func(string) string
	// StdinTerminal and StdoutTerminal say whether a prompt or the console
	// is possible.
	StdinTerminal, StdoutTerminal bool
	// ReadPassword reads a line from the terminal without echo; nil means
	// prompting is impossible.
	ReadPassword func() ([]byte, error)
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// LookupHost resolves a host name for --each-address; nil means
	// net.DefaultResolver.LookupHost.
	LookupHost func(ctx context.Context, host string) ([]string, error)
}

func (e *Env) getenv(k string) string {
	if e.Getenv == nil {
		return ""
	}
	return e.Getenv(k)
}

func (e *Env) lookupHost(ctx context.Context, host string) ([]string, error) {
	if e.LookupHost == nil {
		return net.DefaultResolver.LookupHost(ctx, host)
	}
	return e.LookupHost(ctx, host)
}

func (e *Env) now() time.Time {
	if e.Now == nil {
		return time.Now()
	}
	return e.Now()
}

// ExitError carries an exit code; its message (if any) is printed once by
// Main, prefixed with the program name.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

func usageErr(format string, a ...any) error {
	return &ExitError{Code: ExitUsage, Err: fmt.Errorf(format, a...)}
}

func failErr(format string, a ...any) error {
	return &ExitError{Code: ExitFailure, Err: fmt.Errorf(format, a...)}
}

// silentFail exits 1 without a further message (the command printed its
// report already).
func silentFail() error { return &ExitError{Code: ExitFailure} }

// Main runs the command line with args (without the program name) and
// returns the exit code.
func Main(ctx context.Context, args []string, env Env) int {
	root := NewRoot(&env)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		if ee.Err != nil {
			fmt.Fprintln(env.Stderr, "beignet-devtools:", ee.Err)
			if ee.Code == ExitUsage {
				fmt.Fprintln(env.Stderr, "Run 'beignet-devtools --help' for usage.")
			}
		}
		return ee.Code
	}
	fmt.Fprintln(env.Stderr, "beignet-devtools:", err)
	if strings.HasPrefix(err.Error(), "unknown command") || strings.HasPrefix(err.Error(), "unknown flag") ||
		strings.Contains(err.Error(), "flag needs an argument") {
		fmt.Fprintln(env.Stderr, "Run 'beignet-devtools --help' for usage.")
		return ExitUsage
	}
	return ExitFailure
}

// NewRoot builds the command tree.
func NewRoot(env *Env) *cobra.Command {
	root := &cobra.Command{
		Use:   "beignet-devtools",
		Short: "Devtools for Go web apps: record, redact, stream and inspect events",
		Long: `beignet-devtools works with apps that embed the recorder
(github.com/beignet/devtools/recorder): it opens a live console on a running
app or a store file, tails events for grep and jq, purges retention, checks a
deployment before launch, and scans stored events for secrets that slipped
past redaction.

Tokens are never taken on the command line: use --token-file, the
BEIGNET_DEVTOOLS_TOKEN environment variable, or the no-echo prompt. They go
in Authorization: Bearer, or in the header --auth-header NAME (or
BEIGNET_DEVTOOLS_AUTH_HEADER) names, for an app whose Authorize reads its own
header. A development route without Authorize needs none: without a token
the commands ask the route first, and --no-token sends none.`,
		Example: `  # the whole system in one command: demo app, traffic, live console
  beignet-devtools demo

  # inspect a staging app with a token
  BEIGNET_DEVTOOLS_TOKEN=$(cat ~/.config/staging-devtools-token) \
    beignet-devtools console --url https://staging.example.com/api/devtools`,
		Version:       versionString(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(env.Stdin)
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		if strings.Contains(err.Error(), "unknown flag: --token") && !strings.Contains(err.Error(), "--token-") {
			return &ExitError{Code: ExitUsage, Err: fmt.Errorf("%s: %w (there is no --token flag, it would leak into shell history and ps: use --token-file PATH or $%s)", cmdName(c), err, TokenEnv)}
		}
		if !c.HasParent() {
			return &ExitError{Code: ExitUsage, Err: err}
		}
		return &ExitError{Code: ExitUsage, Err: fmt.Errorf("%s: %w", cmdName(c), err)}
	})
	root.AddCommand(
		newDemoCmd(env),
		newConsoleCmd(env),
		newTailCmd(env),
		newPurgeCmd(env),
		newDoctorCmd(env),
		newScanCmd(env),
		newVersionCmd(env),
	)
	root.CompletionOptions.HiddenDefaultCmd = false
	return root
}

// cmdName is the command path without the program name ("tail",
// "completion bash"), for messages Main prefixes with the program name.
func cmdName(c *cobra.Command) string {
	if !c.HasParent() {
		return c.Name()
	}
	return strings.TrimPrefix(c.CommandPath(), c.Root().Name()+" ")
}

// noArgs is cobra.NoArgs as a usage error.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageErr("%s takes no arguments (got %q); see --help", cmdName(cmd), args[0])
	}
	return nil
}

// target is the --url / --db pair most commands take: exactly one.
type target struct {
	urls []string
	db   string
	// fleet: the command takes --url more than once and --each-address
	// (console, tail); eachAddress is that flag.
	fleet, eachAddress bool
}

func (t *target) flags(cmd *cobra.Command, what string) {
	cmd.Flags().StringArrayVar(&t.urls, "url", nil, "URL of a running app's devtools route (app base URL or .../api/devtools)")
	cmd.Flags().StringVar(&t.db, "db", "", "path of a store file "+what)
	_ = cmd.MarkFlagFilename("db", "db")
}

// fleetFlags makes the command follow several instances: --url more than
// once, and --each-address.
func (t *target) fleetFlags(cmd *cobra.Command) {
	t.fleet = true
	f := cmd.Flags()
	f.Lookup("url").Usage = "URL of a running app's devtools route (app base URL or .../api/devtools); repeat it for several instances"
	f.BoolVar(&t.eachAddress, "each-address", false, "follow every address the --url host resolves to (a headless Service, DNS round-robin), one stream each, Host header and TLS name as given")
}

func (t *target) check(cmd *cobra.Command) error {
	switch {
	case len(t.urls) == 0 && t.db == "":
		return usageErr("%s needs --url URL or --db PATH", cmdName(cmd))
	case len(t.urls) > 0 && t.db != "":
		return usageErr("%s takes --url or --db, not both", cmdName(cmd))
	case len(t.urls) > 1 && !t.fleet:
		return usageErr("%s takes one --url (console and tail follow several)", cmdName(cmd))
	case t.eachAddress && len(t.urls) == 0:
		return usageErr("--each-address needs --url")
	}
	return nil
}

func parseURL(raw string) (endpoint.Endpoint, error) {
	ep, err := endpoint.Parse(raw)
	if err != nil {
		return ep, &ExitError{Code: ExitUsage, Err: err}
	}
	return ep, nil
}

// tokenSource is --token-file, --auth-header and --no-token plus the
// environment and the prompt.
type tokenSource struct {
	file   string
	header string
	none   bool
}

func (ts *tokenSource) flags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&ts.file, "token-file", "", "read the devtools token from this file (else $"+TokenEnv+", else a prompt)")
	f.StringVar(&ts.header, "auth-header", "", "send the token in this header, as is, instead of Authorization: Bearer (else $"+AuthHeaderEnv+"), for an app whose Authorize reads e.g. X-Devtools-Token")
	f.BoolVar(&ts.none, "no-token", false, "send no token (a development route without Authorize serves loopback clients without one)")
	_ = cmd.MarkFlagFilename("token-file")
}

// authHeader is --auth-header, else $BEIGNET_DEVTOOLS_AUTH_HEADER.
func (ts *tokenSource) authHeader(env *Env) string {
	if h := strings.TrimSpace(ts.header); h != "" {
		return h
	}
	return strings.TrimSpace(env.getenv(AuthHeaderEnv))
}

// token resolves the token: --token-file, then $BEIGNET_DEVTOOLS_TOKEN,
// then (when required and stdin is a terminal) a prompt without echo.
// With --no-token it is empty.
func (ts *tokenSource) token(env *Env, where string, required bool) (string, error) {
	if ts.none {
		if ts.file != "" {
			return "", usageErr("--no-token and --token-file contradict each other")
		}
		return "", nil
	}
	if ts.file != "" {
		fi, err := os.Stat(ts.file)
		if err != nil {
			return "", failErr("token file: %w", err)
		}
		if p, err := privfile.Check(ts.file, fi); err == nil && p != nil {
			fmt.Fprintf(env.Stderr, "warning: token file %s %s, readable by others; run `%s`\n", ts.file, p.Detail, p.Fix)
		}
		b, err := os.ReadFile(ts.file)
		if err != nil {
			return "", failErr("token file: %w", err)
		}
		tok := strings.TrimSpace(string(b))
		if tok == "" {
			return "", failErr("token file %s is empty", ts.file)
		}
		return tok, nil
	}
	if tok := strings.TrimSpace(env.getenv(TokenEnv)); tok != "" {
		return tok, nil
	}
	if !required {
		return "", nil
	}
	return ts.prompt(env, where)
}

// prompt asks for the token on the terminal, without echo.
func (ts *tokenSource) prompt(env *Env, where string) (string, error) {
	if !env.StdinTerminal || env.ReadPassword == nil {
		return "", usageErr("no token for %s, which needs one: pass --token-file PATH or set %s (there is no --token flag: it would leak into shell history)", where, TokenEnv)
	}
	fmt.Fprintf(env.Stderr, "Devtools token for %s: ", where)
	b, err := env.ReadPassword()
	fmt.Fprintln(env.Stderr)
	if err != nil {
		return "", failErr("read token: %w", err)
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", usageErr("empty token")
	}
	return tok, nil
}

var daysRe = regexp.MustCompile(`^(\d+)d(.*)$`)

// parseAge parses a duration with an optional leading day count: 7d, 36h,
// 1d12h, 90m, 0.
func parseAge(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "0" {
		return 0, nil
	}
	var d time.Duration
	if m := daysRe.FindStringSubmatch(s); m != nil {
		n, err := strconv.Atoi(m[1])
		if err != nil || n > 100_000 {
			return 0, fmt.Errorf("bad duration %q", s)
		}
		d = time.Duration(n) * 24 * time.Hour
		s = m[2]
		if s == "" {
			return d, nil
		}
	}
	rest, err := time.ParseDuration(s)
	if err != nil || rest < 0 {
		return 0, fmt.Errorf("bad duration %q: want e.g. 24h, 7d, 90m", s)
	}
	return d + rest, nil
}

// parseSince reads --since: an event ID, a duration ago (10m, 2d), or
// "all". The zero ID means "live only" to the stream.
func parseSince(s string, now time.Time) (event.ID, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return event.ID{}, nil
	case strings.EqualFold(s, "all"):
		return event.IDFromTime(time.UnixMilli(1)), nil
	case len(s) == event.IDLen:
		id, err := event.ParseID(s)
		if err != nil {
			return event.ID{}, fmt.Errorf("--since: %w", err)
		}
		return id, nil
	}
	d, err := parseAge(s)
	if err != nil {
		return event.ID{}, fmt.Errorf("--since %q: want an event ID, a duration such as 10m or 2d, or all", s)
	}
	id := event.IDFromTime(now.Add(-d))
	if id.IsZero() {
		id = event.IDFromTime(time.UnixMilli(1))
	}
	// IDFromTime is the smallest ID of that millisecond; "after" it
	// would skip an event with exactly that ID, which has random bits.
	return id, nil
}
