package endpoint

import (
	"errors"
	"testing"
)

func TestParse(t *testing.T) {
	cases := map[string][2]string{
		"http://127.0.0.1:8080":                 {"http://127.0.0.1:8080/api/devtools", "http://127.0.0.1:8080/api/devtools/ws"},
		"http://127.0.0.1:8080/":                {"http://127.0.0.1:8080/api/devtools", ""},
		"127.0.0.1:8080":                        {"http://127.0.0.1:8080/api/devtools", ""},
		"http://127.0.0.1:8080/api/devtools/":   {"http://127.0.0.1:8080/api/devtools", ""},
		"http://127.0.0.1:8080/api/devtools/ws": {"http://127.0.0.1:8080/api/devtools", ""},
		"ws://[::1]:9/_dev/ws":                  {"http://[::1]:9/_dev", "http://[::1]:9/_dev/ws"},
		"wss://staging.example.com/x":           {"https://staging.example.com/x", ""},
	}
	for in, want := range cases {
		ep, err := Parse(in)
		if err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		if ep.Base != want[0] || want[1] != "" && ep.WS != want[1] {
			t.Errorf("%s: got %s %s, want %v", in, ep.Base, ep.WS, want)
		}
	}
	if ep, _ := Parse("http://localhost:1"); !ep.Loopback || ep.TLS {
		t.Error("localhost should be loopback, not TLS")
	}
	if ep, _ := Parse("https://staging.example.com"); ep.Loopback || !ep.TLS {
		t.Error("staging should be remote TLS")
	}
	for _, bad := range []string{"", "ftp://x", "http://", "http://u:p@127.0.0.1", "http://127.0.0.1/?token=x", "http://127.0.0.1/#t"} {
		if _, err := Parse(bad); !errors.Is(err, ErrBadURL) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
