package stream_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/stream"
)

func ExampleClient() {
	// An app side: a hub fed by the recorder, served on a loopback route.
	hub := stream.NewHub(stream.HubOptions{})
	defer hub.Close()
	srv := stream.NewServer(stream.ServerOptions{Hub: hub, Hello: stream.Hello{App: "notes", Env: "development"}})
	defer srv.Shutdown(context.Background())
	ts := httptest.NewServer(srv)
	defer ts.Close()
	gen := event.NewGenerator(nil)

	// The console side: connect, follow live events, stop when done.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	client := stream.NewClient(stream.ClientOptions{URL: ts.URL, Token: "a-token-from-your-config"})
	err := client.Run(ctx, func(u stream.Update) {
		switch u.Kind {
		case stream.UpdateHello:
			fmt.Println("connected to", u.Hello.App, u.Hello.Env)
		case stream.UpdateSynced:
			// Live from here; the app records something.
			e := event.Event{Kind: event.KindAudit, Name: "note.delete"}
			e.Stamp(gen, time.Now())
			enc, _ := event.Marshal(&e)
			hub.Publish(e.ID, e.Kind, e.RequestID, enc)
		case stream.UpdateEvent:
			fmt.Println(u.Event.Kind, u.Event.Name)
			cancel()
		case stream.UpdateGap:
			fmt.Println("missed events after", u.GapAfter)
		}
	})
	fmt.Println("stopped:", errors.Is(err, stream.ErrClosed))
	// Output:
	// connected to notes development
	// audit note.delete
	// stopped: true
}
