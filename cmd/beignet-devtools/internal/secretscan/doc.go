// Package secretscan finds secret-shaped values that got past redaction in
// recorded events. It backs `beignet-devtools scan`.
//
// It audits with the redaction engine's own rule table (the default rules,
// whatever options the app redacted with): every vendor token shape, JWTs,
// PEM private keys, bearer and basic credentials, URL userinfo, command
// lines and the key rules (password, secret, token, api key,
// authorization, cookie, credential-looking values under *_key ...), so a
// store written before a rule existed can be checked with it. It looks
// inside JSON and form bodies, URL query strings and cookie headers.
//
// Findings name the event ID, the field path and the rule ID (the same IDs
// redaction reports, such as "sendgrid-api-token" or "secret-key"), never
// the value.
//
// # Caveats
//
//   - A secret with no known shape under an innocent key is not found.
//   - Card numbers and e-mail addresses are personal data, not secrets; they
//     are not reported (redaction of them is opt-in).
package secretscan
