package otlp_test

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/beignet/devtools"

// goDeps returns the packages pkg links (go list -deps), itself included.
func goDeps(t *testing.T, pkg string) []string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	out, err := exec.Command(goTool, "list", "-deps", "-f", "{{.ImportPath}}", pkg).CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
	}
	return strings.Fields(string(out))
}

// TestAppWithoutOTLPLinksNoOpenTelemetry: the recorder defines the
// Exporter interface and package otlp implements it, so an app that embeds
// the recorder (the demo app is one) and does not import otlp links no
// OpenTelemetry code.
func TestAppWithoutOTLPLinksNoOpenTelemetry(t *testing.T) {
	for _, pkg := range []string{module + "/recorder", module + "/demo/app"} {
		for _, d := range goDeps(t, pkg) {
			if strings.HasPrefix(d, "go.opentelemetry.io/") || d == module+"/otlp" {
				t.Errorf("%s links %s", pkg, d)
			}
		}
	}
}

// TestOTLPImportsEventOnly: of this module, otlp imports package event and
// nothing else (DESIGN.md's import rules): it is handed events and never
// reaches into the recorder.
func TestOTLPImportsEventOnly(t *testing.T) {
	sawEvent, sawOTel := false, false
	for _, d := range goDeps(t, module+"/otlp") {
		switch {
		case d == module+"/event":
			sawEvent = true
		case d == module+"/otlp":
		case strings.HasPrefix(d, module+"/"):
			t.Errorf("otlp links %s", d)
		case strings.HasPrefix(d, "go.opentelemetry.io/otel/sdk"):
			sawOTel = true
		}
	}
	if !sawEvent || !sawOTel {
		t.Errorf("go list output lacks event (%v) or the OpenTelemetry SDK (%v): the check would pass vacuously", sawEvent, sawOTel)
	}
}
