// Package redisx is Rapport's one user of Redis, which makes instances agree: it keeps the rate
// limits' buckets for all of them (GCRA, through redis_rate; see Limits) and carries invalidations
// of cached users and API keys to every instance (pub/sub; see Invalidations). Neither is needed
// for correctness on one instance, so a Redis that does not answer degrades each to what one
// instance does alone, never to an error.
package redisx

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Client is a connection pool to one Redis, whose keys and channels start with a prefix.
type Client struct {
	rdb    *redis.Client
	prefix string
	// ctx ends at Close, stopping the subscribers, which wg waits for.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Open returns a client of the Redis at url (redis://[user:password@]host:port/db, or rediss://
// for TLS) whose keys and channels start with prefix. It does not connect: a Redis that is down
// now is used once it is up. Unless the URL says otherwise, a command fails fast (1 s to connect,
// 500 ms to answer, no retries), because a limiter asks on every request and has memory to fall
// back on. go-redis's own log lines, which repeat the warnings logged here, go to log at debug
// level (go-redis has one logger per process).
func Open(url, prefix string, log *slog.Logger) (*Client, error) {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("redis url: %w", err)
	}
	if opt.DialTimeout == 0 {
		opt.DialTimeout = time.Second
	}
	if opt.ReadTimeout == 0 {
		opt.ReadTimeout = 500 * time.Millisecond
	}
	if opt.MaxRetries == 0 {
		opt.MaxRetries = -1 // a retried take could spend twice
	}
	opt.DialerRetries = 1
	redis.SetLogger(libraryLog{log})
	ctx, cancel := context.WithCancel(context.Background())
	return &Client{rdb: redis.NewClient(opt), prefix: prefix, ctx: ctx, cancel: cancel}, nil
}

// Close stops the subscribers and closes the connections.
func (c *Client) Close() error {
	c.cancel()
	c.wg.Wait()
	return c.rdb.Close()
}

// Ping reports whether Redis answers.
func (c *Client) Ping(ctx context.Context) error { return c.rdb.Ping(ctx).Err() }

type libraryLog struct{ log *slog.Logger }

func (l libraryLog) Printf(ctx context.Context, format string, v ...any) {
	l.log.DebugContext(ctx, fmt.Sprintf(format, v...), "component", "go-redis")
}
