package redisx_test

import (
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rapportcrm/rapport/pkg/auth"
	"github.com/rapportcrm/rapport/pkg/ratelimit"
	"github.com/rapportcrm/rapport/pkg/redisx"
	"github.com/rapportcrm/rapport/pkg/redisx/redistest"
)

// TestLimitsAreShared: two clients (two instances) spend from one bucket; Check spends nothing;
// the decision says what the in-memory limiter would.
func TestLimitsAreShared(t *testing.T) {
	url, prefix := redistest.URL(t), redistest.Prefix(t)
	one, two := redistest.Open(t, url, prefix).Limits(), redistest.Open(t, url, prefix).Limits()
	ctx := t.Context()
	r := ratelimit.Rate{PerSecond: 0.001, Burst: 3}
	for i, l := range []*redisx.Limits{one, two, one} {
		d, err := l.Take(ctx, "requests", "user:1", r)
		if err != nil || !d.Allowed || d.Remaining != 2-i || d.Limit != 3 || d.RetryAfter != 0 || d.Reset <= 0 {
			t.Fatalf("take %d: %+v %v", i, d, err)
		}
	}
	if d, err := two.Check(ctx, "requests", "user:1", r); err != nil || d.Allowed || d.Remaining != 0 || d.RetryAfter <= 0 {
		t.Fatalf("check after the burst, from the other instance: %+v %v", d, err)
	}
	d, err := two.Take(ctx, "requests", "user:1", r)
	if err != nil || d.Allowed || d.RetryAfter <= 0 || d.Reset < d.RetryAfter {
		t.Fatalf("over the burst: %+v %v", d, err)
	}
	for range 3 {
		if d, err := one.Check(ctx, "requests", "user:2", r); err != nil || !d.Allowed || d.Remaining != 3 {
			t.Fatalf("another key has its own bucket, and Check spends nothing: %+v %v", d, err)
		}
	}
	if d, _ := one.Take(ctx, "auth-failures", "user:1", r); !d.Allowed {
		t.Fatalf("another limiter has its own buckets: %+v", d)
	}
	// A fast rate refills between requests, as in memory.
	fast := ratelimit.Rate{PerSecond: 1e6, Burst: 1}
	for i := range 3 {
		if d, _ := one.Take(ctx, "fast", "k", fast); !d.Allowed {
			t.Fatalf("take %d at a million a second: %+v", i, d)
		}
	}
}

// invalidations records what a subscriber was told.
type invalidations struct {
	mu       sync.Mutex
	got      []auth.Invalidation
	forgot   int // forgetAll calls
	received chan struct{}
}

func newInvalidations() *invalidations { return &invalidations{received: make(chan struct{}, 100)} }

func (r *invalidations) forget(inv auth.Invalidation) {
	r.mu.Lock()
	r.got = append(r.got, inv)
	r.mu.Unlock()
	r.received <- struct{}{}
}

func (r *invalidations) forgetAll() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.forgot++
}

func (r *invalidations) snapshot() ([]auth.Invalidation, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]auth.Invalidation(nil), r.got...), r.forgot
}

func (r *invalidations) wait(t *testing.T, what string) {
	t.Helper()
	select {
	case <-r.received:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s never arrived", what)
	}
}

// TestInvalidationsReachEveryInstance: what one instance publishes, the others receive; a
// subscriber that loses Redis subscribes again when it is back, forgetting everything then, since
// it may have missed invalidations in between.
func TestInvalidationsReachEveryInstance(t *testing.T) {
	srv := redistest.Start(t)
	prefix := redistest.Prefix(t)
	logs := &redistest.Logs{}
	pub := redistest.Open(t, srv.URL(), prefix).Invalidations(logs.Logger(), prometheus.NewRegistry())
	sub := newInvalidations()
	redistest.Open(t, srv.URL(), prefix).Invalidations(slog.New(slog.DiscardHandler), prometheus.NewRegistry()).Subscribe(sub.forget, sub.forgetAll)
	if _, forgot := sub.snapshot(); forgot != 1 {
		t.Fatalf("Subscribe returned before the subscription was confirmed (%d forgetAll)", forgot)
	}
	user, key := uuid.New(), uuid.New()
	pub.Publish(t.Context(), auth.Invalidation{UserID: user})
	sub.wait(t, "the user's invalidation")
	pub.Publish(t.Context(), auth.Invalidation{APIKeyID: key})
	sub.wait(t, "the key's invalidation")
	if got, _ := sub.snapshot(); len(got) != 2 || got[0].UserID != user || got[1].APIKeyID != key || got[0].APIKeyID != uuid.Nil {
		t.Fatalf("received %+v", got)
	}

	srv.Stop()
	for range 3 {
		pub.Publish(t.Context(), auth.Invalidation{UserID: user}) // lost: never an error, one warning
	}
	if n := logs.Count(slog.LevelWarn, ""); n != 1 {
		t.Fatalf("%d warnings for three lost invalidations, want 1", n)
	}
	srv.Start()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, forgot := sub.snapshot(); forgot == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the subscriber did not subscribe again after Redis came back")
		}
	}
	pub.Publish(t.Context(), auth.Invalidation{UserID: user})
	sub.wait(t, "an invalidation after Redis came back")
}

// TestKeysAreNamespacedAndHashed: a limiter's key holds neither the email nor the address it
// counts, under the instance's prefix.
func TestKeysAreNamespacedAndHashed(t *testing.T) {
	url, prefix := redistest.URL(t), redistest.Prefix(t)
	c := redistest.Open(t, url, prefix)
	if _, err := c.Limits().Take(t.Context(), "login-account", "ada@acme.example", ratelimit.Rate{PerSecond: 1, Burst: 5}); err != nil {
		t.Fatal(err)
	}
	keys, err := redisx.Keys(t.Context(), c, "*"+prefix+"*")
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || !strings.HasPrefix(keys[0], "rate:"+prefix+":rl:login-account:") ||
		strings.Contains(strings.TrimPrefix(keys[0], "rate:"+prefix), "ada") { // the random prefix may spell it
		t.Fatalf("keys %v", keys)
	}
}
