package secretscan_test

import (
	"fmt"

	"github.com/beignet/devtools/cmd/beignet-devtools/internal/secretscan"
)

func ExampleScanner_Event() {
	raw := `{"v":1,"id":"01JDQ3Z9X8K4M2N6P7R8S9T0VW","kind":"request",` +
		`"http":{"url":"/notes?access_token=abcdef123456",` +
		`"requestHeaders":{"Authorization":["[REDACTED]"],"X-Api-Key":["[REDACTED]"]},` +
		`"requestBody":{"size":40,"text":"{\"user\":\"ada\",\"password\":\"hunter2hunter2\"}"}}}`
	findings, err := secretscan.New().Event([]byte(raw))
	if err != nil {
		panic(err)
	}
	for _, f := range findings {
		fmt.Println(f) // event ID, field path, rule: never the value
	}
	// Output:
	// 01JDQ3Z9X8K4M2N6P7R8S9T0VW  http.requestBody.text.password  secret-key
	// 01JDQ3Z9X8K4M2N6P7R8S9T0VW  http.url.query.access_token  secret-key
}
