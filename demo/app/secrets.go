package app

// The demo's fake secrets. They are built by concatenation so that secret
// scanners reading this source do not flag them, while at run time they have
// the shapes that redaction must catch.
const (
	// DemoPassword is every demo user's password. The traffic generator
	// sends it in JSON and form sign-in bodies.
	DemoPassword = "correct-horse-" + "battery-staple-7731"

	// PersonalAccessToken is a JWT-shaped token the API accepts in an
	// Authorization: Bearer header or, for "legacy clients", in an
	// access_token query parameter.
	PersonalAccessToken = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9" + "." +
		"eyJzdWIiOiJhZGFAZXhhbXBsZS5jb20iLCJ0ZW5hbnQiOiJhY21lIiwic2NvcGUiOiJub3RlcyJ9" + "." +
		"Qm9ndXNTaWduYXR1cmVGb3JUaGVEZW1vT25seTQy"

	// ProviderAPIKey is the key the app sends to the fake payment provider
	// in an X-Api-Key header.
	ProviderAPIKey = "sk_" + "live_" + "51DemoBeignetNotARealKey9x7Q2mZ"

	// SearchAPIKey is a key traffic puts in a query string (?api_key=).
	SearchAPIKey = "AIza" + "SyDemoBeignetNotARealKey_0123456789"

	// CloudAccessKeyID is pasted into a note's text and CloudSecretKey sent
	// beside it in a secret-named JSON field, the way people paste
	// credentials into notes.
	CloudAccessKeyID = "AKIA" + "DEMOBEIGNETEXAMP"
	CloudSecretKey   = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYDEMOKEY"

	// ClientSecretPrefix starts every client_secret the fake provider
	// returns; the rest is random per charge.
	ClientSecretPrefix = "pi_"
)

// Planted returns the fixed secret values that the demo and its traffic put
// into requests, responses and headers. None of them may appear in anything
// the recorder stores or streams; tests look for each one.
func Planted() []string {
	return []string{DemoPassword, PersonalAccessToken, ProviderAPIKey, SearchAPIKey, CloudAccessKeyID, CloudSecretKey}
}
