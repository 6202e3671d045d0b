package storage_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/rapportcrm/rapport/pkg/auth"
	"github.com/rapportcrm/rapport/pkg/event"
	"github.com/rapportcrm/rapport/pkg/feed"
	"github.com/rapportcrm/rapport/pkg/storage/storagetest"
)

// BenchmarkFeed: 8 writers commit b.N events in transactions of feedBatch while a follower reads
// the organization's feed (the store, 500 at a time, polling every millisecond when nothing is
// ready). It reports the events written and followed per second, and the lag from a transaction's
// commit to the follower reading its events. On PostgreSQL (RAPPORT_TEST_DATABASE_URL):
//
//	go test -run '^$' -bench BenchmarkFeed -benchtime 4000x ./pkg/storage/
func BenchmarkFeed(b *testing.B) {
	const writers, feedBatch = 8, 2
	db := storagetest.New(b)
	ctx, org, now := context.Background(), newID(), event.Now()
	if err := db.AuthStore().CreateOrganization(ctx, auth.Organization{ID: org, Name: "Bench", Currency: "EUR", CreatedAt: now, UpdatedAt: now}); err != nil {
		b.Fatal(err)
	}
	store := db.FeedStore()
	start, err := store.Read(ctx, feed.Query{OrgID: org, Types: []string{}})
	if err != nil {
		b.Fatal(err)
	}
	var mu sync.Mutex
	committed, seenAt := make(map[uuid.UUID]time.Time, b.N), make(map[uuid.UUID]time.Time, b.N)
	b.ResetTimer()
	began := time.Now()
	done := make(chan error, 1)
	go func() { // the follower
		after, seen := start.End, 0
		for seen < b.N {
			batch, err := store.Read(ctx, feed.Query{OrgID: org, After: after, Limit: 500})
			if err != nil {
				done <- err
				return
			}
			now := time.Now()
			for _, e := range batch.Entries {
				seenAt[e.ID], after = now, e.Position
			}
			seen += len(batch.Entries)
			if !batch.More {
				if after.Less(batch.End) {
					after = batch.End
				}
				if len(batch.Entries) == 0 {
					time.Sleep(time.Millisecond)
				}
			}
		}
		done <- nil
	}()
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w * feedBatch; i < b.N; i += writers * feedBatch {
				events := make([]event.Event, min(feedBatch, b.N-i))
				for k := range events {
					events[k] = event.New(actor(org), "customer.updated", "customer", newID())
				}
				err := db.InTx(ctx, func(ctx context.Context) error { return store.RecordEvents(ctx, events) })
				if err != nil {
					b.Error(err)
					return
				}
				at := time.Now()
				mu.Lock()
				for _, e := range events {
					committed[e.ID] = at
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	elapsed := time.Since(began)
	b.StopTimer()
	lags := make([]time.Duration, 0, b.N)
	for id, at := range seenAt {
		lags = append(lags, max(at.Sub(committed[id]), 0)) // a commit noted after the follower read it: 0
	}
	slices.Sort(lags)
	pct := func(p float64) float64 { return float64(lags[int(p*float64(len(lags)-1))].Microseconds()) / 1000 }
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	b.ReportMetric(pct(0.5), "lag-p50-ms")
	b.ReportMetric(pct(0.99), "lag-p99-ms")
	b.ReportMetric(pct(1), "lag-max-ms")
}
