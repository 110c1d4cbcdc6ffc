package cli

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTokenSources(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "tok")
	if err := os.WriteFile(file, []byte("  from-file-0123456789abcdef0123456789\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	loose := filepath.Join(dir, "loose")
	if err := os.WriteFile(loose, []byte("loose-0123456789abcdef0123456789abcd"), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	prompt := func() ([]byte, error) { return []byte("from-prompt-0123456789abcdef012345\n"), nil }
	cases := []struct {
		name     string
		file     string
		envTok   string
		terminal bool
		read     func() ([]byte, error)
		required bool
		want     string
		code     int // 0: no error
		stderr   string
	}{
		{name: "file wins", file: file, envTok: "from-env", required: true, want: "from-file-0123456789abcdef0123456789"},
		{name: "env", envTok: " from-env ", required: true, want: "from-env"},
		{name: "prompt", terminal: true, read: prompt, required: true, want: "from-prompt-0123456789abcdef012345", stderr: "Devtools token for where: "},
		{name: "no terminal", required: true, code: ExitUsage},
		{name: "optional", want: ""},
		{name: "loose file warns", file: loose, required: true, want: "loose-0123456789abcdef0123456789abcd", stderr: "chmod 600"},
		{name: "empty file", file: empty, required: true, code: ExitFailure},
		{name: "missing file", file: filepath.Join(dir, "nope"), required: true, code: ExitFailure},
		{name: "prompt error", terminal: true, read: func() ([]byte, error) { return nil, errors.New("tty gone") }, required: true, code: ExitFailure},
	}
	for _, c := range cases {
		var errb bytes.Buffer
		env := &Env{Stderr: &errb, Getenv: func(k string) string {
			if k == TokenEnv {
				return c.envTok
			}
			return ""
		}, StdinTerminal: c.terminal, ReadPassword: c.read}
		ts := tokenSource{file: c.file}
		got, err := ts.token(env, "where", c.required)
		var ee *ExitError
		switch {
		case c.code != 0:
			if !errors.As(err, &ee) || ee.Code != c.code {
				t.Errorf("%s: err %v, want exit %d", c.name, err, c.code)
			}
		case err != nil || got != c.want:
			t.Errorf("%s: got %q, %v; want %q", c.name, got, err, c.want)
		}
		if c.stderr != "" && !strings.Contains(errb.String(), c.stderr) {
			t.Errorf("%s: stderr %q lacks %q", c.name, errb.String(), c.stderr)
		}
		if strings.Contains(errb.String(), "0123456789abcdef") {
			t.Errorf("%s: the token was echoed: %q", c.name, errb.String())
		}
	}
}

func TestParseAgeAndSince(t *testing.T) {
	for in, want := range map[string]string{"0": "0s", "24h": "24h0m0s", "7d": "168h0m0s", "1d12h": "36h0m0s", "90m": "1h30m0s"} {
		d, err := parseAge(in)
		if err != nil || d.String() != want {
			t.Errorf("parseAge(%q) = %v, %v; want %s", in, d, err, want)
		}
	}
	for _, bad := range []string{"", "soon", "-1h", "7days", "d"} {
		if _, err := parseAge(bad); err == nil {
			t.Errorf("parseAge(%q) accepted", bad)
		}
	}
	if id, err := parseSince("", testNow); err != nil || !id.IsZero() {
		t.Errorf("empty since: %v %v", id, err)
	}
	if id, err := parseSince("all", testNow); err != nil || id.IsZero() {
		t.Errorf("all: %v %v", id, err)
	}
	if id, err := parseSince("10m", testNow); err != nil || !id.Time().Equal(testNow.Add(-10*60e9)) {
		t.Errorf("10m: %v %v", id.Time(), err)
	}
	if _, err := parseSince("01ZZZZZZZZZZZZZZZZZZZZZZZ!", testNow); err == nil {
		t.Error("bad ID accepted")
	}
}
