package endpoint_test

import (
	"fmt"

	"github.com/beignet/devtools/cmd/beignet-devtools/internal/endpoint"
)

func ExampleParse() {
	for _, u := range []string{"http://127.0.0.1:8080", "https://staging.example.com/api/devtools/ws"} {
		ep, err := endpoint.Parse(u)
		if err != nil {
			panic(err)
		}
		fmt.Println(ep.Base, ep.WS, ep.Loopback)
	}
	// Output:
	// http://127.0.0.1:8080/api/devtools http://127.0.0.1:8080/api/devtools/ws true
	// https://staging.example.com/api/devtools https://staging.example.com/api/devtools/ws false
}
