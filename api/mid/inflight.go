package mid

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/semaphore"

	"github.com/rapportcrm/rapport/pkg/apperr"
)

const idleKey = "rapport.idle"

var errOverloaded = apperr.New(apperr.KindUnavailable, "the server is working at its capacity and its queue is full; retry shortly")

// Capacity is how many requests InFlight works at once (Limit), and how many more wait for a
// slot (Queue), each for how long at most (Wait).
type Capacity struct {
	Limit, Queue int
	Wait         time.Duration
}

// InFlight caps the requests worked at once at c.Limit. Past it, up to c.Queue requests wait in
// turn, each at most c.Wait, for a slot; the others, and those whose wait runs out, are answered 503 with
// Retry-After at once. Beyond what the cores and the database pool can work, more concurrency only
// makes every request slower and the pool's queue longer: answering the excess at once keeps the
// latency of the rest flat and tells clients to back off. A request that waits on something else
// than the server (a long poll) gives its slot back meanwhile (Idle).
func InFlight(c Capacity, reg prometheus.Registerer) echo.MiddlewareFunc {
	slots := semaphore.NewWeighted(int64(c.Limit))
	var working, waiting atomic.Int64
	refused := prometheus.NewCounter(prometheus.CounterOpts{Name: "rapport_http_overload_refusals_total",
		Help: "Requests answered 503 because the requests in flight were at RAPPORT_MAX_IN_FLIGHT and the queue was full or too slow."})
	reg.MustRegister(refused,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "rapport_http_requests_in_flight", Help: "API requests being worked now."},
			func() float64 { return float64(working.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "rapport_http_requests_queued", Help: "API requests waiting for a slot."},
			func() float64 { return float64(waiting.Load()) }))
	admit := func(ctx context.Context) error {
		if !slots.TryAcquire(1) {
			if waiting.Add(1) > int64(c.Queue) {
				waiting.Add(-1)
				refused.Inc()
				return errOverloaded
			}
			ctx, cancel := context.WithTimeout(ctx, c.Wait)
			err := slots.Acquire(ctx, 1)
			cancel()
			waiting.Add(-1)
			if err != nil {
				refused.Inc()
				return errOverloaded
			}
		}
		working.Add(1)
		return nil
	}
	leave := func() {
		working.Add(-1)
		slots.Release(1)
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			ctx := c.Request().Context()
			if err := admit(ctx); err != nil {
				return err
			}
			held := true
			defer func() {
				if held {
					leave()
				}
			}()
			c.Set(idleKey, func(fn func()) {
				leave()
				held = false
				fn()
				// Admitted once, the request waits its turn for as long as it lives.
				if slots.Acquire(ctx, 1) == nil {
					working.Add(1)
					held = true
				}
			})
			return next(c)
		}
	}
}

// Idle answers how a handler runs a wait that needs neither the cores nor the database (a long
// poll's pause between reads): through it, the request's InFlight slot is free meanwhile.
func Idle(c echo.Context) func(wait func()) {
	if idle, ok := c.Get(idleKey).(func(func())); ok {
		return idle
	}
	return func(wait func()) { wait() }
}
