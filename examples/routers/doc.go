// Package routers shows, and tests, how an app whose router does not set
// http.Request.Pattern (gin, echo) names its routes for the recorder with
// recorder.SetRoute. It is its own module, so that the main module does
// not depend on these routers.
package routers
