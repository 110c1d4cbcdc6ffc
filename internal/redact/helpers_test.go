package redact

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
)

// fp names a secret in failure messages without printing it.
func fp(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return "sha256:" + hex.EncodeToString(sum[:4])
}

// Sample secrets, all fake. Assembled from parts so that secret scanners
// looking at this repository do not flag them.
var (
	sJWT      = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9" + "." + "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkFkYSJ9" + "." + "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
	sAWSID    = "AKIA" + "IOSFODNN7EXAMPLE"
	sAWSID2   = "ASIA" + "Y34FZKBOKMUTVV7A"
	sAWSKey   = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEY"
	sGHP      = "ghp_" + "1a2B3c4D5e6F7g8H9i0JkLmNoPqRsTuVwXyZ"
	sGHO      = "gho_" + "16C7e42F292c6912E7710c838347Ae178B4a"
	sGHS      = "ghs_" + "abcdefghijklmnopqrstuvwxyz0123456789"
	sGHU      = "ghu_" + "abcdefghijklmnopqrstuvwxyz0123456789"
	sGHR      = "ghr_" + "abcdefghijklmnopqrstuvwxyz0123456789"
	sGHPat    = "github_pat_" + "11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP"
	sStripe   = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"
	sStripeT  = "sk_test_" + "51Hxyz0123456789abcdefGHIJ"
	sStripeRK = "rk_live_" + "51Hxyz0123456789abcdefGHIJ"
	sSlack    = "xoxb-" + "123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
	sSlackHk  = "T00000000/B00000000/" + "XXXXXXXXXXXXXXXXXXXXXXXX"
	sGoogle   = "AIza" + "SyA-1234567890abcdefghijklmnopqrstu"
	sOpenAI   = "sk-" + "proj-abc123DEF456ghi789JKL012mno345"
	sPEMBody  = "MIIEowIBAAKCAQEA7bq98tLsC0XIaOezVAi1t6HnCgVGx5hXbVjv"
	sPEM      = "-----BEGIN RSA PRIVATE KEY-----\n" + sPEMBody + "\nq1w2e3r4t5y6u7i8o9p0\n-----END RSA PRIVATE KEY-----"
	sBasic    = "dXNlcjpwYXNzd29yZA=="
	sBearer   = "abcDEF123456789xyzTOKEN"
)

func regexpMust(s string) *regexp.Regexp { return regexp.MustCompile(s) }
