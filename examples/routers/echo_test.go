package routers_test

import (
	"net/http"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/beignet/devtools/recorder"
)

// TestEcho: echo does not set Request.Pattern; a middleware (e.Use runs
// after routing) hands c.Path() to recorder.SetRoute.
func TestEcho(t *testing.T) {
	rec := newRecorder(t)

	e := echo.New()
	e.HideBanner = true
	e.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			recorder.SetRoute(c.Request().Context(), c.Path())
			return next(c)
		}
	})
	e.GET("/users/:id/orders/:order", func(c echo.Context) error { return c.NoContent(http.StatusNoContent) })
	e.GET("/files/*", func(c echo.Context) error { return c.String(http.StatusOK, c.Param("*")) })

	names := requestNames(t, rec, e, "/users/42/orders/7", "/files/a/b.txt")
	checkNames(t, names, map[string]string{
		"/users/42/orders/7": "GET /users/{id}/orders/{order}",
		"/files/a/b.txt":     "GET /files/{path...}",
	})
}
