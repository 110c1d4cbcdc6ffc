package faults_test

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if err := goleak.Find(goleak.IgnoreTopFunction("internal/poll.runtime_pollWait")); err != nil {
			os.Stderr.WriteString("faults: goroutine leak: " + err.Error() + "\n")
			code = 1
		}
	}
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

var (
	buildOnce sync.Once
	binDir    string
	binPath   string
	buildErr  error
	buildOut  []byte
)

// cliBinary builds ./cmd/beignet-devtools once per test process.
func cliBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "beignet-faults-bin-")
		if buildErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "beignet-devtools")
		cmd := exec.Command("go", "build", "-o", binPath, "../cmd/beignet-devtools")
		buildOut, buildErr = cmd.CombinedOutput()
	})
	if buildErr != nil {
		t.Fatalf("go build: %v\n%s", buildErr, buildOut)
	}
	return binPath
}

// headless starts `demo --headless` and returns its key=value lines.
func headless(t *testing.T, ctx context.Context, args ...string) (*exec.Cmd, map[string]string) {
	t.Helper()
	bin := cliBinary(t)
	cmd := exec.CommandContext(ctx, bin, append([]string{"demo", "--headless"}, args...)...)
	cmd.Stderr = io.Discard
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	vals := map[string]string{}
	sc := bufio.NewScanner(out)
	for len(vals) < 4 && sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			vals[k] = v
		}
	}
	if vals["url"] == "" || vals["token"] == "" {
		t.Fatalf("demo --headless printed %v", keys(vals))
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	return cmd, vals
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// get does one GET and returns the status (0 on a transport error).
func get(client *http.Client, url string) int {
	resp, err := client.Get(url)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}
