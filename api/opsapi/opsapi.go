// Package opsapi serves what operators and tooling need, without auth and outside /v1: health,
// readiness, Prometheus metrics, the OpenAPI document and an interactive reference.
package opsapi

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	echoSwagger "github.com/swaggo/echo-swagger"

	"github.com/rapportcrm/rapport/docs"
)

// Pinger reports whether the database answers.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Status is the body of /healthz and /readyz.
type Status struct {
	Status string `json:"status"`
}

// Register mounts the operations routes on the root.
func Register(e *echo.Echo, db Pinger, reg *prometheus.Registry) {
	e.GET("/healthz", func(c echo.Context) error { return c.JSON(http.StatusOK, Status{"ok"}) })
	e.GET("/readyz", func(c echo.Context) error {
		if err := db.Ping(c.Request().Context()); err != nil {
			return err
		}
		return c.JSON(http.StatusOK, Status{"ready"})
	})
	e.GET("/metrics", echo.WrapHandler(promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})))
	e.GET("/openapi.json", func(c echo.Context) error { return c.Blob(http.StatusOK, "application/json", docs.OpenAPI) })
	redirect := func(c echo.Context) error { return c.Redirect(http.StatusMovedPermanently, "/docs/index.html") }
	e.GET("/docs", redirect)
	e.GET("/docs/", redirect)
	e.GET("/docs/*", echoSwagger.EchoWrapHandler(echoSwagger.URL("/openapi.json"), echoSwagger.DeepLinking(true), echoSwagger.PersistAuthorization(true)))
}
