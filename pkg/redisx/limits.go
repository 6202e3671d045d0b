package redisx

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/go-redis/redis_rate/v10"

	"github.com/rapportcrm/rapport/pkg/ratelimit"
)

// Limits keeps rate-limit buckets in Redis, one key per bucket, with the generic cell rate
// algorithm of redis_rate: a bucket is one timestamp, updated by a Lua script on Redis's clock,
// so every instance sees the same bucket and none's clock matters. A key is
// rate:PREFIX:rl:LIMITER:HASH (redis_rate puts its rate: first), expiring when the bucket is
// full again; HASH is of the caller's key, so that no email or address is kept in Redis.
type Limits struct {
	rl     *redis_rate.Limiter
	prefix string
}

// Limits returns the client's rate-limit store.
func (c *Client) Limits() *Limits {
	return &Limits{rl: redis_rate.NewLimiter(c.rdb), prefix: c.prefix + ":rl:"}
}

var _ ratelimit.Shared = (*Limits)(nil)

// Take spends one token of key's bucket if there is one.
func (l *Limits) Take(ctx context.Context, limiter, key string, r ratelimit.Rate) (ratelimit.Decision, error) {
	res, err := l.rl.Allow(ctx, l.key(limiter, key), gcra(r))
	if err != nil {
		return ratelimit.Decision{}, fmt.Errorf("take from %s: %w", limiter, err)
	}
	return decision(res.Allowed > 0, res, r), nil
}

// Check reports whether key's bucket has a token, without spending it: redis_rate's AllowAtMost
// of zero tokens answers whether one is left (Remaining is at least one) and, if none is, when
// one will be; it writes back the same timestamp.
func (l *Limits) Check(ctx context.Context, limiter, key string, r ratelimit.Rate) (ratelimit.Decision, error) {
	res, err := l.rl.AllowAtMost(ctx, l.key(limiter, key), gcra(r), 0)
	if err != nil {
		return ratelimit.Decision{}, fmt.Errorf("check %s: %w", limiter, err)
	}
	return decision(res.Remaining >= 1, res, r), nil
}

func (l *Limits) key(limiter, key string) string {
	sum := sha256.Sum256([]byte(key))
	return l.prefix + limiter + ":" + hex.EncodeToString(sum[:16])
}

// gcra expresses a rate as redis_rate counts it, whole requests per period: one per
// 1/PerSecond seconds is any rate, fractional ones included.
func gcra(r ratelimit.Rate) redis_rate.Limit {
	return redis_rate.Limit{Rate: 1, Burst: r.Burst, Period: time.Duration(float64(time.Second) / r.PerSecond)}
}

func decision(allowed bool, res *redis_rate.Result, r ratelimit.Rate) ratelimit.Decision {
	d := ratelimit.Decision{Allowed: allowed, Limit: r.Burst, Remaining: res.Remaining, Reset: max(0, res.ResetAfter)}
	if !allowed {
		d.RetryAfter = max(0, res.RetryAfter)
	}
	return d
}
