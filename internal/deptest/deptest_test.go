package deptest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const m = Module + "/"

// TestRulesCatchPlantedImports shows that each rule fails when broken: a
// fake dependency list with one forbidden import planted per case.
func TestRulesCatchPlantedImports(t *testing.T) {
	pkg := func(path string, deps ...string) Package { return Package{ImportPath: path, Imports: deps, Deps: deps} }
	clean := []Package{
		pkg(m+"event", "time", "encoding/json"),
		pkg(m+"redaction", m+"event", m+"internal/redact", "regexp"),
		pkg(m+"internal/redact", m+"event", "regexp"),
		pkg(m+"store", m+"event", m+"internal/privfile", "go.etcd.io/bbolt", "golang.org/x/sys/windows"),
		pkg(m+"stream", m+"event", "github.com/coder/websocket"),
		pkg(m+"recorder", m+"event", m+"redaction", m+"store", m+"stream", "go.etcd.io/bbolt", "github.com/coder/websocket"),
		pkg(m+"tui", m+"event", m+"stream", m+"store", "charm.land/bubbletea/v2", "github.com/charmbracelet/x/ansi"),
		pkg(m+"otlp", m+"event", "context", "go.opentelemetry.io/otel/sdk/trace"),
		pkg(m+"cmd/beignet-devtools", m+"recorder", m+"tui", m+"demo/app", "github.com/spf13/cobra"),
		pkg(m+"demo/app", m+"recorder"),
	}
	if v := Check(clean, Rules()); len(v) != 0 {
		t.Fatalf("the clean layout breaks rules: %v", v)
	}
	cases := []struct {
		pkg, planted, rule string
	}{
		{m + "event", "github.com/google/uuid", "event imports the standard library only"},
		{m + "event", m + "redaction", "event imports the standard library only"},
		{m + "redaction", m + "store", "redaction imports only event"},
		{m + "redaction", "github.com/dlclark/regexp2", "redaction imports only event"},
		{m + "internal/redact", m + "stream", "redaction imports only event"},
		{m + "store", m + "stream", "store imports only event, never stream"},
		{m + "stream", m + "store", "stream imports only event"},
		{m + "recorder", m + "tui", "recorder links no charm, cobra or tui package"},
		{m + "recorder", "charm.land/lipgloss/v2", "recorder links no charm, cobra or tui package"},
		{m + "recorder", "github.com/charmbracelet/x/ansi", "recorder links no charm, cobra or tui package"},
		{m + "recorder", "github.com/spf13/cobra", "recorder links no charm, cobra or tui package"},
		{m + "recorder", m + "otlp", "recorder never imports otlp or OpenTelemetry"},
		{m + "recorder", "go.opentelemetry.io/otel", "recorder never imports otlp or OpenTelemetry"},
		{m + "tui", m + "recorder", "tui never imports recorder"},
		{m + "otlp", m + "recorder", "otlp imports event and OpenTelemetry only"},
		{m + "otlp", "github.com/prometheus/client_golang/prometheus", "otlp imports event and OpenTelemetry only"},
		{m + "store", m + "cmd/beignet-devtools/internal/cli", "nothing under internal/ or the libraries imports cmd/ or demo"},
		{m + "internal/apiclient", m + "demo/app", "nothing under internal/ or the libraries imports cmd/ or demo"},
	}
	for _, c := range cases {
		t.Run(c.pkg+" imports "+c.planted, func(t *testing.T) {
			pkgs := append([]Package(nil), clean...)
			found := false
			for i, p := range pkgs {
				if p.ImportPath == c.pkg {
					pkgs[i] = pkg(p.ImportPath, append(append([]string(nil), p.Deps...), c.planted)...)
					found = true
				}
			}
			if !found {
				pkgs = append(pkgs, pkg(c.pkg, c.planted))
			}
			v := Check(pkgs, Rules())
			hit := false
			for _, x := range v {
				if x.Package == c.pkg && x.Import == c.planted && strings.HasPrefix(x.Rule, c.rule) {
					hit = true
				}
				if !strings.Contains(x.String(), x.Rule) || !strings.Contains(x.String(), c.planted) {
					t.Errorf("message does not name the rule and the import: %s", x)
				}
			}
			if !hit {
				t.Fatalf("planted %s in %s: violations %v, want the rule %q", c.planted, c.pkg, v, c.rule)
			}
		})
	}
	// Only the direct imports of otlp are checked: OpenTelemetry's own
	// dependencies (grpc, protobuf) are its business.
	otlp := Package{ImportPath: m + "otlp", Imports: []string{"go.opentelemetry.io/otel"}, Deps: []string{"go.opentelemetry.io/otel", "google.golang.org/grpc"}}
	if v := Check([]Package{otlp}, Rules()); len(v) != 0 {
		t.Errorf("otlp's transitive dependencies counted: %v", v)
	}
}

// TestImportRules checks the module as it is, for this platform and for
// Windows (platform-specific files may import differently).
func TestImportRules(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH")
	}
	root := moduleRoot(t)
	for _, goos := range []string{"", "windows"} {
		cmd := exec.Command(goBin, "list", "-deps", "-json=ImportPath,Standard,Imports,Deps", "./...")
		cmd.Dir = root
		cmd.Env = os.Environ()
		if goos != "" {
			cmd.Env = append(cmd.Env, "GOOS="+goos, "GOARCH=amd64")
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list (GOOS=%s): %v\n%s", goos, err, stderr.String())
		}
		pkgs, err := decode(out)
		if err != nil {
			t.Fatal(err)
		}
		ours := 0
		for _, p := range pkgs {
			if Rel(p.ImportPath) != "" {
				ours++
			}
		}
		if ours < 8 {
			t.Fatalf("go list found only %d of the module's packages", ours)
		}
		for _, v := range Check(pkgs, Rules()) {
			t.Errorf("GOOS=%s: %s", orHost(goos), v)
		}
	}
}

func orHost(goos string) string {
	if goos == "" {
		return "host"
	}
	return goos
}

func decode(b []byte) ([]Package, error) {
	var pkgs []Package
	dec := json.NewDecoder(bytes.NewReader(b))
	for {
		var p Package
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			return pkgs, nil
		} else if err != nil {
			return nil, err
		}
		pkgs = append(pkgs, p)
	}
}

func moduleRoot(t *testing.T) string {
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && bytes.Contains(b, []byte("module "+Module+"\n")) {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod of " + Module + " not found above the test's directory")
		}
		dir = parent
	}
}
