package redact

import (
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// maxValueDepth bounds recursion into Go values.
const maxValueDepth = 1000

// Value redacts a Go value the way it would be encoded as JSON: maps (any
// key type), slices, arrays, structs through their json tags, pointers and
// interfaces. Values of secret-shaped keys are replaced (bools and nils
// kept), strings are scanned for secret-shaped values, json.RawMessage and
// types with a MarshalJSON method are redacted as JSON. The input is never
// modified: a container that changed comes back as a new map[string]any or
// []any (a struct as map[string]any keyed by its JSON names), the JSON
// encoding of which matches the original's apart from the replacements;
// unchanged parts are returned as they are. Cycles end in "[CYCLE]". Paths
// are dotted ("user.tokens.0", "$" for the root).
func (r *Redactor) Value(v any) (any, []string) {
	w := valueWalker{r: r}
	out, ch := w.walk(v, false)
	if !ch {
		return v, nil
	}
	slices.Sort(w.paths)
	return out, slices.Compact(w.paths)
}

type valueWalker struct {
	r        *Redactor
	stack    []string
	hookBase []string
	prefix   string
	paths    []string
	visiting map[uintptr]bool
	depth    int
}

func (w *valueWalker) path() string {
	if len(w.stack) == 0 {
		if w.prefix != "" {
			return strings.TrimSuffix(w.prefix, ".")
		}
		return "$"
	}
	if len(w.stack) > maxPathDepth {
		return w.prefix + strings.Join(w.stack[:maxPathDepth], ".") + "...."
	}
	return w.prefix + strings.Join(w.stack, ".")
}

func (w *valueWalker) report() { w.paths = append(w.paths, w.path()) }

// child walks v under key (pushed on the path); secret comes from the key.
func (w *valueWalker) child(key string, v any) (any, bool) {
	w.stack = append(w.stack, key)
	defer func() { w.stack = w.stack[:len(w.stack)-1] }()
	if w.r.hook != nil {
		hp := appendPath(w.hookBase, w.stack...)
		if repl, ok := w.r.hook(hp, v); ok {
			if reflect.DeepEqual(repl, v) {
				return v, false // kept as it is: not scanned, not reported
			}
			w.report()
			return repl, true
		}
	}
	secret := false
	switch w.r.keys.class(key) {
	case keySecret:
		secret = true
	case keySoft:
		if s, ok := v.(string); ok {
			secret = credentialValue(s)
		}
	}
	nv, ch := w.walk(v, secret)
	if !ch {
		return v, false
	}
	return nv, true
}

// key returns a map key as text, with secret-shaped parts redacted.
func (w *valueWalker) key(k string) (string, bool) {
	red, spans := w.r.str(k, false)
	return red, spans != nil
}

func (w *valueWalker) secretScalar(text string) (any, bool) {
	if text == "" || isMarked(text) || identifierValue(text) {
		return nil, false
	}
	key := ""
	if len(w.stack) > 0 {
		key = w.stack[len(w.stack)-1]
	}
	if sl := authSchemeLen(key, text); sl > 0 {
		if isMarked(text[sl:]) {
			return nil, false
		}
		w.report()
		return text[:sl] + w.r.mask(text[sl:]), true // "Bearer [REDACTED]"
	}
	w.report()
	return w.r.mask(text), true
}

// walk returns the redacted v and whether it changed.
func (w *valueWalker) walk(v any, secret bool) (any, bool) {
	switch x := v.(type) {
	case nil, bool, time.Time, time.Duration:
		return v, false
	case string:
		return w.walkText(v, x, secret)
	case json.Number:
		return w.number(v, string(x), secret)
	case int64, uint64, int, uint:
		return w.number(v, fmt.Sprint(x), secret)
	case int8, int16, int32, uint8, uint16, uint32, float32, float64:
		if secret {
			if out, ok := w.secretScalar(fmt.Sprint(x)); ok {
				return out, true
			}
		}
		return v, false
	case []byte:
		return w.bytes(v, string(x), secret)
	case json.RawMessage:
		if secret {
			switch s := strings.TrimSpace(string(x)); s {
			case "", "null", "true", "false", `""`:
				return v, false
			default:
				if out, ok := w.secretScalar(s); ok {
					return out, true
				}
				return v, false
			}
		}
		return w.rawJSON(v, string(x))
	case map[string]any:
		if secret && len(x) > 0 {
			return w.secretScalar("{map}")
		}
		return w.stringMap(v, x)
	case []any:
		if secret && len(x) > 0 {
			return w.secretScalar("[list]")
		}
		return w.anySlice(v, x)
	case error:
		if secret {
			return w.secretScalar(x.Error())
		}
		red, spans := w.r.str(x.Error(), false)
		if spans == nil {
			return v, false
		}
		w.report()
		return red, true
	}
	if len(w.stack) >= maxValueDepth {
		return "[DEPTH]", true
	}
	if m, ok := v.(json.Marshaler); ok {
		return w.marshaler(v, m, secret)
	}
	if _, ok := v.(encoding.TextMarshaler); ok {
		b, err := json.Marshal(v)
		if err != nil {
			return v, false
		}
		var s string
		if json.Unmarshal(b, &s) != nil {
			return v, false
		}
		return w.walkText(v, s, secret)
	}
	return w.reflectValue(v, reflect.ValueOf(v), secret)
}

// number handles an integer-like number: secret by key, or a card number
// (Options.CardNumbers).
func (w *valueWalker) number(orig any, text string, secret bool) (any, bool) {
	if secret {
		if out, ok := w.secretScalar(text); ok {
			return out, true
		}
		return orig, false
	}
	if w.r.cards && len(text) >= 13 {
		if spans := w.r.scan(text, false); spans != nil {
			w.report()
			return w.r.mask(text), true
		}
	}
	return orig, false
}

func (w *valueWalker) walkText(orig any, s string, secret bool) (any, bool) {
	if secret {
		if out, ok := w.secretScalar(s); ok {
			return out, true
		}
		return orig, false
	}
	red, spans := w.r.str(s, false)
	if spans == nil {
		return orig, false
	}
	w.report()
	return red, true
}

func (w *valueWalker) bytes(orig any, s string, secret bool) (any, bool) {
	return w.walkText(orig, s, secret)
}

func (w *valueWalker) rawJSON(orig any, s string) (any, bool) {
	prefix := w.path() + "."
	if len(w.stack) == 0 {
		prefix = w.prefix
	}
	out, changed := w.r.json(s, false, prefix, appendPath(w.hookBase, w.stack...), &w.paths)
	if !changed {
		return orig, false
	}
	return json.RawMessage(out), true
}

func (w *valueWalker) marshaler(orig any, m json.Marshaler, secret bool) (any, bool) {
	rv := reflect.ValueOf(orig)
	if rv.Kind() == reflect.Pointer && rv.IsNil() {
		return orig, false
	}
	b, err := m.MarshalJSON()
	if err != nil {
		return orig, false
	}
	if secret {
		return w.walk(json.RawMessage(b), true)
	}
	return w.rawJSON(orig, string(b))
}

func (w *valueWalker) enter(p uintptr) bool {
	if p == 0 {
		return true
	}
	if w.visiting == nil {
		w.visiting = map[uintptr]bool{}
	}
	if w.visiting[p] {
		return false
	}
	w.visiting[p] = true
	w.depth++
	return true
}

func (w *valueWalker) leave(p uintptr) {
	if p != 0 {
		delete(w.visiting, p)
		w.depth--
	}
}

// track says whether containers at this depth are tracked for cycles: only
// deep structures are, so shallow ones cost no map.
func (w *valueWalker) track() bool { return len(w.stack) >= 16 }

func (w *valueWalker) stringMap(orig any, m map[string]any) (any, bool) {
	if m == nil {
		return orig, false
	}
	var p uintptr
	if w.track() {
		p = reflect.ValueOf(m).Pointer()
		if !w.enter(p) {
			return "[CYCLE]", true
		}
		defer w.leave(p)
	}
	var out map[string]any
	for k, v := range m {
		nk, kch := w.key(k)
		nv, ch := w.child(nk, v)
		if !ch && !kch {
			continue
		}
		if kch {
			w.stack = append(w.stack, nk)
			w.report()
			w.stack = w.stack[:len(w.stack)-1]
		}
		if out == nil {
			out = make(map[string]any, len(m))
			for k2, v2 := range m {
				out[k2] = v2
			}
		}
		if kch {
			delete(out, k)
		}
		out[nk] = nv
	}
	if out == nil {
		return orig, false
	}
	return out, true
}

func (w *valueWalker) anySlice(orig any, s []any) (any, bool) {
	var p uintptr
	if w.track() && len(s) > 0 {
		p = reflect.ValueOf(s).Pointer()
		if !w.enter(p) {
			return "[CYCLE]", true
		}
		defer w.leave(p)
	}
	var out []any
	for i, v := range s {
		nv, ch := w.child(strconv.Itoa(i), v)
		if !ch {
			continue
		}
		if out == nil {
			out = make([]any, len(s))
			copy(out, s)
		}
		out[i] = nv
	}
	if out == nil {
		return orig, false
	}
	return out, true
}

func (w *valueWalker) reflectValue(orig any, rv reflect.Value, secret bool) (any, bool) {
	switch rv.Kind() {
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return orig, false
		}
		var p uintptr
		if rv.Kind() == reflect.Pointer {
			p = rv.Pointer()
			if !w.enter(p) {
				return "[CYCLE]", true
			}
			defer w.leave(p)
		}
		e := rv.Elem()
		if !e.CanInterface() {
			return orig, false
		}
		return w.walk(e.Interface(), secret)
	case reflect.String:
		return w.walkText(orig, rv.String(), secret)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64:
		if secret {
			if out, ok := w.secretScalar(fmt.Sprint(orig)); ok {
				return out, true
			}
		}
		return orig, false
	case reflect.Map:
		if secret && rv.Len() > 0 {
			return w.secretScalar("{map}")
		}
		return w.reflectMap(orig, rv)
	case reflect.Slice, reflect.Array:
		if rv.Kind() == reflect.Slice && rv.Type().Elem().Kind() == reflect.Uint8 {
			return w.walkText(orig, string(rv.Bytes()), secret)
		}
		if secret && rv.Len() > 0 {
			return w.secretScalar("[list]")
		}
		return w.reflectSlice(orig, rv)
	case reflect.Struct:
		return w.reflectStruct(orig, rv, secret)
	}
	return orig, false
}

func mapKeyString(k reflect.Value) (string, bool) {
	if k.Kind() == reflect.String {
		return k.String(), true
	}
	if k.CanInterface() {
		if tm, ok := k.Interface().(encoding.TextMarshaler); ok {
			if b, err := tm.MarshalText(); err == nil {
				return string(b), true
			}
			return "", false
		}
	}
	switch k.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(k.Int(), 10), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.FormatUint(k.Uint(), 10), true
	}
	return "", false
}

func (w *valueWalker) reflectMap(orig any, rv reflect.Value) (any, bool) {
	if rv.IsNil() || rv.Len() == 0 {
		return orig, false
	}
	p := rv.Pointer()
	if !w.enter(p) {
		return "[CYCLE]", true
	}
	defer w.leave(p)
	var all []kv
	changed := false
	it := rv.MapRange()
	for it.Next() {
		ks, ok := mapKeyString(it.Key())
		if !ok || !it.Value().CanInterface() {
			continue
		}
		val := it.Value().Interface()
		nk, kch := w.key(ks)
		nv, ch := w.child(nk, val)
		if kch {
			w.stack = append(w.stack, nk)
			w.report()
			w.stack = w.stack[:len(w.stack)-1]
		}
		changed = changed || ch || kch
		all = append(all, kv{nk, nv})
	}
	if !changed {
		return orig, false
	}
	return mapOf(all), true
}

func (w *valueWalker) reflectSlice(orig any, rv reflect.Value) (any, bool) {
	n := rv.Len()
	if n == 0 {
		return orig, false
	}
	if rv.Kind() == reflect.Slice {
		p := rv.Pointer()
		if !w.enter(p) {
			return "[CYCLE]", true
		}
		defer w.leave(p)
	}
	var out []any
	for i := 0; i < n; i++ {
		e := rv.Index(i)
		if !e.CanInterface() {
			continue
		}
		nv, ch := w.child(strconv.Itoa(i), e.Interface())
		if !ch {
			continue
		}
		if out == nil {
			out = make([]any, n)
			for j := 0; j < n; j++ {
				if rv.Index(j).CanInterface() {
					out[j] = rv.Index(j).Interface()
				}
			}
		}
		out[i] = nv
	}
	if out == nil {
		return orig, false
	}
	return out, true
}

// structField is one JSON-visible field.
type structField struct {
	name      string
	v         reflect.Value
	omitEmpty bool
}

func jsonFields(rv reflect.Value, out []structField, depth int) []structField {
	t := rv.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		fv := rv.Field(i)
		if f.Anonymous && name == "" && depth < 8 {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				if fv.IsNil() {
					continue
				}
				fv = fv.Elem()
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				out = jsonFields(fv, out, depth+1)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, structField{name: name, v: fv, omitEmpty: strings.Contains(","+opts+",", ",omitempty,")})
	}
	return out
}

func isEmptyValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

func (w *valueWalker) reflectStruct(orig any, rv reflect.Value, secret bool) (any, bool) {
	fields := jsonFields(rv, nil, 0)
	if secret && len(fields) > 0 {
		return w.secretScalar("{struct}")
	}
	all := make([]kv, 0, len(fields))
	changed := false
	w.depth++
	defer func() { w.depth-- }()
	for _, f := range fields {
		if f.omitEmpty && isEmptyValue(f.v) {
			continue
		}
		if !f.v.CanInterface() {
			continue
		}
		nv, ch := w.child(f.name, f.v.Interface())
		changed = changed || ch
		all = append(all, kv{f.name, nv})
	}
	if !changed {
		return orig, false
	}
	return mapOf(all), true
}

// kv is one entry of a map or struct being redacted, in walk order.
type kv struct {
	k string
	v any
}

// mapOf builds the redacted map from its entries.
func mapOf(all []kv) map[string]any {
	out := make(map[string]any, len(all))
	for _, e := range all {
		out[e.k] = e.v
	}
	return out
}
