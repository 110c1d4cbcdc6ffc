// Package demotest starts the demo app for other packages' tests (the CLI's,
// the fault tests'): one definition instead of a copy per package.
package demotest

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/beignet/devtools/demo/app"
)

// Start runs the demo app on a loopback port with its store in a temporary
// folder (unless opts.StorePath is set). stop shuts it down and reports a
// failed shutdown; it runs at the test's cleanup too and may be called
// earlier, more than once.
func Start(t testing.TB, opts app.Options) (srv *app.Server, stop func()) {
	t.Helper()
	if opts.StorePath == "" {
		opts.StorePath = filepath.Join(t.TempDir(), "devtools.db")
	}
	srv, err := app.Start(opts, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := srv.Shutdown(ctx); err != nil {
				t.Errorf("demo shutdown: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return srv, stop
}
