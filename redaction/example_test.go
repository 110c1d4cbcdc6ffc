package redaction_test

import (
	"fmt"
	"net/http"

	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/redaction"
)

func ExampleRedactor_String() {
	r := redaction.New(redaction.Options{})
	out, rules := r.String("login failed: password=hunter2 (max_tokens=256)")
	fmt.Println(out)
	fmt.Println(rules)
	// Output:
	// login failed: password=[REDACTED] (max_tokens=256)
	// [key-value]
}

func ExampleRedactor_JSON() {
	r := redaction.New(redaction.Options{})
	out, paths := r.JSON([]byte(`{"user":"ada","password":"hunter2","limits":{"max_tokens":1.50}}`))
	fmt.Println(string(out))
	fmt.Println(paths)
	// Output:
	// {"user":"ada","password":"[REDACTED]","limits":{"max_tokens":1.50}}
	// [password]
}

func ExampleRedactor_URL() {
	r := redaction.New(redaction.Options{})
	out, paths := r.URL("https://ada:pw@api.example.test/v1/files?page=2&X-Amz-Signature=abc123")
	fmt.Println(out)
	fmt.Println(paths)
	// Output:
	// https://[REDACTED]@api.example.test/v1/files?page=2&X-Amz-Signature=[REDACTED]
	// [userinfo query.X-Amz-Signature]
}

func ExampleRedactor_Headers() {
	r := redaction.New(redaction.Options{})
	h := http.Header{"Authorization": {"Bearer abc.def.ghi"}, "Cookie": {"sid=123; theme=dark"}, "Accept": {"*/*"}}
	out, _ := r.Headers(h)
	fmt.Println(out.Get("Authorization"))
	fmt.Println(out.Get("Cookie"))
	fmt.Println(out.Get("Accept"))
	// Output:
	// Bearer [REDACTED]
	// sid=[REDACTED]; theme=[REDACTED]
	// */*
}

func ExampleRedactor_Body() {
	r := redaction.New(redaction.Options{})
	// The body was cut at the capture limit in the middle of the password.
	out, _ := r.Body("application/json", []byte(`{"user":"ada","password":"hun`), true)
	fmt.Println(string(out))
	// Output:
	// {"user":"ada","password":"[REDACTED]
}

func ExampleRedactor_Event() {
	r := redaction.New(redaction.Options{})
	e := event.Event{
		Kind:    event.KindRequest,
		Message: "retrying with Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln",
		HTTP: &event.HTTP{
			Method:         "GET",
			URL:            "/export?token=abc123&format=csv",
			RequestHeaders: map[string][]string{"Authorization": {"Basic YWRhOnB3"}},
		},
		Attrs: event.Attrs{"apiKey": "k-1", "max_tokens": 256},
	}
	paths := r.Event(&e)
	fmt.Println(e.Message)
	fmt.Println(e.HTTP.URL)
	fmt.Println(e.HTTP.RequestHeaders["Authorization"][0])
	fmt.Println(e.Attrs["apiKey"], e.Attrs["max_tokens"])
	fmt.Println(paths)
	// Output:
	// retrying with Bearer [REDACTED]
	// /export?token=[REDACTED]&format=csv
	// Basic [REDACTED]
	// [REDACTED] 256
	// [attrs.apiKey http.requestHeaders.authorization http.url.query.token message]
}

func ExampleOptions_hook() {
	r := redaction.New(redaction.Options{Hook: func(path []string, v any) (any, bool) {
		if path[len(path)-1] == "diagnosis" {
			return "[PHI]", true
		}
		return nil, false
	}})
	out, _ := r.JSON([]byte(`{"patient":{"id":7,"diagnosis":"influenza"}}`))
	fmt.Println(string(out))
	// Output:
	// {"patient":{"id":7,"diagnosis":"[PHI]"}}
}
