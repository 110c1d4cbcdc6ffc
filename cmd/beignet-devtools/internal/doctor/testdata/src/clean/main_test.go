package main

import "github.com/beignet/devtools/recorder"

// Tests may use fixed tokens; doctor skips _test.go files.
var _, _ = recorder.TokenAuth("0123456789abcdef0123456789abcdef-test-only")
