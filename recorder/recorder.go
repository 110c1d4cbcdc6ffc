package recorder

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/internal/hub"
	"github.com/beignet/devtools/internal/redact"
	"github.com/beignet/devtools/redaction"
	"github.com/beignet/devtools/store"
	"github.com/beignet/devtools/stream"
)

// Defaults of Config and HandlerOptions.
const (
	DefaultQueueSize = 8192
	// DefaultQueueBytes bounds the captured bytes (bodies and headers)
	// waiting in the queue.
	DefaultQueueBytes = 64 << 20
	DefaultBodyLimit  = 64 << 10
	DefaultBasePath   = "/api/devtools"

	// bodySlack is how much more than BodyLimit is captured, so that the
	// redactor sees a secret that straddles the cut before the body is cut
	// to BodyLimit.
	bodySlack = 256
	// maxBatch is the largest batch the pipeline writes in one transaction.
	maxBatch = 256
)

// Environments as resolved by ResolveEnv.
const (
	EnvDevelopment = "development"
	EnvProduction  = "production"
)

// Config configures a Recorder. The zero value is usable: development unless
// the environment says otherwise, a store at store.DefaultPath.
type Config struct {
	// App and Instance name the emitting app and process (multi-instance staging).
	App, Instance string
	// Env: this, else BEIGNET_ENV, else APP_ENV; unset means "development".
	Env string
	// Enabled: nil means on in development and off everywhere else
	// (production, staging and any name the recorder does not know: it
	// fails closed). Set it to record outside development; the devtools
	// route then needs an Authorize callback or a token.
	Enabled *bool

	// Store is an open store to write to; the Recorder does not close it.
	// When nil, the Recorder opens StorePath (store.DefaultPath when empty)
	// with StoreOptions and closes it on Close.
	Store        *store.Store
	StorePath    string
	StoreOptions store.Options

	// Redaction adds to the redaction defaults; the zero value is the
	// defaults.
	Redaction redaction.Options

	// QueueSize bounds the hand-off queue in events; default 8192.
	QueueSize int
	// QueueBytes bounds the captured bodies and headers waiting in the
	// queue, in bytes; default 64 MiB. Without it a burst of large
	// requests while the pipeline is behind would hold QueueSize times two
	// capture limits (1 GiB with the defaults) and make the app's garbage
	// collector work for devtools. An event over the budget is dropped and
	// counted like one over QueueSize.
	QueueBytes int64
	// BodyLimit caps captured bodies in bytes; default 64 KiB. Negative
	// disables body capture (size and type are still recorded).
	BodyLimit int
	// IgnorePaths are path prefixes the middleware does not record. Default:
	// the devtools base path. Handler adds its own base path in any case.
	IgnorePaths []string

	// Sample is the load policy for when recording every request costs
	// too much: nil (the default) keeps everything. See Sample.
	Sample *Sample

	// Exporters receive every event once it is redacted, stored and
	// published, each on a goroutine of its own behind a bounded queue
	// (see Exporter; package otlp sends them to an OpenTelemetry
	// Collector). The recorder does not shut them down: do that after
	// Close.
	Exporters []Exporter
	// ExportQueueSize and ExportQueueBytes bound the events waiting for
	// each exporter, in events and in encoded bytes; defaults 8192 and
	// 32 MiB. A batch that does not fit is not exported, counted in
	// Stats.ExportDropped.
	ExportQueueSize  int
	ExportQueueBytes int64

	Logger *slog.Logger
	Now    func() time.Time
}

// Stats counts what the pipeline did. Dropped and StoreErrors are the numbers
// to watch: a dropped event was never recorded (queue full), a store error
// means a batch could not be persisted (it was still published live).
type Stats struct {
	Enabled      bool   `json:"enabled"`
	Recorded     uint64 `json:"recorded"`     // events persisted
	Dropped      uint64 `json:"dropped"`      // events dropped because the queue was full (QueueSize or QueueBytes)
	Sampled      uint64 `json:"sampled"`      // events the load policy left out (Config.Sample); not counted in Dropped
	StoreErrors  uint64 `json:"storeErrors"`  // failed store writes (batches)
	StoreFailed  uint64 `json:"storeFailed"`  // events in failed batches
	EncodeErrors uint64 `json:"encodeErrors"` // events that could not be encoded
	Published    uint64 `json:"published"`    // events handed to the live hub
	Queued       int    `json:"queued"`       // events waiting in the queue now
	QueuedBytes  int64  `json:"queuedBytes"`  // their captured bodies and headers
	QueueSize    int    `json:"queueSize"`
	QueueBytes   int64  `json:"queueBytes"`
	// StoreError is why the store is failing now (it could not be opened,
	// or the last write failed); empty when it works.
	StoreError string `json:"storeError,omitempty"`

	// Export counters, summed over Config.Exporters (zero without any).
	Exported      uint64 `json:"exported"`      // events an exporter accepted
	ExportDropped uint64 `json:"exportDropped"` // events not exported: an exporter's queue was full (a slow or unreachable collector) or Close ran out of time
	ExportFailed  uint64 `json:"exportFailed"`  // events in batches an exporter failed to send
	ExportQueued  int    `json:"exportQueued"`  // events waiting for exporters now
	// ExportError is why the last export failed (redacted); empty when
	// exports succeed.
	ExportError string `json:"exportError,omitempty"`
}

// Recorder captures events and runs the pipeline. A Recorder is safe for
// concurrent use; a nil or disabled Recorder is a cheap no-op.
type Recorder struct {
	enabled   bool
	env       string
	app       string
	instance  string
	bodyLimit int
	retention string
	log       *slog.Logger
	now       func() time.Time
	realClock bool // now is time.Now: durations can use the monotonic clock alone
	// clockBase is a recent time.Now (wall and monotonic reading) that the
	// middleware reads its start times from with the real clock (see start).
	clockBase atomic.Pointer[time.Time]

	st       atomic.Pointer[store.Store]
	ownStore bool          // the recorder opens (and reopens) and closes the store
	stPath   string        // for reopening
	stOpts   store.Options // for reopening
	stErr    atomic.Pointer[string]
	openMu   sync.Mutex       // serializes opening the store (New, Handler, pipeline) with Close
	refused  error            // New's error: the store's path or mode is refused
	redactor *redact.Redactor // the engine behind redaction.Redactor
	hub      *hub.Hub         // the machinery behind stream.Hub (PublishOwned)
	ids      *event.Generator // stamps events in the pipeline

	ignore atomic.Pointer[[]string]

	queue chan *record
	// queuedBytes is what the queued records' captures hold (see
	// record.captureBytes), bounded by maxQueuedBytes.
	queuedBytes    atomic.Int64
	maxQueuedBytes int64
	quit           chan struct{}
	done           chan struct{}
	closeOnce      sync.Once
	closed         atomic.Bool
	abort          atomic.Bool

	// sink replaces the store in tests (failing store).
	sink        func(events []event.Event, enc [][]byte) error
	processHook func(batch []*record)
	handoffHook func()
	// inFlightBytes, when > 0, replaces maxInFlightBytes (tests).
	inFlightBytes int64

	// sampler applies Config.Sample; nil keeps everything.
	sampler *sampler

	recorded     atomic.Uint64
	dropped      atomic.Uint64
	sampled      atomic.Uint64
	storeErrors  atomic.Uint64
	storeFailed  atomic.Uint64
	encodeErrors atomic.Uint64
	published    atomic.Uint64
	// mark tells store readers when the batches published live are
	// stored (see commitMark).
	mark *commitMark

	pool sync.Pool // *record

	// pipeline goroutines only: batchSeq and encScratch belong to the
	// prepare stage (run); reopenAt, reopenBackoff and group to the
	// commit stage (commitLoop); a stage set to the stage that holds it
	// (see setPool)
	batchSeq      uint64 // sequence number of the last batch published
	fastEncode    bool
	encScratch    []byte // the first stage's encoding buffer
	reopenAt      time.Time
	reopenBackoff time.Duration
	group         groupScratch

	mu      sync.Mutex
	servers []*stream.Server

	// exports are the Config.Exporters' queues (export.go): offered to by
	// the commit stage, each drained by its own goroutine, which
	// exportCancel stops early when Close runs out of time.
	exports      []*exportQueue
	exportCtx    context.Context
	exportCancel context.CancelFunc
}

// ResolveEnv returns the environment: configured if not empty, else
// BEIGNET_ENV, else APP_ENV, else "development". The result is lower-cased
// and "prod" is normalised to "production", "dev" and "local" to
// "development". Only EnvDevelopment records by default: every other name
// (production, staging, prd, live, a typo) is treated as production.
func ResolveEnv(configured string) string {
	env := strings.TrimSpace(configured)
	if env == "" {
		env = strings.TrimSpace(os.Getenv("BEIGNET_ENV"))
	}
	if env == "" {
		env = strings.TrimSpace(os.Getenv("APP_ENV"))
	}
	env = strings.ToLower(env)
	switch env {
	case "", "dev", "local", EnvDevelopment:
		return EnvDevelopment
	case "prod", EnvProduction:
		return EnvProduction
	}
	return env
}

// New returns a Recorder. A disabled recorder (outside development by default) opens
// no store and starts no goroutine. An enabled one opens the store (unless
// Config.Store is given) and starts its pipeline goroutine; call Close.
func New(cfg Config) (*Recorder, error) {
	return newRecorder(cfg, hooks{})
}

// hooks let tests replace the store write and the pipeline.
type hooks struct {
	// sink replaces the store. It may keep the events' strings and
	// encodings (the pipeline then does not reuse their memory), not
	// what the events point to (a request event's HTTP part and header
	// maps are reused for later batches).
	sink       func(events []event.Event, enc [][]byte) error
	noPipeline bool // tests drain the queue themselves
	// process replaces the pipeline's work on a batch (benchmarks of the
	// hand-off).
	process func(batch []*record)
	// handoff is called when the prepare stage hands a batch to the
	// commit stage (tests that stall the pipeline on purpose).
	handoff func()
	// exportBackoff replaces the first wait after a failed export.
	exportBackoff time.Duration
	// inFlightBytes replaces maxInFlightBytes.
	inFlightBytes int64
}

func newRecorder(cfg Config, hk hooks) (*Recorder, error) {
	r := &Recorder{
		sink:          hk.sink,
		processHook:   hk.process,
		handoffHook:   hk.handoff,
		inFlightBytes: hk.inFlightBytes,
		env:           ResolveEnv(cfg.Env),
		app:           cfg.App,
		instance:      cfg.Instance,
		bodyLimit:     cfg.BodyLimit,
		log:           cfg.Logger,
		now:           cfg.Now,
	}
	if cfg.Store != nil {
		r.st.Store(cfg.Store)
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if r.now == nil {
		r.now = time.Now
		r.realClock = true
	}
	if r.bodyLimit == 0 {
		r.bodyLimit = DefaultBodyLimit
	}
	if cfg.Enabled != nil {
		r.enabled = *cfg.Enabled
	} else {
		r.enabled = r.env == EnvDevelopment
	}
	ignore := cfg.IgnorePaths
	if ignore == nil {
		ignore = []string{DefaultBasePath}
	}
	ignore = cleanPrefixes(ignore)
	r.ignore.Store(&ignore)
	r.retention = retentionText(cfg.StoreOptions)
	if !r.enabled {
		return r, nil
	}

	if cfg.Store == nil {
		path := cfg.StorePath
		if path == "" {
			p, err := store.DefaultPath()
			if err != nil {
				return nil, fmt.Errorf("recorder: store path: %w", err)
			}
			path = p
		}
		r.ownStore, r.stPath, r.stOpts = true, path, cfg.StoreOptions
		// A store file that exists is opened now; a new one is created
		// when the devtools route is built (Handler) or the first event is
		// written, so that a start that fails on its configuration (a
		// missing token, say) leaves no folder behind. The security
		// policy's path check runs now either way.
		if _, err := os.Stat(path); err == nil {
			r.openOwnStore()
		} else if _, err := store.CheckPath(path, publicDirs(cfg.StoreOptions)); err != nil {
			return nil, fmt.Errorf("recorder: store path: %w", err)
		}
		if r.refused != nil {
			return nil, r.refused
		}
	}
	qs := cfg.QueueSize
	if qs <= 0 {
		qs = DefaultQueueSize
	}
	r.maxQueuedBytes = cfg.QueueBytes
	if r.maxQueuedBytes <= 0 {
		r.maxQueuedBytes = DefaultQueueBytes
	}
	r.sampler = newSampler(cfg.Sample)
	r.redactor = (*redact.Redactor)(redaction.New(cfg.Redaction))
	r.hub = hub.New(hub.Options{Logger: r.log})
	r.mark = newCommitMark()
	r.ids = event.NewGenerator(r.now)
	r.fastEncode = fastEncodeOK()
	r.queue = make(chan *record, qs)
	r.quit = make(chan struct{})
	r.done = make(chan struct{})
	if hk.noPipeline {
		close(r.done)
		return r, nil
	}
	r.startExport(&cfg, hk.exportBackoff)
	go r.run()
	return r, nil
}

// openOwnStore opens the store the recorder owns, once; a failure the
// security policy refuses is kept in r.refused (New returns it), any
// other leaves the recorder live only (the pipeline retries).
func (r *Recorder) openOwnStore() {
	r.openMu.Lock()
	defer r.openMu.Unlock()
	if r.st.Load() != nil || r.closed.Load() {
		return
	}
	st, err := store.Open(r.stPath, r.stOpts)
	switch {
	case err == nil:
		r.st.Store(st)
	case errors.Is(err, store.ErrPublicPath) || errors.Is(err, store.ErrPermissions):
		// A configuration the security policy refuses: say so now.
		r.refused = fmt.Errorf("recorder: open store: %w", err)
	default:
		// The file or the disk is unusable (locked, corrupt, not a
		// store, newer schema, disk full, read-only): the app keeps
		// serving, devtools run live only, the pipeline retries.
		r.setStoreErr(err)
		r.log.Warn("recorder: store unavailable; devtools run live only and retry opening it", "error", err.Error())
	}
}

// openDeferred opens the store New left for later (see New), when the
// recorder owns one and it is not open yet.
func (r *Recorder) openDeferred() {
	if r.enabled && r.ownStore && r.st.Load() == nil && r.stErr.Load() == nil {
		r.openOwnStore()
	}
}

// publicDirs returns the configured public directories of o.
func publicDirs(o store.Options) []string { return o.PublicDirs }

func retentionText(o store.Options) string {
	if o.MaxAge == 0 {
		return "24h"
	}
	if o.MaxAge < 0 {
		return "off"
	}
	return o.MaxAge.String()
}

func cleanPrefixes(in []string) []string {
	out := make([]string, 0, len(in))
	for _, p := range in {
		p = strings.TrimRight(strings.TrimSpace(p), "/")
		if p == "" {
			continue
		}
		if !strings.HasPrefix(p, "/") {
			p = "/" + p
		}
		out = append(out, p)
	}
	return out
}

// addIgnore adds a path prefix the middleware skips (Handler's base path).
func (r *Recorder) addIgnore(prefix string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	cur := *r.ignore.Load()
	for _, p := range cur {
		if p == prefix {
			return
		}
	}
	next := append(append([]string(nil), cur...), prefix)
	r.ignore.Store(&next)
}

func (r *Recorder) ignored(path string) bool {
	for _, p := range *r.ignore.Load() {
		if strings.HasPrefix(path, p) && (len(path) == len(p) || path[len(p)] == '/') {
			return true
		}
	}
	return false
}

// maxClockBaseAge bounds how old clockBase may be when start uses it, and
// so how long a step of the wall clock (not a slew: the monotonic clock
// follows those) can go unnoticed in start times.
const maxClockBaseAge = 100 * time.Millisecond

// start returns the time a request starts. With the real clock it is
// clockBase plus the monotonic time elapsed since: one monotonic clock read
// instead of time.Now's wall and monotonic reads. clockBase is renewed
// (time.Now) when it is older than maxClockBaseAge, so start times stay
// within a wall clock step of time.Now for at most that long.
func (r *Recorder) start() time.Time {
	if !r.realClock {
		return r.now()
	}
	if b := r.clockBase.Load(); b != nil {
		if d := time.Since(*b); d >= 0 && d < maxClockBaseAge {
			return b.Add(d)
		}
	}
	t := time.Now()
	r.clockBase.Store(&t)
	return t
}

// since returns the nanoseconds from start (a time from r.now) to now.
// With the real clock that is one monotonic clock read (time.Since) where
// r.now().Sub would read the wall clock too.
func (r *Recorder) since(start time.Time) int64 {
	if r.realClock {
		return int64(time.Since(start))
	}
	return int64(r.now().Sub(start))
}

// Enabled reports whether the recorder records anything.
func (r *Recorder) Enabled() bool { return r != nil && r.enabled }

// Env returns the resolved environment.
func (r *Recorder) Env() string {
	if r == nil {
		return ResolveEnv("")
	}
	return r.env
}

// Store returns the store the recorder writes to: nil when disabled and
// none was configured, or while the store could not be opened (see
// Stats.StoreError).
func (r *Recorder) Store() *store.Store {
	if r == nil {
		return nil
	}
	return r.st.Load()
}

func (r *Recorder) setStoreErr(err error) {
	if err == nil {
		r.stErr.Store(nil)
		return
	}
	msg := err.Error()
	r.stErr.Store(&msg)
}

// Stats returns the pipeline counters.
func (r *Recorder) Stats() Stats {
	if !r.Enabled() {
		return Stats{}
	}
	var storeErr string
	if p := r.stErr.Load(); p != nil {
		storeErr = *p
	}
	s := Stats{
		StoreError:   storeErr,
		Enabled:      true,
		Recorded:     r.recorded.Load(),
		Dropped:      r.dropped.Load(),
		Sampled:      r.sampled.Load(),
		StoreErrors:  r.storeErrors.Load(),
		StoreFailed:  r.storeFailed.Load(),
		EncodeErrors: r.encodeErrors.Load(),
		Published:    r.published.Load(),
		Queued:       len(r.queue),
		QueuedBytes:  r.queuedBytes.Load(),
		QueueSize:    cap(r.queue),
		QueueBytes:   r.maxQueuedBytes,
	}
	r.exportStats(&s)
	return s
}

// Close stops recording, flushes what is queued to the store and the hub,
// shuts the websocket servers of Handler down, and closes the store when
// the recorder opened it. When ctx ends first, the pipeline stops after its
// current batch, the rest of the queue is dropped (counted) and ctx's error
// is returned. Close is idempotent.
func (r *Recorder) Close(ctx context.Context) error {
	if !r.Enabled() {
		return nil
	}
	first := false
	r.closeOnce.Do(func() {
		first = true
		r.closed.Store(true)
		close(r.quit)
	})
	if !first {
		<-r.done
		return nil
	}
	var errs []error
	select {
	case <-r.done:
	case <-ctx.Done():
		r.abort.Store(true)
		<-r.done
		errs = append(errs, fmt.Errorf("recorder: close: %w", ctx.Err()))
	}
	// Whatever is still queued was not written.
	for {
		select {
		case rec := <-r.queue:
			r.dequeued(rec)
			r.dropped.Add(1)
			continue
		default:
		}
		break
	}
	// The pipeline has stopped: the exporters get what is queued for
	// them, within ctx.
	if !r.stopExport(ctx) && len(errs) == 0 {
		errs = append(errs, fmt.Errorf("recorder: close: export: %w", ctx.Err()))
	}

	r.mu.Lock()
	servers := r.servers
	r.servers = nil
	r.mu.Unlock()
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	for _, s := range servers {
		if err := s.Shutdown(sctx); err != nil && !errors.Is(err, context.Canceled) {
			errs = append(errs, fmt.Errorf("recorder: shutdown stream server: %w", err))
		}
	}
	r.hub.Close()
	r.openMu.Lock() // no open in flight (closed is set: none starts after)
	st := r.st.Load()
	r.openMu.Unlock()
	if r.ownStore && st != nil {
		if err := st.Close(); err != nil {
			errs = append(errs, fmt.Errorf("recorder: close store: %w", err))
		}
	}
	return errors.Join(errs...)
}

// Flush waits until everything captured before the call has been
// published and stored (or dropped), or ctx ends. Unlike capture, Flush
// waits for room in the queue.
func (r *Recorder) Flush(ctx context.Context) error {
	if !r.Enabled() {
		return nil
	}
	if r.closed.Load() {
		return ErrClosed
	}
	done := make(chan struct{})
	select {
	case r.queue <- &record{flushed: done}:
	case <-r.done:
		return ErrClosed
	case <-ctx.Done():
		return fmt.Errorf("recorder: flush: %w", ctx.Err())
	}
	select {
	case <-done:
		return nil
	case <-r.done:
		return ErrClosed
	case <-ctx.Done():
		return fmt.Errorf("recorder: flush: %w", ctx.Err())
	}
}

// enqueue hands rec to the pipeline without waiting: a full queue drops it
// and counts the drop. A dropped middleware record goes back to the pool:
// under overload most requests are dropped, and a record lost to the
// garbage collector would make each of them allocate a fresh one.
//
// Records that carry captures count against the byte budget (QueueBytes)
// too; the pipeline gives the bytes back as it takes records off the queue.
func (r *Recorder) enqueue(rec *record) {
	if r.closed.Load() {
		r.putRecord(rec)
		return
	}
	if n := rec.captureBytes(); n > 0 {
		if r.queuedBytes.Add(n) > r.maxQueuedBytes {
			r.queuedBytes.Add(-n)
			r.dropped.Add(1)
			r.putRecord(rec)
			return
		}
		rec.queuedBytes = n
	}
	select {
	case r.queue <- rec:
	default:
		r.dequeued(rec)
		r.dropped.Add(1)
		r.putRecord(rec)
	}
}

// dequeued gives back the queue budget rec held.
func (r *Recorder) dequeued(rec *record) {
	if rec.queuedBytes != 0 {
		r.queuedBytes.Add(-rec.queuedBytes)
		rec.queuedBytes = 0
	}
}
