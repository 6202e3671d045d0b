package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/rapportcrm/rapport/api/apitest"
	"github.com/rapportcrm/rapport/pkg/job"
	"github.com/rapportcrm/rapport/pkg/storage/storagetest"
)

// tasks are the periodic tasks the app registers, and the queue's own.
var tasks = []string{"idempotency.purge", "jobs.purge", "loyalty.expire_points"}

// waitTasks waits until every periodic task has run, and answers the names of the task runs.
func waitTasks(t *testing.T, env *apitest.Env) []string {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		res, err := env.App.Jobs.Client().JobList(context.Background(), river.NewJobListParams().Kinds("rapport.task").
			States(rivertype.JobStateAvailable, rivertype.JobStateRunning, rivertype.JobStateRetryable, rivertype.JobStateCompleted))
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		done := 0
		for _, j := range res.Jobs {
			var args struct{ Name string }
			if err := json.Unmarshal(j.EncodedArgs, &args); err != nil {
				t.Fatal(err)
			}
			names = append(names, args.Name)
			if j.State == rivertype.JobStateCompleted {
				done++
			}
		}
		slices.Sort(names)
		if done >= len(tasks) {
			return names
		}
		if time.Now().After(deadline) {
			t.Fatalf("periodic tasks after a minute: %v (%d done)", names, done)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestPeriodicTasks: the app registers its hourly tasks with River, whose leader runs each once
// on election; /metrics counts the runs and reads the queue's depth.
func TestPeriodicTasks(t *testing.T) {
	env := apitest.New(t)
	env.Work(t)
	if names := waitTasks(t, env); !slices.Equal(names, tasks) {
		t.Fatalf("task runs %v, want %v", names, tasks)
	}
	metrics := string(env.Do(t, apitest.Req{Method: "GET", Path: "/metrics"}).Body)
	for _, want := range []string{`rapport_jobs_total{outcome="succeeded",type="loyalty.expire_points"} 1`,
		`rapport_job_queue_depth{queue="default",state="available"} 0`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics has no %s", want)
		}
	}
}

// TestTwoInstances: two instances of the service (two River clients) on one database run every
// job once between them, jobs started before either ran included, and the periodic tasks once
// for both.
func TestTwoInstances(t *testing.T) {
	url := storagetest.URL(t)
	a := apitest.NewOn(t, storagetest.Open(t, url), apitest.Options{})
	b := apitest.NewOn(t, storagetest.Open(t, url), apitest.Options{})
	var mu sync.Mutex
	runs := map[uuid.UUID]int{}
	for _, env := range []*apitest.Env{a, b} {
		env.App.Jobs.Handle("test.count", func(_ context.Context, j job.Job, _ func(float64)) (any, error) {
			mu.Lock()
			defer mu.Unlock()
			runs[j.ID]++
			return nil, nil
		})
	}
	var jobs []job.Job
	for i := range 10 {
		org := uuid.MustParse(a.Signup(t, fmt.Sprintf("Org %d", i)).OrgID)
		for n := range job.MaxActive {
			j, err := a.App.Jobs.Enqueue(context.Background(), job.Spec{OrgID: org, Type: "test.count", Params: n})
			if err != nil {
				t.Fatal(err)
			}
			jobs = append(jobs, j)
		}
	}
	b.Work(t)
	a.Work(t)
	deadline := time.Now().Add(time.Minute)
	for _, j := range jobs {
		for {
			got, err := a.App.Jobs.Get(context.Background(), j.OrgID, j.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status == job.StatusSucceeded {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("job %s is %s", j.ID, got.Status)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	mu.Lock()
	for _, j := range jobs {
		if runs[j.ID] != 1 {
			t.Errorf("job %s ran %d times", j.ID, runs[j.ID])
		}
	}
	mu.Unlock()
	if names := waitTasks(t, a); !slices.Equal(names, tasks) {
		t.Fatalf("task runs %v, want %v once each", names, tasks)
	}
}
