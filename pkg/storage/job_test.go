package storage_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/rapportcrm/rapport/pkg/auth"
	"github.com/rapportcrm/rapport/pkg/job"
	"github.com/rapportcrm/rapport/pkg/storage/storagetest"
)

// TestJobsRunOnce: runners of several instances racing for one job run it once; a job whose
// instance died (its lease ran out) runs again, and fails after job.MaxAttempts starts.
func TestJobsRunOnce(t *testing.T) {
	db := storagetest.New(t)
	ctx := context.Background()
	org := uuid.Must(uuid.NewV7())
	now := time.Now().UTC().Truncate(time.Microsecond)
	if err := db.AuthStore().CreateOrganization(ctx, auth.Organization{ID: org, Name: "Org", Currency: "EUR", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	var runs atomic.Int32
	var runners []*job.Runner
	for range 4 {
		r := job.NewRunner(db.JobStore(), slog.New(slog.DiscardHandler), time.Now)
		r.Handle("count", func(context.Context, job.Job, func(float64)) (any, error) {
			runs.Add(1)
			return map[string]int{"ok": 1}, nil
		})
		runners = append(runners, r)
	}
	j, err := runners[0].Enqueue(ctx, org, nil, "count", map[string]int{})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for _, r := range runners {
		wg.Go(func() {
			for r.RunNext(ctx) {
			}
		})
	}
	wg.Wait()
	got, err := runners[0].Get(ctx, org, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	var result map[string]int
	if err := json.Unmarshal(got.Result, &result); err != nil {
		t.Fatal(err)
	}
	if runs.Load() != 1 || got.Status != job.StatusSucceeded || result["ok"] != 1 || got.Attempts != 1 {
		t.Fatalf("runs %d, job %+v", runs.Load(), got)
	}
	if _, err := runners[0].Get(ctx, uuid.Must(uuid.NewV7()), j.ID); err != job.ErrNotFound {
		t.Fatalf("another organization's job: %v", err)
	}

	// A claim whose instance stopped: its lease runs out and the job is claimed again.
	store := db.JobStore()
	lost, err := runners[0].Enqueue(ctx, org, nil, "count", map[string]int{})
	if err != nil {
		t.Fatal(err)
	}
	types := []string{"count"}
	clock := time.Now()
	for attempt := 1; attempt <= job.MaxAttempts; attempt++ {
		c, ok, err := store.ClaimJob(ctx, types, clock, clock.Add(time.Minute))
		if err != nil || !ok || c.ID != lost.ID || c.Attempts != attempt {
			t.Fatalf("attempt %d: %+v %v %v", attempt, c, ok, err)
		}
		if _, ok, _ := store.ClaimJob(ctx, types, clock.Add(30*time.Second), clock.Add(2*time.Minute)); ok {
			t.Fatal("a job was claimed while its lease held")
		}
		clock = clock.Add(2 * time.Minute)
	}
	if _, ok, err := store.ClaimJob(ctx, types, clock, clock.Add(time.Minute)); ok || err != nil {
		t.Fatalf("claimed after %d attempts: %v", job.MaxAttempts, err)
	}
	failed, err := store.GetJob(ctx, org, lost.ID)
	if err != nil || failed.Status != job.StatusFailed || failed.Error == "" {
		t.Fatalf("after the last lost lease: %+v %v", failed, err)
	}

	// Finished jobs are purged once they are older than the cut-off; waiting ones never.
	waiting, err := runners[0].Enqueue(ctx, org, nil, "count", map[string]int{})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := store.PurgeJobs(ctx, time.Now().Add(-time.Hour)); n != 0 || err != nil {
		t.Fatalf("purged %d recent jobs: %v", n, err)
	}
	if n, err := store.PurgeJobs(ctx, clock.Add(time.Hour)); n != 2 || err != nil {
		t.Fatalf("purged %d finished jobs, want 2: %v", n, err)
	}
	if _, err := store.GetJob(ctx, org, waiting.ID); err != nil {
		t.Fatalf("the waiting job: %v", err)
	}
}
