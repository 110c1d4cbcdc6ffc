package traffic

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/beignet/devtools/demo/app"
)

// RememberCookie is a fixed "remember me" cookie value the simulated users
// send beside the session cookie.
const RememberCookie = "rmb_" + "7f3c9a1e5b2d4c6a8e0f1a3b5c7d9e2f4a6b8c0d"

// WrongPassword is what users type before the right password now and then.
const WrongPassword = "Tr0ub4dor" + "&3-not-it"

// Planted returns every fixed secret value the traffic sends or causes the
// app to send: app.Planted plus the traffic's own.
func Planted() []string {
	return append(app.Planted(), RememberCookie, WrongPassword)
}

// Options configures Run.
type Options struct {
	// BaseURL is the demo app's base URL, e.g. http://127.0.0.1:8080.
	BaseURL string
	// Rate is the request rate ceiling per second; default 5, at most 1000.
	Rate float64
	// Users is the number of concurrent simulated users; default 3, more
	// for higher rates (one per 10 requests/second, at most 64).
	Users int
	// Transport is the HTTP transport; nil means a new one, closed by Run.
	Transport http.RoundTripper
	// Seed makes the mix reproducible; 0 means random.
	Seed uint64
	// Logger gets a line per transport failure; nil discards.
	Logger *slog.Logger
}

// Stats counts what Run did.
type Stats struct {
	Requests  uint64 // requests sent
	Responses uint64 // responses received (any status)
	Failures  uint64 // transport failures (no response)
	Status5xx uint64 // responses with status >= 500
}

// Run sends traffic until ctx ends, then returns what it did. It returns an
// error only for bad options.
func Run(ctx context.Context, opts Options) (Stats, error) {
	u, err := url.Parse(opts.BaseURL)
	if err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return Stats{}, fmt.Errorf("traffic: base URL %q: want http://host:port", opts.BaseURL)
	}
	if !loopbackHost(u.Hostname()) {
		return Stats{}, fmt.Errorf("traffic: base URL host %q is not loopback", u.Hostname())
	}
	rate := opts.Rate
	if rate <= 0 {
		rate = 5
	}
	rate = min(rate, 1000)
	users := opts.Users
	if users <= 0 {
		// Enough simulated users that slow endpoints do not cap the rate.
		users = min(max(3, int(rate/10)+1), 64)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	tr := opts.Transport
	if tr == nil {
		own := &http.Transport{Proxy: nil, MaxIdleConnsPerHost: users * 2, IdleConnTimeout: 30 * time.Second}
		defer own.CloseIdleConnections()
		tr = own
	}
	seed := opts.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}

	var st counters
	tokens := make(chan struct{}, 1)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the rate limiter
		defer wg.Done()
		t := time.NewTicker(time.Duration(float64(time.Second) / rate))
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				select {
				case tokens <- struct{}{}:
				default:
				}
			}
		}
	}()
	emails := app.UserEmails()
	for i := 0; i < users; i++ {
		jar, _ := cookiejar.New(nil)
		_ = jar // set below with the remember cookie
		jar.SetCookies(u, []*http.Cookie{{Name: "remember_me", Value: RememberCookie, Path: "/"}, {Name: "theme", Value: "dark", Path: "/"}})
		s := &simUser{
			base:   strings.TrimRight(opts.BaseURL, "/"),
			email:  emails[i%len(emails)],
			client: &http.Client{Transport: tr, Jar: jar, Timeout: 10 * time.Second},
			rng:    rand.New(rand.NewPCG(seed, uint64(i)+1)),
			tokens: tokens,
			st:     &st,
			log:    log,
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.run(ctx)
		}()
	}
	wg.Wait()
	return st.snapshot(), nil
}

func loopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

type counters struct {
	requests, responses, failures, s5xx atomic.Uint64
}

func (c *counters) snapshot() Stats {
	return Stats{Requests: c.requests.Load(), Responses: c.responses.Load(), Failures: c.failures.Load(), Status5xx: c.s5xx.Load()}
}

// simUser is one simulated user with its own cookie jar.
type simUser struct {
	base     string
	email    string
	client   *http.Client
	rng      *rand.Rand
	tokens   <-chan struct{}
	st       *counters
	log      *slog.Logger
	signedIn bool
}

// req waits for a rate token, sends one request, drains the response and
// returns its status and (small) body.
func (s *simUser) req(ctx context.Context, method, path string, hdr http.Header, body []byte) (int, []byte, error) {
	select {
	case <-ctx.Done():
		return 0, nil, errStopped
	case <-s.tokens:
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	r, err := http.NewRequestWithContext(ctx, method, s.base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	r.Header.Set("User-Agent", "notes-cli/2.3 (beignet demo traffic)")
	r.Header.Set("Accept", "application/json")
	for k, v := range hdr {
		r.Header[k] = v
	}
	s.st.requests.Add(1)
	resp, err := s.client.Do(r)
	if err != nil {
		if ctx.Err() != nil {
			return 0, nil, errStopped
		}
		s.st.failures.Add(1)
		s.log.Warn("traffic request failed", "method", method, "path", strings.SplitN(path, "?", 2)[0], "error", "transport")
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	s.st.responses.Add(1)
	if resp.StatusCode >= 500 {
		s.st.s5xx.Add(1)
	}
	return resp.StatusCode, b, nil
}

func jsonHeader() http.Header { return http.Header{"Content-Type": {"application/json"}} }

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

func (s *simUser) chance(p float64) bool { return s.rng.Float64() < p }

func noteTitles() []string {
	return []string{"standup notes", "release checklist", "staging credentials", "customer call", "Q3 roadmap", "incident review", "ideas"}
}

// run loops over user sessions until ctx ends.
func (s *simUser) run(ctx context.Context) {
	for ctx.Err() == nil {
		if err := s.session(ctx); errors.Is(err, errStopped) {
			return
		}
	}
}

// session is one visit: sign in (if needed), work on notes, check out, hit
// a few odd endpoints, clean up, maybe sign out.
func (s *simUser) session(ctx context.Context) error {
	if !s.signedIn {
		if s.chance(0.1) {
			if _, _, err := s.signin(ctx, WrongPassword); err != nil {
				return err
			}
		}
		code, _, err := s.signin(ctx, app.DemoPassword)
		if err != nil {
			return err
		}
		s.signedIn = code == http.StatusOK
	}

	// List notes, sometimes the way API clients authenticate.
	switch p := s.rng.Float64(); {
	case p < 0.2:
		if _, _, err := s.req(ctx, "GET", "/notes", http.Header{"Authorization": {"Bearer " + app.PersonalAccessToken}}, nil); err != nil {
			return err
		}
	case p < 0.35:
		if _, _, err := s.req(ctx, "GET", "/notes?limit=20&access_token="+url.QueryEscape(app.PersonalAccessToken), nil, nil); err != nil {
			return err
		}
	default:
		if _, _, err := s.req(ctx, "GET", "/notes", nil, nil); err != nil {
			return err
		}
	}

	// Create a note; some people paste credentials into notes.
	titles := noteTitles()
	title := titles[s.rng.IntN(len(titles))]
	body := map[string]any{"title": title, "body": "see the doc for details, owner " + s.email, "tags": []string{"work"}}
	if title == "staging credentials" || s.chance(0.15) {
		body["body"] = "aws access key " + app.CloudAccessKeyID + " for the staging bucket"
		body["awsSecretAccessKey"] = app.CloudSecretKey
	}
	code, b, err := s.req(ctx, "POST", "/notes", jsonHeader(), mustJSON(body))
	if err != nil {
		return err
	}
	if code == http.StatusUnauthorized {
		s.signedIn = false
		return nil
	}
	var created struct {
		ID int `json:"id"`
	}
	_ = json.Unmarshal(b, &created)
	notePath := "/notes/" + strconv.Itoa(created.ID)

	if _, _, err := s.req(ctx, "GET", notePath, nil, nil); err != nil {
		return err
	}
	if s.chance(0.5) {
		upd := map[string]any{"title": title + " (edited)", "body": "updated at " + time.Now().UTC().Format(time.Kitchen)}
		if _, _, err := s.req(ctx, "PUT", notePath, jsonHeader(), mustJSON(upd)); err != nil {
			return err
		}
	}

	// Check out: about a quarter of the cards are declined.
	pm := app.PaymentMethodOK
	if s.chance(0.25) {
		pm = app.PaymentMethodDeclined
	}
	co := map[string]any{"amount": 900 + s.rng.IntN(40)*100, "currency": "eur", "paymentMethod": pm}
	if _, _, err := s.req(ctx, "POST", "/checkout", jsonHeader(), mustJSON(co)); err != nil {
		return err
	}

	extras := []struct {
		p    float64
		path string
	}{
		{0.3, "/search?q=" + url.QueryEscape(title) + "&api_key=" + url.QueryEscape(app.SearchAPIKey)},
		{0.15, "/slow"},
		{0.1, "/fail"},
		{0.07, "/panic"},
		{0.15, "/notes/feed?n=3"},
		{0.1, "/notes/999999"},
	}
	for _, x := range extras {
		if s.chance(x.p) {
			if _, _, err := s.req(ctx, "GET", x.path, nil, nil); err != nil {
				return err
			}
		}
	}

	if s.chance(0.7) {
		if _, _, err := s.req(ctx, "DELETE", notePath, nil, nil); err != nil {
			return err
		}
	}
	if s.chance(0.4) {
		if _, _, err := s.req(ctx, "POST", "/signout", nil, nil); err != nil {
			return err
		}
		s.signedIn = false
	}
	return nil
}

// signin signs in with a JSON or a form body, half and half.
func (s *simUser) signin(ctx context.Context, password string) (int, []byte, error) {
	if s.chance(0.5) {
		return s.req(ctx, "POST", "/signin", jsonHeader(), mustJSON(map[string]any{"email": s.email, "password": password, "remember": true}))
	}
	form := url.Values{"email": {s.email}, "password": {password}, "remember": {"on"}}
	return s.req(ctx, "POST", "/signin", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, []byte(form.Encode()))
}
