// Package ratelimit is the one place that knows limits: the Limiter that the middleware and the
// auth service use, an in-memory implementation (each instance its own buckets), and a Cluster
// whose limiters keep their buckets in a store that every instance shares (Redis) while it answers
// and fall back to this instance's memory while it does not.
package ratelimit

import (
	"context"
	"time"
)

// Decision is the state of a key's bucket after a request.
type Decision struct {
	Allowed    bool
	Limit      int
	Remaining  int
	Reset      time.Duration // until the bucket is full again
	RetryAfter time.Duration // until the next request is allowed; zero when allowed
}

// Limiter holds a bucket per key (a credential, an IP, an account). It always answers: an
// implementation that can fail falls back to one that cannot.
type Limiter interface {
	// Take spends one token of key's bucket if there is one.
	Take(ctx context.Context, key string) Decision
	// Check reports whether key has a token left, without spending it.
	Check(ctx context.Context, key string) Decision
}

// Factory makes the limiter called name, refilled at perSecond tokens a second up to burst.
// Local and Cluster.Limiter are the two.
type Factory func(name string, perSecond float64, burst int) Limiter

// Local is the Factory of in-memory limiters: each instance counts alone.
func Local(_ string, perSecond float64, burst int) Limiter { return New(perSecond, burst) }
