package redaction_test

import (
	"crypto/rand"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/redaction"
)

// The guard: every string, map and slice that event.Event can hold, found
// by reflection, gets a secret planted in it, and Redactor.Event must
// remove it. A field added to event.Event (or its nested types) that
// Event does not redact fails here, with the field's name; a field of a
// kind the guard cannot plant in fails too, so the guard cannot be
// bypassed by a new type.

// guardSecret is a fresh GitHub-shaped token (assembled at run time).
func guardSecret() string {
	const an = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 36)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = an[int(b[i])%len(an)]
	}
	return "gh" + "p_" + string(b)
}

// plantSite is one place of event.Event to plant a secret in.
type plantSite struct {
	path  string                         // Go field path, e.g. HTTP.RequestHeaders[value]
	plant func(e *event.Event, s string) // sets the secret there
}

// plantSites walks t (a struct type reached from *event.Event through
// get) and returns a site for every string, map and slice in it.
func plantSites(t *testing.T, typ reflect.Type, prefix string, get func(e *event.Event) reflect.Value) []plantSite {
	var sites []plantSite
	for i := 0; i < typ.NumField(); i++ {
		f := typ.Field(i)
		if !f.IsExported() {
			continue
		}
		path := prefix + f.Name
		field := func(e *event.Event) reflect.Value { return get(e).Field(i) }
		ft := f.Type
		switch {
		case ft == reflect.TypeOf(time.Time{}) || ft == reflect.TypeOf(event.ID{}):
			continue // no text an app can set
		case ft.Kind() == reflect.String:
			sites = append(sites, plantSite{path, func(e *event.Event, s string) {
				field(e).SetString("note " + s + " end")
			}})
		case ft.Kind() == reflect.Bool, ft.Kind() >= reflect.Int && ft.Kind() <= reflect.Float64:
			continue
		case ft.Kind() == reflect.Pointer && ft.Elem().Kind() == reflect.Struct:
			elem := ft.Elem()
			sites = append(sites, plantSites(t, elem, path+".", func(e *event.Event) reflect.Value {
				p := field(e)
				if p.IsNil() {
					p.Set(reflect.New(elem))
				}
				return p.Elem()
			})...)
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.String:
			sites = append(sites, plantSite{path + "[]", func(e *event.Event, s string) {
				v := reflect.MakeSlice(ft, 1, 1)
				v.Index(0).SetString("note " + s)
				field(e).Set(v)
			}})
		case ft.Kind() == reflect.Map && ft.Key().Kind() == reflect.String:
			for _, where := range []string{"key", "value", "nested"} {
				sites = append(sites, plantSite{path + "[" + where + "]", func(e *event.Event, s string) {
					m := reflect.MakeMap(ft)
					k, v := "x-note", "note "+s
					if where == "key" {
						k, v = s, "v"
					}
					var val reflect.Value
					switch ft.Elem().Kind() {
					case reflect.String:
						val = reflect.ValueOf(v).Convert(ft.Elem())
					case reflect.Slice:
						val = reflect.MakeSlice(ft.Elem(), 1, 1)
						val.Index(0).Set(reflect.ValueOf(v).Convert(ft.Elem().Elem()))
					case reflect.Interface:
						var x any = v
						if where == "nested" {
							x = map[string]any{"list": []any{1, map[string]any{"deep": v}}}
						}
						val = reflect.ValueOf(&x).Elem()
					default:
						t.Fatalf("guard: cannot plant in %s (%s): extend the guard", path, ft)
					}
					m.SetMapIndex(reflect.ValueOf(k).Convert(ft.Key()), val)
					field(e).Set(m)
				}})
			}
		default:
			t.Fatalf("guard: cannot plant in %s (%s): extend the guard", path, ft)
		}
	}
	return sites
}

// guard plants a secret at every site, runs redact and returns the
// sites where it survived in the event's JSON.
func guard(t *testing.T, redact func(*event.Event)) (leaks []string, sites int) {
	all := plantSites(t, reflect.TypeOf(event.Event{}), "", func(e *event.Event) reflect.Value { return reflect.ValueOf(e).Elem() })
	for _, site := range all {
		secret := guardSecret()
		e := event.Event{Kind: event.KindCustom}
		site.plant(&e, secret)
		redact(&e)
		enc, err := event.Marshal(&e)
		if err != nil {
			t.Fatalf("%s: %v", site.path, err)
		}
		if strings.Contains(string(enc), secret[4:]) {
			leaks = append(leaks, site.path)
		}
	}
	return leaks, len(all)
}

func TestGuardEveryEventField(t *testing.T) {
	r := redaction.New(redaction.Options{})
	leaks, n := guard(t, func(e *event.Event) { r.Event(e) })
	if len(leaks) > 0 {
		t.Errorf("a planted secret survives Redactor.Event in %v", leaks)
	}
	if n < 30 {
		t.Errorf("guard planted in only %d places", n)
	}
}

// TestGuardFailsOnAPlantedField shows the guard catching a field that
// redaction skips: here a redactor that forgets Message and the request
// body's content type.
func TestGuardFailsOnAPlantedField(t *testing.T) {
	r := redaction.New(redaction.Options{})
	leaks, _ := guard(t, func(e *event.Event) {
		msg := e.Message
		var ct string
		if e.HTTP != nil && e.HTTP.RequestBody != nil {
			ct = e.HTTP.RequestBody.ContentType
		}
		r.Event(e)
		e.Message = msg
		if ct != "" {
			b := *e.HTTP.RequestBody
			b.ContentType = ct
			e.HTTP.RequestBody = &b
		}
	})
	if got := fmt.Sprint(leaks); got != "[Message HTTP.RequestBody.ContentType]" {
		t.Errorf("guard reported %s, want [Message HTTP.RequestBody.ContentType]", got)
	}
}
