package otlp

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	otellog "go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/beignet/devtools/event"
)

// ScopeName is the instrumentation scope of every span and log record the
// Exporter sends.
const ScopeName = "github.com/beignet/devtools/otlp"

// Options configures an Exporter. The zero value (or nil) sends to the
// collector the standard OTEL_EXPORTER_OTLP_* variables name, or to
// http://localhost:4318 when they are unset, and names the service after
// each event's App and Instance.
type Options struct {
	// ServiceName and InstanceID set service.name and service.instance.id
	// when not empty; otherwise they come from each event's App and
	// Instance. OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES override
	// both, as in any OpenTelemetry app.
	ServiceName, InstanceID string
	// Attributes are added to the resource (deployment.environment.name,
	// service.version, ...).
	Attributes []attribute.KeyValue
	// OmitBodies leaves the captured (redacted) body text out of spans;
	// sizes and content types are kept.
	OmitBodies bool

	// TraceOptions and LogOptions are passed to the OTLP/HTTP exporters,
	// after what they read from the environment (WithEndpointURL,
	// WithHeaders, WithTimeout, WithRetry, ...).
	TraceOptions []otlptracehttp.Option
	LogOptions   []otlploghttp.Option

	// SpanExporter and LogExporter replace the OTLP/HTTP exporters (another
	// protocol, or a test's in-memory exporter). Shutdown shuts them down.
	SpanExporter sdktrace.SpanExporter
	LogExporter  sdklog.Exporter

	// Now stamps log records' observed time; default time.Now.
	Now func() time.Time
}

// maxResources bounds the resources (distinct App and Instance pairs of the
// events) an Exporter keeps providers for; events of further pairs are
// sent under the first one's resource, with their app and instance as
// attributes.
const maxResources = 16

// Exporter turns batches of redacted events into spans and log records and
// sends them with the OpenTelemetry SDK's OTLP/HTTP exporters. It
// implements recorder.Exporter. Export is synchronous: the recorder calls
// it from its own export goroutine, behind a bounded queue.
type Exporter struct {
	opts  Options
	spans sdktrace.SpanExporter
	logs  sdklog.Exporter
	now   func() time.Time

	mu        sync.Mutex // one Export at a time; guards what follows
	resources map[resourceKey]*signals
	first     *signals
	batch     batch
	closed    bool
}

// resourceKey names a resource: the App and Instance of the events sent
// under it.
type resourceKey struct{ app, instance string }

// signals are the SDK providers for one resource, whose spans and records
// end up in the Exporter's batch.
type signals struct {
	tp     *sdktrace.TracerProvider
	tracer trace.Tracer
	lp     *sdklog.LoggerProvider
	logger otellog.Logger
}

// New returns an Exporter. It makes the OTLP/HTTP exporters (which read the
// OTEL_EXPORTER_OTLP_* variables) but does not connect: a collector that is
// not up yet is not an error here. Call Shutdown when done, after the
// recorder's Close.
func New(ctx context.Context, opts *Options) (*Exporter, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	x := &Exporter{opts: o, spans: o.SpanExporter, logs: o.LogExporter, now: o.Now, resources: map[resourceKey]*signals{}}
	if x.now == nil {
		x.now = time.Now
	}
	if x.spans == nil {
		se, err := otlptracehttp.New(ctx, o.TraceOptions...)
		if err != nil {
			return nil, fmt.Errorf("otlp: trace exporter: %w", err)
		}
		x.spans = se
	}
	if x.logs == nil {
		le, err := otlploghttp.New(ctx, o.LogOptions...)
		if err != nil {
			if o.SpanExporter == nil {
				_ = x.spans.Shutdown(ctx)
			}
			return nil, fmt.Errorf("otlp: log exporter: %w", err)
		}
		x.logs = le
	}
	return x, nil
}

// ErrShutdown is returned by Export after Shutdown.
var ErrShutdown = errors.New("otlp: exporter is shut down")

// Export converts events to spans (request and provider events) and log
// records (the others) and sends them, spans first, in one OTLP/HTTP
// request per signal. It returns when the collector answered, the
// exporters' timeout (OTEL_EXPORTER_OTLP_TIMEOUT, 10 s by default) passed,
// or ctx ended.
func (x *Exporter) Export(ctx context.Context, events []event.Event) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed {
		return ErrShutdown
	}
	b := &x.batch
	b.reset()
	for i := range events {
		e := &events[i]
		s, extra, err := x.signalsFor(ctx, e)
		if err != nil {
			return err
		}
		switch e.Kind {
		case event.KindRequest, event.KindProvider:
			b.span(ctx, s.tracer, e, extra, x.opts.OmitBodies)
		default:
			b.record(ctx, s.logger, e, extra, x.now())
		}
	}
	var errs []error
	if len(b.spans) > 0 {
		if err := x.spans.ExportSpans(ctx, b.spans); err != nil {
			errs = append(errs, fmt.Errorf("otlp: export %d spans: %w", len(b.spans), err))
		}
	}
	if len(b.records) > 0 {
		if err := x.logs.Export(ctx, b.records); err != nil {
			errs = append(errs, fmt.Errorf("otlp: export %d log records: %w", len(b.records), err))
		}
	}
	b.reset()
	return errors.Join(errs...)
}

// signalsFor returns the providers for e's resource, making them the first
// time, and the attributes to add when e had to share another resource.
func (x *Exporter) signalsFor(ctx context.Context, e *event.Event) (*signals, []attribute.KeyValue, error) {
	k := resourceKey{e.App, e.Instance}
	if x.opts.ServiceName != "" {
		k.app = ""
	}
	if x.opts.InstanceID != "" {
		k.instance = ""
	}
	if s := x.resources[k]; s != nil {
		return s, nil, nil
	}
	if len(x.resources) >= maxResources {
		var extra []attribute.KeyValue
		if k.app != "" {
			extra = append(extra, attribute.String("beignet.app", k.app))
		}
		if k.instance != "" {
			extra = append(extra, attribute.String("beignet.instance", k.instance))
		}
		return x.first, extra, nil
	}
	res, err := x.resource(ctx, k)
	if err != nil {
		return nil, nil, err
	}
	s := &signals{
		tp: sdktrace.NewTracerProvider(
			sdktrace.WithResource(res),
			sdktrace.WithSampler(sdktrace.AlwaysSample()),
			sdktrace.WithIDGenerator(eventIDs{}),
			sdktrace.WithSpanProcessor(&spanSink{b: &x.batch}),
		),
		lp: sdklog.NewLoggerProvider(
			sdklog.WithResource(res),
			sdklog.WithProcessor(&recordSink{b: &x.batch}),
		),
	}
	s.tracer = s.tp.Tracer(ScopeName)
	s.logger = s.lp.Logger(ScopeName)
	x.resources[k] = s
	if x.first == nil {
		x.first = s
	}
	return s, nil, nil
}

// resource builds the resource for k: the SDK's telemetry.sdk attributes,
// service.name and service.instance.id (Options, else the events'),
// Options.Attributes, then OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES,
// which win as in any OpenTelemetry app. No host or process detectors: a
// process's command line can carry secrets, and only redacted events
// leave by this path.
func (x *Exporter) resource(ctx context.Context, k resourceKey) (*resource.Resource, error) {
	name, inst := x.opts.ServiceName, x.opts.InstanceID
	if name == "" {
		name = k.app
	}
	if inst == "" {
		inst = k.instance
	}
	var attrs []attribute.KeyValue
	if name != "" {
		attrs = append(attrs, semconv.ServiceNameKey.String(name))
	}
	if inst != "" {
		attrs = append(attrs, semconv.ServiceInstanceIDKey.String(inst))
	}
	attrs = append(attrs, x.opts.Attributes...)
	res, err := resource.New(ctx,
		resource.WithSchemaURL(semconv.SchemaURL),
		resource.WithTelemetrySDK(),
		resource.WithAttributes(attrs...),
		resource.WithFromEnv(),
	)
	if err != nil && res == nil {
		return nil, fmt.Errorf("otlp: resource: %w", err)
	}
	// A partial resource (say, a malformed OTEL_RESOURCE_ATTRIBUTES entry)
	// is still the best description available.
	return res, nil
}

// Shutdown flushes nothing (Export is synchronous) and shuts the exporters
// down; later Export calls return ErrShutdown.
func (x *Exporter) Shutdown(ctx context.Context) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed {
		return nil
	}
	x.closed = true
	var errs []error
	for _, s := range x.resources {
		errs = append(errs, s.tp.Shutdown(ctx), s.lp.Shutdown(ctx))
	}
	if err := x.spans.Shutdown(ctx); err != nil {
		errs = append(errs, fmt.Errorf("otlp: shut down trace exporter: %w", err))
	}
	if err := x.logs.Shutdown(ctx); err != nil {
		errs = append(errs, fmt.Errorf("otlp: shut down log exporter: %w", err))
	}
	return errors.Join(errs...)
}

// batch collects what one Export call sends: the SDK hands ended spans and
// emitted records to the sinks, which append them here.
type batch struct {
	spans   []sdktrace.ReadOnlySpan
	records []sdklog.Record
}

func (b *batch) reset() {
	clear(b.spans)
	clear(b.records)
	b.spans, b.records = b.spans[:0], b.records[:0]
}

// spanSink is a SpanProcessor that collects ended spans into a batch. The
// Exporter's lock covers it: spans end inside Export.
type spanSink struct{ b *batch }

func (s *spanSink) OnStart(context.Context, sdktrace.ReadWriteSpan) {}
func (s *spanSink) OnEnd(sp sdktrace.ReadOnlySpan)                  { s.b.spans = append(s.b.spans, sp) }
func (s *spanSink) Shutdown(context.Context) error                  { return nil }
func (s *spanSink) ForceFlush(context.Context) error                { return nil }

// recordSink is a log Processor that collects emitted records into a
// batch (copies: the SDK reuses the one it hands over).
type recordSink struct{ b *batch }

func (s *recordSink) Enabled(context.Context, sdklog.EnabledParameters) bool { return true }
func (s *recordSink) OnEmit(_ context.Context, r *sdklog.Record) error {
	s.b.records = append(s.b.records, r.Clone())
	return nil
}
func (s *recordSink) Shutdown(context.Context) error   { return nil }
func (s *recordSink) ForceFlush(context.Context) error { return nil }

// idsKey carries the trace and span ID of the span being started to
// eventIDs.
type idsKey struct{}

type spanIDs struct {
	trace trace.TraceID
	span  trace.SpanID
}

// eventIDs is the IDGenerator that gives each span the IDs its event
// already has, so that spans, log records, the recorder's store and the
// traceparent headers the app sent all agree. An event without valid IDs
// gets random ones.
type eventIDs struct{}

func (eventIDs) NewIDs(ctx context.Context) (trace.TraceID, trace.SpanID) {
	ids, _ := ctx.Value(idsKey{}).(spanIDs)
	if !ids.trace.IsValid() {
		ids.trace = randomTraceID()
	}
	if !ids.span.IsValid() {
		ids.span = randomSpanID()
	}
	return ids.trace, ids.span
}

func (eventIDs) NewSpanID(ctx context.Context, _ trace.TraceID) trace.SpanID {
	ids, _ := ctx.Value(idsKey{}).(spanIDs)
	if !ids.span.IsValid() {
		return randomSpanID()
	}
	return ids.span
}

// Configured reports whether the environment asks for OTLP export, as an
// app that exports only when told to would check: OTEL_EXPORTER_OTLP_ENDPOINT,
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or OTEL_EXPORTER_OTLP_LOGS_ENDPOINT is
// set, and OTEL_SDK_DISABLED is not "true".
func Configured() bool {
	if strings.EqualFold(strings.TrimSpace(os.Getenv("OTEL_SDK_DISABLED")), "true") {
		return false
	}
	for _, k := range [...]string{"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT"} {
		if strings.TrimSpace(os.Getenv(k)) != "" {
			return true
		}
	}
	return false
}
