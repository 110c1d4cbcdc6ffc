package redact

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/beignet/devtools/event"
)

// deepCopy returns an independent copy of e through JSON.
func deepCopy(t *testing.T, e *event.Event) event.Event {
	t.Helper()
	b, err := event.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	var c event.Event
	if err := event.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func secretEvent() event.Event {
	e := requestEvent()
	e.Message = "login for ada failed: password=hunter2"
	e.HTTP.ResponseHeaders = map[string][]string{"Set-Cookie": {"sid=s3ss10n; Path=/"}, "Content-Type": {"text/plain"}}
	e.HTTP.ResponseBody = &event.Body{ContentType: "text/plain", Size: 900, Text: "welcome, your key is " + sGHP[:20], Truncated: true}
	e.Provider = &event.Provider{Name: "stripe", URL: "https://" + sStripe + ":@api.stripe.test/v1/charges?expand=x", Error: "auth failed for Bearer " + sBearer}
	e.Audit = &event.Audit{Actor: "ada", Action: "login", Resource: "user:1", Outcome: "ok"}
	e.Attrs = event.Attrs{"password": "pw-attr", "nested": map[string]any{"api_key": "k-attr", "n": json.Number("1.50")}, "ok": "fine"}
	e.Redacted = []string{"attrs.earlier"}
	return e
}

func TestEventRedactsEverything(t *testing.T) {
	r := New(Options{})
	e := secretEvent()
	shared := deepCopy(t, &e) // what the caller's maps and structs hold
	before := e
	paths := r.Event(&e)

	// The caller's maps, slices and structs are untouched.
	if !reflect.DeepEqual(before.HTTP.RequestHeaders, shared.HTTP.RequestHeaders) ||
		!reflect.DeepEqual(*before.HTTP.RequestBody, *shared.HTTP.RequestBody) ||
		before.HTTP.URL != shared.HTTP.URL ||
		!reflect.DeepEqual(before.Attrs, shared.Attrs) ||
		!reflect.DeepEqual(*before.Provider, *shared.Provider) ||
		!slices.Equal(before.Redacted, shared.Redacted) {
		t.Fatal("Event wrote into data the caller shares")
	}

	enc, err := event.Marshal(&e)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"hunter2", sBearer, "9f8e7d6c5b4a", "tok_8f7e6d5c4b3a29181716", "correct horse battery",
		"s3ss10n", sGHP[:20], sStripe, "pw-attr", "k-attr", "c2lnbmF0dXJl"} {
		if strings.Contains(string(enc), s) {
			t.Errorf("secret %s survived Event", fp(s))
		}
	}
	want := []string{
		"attrs.earlier", "attrs.nested.api_key", "attrs.password",
		"http.requestBody", "http.requestHeaders.authorization", "http.requestHeaders.cookie",
		"http.responseBody", "http.responseHeaders.set-cookie", "http.url.query.token",
		"message", "provider.error", "provider.url.userinfo",
	}
	if !slices.Equal(paths, want) || !slices.Equal(e.Redacted, want) {
		t.Fatalf("paths\n got %v\nwant %v", paths, want)
	}
	for _, keep := range []string{`"n":1.50`, `"ok":"fine"`, "ada@example.com", `"name":"POST /api/login"`, "theme=[REDACTED]", "next=%2Fhome"} {
		if !strings.Contains(string(enc), keep) {
			t.Errorf("lost %s", keep)
		}
	}

	// Redacting again changes nothing and reports nothing new.
	again := e
	r.Event(&again)
	enc2, _ := event.Marshal(&again)
	if string(enc2) != string(enc) {
		t.Fatalf("second pass changed the event:\n%s\n%s", enc, enc2)
	}
}

// TestAppendEventBuildsRedactedInDst: AppendEvent gives the event Event
// gives, with e.Redacted a part of dst appended after what dst held, and
// leaves dst alone when nothing is redacted.
func TestAppendEventBuildsRedactedInDst(t *testing.T) {
	r := New(Options{})
	e := secretEvent()
	e.Redacted = []string{"attrs.earlier"}
	want := deepCopy(t, &e)
	wantPaths := r.Event(&want)

	got := deepCopy(t, &e)
	callers := got.Redacted
	dst := append(make([]string, 0, 64), "previous event")
	out := r.AppendEvent(dst, &got)
	if out[0] != "previous event" || !slices.Equal(out[1:], wantPaths) || !slices.Equal(got.Redacted, wantPaths) {
		t.Fatalf("dst %v, e.Redacted %v; want [previous event] + %v", out, got.Redacted, wantPaths)
	}
	if &got.Redacted[0] != &out[1] || cap(got.Redacted) != len(got.Redacted) {
		t.Fatal("e.Redacted is not the appended part of dst")
	}
	if !slices.Equal(callers, []string{"attrs.earlier"}) {
		t.Fatalf("the caller's Redacted slice was written: %v", callers)
	}
	plain := event.Event{Kind: event.KindCustom, Name: "plain"}
	if again := r.AppendEvent(out, &plain); len(again) != len(out) || plain.Redacted != nil {
		t.Fatalf("an event with nothing to redact added %v", again[len(out):])
	}
}

// TestAppendEventOwnedMatchesEvent: redacting the HTTP part in place gives the
// event Event gives, writes into the caller's header maps and HTTP struct
// (that is the point), and still leaves alone what the caller shares
// elsewhere (attrs, provider).
func TestAppendEventOwnedMatchesEvent(t *testing.T) {
	r := New(Options{})
	e := secretEvent()
	// A header whose name holds a secret is renamed in place.
	e.HTTP.RequestHeaders["X-"+sGHP] = []string{"v"}
	want := deepCopy(t, &e)
	wantPaths := r.Event(&want)

	owned := deepCopy(t, &e)
	httpPart, reqHeaders := owned.HTTP, owned.HTTP.RequestHeaders
	attrs, provider := owned.Attrs, owned.Provider
	sharedAttrs := deepCopy(t, &event.Event{Attrs: attrs}).Attrs
	paths := r.AppendEventOwned(nil, &owned)

	if !slices.Equal(paths, wantPaths) {
		t.Fatalf("paths\n got %v\nwant %v", paths, wantPaths)
	}
	got, _ := event.Marshal(&owned)
	exp, _ := event.Marshal(&want)
	if string(got) != string(exp) {
		t.Fatalf("AppendEventOwned differs from Event:\n got %s\nwant %s", got, exp)
	}
	if owned.HTTP != httpPart || fmt.Sprintf("%p", owned.HTTP.RequestHeaders) != fmt.Sprintf("%p", reqHeaders) {
		t.Fatal("AppendEventOwned copied the HTTP part or its header map instead of redacting in place")
	}
	for k, vs := range reqHeaders {
		if strings.Contains(k, sGHP) || slices.ContainsFunc(vs, func(v string) bool { return strings.Contains(v, sBearer) }) {
			t.Fatalf("header map still holds a secret: %s", fp(k))
		}
	}
	if !reflect.DeepEqual(attrs, sharedAttrs) || owned.Provider == provider {
		t.Fatal("AppendEventOwned wrote into attrs or the provider struct, which are not its to change")
	}
}

func TestEventNothingToRedact(t *testing.T) {
	r := New(Options{})
	e := event.Event{Kind: event.KindLog, Message: "all good", HTTP: &event.HTTP{URL: "/x", RequestHeaders: map[string][]string{"Accept": {"*/*"}}}}
	h := e.HTTP
	if paths := r.Event(&e); paths != nil || e.Redacted != nil || e.HTTP != h {
		t.Fatalf("paths %v", paths)
	}
	if r.Event(nil) != nil {
		t.Fatal("nil event")
	}
}

func TestEventConcurrent(t *testing.T) {
	r := New(Options{Fingerprint: true})
	base := secretEvent()
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				e := base
				r.Event(&e)
			}
		}()
	}
	wg.Wait()
}
