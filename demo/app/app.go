package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/beignet/devtools/recorder"
	"github.com/beignet/devtools/store"
)

// DevtoolsBasePath is where the demo mounts the devtools route.
const DevtoolsBasePath = "/api/devtools"

// Options configures the demo app. The zero value is usable: a temporary
// store, a fresh token, development environment.
type Options struct {
	// Name is the app name in every event; default "notes-demo".
	Name string
	// Instance names this process in every event (demo --instances);
	// empty means none.
	Instance string
	// Env is the recorder's environment; default "development".
	Env string
	// Token is the devtools token; empty means a fresh random one. It must
	// be at least 32 bytes.
	Token string
	// StorePath is the bbolt file; empty means a file in a new temporary
	// directory that Close removes.
	StorePath string
	// StoreOptions are passed to the store (retention, size cap).
	StoreOptions *store.Options
	// Logger receives the app's own logs (they also go to the recorder as
	// log events); nil discards them.
	Logger *slog.Logger
	// SlowDelay is how long GET /slow takes at most; default 1.2s.
	SlowDelay time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Exporters receive the recorder's redacted events (recorder.Config.
	// Exporters); the caller shuts them down after Close.
	Exporters []recorder.Exporter
	// StoreRequired makes New fail with the store's error when the file
	// cannot be used (not a store, corrupt, locked), leaving it untouched:
	// `demo --db FILE` asks for that file. False (the default) behaves as
	// an embedding app does: the recorder runs live only and retries.
	StoreRequired bool
	// DisableRecorder turns the recorder off, as production does by
	// default: the middleware passes requests straight through and the
	// devtools route answers 404. The load test's baseline uses it.
	DisableRecorder bool
}

// App is the demo app. Create it with New, serve Handler, and Close it.
type App struct {
	name      string
	token     string
	storePath string
	tempDir   string
	slowDelay time.Duration
	now       func() time.Time

	rec      *recorder.Recorder
	store    *store.Store // opened by New, closed by Close after rec
	log      *slog.Logger
	devtools http.Handler
	handler  http.Handler

	provider     *http.Server
	providerURL  string
	providerDone chan struct{}
	client       *http.Client

	data *data

	// sse tracks open feed streams so Close can end them.
	sseMu     sync.Mutex
	sseClosed bool
	sseStop   chan struct{}
	sseWG     sync.WaitGroup
}

// NewToken returns a fresh devtools token: 32 random bytes, hex encoded.
func NewToken() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("app: token: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// New builds the demo app: the recorder and its store, the fake payment
// provider (listening on loopback), and the routes.
func New(opts Options) (*App, error) {
	a := &App{
		name:      opts.Name,
		token:     opts.Token,
		storePath: opts.StorePath,
		slowDelay: opts.SlowDelay,
		now:       opts.Now,
		sseStop:   make(chan struct{}),
		data:      newData(),
	}
	if a.name == "" {
		a.name = "notes-demo"
	}
	if a.slowDelay <= 0 {
		a.slowDelay = 1200 * time.Millisecond
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.token == "" {
		t, err := NewToken()
		if err != nil {
			return nil, err
		}
		a.token = t
	}
	if a.storePath == "" {
		dir, err := os.MkdirTemp("", "beignet-devtools-demo-*")
		if err != nil {
			return nil, fmt.Errorf("app: temp dir: %w", err)
		}
		a.tempDir = dir
		a.storePath = filepath.Join(dir, "devtools.db")
	}
	env := opts.Env
	if env == "" {
		env = "development"
	}
	baseLogger := opts.Logger
	if baseLogger == nil {
		// Not slog.DiscardHandler: its Enabled is false, and the
		// recorder's handler asks the next one whether to record.
		baseLogger = slog.New(discardHandler{level: slog.LevelInfo})
	}
	on := !opts.DisableRecorder
	if on && opts.StoreRequired {
		// The app opens its store itself, so that a file it cannot use
		// (not a store, corrupt, locked by another process) stops it with
		// the store's error, the file untouched, instead of running live
		// only as an app does (the recorder retries its own store).
		st, err := store.Open(a.storePath, opts.StoreOptions)
		if err != nil {
			a.removeTemp()
			return nil, fmt.Errorf("app: %w", err)
		}
		a.store = st
	}
	rec, err := recorder.New(recorder.Config{
		App:          a.name,
		Instance:     opts.Instance,
		Env:          env,
		Enabled:      &on,
		Store:        a.store,
		StorePath:    a.storePath,
		StoreOptions: opts.StoreOptions,
		Logger:       baseLogger,
		Now:          opts.Now,
		Exporters:    opts.Exporters,
	})
	if err != nil {
		a.closeStore()
		a.removeTemp()
		return nil, fmt.Errorf("app: %w", err) // recorder errors name the recorder
	}
	a.rec = rec
	a.log = slog.New(rec.SlogHandler(baseLogger.Handler()))

	auth, err := recorder.TokenAuth(a.token)
	if err != nil {
		a.closeEarly()
		return nil, fmt.Errorf("app: token: %w", err)
	}
	dev, err := rec.Handler(recorder.HandlerOptions{BasePath: DevtoolsBasePath, Enabled: &on, Authorize: auth})
	if err != nil {
		a.closeEarly()
		return nil, fmt.Errorf("app: devtools route: %w", err)
	}
	a.devtools = dev

	if err := a.startProvider(); err != nil {
		a.closeEarly()
		return nil, err
	}
	a.client = &http.Client{
		Transport: rec.Transport(&http.Transport{Proxy: nil, MaxIdleConnsPerHost: 8, IdleConnTimeout: 30 * time.Second}, "payments"),
		Timeout:   5 * time.Second,
	}
	a.handler = a.routes()
	return a, nil
}

func (a *App) closeEarly() {
	_ = a.rec.Close(context.Background())
	a.closeStore()
	a.removeTemp()
}

// closeStore closes the store the app opened (after the recorder).
func (a *App) closeStore() error {
	if a.store == nil {
		return nil
	}
	err := a.store.Close()
	a.store = nil
	return err
}

func (a *App) removeTemp() {
	if a.tempDir != "" {
		_ = os.RemoveAll(a.tempDir)
	}
}

// Handler returns the app's root handler: the devtools route under
// DevtoolsBasePath and everything else through recover(recorder(routes)).
func (a *App) Handler() http.Handler { return a.handler }

// Token returns the devtools token.
func (a *App) Token() string { return a.token }

// StorePath returns the path of the recorder's store file.
func (a *App) StorePath() string { return a.storePath }

// Recorder returns the embedded recorder.
func (a *App) Recorder() *recorder.Recorder { return a.rec }

// Close ends feed streams, stops the fake provider, and closes the recorder
// (flushing queued events to the store). It removes the temporary store
// directory when New created one.
func (a *App) Close(ctx context.Context) error {
	a.sseMu.Lock()
	if !a.sseClosed {
		a.sseClosed = true
		close(a.sseStop)
	}
	a.sseMu.Unlock()
	a.sseWG.Wait()

	var errs []error
	if err := a.provider.Shutdown(ctx); err != nil {
		errs = append(errs, fmt.Errorf("app: provider shutdown: %w", err))
	}
	<-a.providerDone
	a.client.CloseIdleConnections()
	if err := a.rec.Close(ctx); err != nil {
		errs = append(errs, fmt.Errorf("app: %w", err))
	}
	if err := a.closeStore(); err != nil {
		errs = append(errs, fmt.Errorf("app: store close: %w", err))
	}
	a.removeTemp()
	return errors.Join(errs...)
}

// Server is a running demo app on a loopback port.
type Server struct {
	App *App
	// URL is the app's base URL, http://127.0.0.1:PORT.
	URL string
	// DevtoolsURL is the devtools route's base URL, URL + DevtoolsBasePath.
	DevtoolsURL string

	srv  *http.Server
	done chan error
}

// Start builds the app and serves it on addr, which must be a loopback
// address ("" means 127.0.0.1:0, a free port). Shutdown stops it.
func Start(opts Options, addr string) (*Server, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	if err := checkLoopback(addr); err != nil {
		return nil, err
	}
	a, err := New(opts)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		_ = a.Close(context.Background())
		return nil, fmt.Errorf("app: listen: %w", err)
	}
	s := &Server{
		App:  a,
		URL:  "http://" + ln.Addr().String(),
		srv:  &http.Server{Handler: a.Handler(), ReadHeaderTimeout: 5 * time.Second, ErrorLog: log.New(&logAdapter{l: a.log}, "", 0)},
		done: make(chan error, 1),
	}
	s.DevtoolsURL = s.URL + DevtoolsBasePath
	go func() {
		err := s.srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		s.done <- err
	}()
	return s, nil
}

// Shutdown stops accepting requests, waits for those in flight (until ctx
// ends), and closes the app.
func (s *Server) Shutdown(ctx context.Context) error {
	// Feed streams never finish on their own; end them first so that
	// Shutdown does not wait for them.
	s.App.sseMu.Lock()
	if !s.App.sseClosed {
		s.App.sseClosed = true
		close(s.App.sseStop)
	}
	s.App.sseMu.Unlock()
	var errs []error
	if err := s.srv.Shutdown(ctx); err != nil {
		errs = append(errs, fmt.Errorf("app: shutdown: %w", err))
		_ = s.srv.Close()
	}
	if err := <-s.done; err != nil {
		errs = append(errs, fmt.Errorf("app: serve: %w", err))
	}
	if err := s.App.Close(ctx); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("app: address %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("app: address %q is not loopback; the demo listens on 127.0.0.1 or ::1 only", addr)
	}
	return nil
}

// logAdapter routes net/http's server errors (bad requests, TLS noise) into
// the app's logger at warning level.
type logAdapter struct{ l *slog.Logger }

func (la *logAdapter) Write(p []byte) (int, error) {
	la.l.Warn("http server", "error", string(trimNL(p)))
	return len(p), nil
}

func trimNL(p []byte) []byte {
	for len(p) > 0 && (p[len(p)-1] == '\n' || p[len(p)-1] == '\r') {
		p = p[:len(p)-1]
	}
	return p
}

var _ io.Writer = (*logAdapter)(nil)

// discardHandler drops records but is enabled from level on, so that the
// recorder's slog handler in front of it still records them.
type discardHandler struct{ level slog.Level }

func (d discardHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= d.level }
func (discardHandler) Handle(context.Context, slog.Record) error      { return nil }
func (d discardHandler) WithAttrs([]slog.Attr) slog.Handler           { return d }
func (d discardHandler) WithGroup(string) slog.Handler                { return d }
