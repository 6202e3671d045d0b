// Package opsapi serves what operators, tooling and developers need, without auth and outside /v1:
// health, readiness, Prometheus metrics, the OpenAPI document, the interactive reference that
// shows it, and the pages that explain each problem type.
package opsapi

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Register mounts the operations routes on the root; /metrics only when metrics is true (it may be
// served on a port of its own, see Metrics).
func Register(e *echo.Echo, db Pinger, reg *prometheus.Registry, metrics bool) {
	e.GET("/healthz", healthz)
	e.GET("/readyz", readyz(db))
	if metrics {
		e.GET("/metrics", echo.WrapHandler(Metrics(reg)))
	}
	e.GET("/openapi.json", openAPI)
	for _, path := range []string{"/docs", "/docs/", "/docs/index.html"} {
		e.GET(path, docsPage)
	}
	e.GET("/docs/:asset", docsAsset)
	e.GET("/problems", problemIndex)
	e.GET("/problems/", problemIndex)
	e.GET("/problems/:slug", problemPage)
}

// Metrics serves the registry in Prometheus' format.
func Metrics(reg *prometheus.Registry) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})
}
