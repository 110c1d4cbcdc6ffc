// Package redaction removes secrets from what beignet-devtools records:
// headers, URLs, bodies, Go values and whole events. Nothing leaves the
// recorder's pipeline without passing through a Redactor.
//
// A Redactor applies two kinds of rules:
//
//   - Key rules. A value is replaced when its key (header name, JSON key,
//     form field, query parameter, struct field's JSON name, map key, or the
//     key of a key=value, key: value, key => 'v' or key := "v" pair in free
//     text) is secret-shaped: authorization, proxy-authorization, cookie,
//     set-cookie, x-api-key, api_key, token, access_token, refresh_token,
//     id_token, x-auth-token, x-csrf-token, password, passwd, pass, secret,
//     client_secret, credentials, private_key, *_pat, session, session_id,
//     the framework session cookies (connect.sid, JSESSIONID, PHPSESSID ...)
//     and their variants. Keys are compared by words, case- and
//     separator-insensitively ("apiKey", "API_KEY", "x-api-key"), so that
//     max_tokens, prompt_tokens, token_count, token_type, author,
//     authored_by, secretary and tokenizer stay readable. Keys ending in
//     "key" (DD_APP_KEY, mg_key, sgKey, DD-APPLICATION-KEY) and keys with a
//     vendor's name have their value replaced when it looks like a
//     credential (charset, length, entropy, as gitleaks' generic-api-key
//     rule decides), so primary_key, sort_key, public_key and
//     "key: created_at" stay. Options.Keys adds keys; Options.AllowKeys
//     exempts some.
//   - Value rules. Secret-shaped values are replaced wherever they appear,
//     with no key around them: about ninety token families of cloud, code
//     hosting, payment, messaging and AI providers (AWS, Google, Azure,
//     GitHub, GitLab, Stripe, Square, Shopify, SendGrid, Mailgun, Slack,
//     Discord, Telegram, Vault, Doppler, Hugging Face, OpenAI-style sk-
//     keys ...), one table row each (prefix or anchor, alphabet, length,
//     structure check), plus Bearer and Basic credentials, JWTs, PEM
//     private key blocks, URL userinfo, sensitive query parameters,
//     secret-named XML/HTML elements and password inputs, passwords on
//     command lines (curl -u, mysql -p, sshpass -p, docker login -p,
//     redis-cli -a, --password) and in prose ("the password is X").
//     SECURITY.md lists every rule and its ID. A two-byte prefilter at each
//     word start, and a cheap byte check for the rest (a ':' or '='
//     separator, "-----BEGIN "), means text without secrets costs one pass
//     over its bytes and no allocation, whatever the number of rules.
//     Options.Patterns adds regular expressions, Options.Emails and
//     Options.CardNumbers (issuer ranges and lengths, then Luhn) opt into
//     PII.
//
// A replaced value becomes Replacement, "[REDACTED]", or with
// Options.Fingerprint "[REDACTED:xxxxxxxx]" (HMAC-SHA256 under a key made per
// Redactor, so equal secrets can be told apart from different ones without
// revealing them). Where it helps debugging the harmless frame is kept:
// "Bearer [REDACTED]", cookie names, the BEGIN/END lines of a PEM block,
// the host of a URL.
//
// Every entry point returns the paths it replaced and never modifies its
// input; when nothing was replaced the input itself is returned. Event
// assigns new values to the event's fields and records the paths in
// e.Redacted.
//
// # Caveats
//
//   - Domain data is the app's job. Health records, account numbers, names,
//     addresses and other business fields are not secret-shaped; register a
//     Options.Hook (or Options.Keys) for them. E-mail addresses and card numbers are
//     only redacted when opted in.
//   - Value rules find secrets by shape. A secret with no recognisable shape
//     (a random password in free text without a key, a token in a custom
//     format) is only caught through its key; add Options.Patterns for your own
//     token formats.
//   - A text cut at a capture limit (truncated=true in Body, and any JSON
//     that does not parse) has partial matches at its end redacted, but a
//     secret cut before its recognisable prefix ("gh" of "ghp_") cannot be
//     recognised. Options.Patterns do not match partially.
//   - Redacted JSON keeps its structure, except that a secret-shaped object
//     key is replaced too (two such keys can then collide). Go values that
//     changed come back as map[string]any / []any: equal as JSON, not as Go
//     types.
//   - Binary bodies are not inspected (the recorder keeps only their size).
//   - Fingerprints are only comparable within one Redactor (one process).
package redaction
