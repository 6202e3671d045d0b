package redisx

import "context"

// Keys lists c's keys that match pattern, for tests that look at what is kept in Redis.
func Keys(ctx context.Context, c *Client, pattern string) ([]string, error) {
	return c.rdb.Keys(ctx, pattern).Result()
}
