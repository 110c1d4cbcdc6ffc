package main

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestREADMEShowsThisProgram: the README's embedding example is this
// file, word for word, so that what a new user copies compiles and is
// tested.
func TestREADMEShowsThisProgram(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(readme, append(append([]byte("```go\n"), src...), "```\n"...)) {
		t.Fatal("README.md's embedding example differs from examples/embed/main.go; copy the file into the README")
	}
}

// TestEmbedding runs the README's example as a new user would, in a
// fresh directory: in production without a token it starts and the route
// answers 404; enabled in staging without a token it exits with an error
// that names the unset variable and leaves no .beignet behind; in
// development it serves loopback clients without a token.
func TestEmbedding(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the example")
	}
	bin := filepath.Join(t.TempDir(), "embed")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	start := func(t *testing.T, env ...string) (dir, base string, cmd *exec.Cmd, out *bytes.Buffer) {
		t.Helper()
		dir = t.TempDir()
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		cmd = exec.Command(bin)
		cmd.Dir = dir
		for _, kv := range os.Environ() { // the variables the example reads are unset unless given
			switch k, _, _ := strings.Cut(kv, "="); k {
			case "BEIGNET_ENV", "APP_ENV", "DEVTOOLS_TOKEN", "DEVTOOLS_ENABLED", "ADDR":
			default:
				cmd.Env = append(cmd.Env, kv)
			}
		}
		cmd.Env = append(cmd.Env, "ADDR="+addr)
		cmd.Env = append(cmd.Env, env...)
		out = &bytes.Buffer{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() })
		return dir, "http://" + addr, cmd, out
	}
	get := func(t *testing.T, url string) int {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			resp, err := http.Get(url)
			if err == nil {
				resp.Body.Close()
				return resp.StatusCode
			}
			if time.Now().After(deadline) {
				t.Fatalf("GET %s: %v", url, err)
			}
			time.Sleep(20 * time.Millisecond) // the app is starting
		}
	}
	noBeignet := func(t *testing.T, dir string) {
		t.Helper()
		if _, err := os.Stat(filepath.Join(dir, ".beignet")); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf(".beignet in %s: %v", dir, err)
		}
	}

	t.Run("production without a token", func(t *testing.T) {
		dir, base, _, out := start(t, "BEIGNET_ENV=production")
		if c := get(t, base+"/api/devtools/stats"); c != http.StatusNotFound {
			t.Fatalf("route in production: %d\n%s", c, out)
		}
		noBeignet(t, dir)
	})
	t.Run("staging enabled without a token", func(t *testing.T) {
		dir, _, cmd, out := start(t, "BEIGNET_ENV=staging", "DEVTOOLS_ENABLED=true")
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err == nil {
				t.Fatalf("started without a token:\n%s", out)
			}
		case <-ctx.Done():
			t.Fatalf("still running without a token:\n%s", out)
		}
		if !strings.Contains(out.String(), "DEVTOOLS_TOKEN is unset") || strings.Contains(out.String(), "recorder: recorder:") {
			t.Errorf("error does not name the unset variable once:\n%s", out)
		}
		noBeignet(t, dir)
	})
	t.Run("development", func(t *testing.T) {
		dir, base, _, out := start(t)
		if c := get(t, base+"/api/devtools/stats"); c != http.StatusOK {
			t.Fatalf("route in development from loopback: %d\n%s", c, out)
		}
		if _, err := os.Stat(filepath.Join(dir, ".beignet", "devtools.db")); err != nil {
			t.Errorf("store: %v", err)
		}
	})
}
