package routers_test

import (
	"net/http"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/beignet/devtools/recorder"
)

// TestGin: gin does not set Request.Pattern; a middleware hands
// c.FullPath() to recorder.SetRoute and the request events are named by
// route, not by raw path.
func TestGin(t *testing.T) {
	gin.SetMode(gin.TestMode)
	rec := newRecorder(t)

	r := gin.New()
	r.Use(func(c *gin.Context) {
		recorder.SetRoute(c.Request.Context(), c.FullPath())
		c.Next()
	})
	r.GET("/users/:id/orders/:order", func(c *gin.Context) { c.Status(http.StatusNoContent) })
	r.GET("/files/*filepath", func(c *gin.Context) { c.String(http.StatusOK, c.Param("filepath")) })

	names := requestNames(t, rec, r, "/users/42/orders/7", "/users/43/orders/8", "/files/a/b.txt", "/nowhere")
	checkNames(t, names, map[string]string{
		"/users/42/orders/7": "GET /users/{id}/orders/{order}",
		"/users/43/orders/8": "GET /users/{id}/orders/{order}",
		"/files/a/b.txt":     "GET /files/{filepath...}",
		"/nowhere":           "GET /nowhere", // no route matched: FullPath is empty
	})
}
