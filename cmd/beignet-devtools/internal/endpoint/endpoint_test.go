package endpoint_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/beignet/devtools/cmd/beignet-devtools/internal/endpoint"
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
		ep, err := endpoint.Parse(in)
		if err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		if ep.Base != want[0] || want[1] != "" && ep.WS != want[1] {
			t.Errorf("%s: got %s %s, want %v", in, ep.Base, ep.WS, want)
		}
	}
	if ep, _ := endpoint.Parse("http://localhost:1"); !ep.Loopback || ep.TLS {
		t.Error("localhost should be loopback, not TLS")
	}
	if ep, _ := endpoint.Parse("https://staging.example.com"); ep.Loopback || !ep.TLS {
		t.Error("staging should be remote TLS")
	}
	for _, bad := range []string{"", "ftp://x", "http://", "http://u:p@127.0.0.1", "http://127.0.0.1/?token=x", "http://127.0.0.1/#t"} {
		if _, err := endpoint.Parse(bad); !errors.Is(err, endpoint.ErrBadURL) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestAddresses(t *testing.T) {
	lookup := func(_ context.Context, host string) ([]string, error) {
		switch host {
		case "devtools.staging.svc":
			return []string{"127.0.0.7", "127.0.0.5", "::1", "127.0.0.7"}, nil
		case "empty.svc":
			return nil, nil
		}
		return nil, errors.New("no such host")
	}
	cases := []struct {
		url     string
		want    []string
		wantErr bool
	}{
		{url: "http://devtools.staging.svc:8080", want: []string{"127.0.0.7:8080", "127.0.0.5:8080", "[::1]:8080"}},
		{url: "https://devtools.staging.svc/api/devtools", want: []string{"127.0.0.7:443", "127.0.0.5:443", "[::1]:443"}},
		{url: "http://devtools.staging.svc", want: []string{"127.0.0.7:80", "127.0.0.5:80", "[::1]:80"}},
		{url: "http://127.0.0.1:9000", want: []string{"127.0.0.1:9000"}},
		{url: "http://[::1]:9000", want: []string{"[::1]:9000"}},
		{url: "http://missing.svc:1", wantErr: true},
		{url: "http://empty.svc:1", wantErr: true},
	}
	for _, c := range cases {
		ep, err := endpoint.Parse(c.url)
		if err != nil {
			t.Fatal(err)
		}
		got, err := endpoint.Addresses(context.Background(), ep, lookup)
		if c.wantErr {
			if err == nil {
				t.Errorf("%s: got %v, want an error", c.url, got)
			}
			continue
		}
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("%s: got %v, %v; want %v", c.url, got, err, c.want)
		}
	}
}
