package api_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/rapportcrm/rapport/api/apitest"
	"github.com/rapportcrm/rapport/pkg/redisx/redistest"
)

// Instances that agree through Redis: two (or three) routers from cmd/rapport/app over one
// database, each with its own caches and memory, sharing the test Redis under a prefix of the
// test's own.

const (
	fallbacks  = "rapport_ratelimit_fallbacks_total"
	received   = "rapport_auth_invalidations_received_total"
	subscribed = "rapport_auth_invalidations_subscribed"
)

// pair returns two instances over one database that share the test Redis.
func pair(t *testing.T, o apitest.Options) (*apitest.Env, *apitest.Env) {
	t.Helper()
	o.RedisURL, o.RedisPrefix = redistest.URL(t), redistest.Prefix(t)
	one := apitest.NewWith(t, o)
	return one, one.Sibling(t, o)
}

// waitUntil polls cond until it holds, and fails after a generous while. It waits for an event
// that crosses Redis (a message, a reconnection); it does not time it.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after 30 s", what)
		}
	}
}

// answered sends r, fails the test unless one of want answers (none is a 5xx), and returns it.
func answered(t *testing.T, env *apitest.Env, r apitest.Req, want ...int) int {
	t.Helper()
	res := env.Do(t, r)
	for _, w := range want {
		if res.Code == w {
			return res.Code
		}
	}
	t.Fatalf("%s %s: %d, want one of %v: %s", r.Method, r.Path, res.Code, want, res.Body)
	return 0
}

// TestLimitsHoldAcrossInstances: each documented limit holds across two instances, not twice
// over, and the RateLimit-* headers describe the one shared bucket.
func TestLimitsHoldAcrossInstances(t *testing.T) {
	t.Run("requests per credential", func(t *testing.T) {
		one, two := pair(t, apitest.Options{RateLimit: 0.001, RateBurst: 10})
		owner := one.Signup(t, "Acme") // the /me in it spends one of the owner's 10 tokens
		allowed, last := 0, 9
		for i := range 20 {
			res := []*apitest.Env{one, two}[i%2].Do(t, apitest.Req{Method: "GET", Path: "/v1/me", Token: owner.Access})
			remaining, _ := strconv.Atoi(res.Header.Get("RateLimit-Remaining"))
			switch {
			case res.Header.Get("RateLimit-Limit") != "10":
				t.Fatalf("request %d: RateLimit-Limit %q", i, res.Header.Get("RateLimit-Limit"))
			case res.Code == http.StatusOK && remaining == last-1:
				allowed, last = allowed+1, remaining
			case res.Code == http.StatusTooManyRequests && remaining == 0 && res.Header.Get("Retry-After") != "":
			default:
				t.Fatalf("request %d on instance %d: %d, RateLimit-Remaining %d after %d", i, i%2+1, res.Code, remaining, last)
			}
		}
		if allowed != 9 {
			t.Fatalf("%d requests allowed across two instances, want the burst of 10 less the signup's one", allowed)
		}
	})
	t.Run("failed credentials per address", func(t *testing.T) {
		one, two := pair(t, apitest.Options{AuthFailures: 3})
		bad := apitest.Req{Method: "GET", Path: "/v1/customers", Token: "rpk_unknownkeyunknownkeyunknownkey", RemoteAddr: "198.51.100.7:4000"}
		for _, env := range []*apitest.Env{one, two, one} {
			answered(t, env, bad, http.StatusUnauthorized)
		}
		for _, env := range []*apitest.Env{two, one} {
			answered(t, env, bad, http.StatusTooManyRequests)
		}
	})
	t.Run("sign-ins per account", func(t *testing.T) {
		one, two := pair(t, apitest.Options{LoginAttempts: 2})
		owner := one.Signup(t, "Acme")
		for i, env := range []*apitest.Env{one, two} {
			answered(t, env, apitest.Req{Method: "POST", Path: "/v1/auth/login", RemoteAddr: fmt.Sprintf("198.51.100.%d:1", i+1),
				Body: map[string]string{"email": owner.Email, "password": "wrong password"}}, http.StatusUnauthorized)
		}
		answered(t, one, apitest.Req{Method: "POST", Path: "/v1/auth/login", RemoteAddr: "198.51.100.9:1",
			Body: map[string]string{"email": owner.Email, "password": owner.Password}}, http.StatusTooManyRequests)
	})
	t.Run("sign-ins per address", func(t *testing.T) {
		one, two := pair(t, apitest.Options{LoginAttempts: 1}) // 5 failures per address
		for i := range 5 {
			answered(t, []*apitest.Env{one, two}[i%2], apitest.Req{Method: "POST", Path: "/v1/auth/login", RemoteAddr: "198.51.100.7:1",
				Body: map[string]string{"email": fmt.Sprintf("nobody%d@example.com", i), "password": "wrong password"}}, http.StatusUnauthorized)
		}
		answered(t, two, apitest.Req{Method: "POST", Path: "/v1/auth/login", RemoteAddr: "198.51.100.7:1",
			Body: map[string]string{"email": "somebody@example.com", "password": "wrong password"}}, http.StatusTooManyRequests)
	})
}

// TestRevocationsReachEveryInstance: a role change, a deactivation and a key's revocation made
// through one instance end what another instance had cached as soon as the invalidation reaches
// it, although its cache would keep the old copy an hour; without Redis it keeps it.
func TestRevocationsReachEveryInstance(t *testing.T) {
	one, two := pair(t, apitest.Options{AuthCacheTTL: time.Hour})
	owner := one.Signup(t, "Acme")
	agent := one.AddUser(t, owner, "agent@acme.example", "agent")
	customer := func(i int) map[string]string { return map[string]string{"email": fmt.Sprintf("c%d@example.com", i)} }

	// change makes a change through instance one, then waits until instance two has received its
	// invalidation; what instance two answered right away is logged, not asserted: pub/sub is
	// asynchronous, by a message's flight.
	change := func(t *testing.T, r apitest.Req, want int, probe apitest.Req) {
		t.Helper()
		before := two.Metric(t, received)
		answered(t, one, r, want)
		t.Logf("instance two right after the change: %d", two.Do(t, probe).Code)
		waitUntil(t, "instance two receives the invalidation", func() bool { return two.Metric(t, received) > before })
	}

	t.Run("a role change", func(t *testing.T) {
		write := apitest.Req{Method: "POST", Path: "/v1/customers", Token: agent.Access, Body: customer(1)}
		answered(t, two, write, http.StatusCreated) // instance two caches the agent
		write.Body = customer(2)
		change(t, apitest.Req{Method: "PATCH", Path: "/v1/users/" + agent.UserID, Token: owner.Access, Body: map[string]string{"role": "viewer"}}, http.StatusOK, write)
		write.Body = customer(3)
		answered(t, two, write, http.StatusForbidden)
	})
	t.Run("a deactivation", func(t *testing.T) {
		me := apitest.Req{Method: "GET", Path: "/v1/me", Token: agent.Access}
		answered(t, two, me, http.StatusOK)
		change(t, apitest.Req{Method: "PATCH", Path: "/v1/users/" + agent.UserID, Token: owner.Access, Body: map[string]any{"active": false}}, http.StatusOK, me)
		answered(t, two, me, http.StatusUnauthorized)
	})
	t.Run("a revoked API key", func(t *testing.T) {
		created := one.Expect(t, owner.Access, "POST", "/v1/api-keys", map[string]any{"name": "sync", "scopes": []string{"customers:read"}}, http.StatusCreated)
		list := apitest.Req{Method: "GET", Path: "/v1/customers", Token: created["secret"].(string)}
		answered(t, two, list, http.StatusOK)
		change(t, apitest.Req{Method: "DELETE", Path: "/v1/api-keys/" + created["id"].(string), Token: owner.Access}, http.StatusNoContent, list)
		answered(t, two, list, http.StatusUnauthorized)
	})
	t.Run("without Redis the TTL applies", func(t *testing.T) {
		alone := apitest.NewWith(t, apitest.Options{AuthCacheTTL: time.Hour})
		other := alone.Sibling(t, apitest.Options{AuthCacheTTL: time.Hour})
		boss := alone.Signup(t, "Solo")
		user := alone.AddUser(t, boss, "user@solo.example", "agent")
		me := apitest.Req{Method: "GET", Path: "/v1/me", Token: user.Access}
		answered(t, other, me, http.StatusOK)
		answered(t, alone, apitest.Req{Method: "PATCH", Path: "/v1/users/" + user.UserID, Token: boss.Access, Body: map[string]any{"active": false}}, http.StatusOK)
		answered(t, alone, me, http.StatusUnauthorized)
		answered(t, other, me, http.StatusOK) // its cached copy, until the TTL
	})
}

// TestLimitsOutliveRedis: with Redis gone, two instances that were sharing it (and a third that
// starts while it is down) still limit every caller, each on its own, answering 2xx or 429 and
// never a 5xx, and each logs one warning; once Redis is back their limits are shared again and
// invalidations reach them again.
func TestLimitsOutliveRedis(t *testing.T) {
	srv := redistest.Start(t)
	// A reply slower than the read timeout counts in Redis but falls back to memory; on a loaded
	// machine that would spend the shared burst unseen, so the test waits for every reply.
	o := apitest.Options{RateLimit: 0.001, RateBurst: 5, RedisURL: srv.URL() + "?read_timeout=10s", RedisPrefix: redistest.Prefix(t)}
	var logs [3]redistest.Logs
	instance := func(i int, first *apitest.Env) *apitest.Env {
		o := o
		o.Log = logs[i].Logger()
		if first == nil {
			return apitest.NewWith(t, o)
		}
		return first.Sibling(t, o)
	}
	one := instance(0, nil)
	two := instance(1, one)
	owner := one.Signup(t, "Acme")
	viewer := one.AddUser(t, owner, "viewer@acme.example", "viewer")
	me := apitest.Req{Method: "GET", Path: "/v1/me", Token: viewer.Access}

	srv.Stop()
	three := instance(2, one) // starts with Redis down
	envs := []*apitest.Env{one, two, three}
	for i, env := range envs {
		allowed := 0
		for range 8 {
			if answered(t, env, me, http.StatusOK, http.StatusTooManyRequests) == http.StatusOK {
				allowed++
			}
		}
		if allowed != 5 {
			t.Fatalf("Redis down: instance %d allowed %d of 8 requests, want its own burst of 5", i+1, allowed)
		}
		if env.Metric(t, fallbacks) == 0 {
			t.Errorf("instance %d counted no fallback", i+1)
		}
	}
	for i := range logs {
		if n := logs[i].Count(slog.LevelWarn, "rate limits are kept per instance"); n != 1 {
			t.Errorf("instance %d logged %d rate-limit warnings, want 1: %v", i+1, n, logs[i].Messages(slog.LevelWarn))
		}
		t.Logf("instance %d logged while Redis was down: %v", i+1, logs[i].Messages(slog.LevelWarn))
	}

	srv.Start() // empty: every bucket is full again
	for i, env := range envs {
		// An instance tries Redis again a second after it last failed; a request it answers
		// without a fallback was counted in Redis (its own bucket spent, the answer 200).
		waitUntil(t, fmt.Sprintf("instance %d limits through Redis again", i+1), func() bool {
			before := env.Metric(t, fallbacks)
			code := answered(t, env, me, http.StatusOK, http.StatusTooManyRequests)
			return env.Metric(t, fallbacks) == before && code == http.StatusOK
		})
	}
	allowed := 0
	for i := range 6 {
		if answered(t, envs[i%3], me, http.StatusOK, http.StatusTooManyRequests) == http.StatusOK {
			allowed++
		}
	}
	if allowed != 2 {
		t.Fatalf("Redis back: %d more requests allowed across three instances after three, want 2 (a shared burst of 5)", allowed)
	}

	// The subscribers are back too: a deactivation through one reaches the others.
	for i, env := range envs[1:] {
		waitUntil(t, fmt.Sprintf("instance %d subscribed again", i+2), func() bool { return env.Metric(t, subscribed) == 1 })
		answered(t, env, me, http.StatusTooManyRequests) // authenticated, so cached, then limited
	}
	before := []float64{two.Metric(t, received), three.Metric(t, received)}
	answered(t, one, apitest.Req{Method: "PATCH", Path: "/v1/users/" + viewer.UserID, Token: owner.Access, Body: map[string]any{"active": false}}, http.StatusOK)
	for i, env := range envs[1:] {
		waitUntil(t, fmt.Sprintf("instance %d receives the invalidation", i+2), func() bool { return env.Metric(t, received) > before[i] })
		answered(t, env, me, http.StatusUnauthorized)
	}
}
