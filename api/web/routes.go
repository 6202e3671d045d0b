package web

import (
	"slices"

	"github.com/labstack/echo/v4"
)

// Routes registers routes with shared middleware on each route. Echo's group middleware would
// add a catch-all route that turns every wrong method into 404 instead of 405.
type Routes struct {
	group *echo.Group
	mw    []echo.MiddlewareFunc
}

// NewRoutes returns routes under g that all run mw first.
func NewRoutes(g *echo.Group, mw ...echo.MiddlewareFunc) Routes { return Routes{group: g, mw: mw} }

func (r Routes) add(method, path string, h echo.HandlerFunc, mw []echo.MiddlewareFunc) {
	r.group.Add(method, path, h, append(slices.Clone(r.mw), mw...)...)
}

// GET registers a GET route.
func (r Routes) GET(path string, h echo.HandlerFunc, mw ...echo.MiddlewareFunc) {
	r.add("GET", path, h, mw)
}

// POST registers a POST route.
func (r Routes) POST(path string, h echo.HandlerFunc, mw ...echo.MiddlewareFunc) {
	r.add("POST", path, h, mw)
}

// PATCH registers a PATCH route.
func (r Routes) PATCH(path string, h echo.HandlerFunc, mw ...echo.MiddlewareFunc) {
	r.add("PATCH", path, h, mw)
}

// DELETE registers a DELETE route.
func (r Routes) DELETE(path string, h echo.HandlerFunc, mw ...echo.MiddlewareFunc) {
	r.add("DELETE", path, h, mw)
}

// PUT registers a PUT route.
func (r Routes) PUT(path string, h echo.HandlerFunc, mw ...echo.MiddlewareFunc) {
	r.add("PUT", path, h, mw)
}
