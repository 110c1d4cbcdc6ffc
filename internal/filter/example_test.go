package filter_test

import (
	"fmt"

	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/internal/filter"
)

func ExampleParse() {
	f, err := filter.Parse(`kind:request status:>=500 path:/api/* -timeout`)
	if err != nil {
		panic(err)
	}
	e := event.Event{Kind: event.KindRequest, Status: 502, HTTP: &event.HTTP{Method: "POST", URL: "/api/charge"}}
	fmt.Println(f.Match(&e))

	_, err = filter.Parse("status:abc")
	fmt.Println(err)
	// Output:
	// true
	// filter: invalid query: status wants a code, a class like 5xx, or a comparison like >=500
}
