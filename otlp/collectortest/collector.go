// Package collectortest runs a real OpenTelemetry Collector, built from the
// official collector modules (otelcol, the OTLP receiver, exporterhelper),
// in the test process: the receiving end of package otlp's end-to-end
// test. Its exporter keeps what arrives in memory for the test to read.
//
// It is a Go module of its own so that the main module does not depend on
// the collector.
package collectortest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"go.opentelemetry.io/collector/client"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/yamlprovider"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/otelcol"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/service/telemetry/otelconftelemetry"
)

// Collector is a running collector: an OTLP/HTTP receiver on a loopback
// port, piped to a Sink.
type Collector struct {
	// Endpoint is the receiver's base URL, for OTEL_EXPORTER_OTLP_ENDPOINT.
	Endpoint string
	Sink     *Sink

	col  *otelcol.Collector
	done chan error
}

// HeaderKey is a request header the receiver passes on to the Sink (the
// receiver's include_metadata), so a test can see that
// OTEL_EXPORTER_OTLP_HEADERS reached the collector.
const HeaderKey = "x-beignet-test"

// config is the collector's configuration: the OTLP receiver (HTTP only) on
// the given loopback address, the sink exporter, no internal metrics (they
// would listen on a port of their own).
const config = `
receivers:
  otlp:
    protocols:
      http:
        endpoint: %s
        include_metadata: true
exporters:
  sink:
service:
  telemetry:
    logs:
      level: warn
    metrics:
      level: none
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [sink]
    logs:
      receivers: [otlp]
      exporters: [sink]
`

// Start builds a collector with the OTLP receiver on a free loopback port
// and starts it; it returns once the collector runs. Shut it down with
// Shutdown.
func Start(ctx context.Context) (*Collector, error) {
	var lastErr error
	for range 3 { // the free port can be taken between the probe and the bind
		addr, err := freePort()
		if err != nil {
			return nil, err
		}
		c, err := start(ctx, addr)
		if err == nil {
			return c, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("collectortest: free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func start(ctx context.Context, addr string) (*Collector, error) {
	sink := newSink()
	factories := func() (otelcol.Factories, error) {
		receivers, err := otelcol.MakeFactoryMap(otlpreceiver.NewFactory())
		if err != nil {
			return otelcol.Factories{}, err
		}
		exporters, err := otelcol.MakeFactoryMap(sink.factory())
		if err != nil {
			return otelcol.Factories{}, err
		}
		return otelcol.Factories{
			Receivers: receivers,
			Exporters: exporters,
			Telemetry: otelconftelemetry.NewFactory(),
		}, nil
	}
	col, err := otelcol.NewCollector(otelcol.CollectorSettings{
		BuildInfo:               component.BuildInfo{Command: "beignet-collectortest", Description: "test collector", Version: "test"},
		Factories:               factories,
		DisableGracefulShutdown: true, // the test owns the process's signals
		SkipSettingGRPCLogger:   true,
		ConfigProviderSettings: otelcol.ConfigProviderSettings{
			ResolverSettings: confmap.ResolverSettings{
				URIs:              []string{"yaml:" + fmt.Sprintf(config, strconv.Quote(addr))},
				ProviderFactories: []confmap.ProviderFactory{yamlprovider.NewFactory()},
			},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("collectortest: new collector: %w", err)
	}
	c := &Collector{Endpoint: "http://" + addr, Sink: sink, col: col, done: make(chan error, 1)}
	go func() { c.done <- col.Run(context.WithoutCancel(ctx)) }()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if col.GetState() == otelcol.StateRunning {
			break
		}
		select {
		case err := <-c.done:
			if err == nil {
				err = errors.New("collector stopped")
			}
			return nil, fmt.Errorf("collectortest: start on %s: %w", addr, err)
		case <-ctx.Done():
			col.Shutdown()
			<-c.done
			return nil, fmt.Errorf("collectortest: start: %w", ctx.Err())
		case <-tick.C:
		}
	}
	// Running means the receiver's server was started; make sure it
	// accepts before handing out the endpoint.
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.Close()
			return c, nil
		}
		select {
		case <-ctx.Done():
			col.Shutdown()
			<-c.done
			return nil, fmt.Errorf("collectortest: receiver on %s: %w", addr, err)
		case <-tick.C:
		}
	}
}

// Shutdown stops the collector and waits for it.
func (c *Collector) Shutdown() error {
	c.col.Shutdown()
	return <-c.done
}

// Sink keeps what the collector's pipelines export.
type Sink struct {
	mu      sync.Mutex
	traces  []ptrace.Traces
	logs    []plog.Logs
	headers []string // HeaderKey values of the requests that brought them
	changed chan struct{}
}

func newSink() *Sink { return &Sink{changed: make(chan struct{})} }

// sinkConfig is the sink exporter's (empty) configuration.
type sinkConfig struct{}

// factory is an exporter factory built with exporterhelper, whose exporter
// appends to s.
func (s *Sink) factory() exporter.Factory {
	return exporter.NewFactory(
		component.MustNewType("sink"),
		func() component.Config { return &sinkConfig{} },
		exporter.WithTraces(func(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Traces, error) {
			return exporterhelper.NewTraces(ctx, set, cfg, func(ctx context.Context, td ptrace.Traces) error {
				c := ptrace.NewTraces()
				td.CopyTo(c)
				s.add(ctx, func() { s.traces = append(s.traces, c) })
				return nil
			})
		}, component.StabilityLevelDevelopment),
		exporter.WithLogs(func(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Logs, error) {
			return exporterhelper.NewLogs(ctx, set, cfg, func(ctx context.Context, ld plog.Logs) error {
				c := plog.NewLogs()
				ld.CopyTo(c)
				s.add(ctx, func() { s.logs = append(s.logs, c) })
				return nil
			})
		}, component.StabilityLevelDevelopment),
	)
}

func (s *Sink) add(ctx context.Context, f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f()
	s.headers = append(s.headers, client.FromContext(ctx).Metadata.Get(HeaderKey)...)
	close(s.changed)
	s.changed = make(chan struct{})
}

// Received returns what arrived so far: trace and log batches, and the
// HeaderKey values of their requests.
func (s *Sink) Received() (traces []ptrace.Traces, logs []plog.Logs, headers []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ptrace.Traces(nil), s.traces...), append([]plog.Logs(nil), s.logs...), append([]string(nil), s.headers...)
}

// Wait returns when cond, called with what arrived so far, holds, or when
// ctx ends.
func (s *Sink) Wait(ctx context.Context, cond func(traces []ptrace.Traces, logs []plog.Logs) bool) error {
	for {
		s.mu.Lock()
		ok := cond(s.traces, s.logs)
		changed := s.changed
		s.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("collectortest: wait: %w", ctx.Err())
		}
	}
}
