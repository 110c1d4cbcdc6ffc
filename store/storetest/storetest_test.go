package storetest_test

import (
	"errors"
	"testing"
	"time"

	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/store"
	"github.com/beignet/devtools/store/storetest"
)

func TestOpen(t *testing.T) {
	s := storetest.Open(t, store.Options{})
	e := event.Event{Kind: event.KindLog, Name: "hello"}
	e.Stamp(event.NewGenerator(nil), time.Now())
	if err := s.Append(e); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Get(e.ID); err != nil || got.Name != "hello" {
		t.Fatalf("Get = %v, %v", got, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("second Close = %v", err)
	}
}
