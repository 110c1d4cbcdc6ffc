// Package secretscan finds secret-shaped values that got past redaction in
// recorded events. It backs `beignet-devtools scan`.
//
// It is deliberately independent of the redaction package and of any app's
// redaction options: a second, small set of high-confidence rules (cloud,
// SaaS and VCS key formats, JWTs, PEM private keys, bearer and basic
// credentials, URL userinfo) plus unredacted values under secret-named keys
// (password, secret, token, api key, authorization, cookie). It looks inside
// JSON and form bodies, URL query strings and cookie headers.
//
// Findings name the event ID, the field path and the rule, never the value.
//
// # Caveats
//
//   - High confidence means few false alarms, not completeness: a secret with
//     no known shape under an innocent key is not found.
//   - Card numbers and e-mail addresses are personal data, not secrets; they
//     are not reported (redaction of them is opt-in).
package secretscan
