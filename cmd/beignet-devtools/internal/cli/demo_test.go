package cli

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/beignet/devtools/internal/testutil"
	"github.com/beignet/devtools/store"
)

// TestDemoBadDB: demo --db on a file that is not a store, or that another
// process holds, exits 1 with the store's error instead of running live
// only, and leaves the file as it was.
func TestDemoBadDB(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.db")
	if err := os.WriteFile(garbage, bytes.Repeat([]byte("not a bbolt file "), 1000), 0o600); err != nil {
		t.Fatal(err)
	}
	locked := filepath.Join(dir, "locked.db")
	holder, err := store.Open(locked, store.Options{NoSync: true, MaxSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()

	for _, c := range []struct {
		path, want string
	}{
		{garbage, "not a devtools store"},
		{locked, "locked"},
	} {
		name := filepath.Base(c.path)
		old := time.Now().Add(-time.Hour).Truncate(time.Second)
		if err := os.Chtimes(c.path, old, old); err != nil {
			t.Fatal(err)
		}
		before, err := os.ReadFile(c.path)
		if err != nil {
			t.Fatal(err)
		}
		fi, _ := os.Stat(c.path)
		r := run(t, nil, "demo", "--headless", "--rate", "0", "--db", c.path)
		if r.code != ExitFailure || !strings.Contains(r.stderr, "demo: ") || !strings.Contains(strings.ToLower(r.stderr), c.want) {
			t.Errorf("%s: exit %d, stderr %q; want exit 1 with %q", name, r.code, r.stderr, c.want)
		}
		if strings.Contains(r.stdout, "url=") || strings.Contains(r.stderr, "kept at") {
			t.Errorf("%s: the demo ran anyway: %q %q", name, r.stdout, r.stderr)
		}
		after, err := os.ReadFile(c.path)
		if err != nil {
			t.Fatal(err)
		}
		fi2, _ := os.Stat(c.path)
		if !bytes.Equal(before, after) || !fi2.ModTime().Equal(fi.ModTime()) || fi2.Mode() != fi.Mode() {
			t.Errorf("%s: the file changed (%d -> %d bytes, %v -> %v, %v -> %v)", name, len(before), len(after), fi.ModTime(), fi2.ModTime(), fi.Mode(), fi2.Mode())
		}
	}
}

// TestDemoInstances: demo --instances 3 --headless starts three apps on
// their own ports behind one token, prints a url= line each and one
// token= line, and each instance names itself in its events: tail over
// the three URLs sees all three.
func TestDemoInstances(t *testing.T) {
	var out, errb testutil.Buffer
	env := Env{
		Stdin:  strings.NewReader(""),
		Stdout: &out,
		Stderr: &errb,
		Now:    func() time.Time { return testNow },
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() { done <- Main(ctx, []string{"demo", "--headless", "--rate", "0", "--instances", "3"}, env) }()
	var urls, apps []string
	var token string
	testutil.WaitFor(t, 30*time.Second, "the demo's url= and token= lines", func() bool {
		urls, apps, token = nil, nil, ""
		for l := range strings.Lines(out.String()) {
			k, v, _ := strings.Cut(strings.TrimSpace(l), "=")
			switch k {
			case "url":
				urls = append(urls, v)
			case "app":
				apps = append(apps, v)
			case "token":
				token = v
			}
		}
		return len(apps) == 3 && token != ""
	})
	if len(urls) != 3 || len(slices.Compact(slices.Sorted(slices.Values(urls)))) != 3 {
		t.Fatalf("want three distinct url= lines, got %q", urls)
	}
	if strings.Count(out.String(), "token=") != 1 {
		t.Fatalf("want one token= line:\n%s", out.String())
	}
	for _, a := range apps {
		resp, err := http.Get(a + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	args := []string{"tail", "--since", "all", "--no-follow", "--json"}
	for _, u := range urls {
		args = append(args, "--url", u)
	}
	seen := map[string]bool{}
	testutil.WaitFor(t, 10*time.Second, "a request event from each instance", func() bool {
		r := run(t, map[string]string{TokenEnv: token}, args...)
		if r.code != ExitOK {
			t.Fatalf("tail over the demo's instances: %d %s", r.code, r.stderr)
		}
		for _, e := range jsonLines(t, r.stdout) {
			seen[e.Instance] = true
		}
		return len(seen) == 3
	})
	for i := 1; i <= 3; i++ {
		if !seen[fmt.Sprintf("notes-%d", i)] {
			t.Fatalf("instances seen: %v", seen)
		}
	}
	cancel()
	if code := <-done; code != ExitOK {
		t.Fatalf("demo exit %d: %s", code, errb.String())
	}
}
