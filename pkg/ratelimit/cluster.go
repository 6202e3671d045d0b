package ratelimit

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Rate is how fast a bucket refills and how many tokens it holds.
type Rate struct {
	PerSecond float64
	Burst     int
}

// Shared keeps buckets that every instance sees (Redis: pkg/redisx). Unlike a Limiter it can
// fail, and a Cluster then answers from memory.
type Shared interface {
	Take(ctx context.Context, limiter, key string, r Rate) (Decision, error)
	Check(ctx context.Context, limiter, key string, r Rate) (Decision, error)
}

// Cluster makes limiters whose buckets are kept in a Shared store, so that a limit holds across
// all instances. While the store fails they are kept in this instance's memory instead: each
// instance then allows the limit on its own (never no limit, never an error), one warning is
// logged per outage (at most one a minute), and rapport_ratelimit_fallbacks_total counts the
// decisions made so. After a failure the store is tried again once a second, so the limits are
// cluster-wide again soon after it is back.
type Cluster struct {
	shared    Shared
	log       *slog.Logger
	fallbacks *prometheus.CounterVec
	retry     time.Duration
	retryAt   atomic.Int64 // UnixNano from which the store is tried again; zero while it answers
	warned    atomic.Bool  // the current outage was logged
	warnings  *Memory      // at most one outage warning a minute
}

// retryEvery is how long limits stay in memory after the store failed before it is tried again;
// until then no request waits on a store that does not answer.
const retryEvery = time.Second

// NewCluster returns a Cluster over shared, logging to log and counting fallbacks in reg.
func NewCluster(shared Shared, log *slog.Logger, reg prometheus.Registerer) *Cluster {
	c := &Cluster{shared: shared, log: log, retry: retryEvery, warnings: New(1.0/60, 1),
		fallbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rapport_ratelimit_fallbacks_total",
			Help: "Rate-limit decisions taken in this instance's memory because Redis did not answer, by limiter.",
		}, []string{"limiter"})}
	reg.MustRegister(c.fallbacks)
	return c
}

// Limiter is the Cluster's Factory: a limiter whose buckets are shared while the store answers.
func (c *Cluster) Limiter(name string, perSecond float64, burst int) Limiter {
	return &clusterLimiter{c: c, name: name, rate: Rate{PerSecond: perSecond, Burst: burst},
		local: New(perSecond, burst), fallbacks: c.fallbacks.WithLabelValues(name)}
}

type clusterLimiter struct {
	c         *Cluster
	name      string
	rate      Rate
	local     *Memory
	fallbacks prometheus.Counter
}

func (l *clusterLimiter) Take(ctx context.Context, key string) Decision {
	return l.decide(ctx, key, l.c.shared.Take, l.local.Take)
}

func (l *clusterLimiter) Check(ctx context.Context, key string) Decision {
	return l.decide(ctx, key, l.c.shared.Check, l.local.Check)
}

func (l *clusterLimiter) decide(ctx context.Context, key string,
	shared func(context.Context, string, string, Rate) (Decision, error), local func(context.Context, string) Decision) Decision {
	if l.c.tryShared() {
		// A client that hangs up must not count as the store failing.
		d, err := shared(context.WithoutCancel(ctx), l.name, key, l.rate)
		if err == nil {
			l.c.answered()
			return d
		}
		l.c.failed(err)
	}
	l.fallbacks.Inc()
	return local(ctx, key)
}

// tryShared says whether to ask the store: always while it answers; after a failure, once per
// retry period (the request that wins the swap probes, the others use memory).
func (c *Cluster) tryShared() bool {
	at := c.retryAt.Load()
	if at == 0 {
		return true
	}
	now := time.Now().UnixNano()
	return now >= at && c.retryAt.CompareAndSwap(at, now+int64(c.retry))
}

func (c *Cluster) failed(err error) {
	if c.retryAt.Swap(time.Now().Add(c.retry).UnixNano()) != 0 {
		return // the outage goes on
	}
	if c.warnings.Take(context.Background(), "outage").Allowed {
		c.warned.Store(true)
		c.log.Warn("Redis does not answer: rate limits are kept per instance until it does", "error", err)
	}
}

func (c *Cluster) answered() {
	if c.retryAt.Load() != 0 && c.retryAt.Swap(0) != 0 && c.warned.Swap(false) {
		c.log.Info("Redis answers again: rate limits are cluster-wide")
	}
}
