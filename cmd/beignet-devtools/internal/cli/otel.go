package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/beignet/devtools/otlp"
	"github.com/beignet/devtools/recorder"
)

// demoExporters returns the demo's exporters: an OTLP/HTTP one when the
// standard OTEL_EXPORTER_OTLP_* variables name a collector (otlp.Configured),
// else none, and the function that shuts it down once the app is closed.
func demoExporters(ctx context.Context, stderr io.Writer) ([]recorder.Exporter, func(), error) {
	if !otlp.Configured() {
		return nil, func() {}, nil
	}
	exp, err := otlp.New(ctx, nil)
	if err != nil {
		return nil, nil, failErr("demo: %w", err)
	}
	fmt.Fprintln(stderr, "demo: exporting redacted events over OTLP/HTTP (OTEL_EXPORTER_OTLP_* variables)")
	return []recorder.Exporter{exp}, func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = exp.Shutdown(sctx)
	}, nil
}
