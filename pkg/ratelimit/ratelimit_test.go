package ratelimit

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

func TestBucketPerKey(t *testing.T) {
	ctx := t.Context()
	l := New(0.001, 3)
	for i := range 3 {
		if d := l.Take(ctx, "a"); !d.Allowed || d.Remaining != 2-i {
			t.Fatalf("take %d: %+v", i, d)
		}
	}
	if d := l.Check(ctx, "a"); d.Allowed {
		t.Fatalf("check after the burst: %+v", d)
	}
	d := l.Take(ctx, "a")
	if d.Allowed || d.RetryAfter <= 0 || d.Reset < d.RetryAfter || d.Limit != 3 {
		t.Fatalf("over the burst: %+v", d)
	}
	if d := l.Check(ctx, "b"); !d.Allowed || d.Remaining != 3 {
		t.Fatalf("another key has its own bucket, and Check spends nothing: %+v", d)
	}
}

// store is a shared store that can be switched off; while on, it answers from its own memory
// buckets, standing for Redis (pkg/redisx tests the real one).
type store struct {
	mu   sync.Mutex
	down bool
	mem  map[string]*Memory
}

func (s *store) bucket(limiter string, r Rate) (*Memory, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down {
		return nil, errors.New("connection refused")
	}
	if s.mem[limiter] == nil {
		s.mem[limiter] = New(r.PerSecond, r.Burst)
	}
	return s.mem[limiter], nil
}

func (s *store) Take(ctx context.Context, limiter, key string, r Rate) (Decision, error) {
	m, err := s.bucket(limiter, r)
	if err != nil {
		return Decision{}, err
	}
	return m.Take(ctx, key), nil
}

func (s *store) Check(ctx context.Context, limiter, key string, r Rate) (Decision, error) {
	m, err := s.bucket(limiter, r)
	if err != nil {
		return Decision{}, err
	}
	return m.Check(ctx, key), nil
}

// TestClusterFallsBackToMemory: two instances share the store's buckets; while it is down each
// counts in its own memory (a limit still holds, per instance), one warning is logged, and the
// fallbacks are counted; once it is back, the buckets are shared again.
func TestClusterFallsBackToMemory(t *testing.T) {
	ctx := t.Context()
	shared := &store{mem: map[string]*Memory{}}
	var logs strings.Builder
	one := NewCluster(shared, slog.New(slog.NewTextHandler(&logs, nil)), prometheus.NewRegistry())
	two := NewCluster(shared, slog.New(slog.DiscardHandler), prometheus.NewRegistry())
	one.retry = 0 // probe the store on every request
	a, b := one.Limiter("requests", 0.001, 4), two.Limiter("requests", 0.001, 4)

	allowed := func(n int, ls ...Limiter) int {
		count := 0
		for i := range n {
			if ls[i%len(ls)].Take(ctx, "user:1").Allowed {
				count++
			}
		}
		return count
	}
	if got := allowed(10, a, b); got != 4 {
		t.Fatalf("shared: %d allowed across two instances, want the burst of 4", got)
	}
	shared.down = true
	if got := allowed(10, a); got != 4 {
		t.Fatalf("store down: %d allowed, want this instance's own burst of 4", got)
	}
	if n := strings.Count(logs.String(), "level=WARN"); n != 1 {
		t.Fatalf("%d warnings for one outage, want 1", n)
	}
	var m dto.Metric
	if err := one.fallbacks.WithLabelValues("requests").Write(&m); err != nil || m.GetCounter().GetValue() != 10 {
		n := m.GetCounter().GetValue()
		t.Fatalf("fallbacks counted: %v, want 10", n)
	}
	shared.down = false
	if d := a.Check(ctx, "user:1"); d.Allowed {
		t.Fatalf("store back: the shared bucket is still empty, yet %+v", d)
	}
	if d := a.Check(ctx, "user:2"); !d.Allowed || d.Remaining != 4 {
		t.Fatalf("store back: another key's shared bucket is full: %+v", d)
	}
	if strings.Count(logs.String(), "level=INFO") != 1 {
		t.Fatal("the end of the outage is not logged")
	}
}
