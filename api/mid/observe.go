package mid

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics counts requests and their latency by route and status.
type Metrics struct {
	duration *prometheus.HistogramVec
}

// NewMetrics registers the request metrics.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "rapport_http_request_duration_seconds",
		Help:    "HTTP request latency by method, route pattern and status; its _count is the request count.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"method", "route", "status"})}
	reg.MustRegister(m.duration)
	return m
}

// Observe renders any error through the error handler first, so that the log line and the
// metrics see the status the client got; then it logs the request and records it.
func Observe(log *slog.Logger, m *Metrics) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			if err := next(c); err != nil {
				c.Error(err)
			}
			elapsed := time.Since(start)
			req, res := c.Request(), c.Response()
			route := c.Path()
			if route == "" {
				route = "unmatched"
			}
			m.duration.WithLabelValues(methodLabel(req.Method), route, strconv.Itoa(res.Status)).Observe(elapsed.Seconds())
			attrs := []slog.Attr{
				slog.String("request_id", res.Header().Get(echo.HeaderXRequestID)),
				slog.String("method", req.Method), slog.String("path", req.URL.Path), slog.String("route", route),
				slog.Int("status", res.Status), slog.Int64("bytes", res.Size), slog.Duration("duration", elapsed),
				slog.String("remote_ip", c.RealIP()),
			}
			if p := Principal(c); p.Kind != "" {
				attrs = append(attrs, slog.String("org_id", p.OrgID.String()), slog.String("actor", p.Kind+":"+p.ID().String()))
			}
			log.LogAttrs(req.Context(), slog.LevelInfo, "request", attrs...)
			return nil
		}
	}
}

// methodLabel bounds the method label to the methods HTTP defines: a client inventing methods must
// not invent metric series.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete,
		http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "other"
}

// Deadline bounds each request's context, so that a stuck database cannot hold a request forever.
func Deadline(d time.Duration) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			ctx, cancel := context.WithTimeout(c.Request().Context(), d)
			defer cancel()
			c.SetRequest(c.Request().WithContext(ctx))
			return next(c)
		}
	}
}

// contextWithoutCancel keeps the request's values but not its cancellation, bounded by d.
func contextWithoutCancel(c echo.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(c.Request().Context()), d)
}
