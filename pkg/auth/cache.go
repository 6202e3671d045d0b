package auth

import (
	"sync"
	"time"
)

// ttlCache remembers values for a short time. It spares the database a lookup of the caller on
// every request; a change made on another instance shows within the TTL, or at once when the
// instances carry invalidations (Config.Invalidations).
type ttlCache[K comparable, V any] struct {
	ttl     time.Duration
	mu      sync.Mutex
	entries map[K]ttlEntry[V]
}

type ttlEntry[V any] struct {
	value   V
	expires time.Time
}

// maxCacheEntries bounds memory; past it, expired entries are swept, and if none were, all go.
const maxCacheEntries = 100_000

func newTTLCache[K comparable, V any](ttl time.Duration) *ttlCache[K, V] {
	return &ttlCache[K, V]{ttl: ttl, entries: map[K]ttlEntry[V]{}}
}

func (c *ttlCache[K, V]) get(k K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[k]
	if !ok || time.Now().After(e.expires) {
		var zero V
		return zero, false
	}
	return e.value, true
}

func (c *ttlCache[K, V]) put(k K, v V) { c.putUntil(k, v, time.Now().Add(c.ttl)) }

// putUntil remembers v until expires, or for the TTL if that is sooner.
func (c *ttlCache[K, V]) putUntil(k K, v V, expires time.Time) {
	if c.ttl <= 0 {
		return
	}
	now := time.Now()
	if latest := now.Add(c.ttl); expires.After(latest) {
		expires = latest
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= maxCacheEntries {
		for key, e := range c.entries {
			if now.After(e.expires) {
				delete(c.entries, key)
			}
		}
		if len(c.entries) >= maxCacheEntries {
			clear(c.entries)
		}
	}
	c.entries[k] = ttlEntry[V]{value: v, expires: expires}
}

func (c *ttlCache[K, V]) forget(k K) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, k)
}

func (c *ttlCache[K, V]) forgetWhere(match func(V) bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.entries {
		if match(e.value) {
			delete(c.entries, k)
		}
	}
}

func (c *ttlCache[K, V]) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.entries)
}
