package ratelimit

import (
	"context"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Memory keeps a token bucket per key in this process's memory, refilled at rate tokens a second
// up to burst.
type Memory struct {
	rate  rate.Limit
	burst int
	idle  time.Duration

	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// New returns an in-memory limiter allowing perSecond requests a second with bursts of burst.
func New(perSecond float64, burst int) *Memory {
	idle := time.Duration(float64(burst)/perSecond*float64(time.Second)) + time.Minute
	return &Memory{rate: rate.Limit(perSecond), burst: burst, idle: idle, buckets: map[string]*bucket{}}
}

func (l *Memory) get(key string, now time.Time) *rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > l.idle {
		for k, b := range l.buckets {
			if now.Sub(b.seen) > l.idle {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{lim: rate.NewLimiter(l.rate, l.burst)}
		l.buckets[key] = b
	}
	b.seen = now
	return b.lim
}

// Take spends one token of key's bucket if there is one.
func (l *Memory) Take(_ context.Context, key string) Decision {
	now := time.Now()
	lim := l.get(key, now)
	allowed := lim.AllowN(now, 1)
	return l.decision(lim, now, allowed)
}

// Check reports whether key has a token left, without spending it.
func (l *Memory) Check(_ context.Context, key string) Decision {
	now := time.Now()
	lim := l.get(key, now)
	return l.decision(lim, now, lim.TokensAt(now) >= 1)
}

func (l *Memory) decision(lim *rate.Limiter, now time.Time, allowed bool) Decision {
	tokens := lim.TokensAt(now)
	d := Decision{Allowed: allowed, Limit: l.burst, Remaining: max(0, int(math.Floor(tokens)))}
	d.Reset = l.until(float64(l.burst) - tokens)
	if !allowed {
		d.RetryAfter = l.until(1 - tokens)
	}
	return d
}

func (l *Memory) until(tokens float64) time.Duration {
	if tokens <= 0 {
		return 0
	}
	return time.Duration(tokens / float64(l.rate) * float64(time.Second))
}

var _ Limiter = (*Memory)(nil)
