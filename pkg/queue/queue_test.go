package queue

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/rapportcrm/rapport/pkg/apperr"
	"github.com/rapportcrm/rapport/pkg/auth"
	"github.com/rapportcrm/rapport/pkg/job"
	"github.com/rapportcrm/rapport/pkg/storage"
	"github.com/rapportcrm/rapport/pkg/storage/storagetest"
)

var discard = slog.New(slog.DiscardHandler)

// immediately retries a failed job at once.
type immediately struct{}

func (immediately) NextRetry(*rivertype.JobRow) time.Time { return time.Now() }

// testConfig polls often, retries at once and rescues a job a second after it started.
var testConfig = Config{PollInterval: 20 * time.Millisecond, Timeout: 500 * time.Millisecond, RescueAfter: time.Second,
	StopTimeout: time.Second, RetryPolicy: immediately{}, TestOnly: true}

func newQueue(t *testing.T, db *storage.DB, cfg Config) *Queue {
	t.Helper()
	q, err := New(db, db.JobStore(), river.NewWorkers(), cfg, discard, time.Now, prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// run works q's jobs until the test ends.
func run(t *testing.T, q *Queue) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- q.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
}

func organization(t *testing.T, db *storage.DB) uuid.UUID {
	t.Helper()
	id, now := uuid.Must(uuid.NewV7()), time.Now().UTC().Truncate(time.Microsecond)
	if err := db.AuthStore().CreateOrganization(context.Background(), auth.Organization{ID: id, Name: "Org " + id.String()[:8],
		Currency: "EUR", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	return id
}

// wait polls the job until it has finished.
func wait(t *testing.T, q *Queue, j job.Job) job.Job {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		got, err := q.Get(context.Background(), j.OrgID, j.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status == job.StatusSucceeded || got.Status == job.StatusFailed {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s still %s", j.ID, got.Status)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// compact is JSON without the spaces PostgreSQL's jsonb puts in.
func compact(raw json.RawMessage) string {
	var b bytes.Buffer
	if len(raw) > 0 && json.Compact(&b, raw) != nil {
		return string(raw)
	}
	return b.String()
}

func riverJob(t *testing.T, q *Queue, j job.Job) *rivertype.JobRow {
	t.Helper()
	row, err := q.Client().JobGet(context.Background(), j.RiverJobID)
	if err != nil {
		t.Fatal(err)
	}
	return row
}

// TestOutcomes: a job's record follows its work. A result succeeds it; a client's fault fails it
// at once; any other error, or a panic, runs it again, and fails it after job.MaxAttempts starts;
// running out of time fails it at once.
func TestOutcomes(t *testing.T) {
	db := storagetest.New(t)
	q := newQueue(t, db, testConfig)
	var flaky atomic.Int32
	q.Handle("test.ok", func(_ context.Context, _ job.Job, progress func(float64)) (any, error) {
		progress(0.5)
		return map[string]bool{"ok": true}, nil
	})
	q.Handle("test.invalid", func(context.Context, job.Job, func(float64)) (any, error) {
		return nil, apperr.New(apperr.KindInvalid, "too few purchases")
	})
	q.Handle("test.flaky", func(context.Context, job.Job, func(float64)) (any, error) {
		if flaky.Add(1) == 1 {
			panic("boom")
		}
		return "second time lucky", nil
	})
	q.Handle("test.broken", func(context.Context, job.Job, func(float64)) (any, error) {
		return nil, errors.New("the disk is on fire")
	})
	q.Handle("test.slow", func(ctx context.Context, _ job.Job, _ func(float64)) (any, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	})
	run(t, q)
	org := organization(t, db)
	for _, tc := range []struct {
		typ      string
		status   job.Status
		attempts int
		state    rivertype.JobState
		result   string
		error    string
	}{
		{"test.ok", job.StatusSucceeded, 1, rivertype.JobStateCompleted, `{"ok":true}`, ""},
		{"test.invalid", job.StatusFailed, 1, rivertype.JobStateCancelled, "", "too few purchases"},
		{"test.flaky", job.StatusSucceeded, 2, rivertype.JobStateCompleted, `"second time lucky"`, ""},
		{"test.broken", job.StatusFailed, job.MaxAttempts, rivertype.JobStateCancelled, "", "internal error (the server log has it under this job's id)"},
		{"test.slow", job.StatusFailed, 1, rivertype.JobStateCancelled, "", "the job took longer than its time limit"},
	} {
		t.Run(tc.typ, func(t *testing.T) {
			j, err := q.Enqueue(context.Background(), job.Spec{OrgID: org, Type: tc.typ, Params: map[string]int{}})
			if err != nil {
				t.Fatal(err)
			}
			got := wait(t, q, j)
			if got.Status != tc.status || got.Attempts != tc.attempts || compact(got.Result) != tc.result || got.Error != tc.error ||
				got.FinishedAt == nil || (tc.status == job.StatusSucceeded) != (got.Progress == 1) {
				t.Fatalf("job %+v", got)
			}
			deadline := time.Now().Add(10 * time.Second)
			for riverJob(t, q, j).State != tc.state && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond) // River records its outcome after ours
			}
			if row := riverJob(t, q, j); row.State != tc.state {
				t.Fatalf("River's job is %s, want %s", row.State, tc.state)
			}
		})
	}
}

// TestStart: a job identical to one that is queued or running answers that one; an organization
// holds at most job.MaxActive unfinished jobs, also when its requests race, and the others are
// not held up.
func TestStart(t *testing.T) {
	db := storagetest.New(t)
	q := newQueue(t, db, testConfig)
	ctx := context.Background()
	org, other := organization(t, db), organization(t, db)
	spec := func(org uuid.UUID, n int) job.Spec {
		return job.Spec{OrgID: org, Type: "test.work", Params: map[string]any{"n": n, "at": time.Now()}, Identity: map[string]int{"n": n}}
	}
	first, err := q.Enqueue(ctx, spec(org, 0))
	if err != nil {
		t.Fatal(err)
	}
	again, err := q.Enqueue(ctx, spec(org, 0))
	if err != nil || again.ID != first.ID {
		t.Fatalf("an identical job: %+v, %v; want %s", again, err, first.ID)
	}
	var wg sync.WaitGroup
	var started, refused atomic.Int32
	for n := 1; n <= 10; n++ {
		wg.Go(func() {
			_, err := q.Enqueue(ctx, spec(org, n))
			switch {
			case err == nil:
				started.Add(1)
			case errors.Is(err, job.ErrTooMany):
				refused.Add(1)
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if started.Load() != job.MaxActive-1 || refused.Load() != 10-(job.MaxActive-1) {
		t.Fatalf("%d started, %d refused beside the first", started.Load(), refused.Load())
	}
	if _, err := q.Enqueue(ctx, spec(other, 0)); err != nil {
		t.Fatalf("another organization: %v", err)
	}
	var done atomic.Int32
	q.Handle("test.work", func(context.Context, job.Job, func(float64)) (any, error) { return done.Add(1), nil })
	run(t, q)
	wait(t, q, first)
	if again, err := q.Enqueue(ctx, spec(org, 0)); err != nil || again.ID == first.ID {
		t.Fatalf("the same work once the first finished: %+v, %v", again, err)
	}
}

// TestRescue: a job whose instance died while running it runs again on another instance once
// River's rescuer finds it stuck, and its record tells the second attempt's outcome.
func TestRescue(t *testing.T) {
	url := storagetest.URL(t)
	db, dead := storagetest.Open(t, url), storagetest.Open(t, url)
	ctx := context.Background()

	// The instance that dies works jobs but never leads (so that nothing waits for its lease on
	// the leadership to run out): River's client with the queue's worker, over its own pool.
	doomed := newQueue(t, dead, testConfig)
	started, release := make(chan struct{}), make(chan struct{})
	doomed.Handle("test.rescue", func(context.Context, job.Job, func(float64)) (any, error) {
		close(started)
		<-release // hung: it ignores its context, as a dead process would
		return nil, nil
	})
	workers := river.NewWorkers()
	river.AddWorker(workers, &recordWorker{q: doomed})
	worker, err := river.NewClient(dead.RiverDriver(), &river.Config{Queues: map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 1}},
		Workers: workers, LeaderElectionDisabled: true, FetchCooldown: 20 * time.Millisecond, FetchPollInterval: 20 * time.Millisecond, JobTimeout: -1, Logger: discard, TestOnly: true})
	if err != nil {
		t.Fatal(err)
	}

	q := newQueue(t, db, testConfig)
	var runs atomic.Int32
	q.Handle("test.rescue", func(context.Context, job.Job, func(float64)) (any, error) { return runs.Add(1), nil })
	j, err := q.Enqueue(ctx, job.Spec{OrgID: organization(t, db), Type: "test.rescue", Params: map[string]int{}})
	if err != nil {
		t.Fatal(err)
	}
	workCtx, stopWorker := context.WithCancel(ctx)
	if err := worker.Start(workCtx); err != nil {
		t.Fatal(err)
	}
	<-started
	// The instance dies: nothing it does reaches the database any more.
	if err := dead.Close(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		close(release)
		stopWorker()
	})
	if got, _ := q.Get(ctx, j.OrgID, j.ID); got.Status != job.StatusRunning || got.Attempts != 1 {
		t.Fatalf("while the dead instance held it: %+v", got)
	}
	for row := riverJob(t, q, j); time.Since(*row.AttemptedAt) < testConfig.RescueAfter; {
		time.Sleep(50 * time.Millisecond) // the rescuer runs when the instance below is elected, then every 30 s
	}
	run(t, q)
	got := wait(t, q, j)
	if got.Status != job.StatusSucceeded || got.Attempts != 2 || compact(got.Result) != "1" || runs.Load() != 1 {
		t.Fatalf("after the rescue: %+v, %d runs", got, runs.Load())
	}
}

var _ DB = (*storage.DB)(nil)
