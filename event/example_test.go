package event_test

import (
	"fmt"
	"time"

	"github.com/beignet/devtools/event"
)

func ExampleGenerator() {
	at := time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)
	gen := event.NewGenerator(func() time.Time { return at })
	a, b := gen.New(), gen.New()
	fmt.Println(a.Compare(b) < 0, a.Time().Equal(at))
	// Output: true true
}
