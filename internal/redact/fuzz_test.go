package redact

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/beignet/devtools/event"
)

// planted are secrets the fuzz targets plant into arbitrary text. Each
// must be gone from the output whatever surrounds it (separated by a
// space), as must the parts listed with it.
var planted = []struct {
	text string
	gone []string
}{
	{"Bearer " + sBearer, []string{sBearer}},
	{"Basic " + sBasic, []string{sBasic}},
	{sJWT, []string{sJWT}},
	{sAWSID, []string{sAWSID}},
	{"aws_secret_access_key=" + sAWSKey, []string{sAWSKey}},
	{sGHP, []string{sGHP}},
	{sGHPat, []string{sGHPat}},
	{sStripe, []string{sStripe}},
	{sSlack, []string{sSlack}},
	{"https://hooks.slack.com/services/" + sSlackHk, []string{sSlackHk}},
	{sGoogle, []string{sGoogle}},
	{sOpenAI, []string{sOpenAI}},
	{sPEM, []string{sPEMBody}},
	{"https://admin:Pa55w0rdXyz@db.test/x", []string{"Pa55w0rdXyz", "admin:"}},
	{"password=Hunter2Secret", []string{"Hunter2Secret"}},
	{`"api_key":"QwErTy123456"`, []string{"QwErTy123456"}},
	{"https://x.test/cb?code=AuthCode998877", []string{"AuthCode998877"}},
	{"SG." + "aB3dE5fG7hJ9kL1mN3pQ5r" + "." + "sT7uV9wX1yZ3aB5cD7eF9gH1jK3lM5nP7qR9sT1uV3w", []string{"aB3dE5fG7hJ9kL1mN3pQ5r"}},
	{"shp" + "at_" + "0a1b2c3d4e5f60718293a4b5c6d7e8f9", []string{"0a1b2c3d4e5f60718293a4b5c6d7e8f9"}},
	{"mysql -u root -p" + "Zq8wX7vY6u", []string{"Zq8wX7vY6u"}},
	{"DD_APP_KEY=" + "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b", []string{"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b"}},
}

func FuzzString(f *testing.F) {
	seeds := []string{"", "x", "Bearer", "password=", `"token":"`, "-----BEGIN RSA PRIVATE KEY-----", "https://", "eyJ", "a=b&c=d", "\\\"", "\x00\xff"}
	for i, s := range seeds {
		f.Add(s, uint8(i), "tail")
	}
	r := New(Options{})
	f.Fuzz(func(t *testing.T, prefix string, which uint8, suffix string) {
		// Arbitrary input: no panic, and what is reported is what changed.
		out, names := r.String(prefix)
		if (out != prefix) != (names != nil) {
			t.Fatalf("changed=%v but names=%v", out != prefix, names)
		}
		p := planted[int(which)%len(planted)]
		in := prefix + " " + p.text + " " + suffix
		for _, trunc := range []bool{false, true} {
			spans := r.scan(in, trunc)
			red := r.apply(in, spans)
			for _, g := range p.gone {
				if strings.Contains(red, g) {
					t.Fatalf("planted secret %d (%s) survived (trunc=%v)", int(which)%len(planted), fp(g), trunc)
				}
			}
		}
	})
}

func FuzzJSON(f *testing.F) {
	seeds := []string{`{}`, `[]`, `{"a":1}`, `{"password":"x","n":[1,2.5e3,{"token":null}]}`, `"Bearer abcdefgh12345"`,
		`{"a":"\u00e9\n"}`, `[{"cookie":"a=b"}]`, `{"a":`, `{"x":"password=hunter2"}`, `nul`, `{"k":"v"}}`}
	for _, s := range seeds {
		f.Add([]byte(s), "s3cr3t-Value", uint16(7))
	}
	r := New(Options{})
	f.Fuzz(func(t *testing.T, data []byte, secret string, cut uint16) {
		out, _ := r.JSON(data)
		if json.Valid(data) && !json.Valid(out) {
			t.Fatalf("valid JSON became invalid: %q -> %q", data, out)
		}
		if !json.Valid(data) {
			return
		}
		if secret == "" || strings.HasPrefix(secret, markerPrefix) {
			return
		}
		// A secret under a secret-shaped key never survives, in a valid
		// document or one cut anywhere after the key.
		doc, err := json.Marshal(map[string]any{"data": json.RawMessage(data), "password": secret})
		if err != nil {
			return // data with a form Marshal refuses to embed
		}
		red, _ := r.JSON(doc)
		var back map[string]any
		dec := json.NewDecoder(bytes.NewReader(red))
		dec.UseNumber()
		if err := dec.Decode(&back); err != nil {
			t.Fatalf("redacted document does not decode: %v", err)
		}
		if back["password"] != Replacement {
			t.Fatalf("password (%s) survived", fp(secret))
		}
		key := []byte(`"password":`)
		k := strings.LastIndex(string(doc), string(key))
		valStart := k + len(key)
		c := valStart + 2 + int(cut)%(len(doc)-valStart-1)
		if c > len(doc) {
			c = len(doc)
		}
		cutDoc := doc[:c]
		enc, _ := json.Marshal(secret)
		visible := string(cutDoc[valStart:]) // the (partial) encoded secret
		if len(visible) > len(enc) {
			visible = string(enc)
		}
		if len(visible) > 1 && !strings.HasPrefix(`"`+markerPrefix, visible) {
			redCut, _ := r.JSON(cutDoc)
			if strings.Contains(string(redCut), `"password":`+visible) {
				t.Fatalf("partial password (%s) survived truncation", fp(visible))
			}
		}
	})
}

func FuzzURL(f *testing.F) {
	seeds := []string{"", "/", "/a?b=c", "https://h.test/p?q=1#f", "http://u:p@h", "//x", "?&=&", "%zz", "https://[::1]:80/"}
	for _, s := range seeds {
		f.Add(s, "extra=1")
	}
	r := New(Options{})
	f.Fuzz(func(t *testing.T, u, tail string) {
		out, paths := r.URL(u)
		if (out != u) != (len(paths) > 0) {
			t.Fatalf("changed=%v but paths=%v", out != u, paths)
		}
		// A planted user, password and token never survive.
		tail = strings.Map(func(c rune) rune {
			if c == '#' || c == '?' || c == '@' || c == '/' {
				return '_'
			}
			return c
		}, tail)
		in := "https://UsErNaMe7:PaSsWoRd7@h.test/" + tail + "?" + tail + "&access_token=ToKeN777&" + tail
		got, _ := r.URL(in)
		for _, s := range []string{"UsErNaMe7", "PaSsWoRd7", "ToKeN777"} {
			if strings.Contains(got, s) {
				t.Fatalf("planted %s survived", fp(s))
			}
		}
		// URL() and a URL inside text agree on the planted parts.
		text, _ := r.String("see " + in + " now")
		for _, s := range []string{"UsErNaMe7", "PaSsWoRd7", "ToKeN777"} {
			if strings.Contains(text, s) {
				t.Fatalf("planted %s survived in text", fp(s))
			}
		}
	})
}

func FuzzBody(f *testing.F) {
	f.Add("text/plain", "Authorization: Bearer abc", true)
	f.Add("application/json", `{"password":"hun`, true)
	f.Add("application/x-www-form-urlencoded", "a=1&token=x", false)
	f.Add("multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\nhunter2\r\n--x--", false)
	f.Add("application/x-ndjson", "{\"token\":\"a\"}\n{\"b\":1}\n", false)
	r := New(Options{Emails: true, CardNumbers: true, Fingerprint: true})
	f.Fuzz(func(t *testing.T, ct, body string, trunc bool) {
		out, paths := r.Body(ct, []byte(body), trunc)
		if (string(out) != body) && len(paths) == 0 {
			t.Fatalf("changed without paths")
		}
		v, _ := r.Value(map[string]any{"a": body, "b": []any{body, map[string]any{body: body}}})
		_ = v
		e := requestEvent()
		e.Message = body
		e.HTTP.RequestBody.Text = body
		e.HTTP.RequestBody.ContentType = ct
		e.HTTP.RequestBody.Truncated = trunc
		r.Event(&e)

		// In place (AppendEventOwned) or on copies (Event): the same event.
		owned, copied := requestEvent(), requestEvent()
		for _, x := range []*event.Event{&owned, &copied} {
			x.HTTP.RequestHeaders = map[string][]string{"X-" + ct: {body, ct}, "Cookie": {body}, "Accept": {"*/*"}}
			x.HTTP.ResponseHeaders = map[string][]string{"Set-Cookie": {body}, ct: {body}}
		}
		r.AppendEventOwned(nil, &owned)
		r.Event(&copied)
		a, errA := event.Marshal(&owned)
		b, errB := event.Marshal(&copied)
		if (errA == nil) != (errB == nil) || string(a) != string(b) {
			t.Fatalf("AppendEventOwned and Event differ:\n%s\n%s", a, b)
		}
	})
}
