package mid

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/sync/semaphore"

	"github.com/rapportcrm/rapport/pkg/apperr"
)

// budgetWait bounds how long a request waits for room in the body budget before it answers 503.
const budgetWait = 10 * time.Second

var errBudget = apperr.New(apperr.KindUnavailable, "the server is busy with large requests; retry shortly")

// BodyBudget bounds the request bodies in flight to total bytes: a request with a body holds its
// declared length (or, sent in chunks, limit, the most its route accepts) until it is answered,
// and waits for room when others hold it all. Reading, decoding and writing a body takes a few
// times its size, so the budget, not the number of requests, is what keeps a burst of 16 MB
// batches inside the process's memory.
func BodyBudget(total int64, limit func(echo.Context) int64) echo.MiddlewareFunc {
	budget := semaphore.NewWeighted(total)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			if req.Body == nil || req.Body == http.NoBody || req.ContentLength == 0 {
				return next(c)
			}
			weight := limit(c)
			if req.ContentLength > 0 && req.ContentLength < weight {
				weight = req.ContentLength
			}
			weight = min(weight, total)
			ctx, cancel := context.WithTimeout(req.Context(), budgetWait)
			defer cancel()
			if err := budget.Acquire(ctx, weight); err != nil {
				return errBudget
			}
			defer budget.Release(weight)
			return next(c)
		}
	}
}
