package mid

import (
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/rapportcrm/rapport/pkg/apperr"
	"github.com/rapportcrm/rapport/pkg/ratelimit"
)

var errRateLimited = apperr.New(apperr.KindRateLimited, "rate limit exceeded; retry after the time in Retry-After")

// RateLimit spends a token of the caller's bucket (the credential, or the client IP before
// authentication) and reports the bucket in RateLimit-* headers on every response.
func RateLimit(l ratelimit.Limiter) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			key := "ip:" + c.RealIP()
			if p := Principal(c); p.Kind != "" {
				key = p.Kind + ":" + p.ID().String()
			}
			d := l.Take(c.Request().Context(), key)
			if !d.Allowed {
				return rateLimited(c, d)
			}
			limitHeaders(c, d)
			return next(c)
		}
	}
}

// limitHeaders reports a bucket in RateLimit-* headers.
func limitHeaders(c echo.Context, d ratelimit.Decision) {
	h := c.Response().Header()
	h.Set("RateLimit-Limit", strconv.Itoa(d.Limit))
	h.Set("RateLimit-Remaining", strconv.Itoa(d.Remaining))
	h.Set("RateLimit-Reset", strconv.Itoa(int(d.Reset.Seconds()+0.999)))
}

// rateLimited is the 429 of a bucket with no token left, which the headers describe.
func rateLimited(c echo.Context, d ratelimit.Decision) error {
	limitHeaders(c, d)
	e := *errRateLimited
	e.RetryAfter = d.RetryAfter
	return &e
}
