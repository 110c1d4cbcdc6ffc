package redact

import "testing"

func TestDefaultSecretKeys(t *testing.T) {
	r := New(Options{})
	secret := []string{
		"authorization", "Authorization", "proxy-authorization", "Proxy-Authorization",
		"cookie", "Cookie", "set-cookie", "Set-Cookie", "cookies",
		"x-api-key", "X-API-Key", "X-Api-Key", "api_key", "apiKey", "APIKey", "apikey", "API_KEY", "api-key", "goog_api_key",
		"token", "Token", "TOKEN", "access_token", "accessToken", "AccessToken", "ACCESS_TOKEN",
		"refresh_token", "refreshToken", "id_token", "idToken", "x-auth-token", "X-Auth-Token",
		"x-csrf-token", "X-CSRF-Token", "x-xsrf-token", "csrf", "_csrf", "csrfmiddlewaretoken",
		"password", "Password", "PASSWORD", "passwd", "pwd", "new_password", "newPassword",
		"password_confirmation", "passwordConfirm", "password_hash", "db.password", "user[password]",
		"secret", "client_secret", "clientSecret", "CLIENT_SECRET", "webhooksecret", "app_secret",
		"credentials", "credential", "Credentials", "private_key", "privateKey", "PRIVATE_KEY", "private_key_id",
		"session", "session_id", "sessionId", "SessionID", "SESSIONID", "sessionid", "PHPSESSID", "JSESSIONID",
		"aws_secret_access_key", "AWS_SECRET_ACCESS_KEY", "aws_access_key_id", "x-amz-security-token",
		"github_token", "githubToken", "GITHUB_TOKEN", "bearer_token", "auth_token", "jwt",
		"auth", "basic_auth", "x-hub-signature-256", "stripe-signature", "signature",
		"secret_key", "signing_key", "encryption_key", "access_tokens", "refreshTokens",
		"otp", "passphrase", "auth_code", "token_value",
	}
	for _, k := range secret {
		if !r.IsSecretKey(k) {
			t.Errorf("IsSecretKey(%q) = false, want true", k)
		}
	}
	readable := []string{
		"max_tokens", "maxTokens", "prompt_tokens", "total_tokens", "completion_tokens", "tokens",
		"token_count", "tokenCount", "token_type", "tokenType", "token_url", "token_endpoint", "tokenizer",
		"author", "authored_by", "authoredBy", "authority", "authors", "secretary", "secretariat",
		"expires_in", "password_policy", "password_length", "passwordRequired", "passport",
		"session_count", "sessionStorage", "session_expires_at", "cookie_consent", "cookies_enabled",
		"public_key", "key", "keys", "monkey", "keyboard", "hotkey", "content-type", "Content-Type",
		"accept", "user-agent", "x-request-id", "traceparent", "auth_method", "authType",
		"signature_algorithm", "secret_name", "credential_type", "id", "user_id", "email", "name",
		"", "_", "-", "tokenization", "passwords_enabled", "keywords", "skip", "x-amz-date",
	}
	for _, k := range readable {
		if r.IsSecretKey(k) {
			t.Errorf("IsSecretKey(%q) = true, want false", k)
		}
	}
}

func TestKeyOptions(t *testing.T) {
	r := New(Options{Keys: []string{"account_number", "ssn"}, AllowKeys: []string{"session_id", "X-CSRF-Token"}})
	for _, k := range []string{"account_number", "accountNumber", "billing-account-number", "AccountNumber", "accountnumber", "ssn", "user_ssn", "SSN"} {
		if !r.IsSecretKey(k) {
			t.Errorf("WithKeys: IsSecretKey(%q) = false", k)
		}
	}
	for _, k := range []string{"account", "number", "account_number_type", "lesson"} {
		if r.IsSecretKey(k) {
			t.Errorf("WithKeys: IsSecretKey(%q) = true", k)
		}
	}
	for _, k := range []string{"session_id", "sessionId", "x-csrf-token", "X-Csrf-Token"} {
		if r.IsSecretKey(k) {
			t.Errorf("WithAllowKeys: IsSecretKey(%q) = true", k)
		}
	}
	for _, k := range []string{"session", "csrf_token", "password"} {
		if !r.IsSecretKey(k) {
			t.Errorf("WithAllowKeys allowed too much: IsSecretKey(%q) = false", k)
		}
	}
}

func TestSplitWords(t *testing.T) {
	cases := map[string]string{
		"APIKey":               "api key",
		"x-api-key":            "x api key",
		"accessToken":          "access token",
		"HTTPServerURL":        "http server url",
		"aws_secret.accessKey": "aws secret access key",
		"SESSIONID":            "sessionid",
		"token2fa":             "token2fa",
		"user[password]":       "user password",
	}
	for in, want := range cases {
		got := ""
		for i, w := range splitWords(in) {
			if i > 0 {
				got += " "
			}
			got += w
		}
		if got != want {
			t.Errorf("splitWords(%q) = %q, want %q", in, got, want)
		}
	}
}
