// Package queue runs the background work on River, a job queue kept in the service's own database:
// the jobs that requests start (their records are pkg/job's), the periodic tasks, and whatever
// workers the composition root adds. River works each job on one instance at a time, retries it
// with backoff when it fails, rescues it when its instance dies, and elects one instance to
// enqueue the periodic tasks. Jobs are inserted in the transaction of the context (storage's
// InTx), so that a job exists exactly when the rows it is about were committed.
package queue

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"

	"github.com/rapportcrm/rapport/pkg/job"
)

// DB is what the queue needs of the database (storage.DB).
type DB interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
	// SQLTx is the transaction InTx opened for ctx, nil outside one.
	SQLTx(ctx context.Context) *sql.Tx
	RiverDriver() riverdriver.Driver[*sql.Tx]
}

// Config tunes the queue; zero values take the defaults.
type Config struct {
	// Workers is how many jobs this instance works at once: 2 by default.
	Workers int
	// PollInterval is how often an idle instance looks for jobs that another instance inserted,
	// or that came due: 1 s by default. (PostgreSQL through database/sql has no LISTEN.)
	PollInterval time.Duration
	// Timeout bounds one run of a job: 10 minutes by default.
	Timeout time.Duration
	// RescueAfter is how long after it started a job still running is taken for lost (its
	// instance died) and run again: Timeout plus a minute by default.
	RescueAfter time.Duration
	// StopTimeout is how long Run lets running jobs finish once its context ends, before it
	// cancels them (they run again later, here or elsewhere): 10 s by default.
	StopTimeout time.Duration
	// RetryPolicy says when a failed job runs again: River's default (attempt⁴ seconds) when nil.
	RetryPolicy river.ClientRetryPolicy
	// Tasks run periodically, besides the queue's own purge of finished jobs.
	Tasks []Task
	// TestOnly skips River's staggered start of its maintenance, which only slows tests.
	TestOnly bool
}

func (c Config) withDefaults() Config {
	if c.Workers == 0 {
		c.Workers = 2
	}
	if c.PollInterval == 0 {
		c.PollInterval = time.Second
	}
	if c.Timeout == 0 {
		c.Timeout = 10 * time.Minute
	}
	if c.RescueAfter == 0 {
		c.RescueAfter = c.Timeout + time.Minute
	}
	if c.StopTimeout == 0 {
		c.StopTimeout = 10 * time.Second
	}
	return c
}

// Queue starts jobs and works them.
type Queue struct {
	client   *river.Client[*sql.Tx]
	db       DB
	store    job.Store
	log      *slog.Logger
	now      func() time.Time
	mu       sync.RWMutex
	handlers map[string]job.Handler
}

// New builds the queue over db: the River client, with the workers the caller registered in
// workers plus the queue's own (for the job records and the periodic tasks). Run starts it;
// until then it only inserts. Metrics go to registry.
func New(db DB, store job.Store, workers *river.Workers, cfg Config, log *slog.Logger, now func() time.Time, registry prometheus.Registerer) (*Queue, error) {
	cfg = cfg.withDefaults()
	q := &Queue{db: db, store: store, log: log, now: now, handlers: map[string]job.Handler{}}
	river.AddWorker(workers, &recordWorker{q: q})
	tasks := append([]Task{{Name: "jobs.purge", Every: time.Hour, Run: q.purge}}, cfg.Tasks...)
	periodic, err := addTasks(workers, tasks)
	if err != nil {
		return nil, err
	}
	counted := newOutcomes(registry)
	q.client, err = river.NewClient(db.RiverDriver(), &river.Config{
		Queues:               map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.Workers}},
		Workers:              workers,
		PeriodicJobs:         periodic,
		FetchPollInterval:    cfg.PollInterval,
		FetchCooldown:        min(cfg.PollInterval, 100*time.Millisecond),
		JobTimeout:           cfg.Timeout,
		RescueStuckJobsAfter: cfg.RescueAfter,
		SoftStopTimeout:      cfg.StopTimeout,
		RetryPolicy:          cfg.RetryPolicy,
		Middleware:           []rivertype.Middleware{counted},
		Logger:               log.With("component", "river"),
		TestOnly:             cfg.TestOnly,
	})
	if err != nil {
		return nil, fmt.Errorf("job queue: %w", err)
	}
	registry.MustRegister(newDepth(q.client))
	return q, nil
}

// Client is the River client, for what the queue does not wrap (listing jobs, say).
func (q *Queue) Client() *river.Client[*sql.Tx] { return q.client }

// Run works jobs and the periodic tasks until ctx ends; then it takes no more, lets the running
// ones finish for Config.StopTimeout, cancels the rest and returns.
func (q *Queue) Run(ctx context.Context) error {
	if err := q.client.Start(ctx); err != nil {
		return fmt.Errorf("start the job queue: %w", err)
	}
	<-q.client.Stopped()
	return nil
}

// Insert enqueues a River job in the transaction of ctx (InTx), else on its own: a worker that
// delivers what a transaction wrote is inserted by it, and runs only if it commits.
func (q *Queue) Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobRow, error) {
	var res *rivertype.JobInsertResult
	var err error
	if tx := q.db.SQLTx(ctx); tx != nil {
		res, err = q.client.InsertTx(ctx, tx, args, opts)
	} else {
		res, err = q.client.Insert(ctx, args, opts)
	}
	if err != nil {
		return nil, fmt.Errorf("insert a %s job: %w", args.Kind(), err)
	}
	return res.Job, nil
}

// Task is periodic work. The elected leader among the instances enqueues it every Every (and
// once when it is elected), at most once per period of Every across instances; one instance runs it.
type Task struct {
	Name  string
	Every time.Duration
	Run   func(ctx context.Context) error
}

// taskArgs is a periodic task's River job.
type taskArgs struct {
	Name string `json:"name"`
}

const taskKind = "rapport.task"

func (taskArgs) Kind() string { return taskKind }

type taskWorker struct {
	river.WorkerDefaults[taskArgs]
	tasks map[string]Task
}

func (w *taskWorker) Work(ctx context.Context, j *river.Job[taskArgs]) error {
	t, ok := w.tasks[j.Args.Name]
	if !ok {
		return river.JobCancel(fmt.Errorf("no task named %q", j.Args.Name))
	}
	return t.Run(ctx)
}

func addTasks(workers *river.Workers, tasks []Task) ([]*river.PeriodicJob, error) {
	w := &taskWorker{tasks: map[string]Task{}}
	var periodic []*river.PeriodicJob
	for _, t := range tasks {
		if _, dup := w.tasks[t.Name]; dup || t.Every <= 0 {
			return nil, fmt.Errorf("job queue: task %q is named twice or has no period", t.Name)
		}
		w.tasks[t.Name] = t
		periodic = append(periodic, river.NewPeriodicJob(river.PeriodicInterval(t.Every), func() (river.JobArgs, *river.InsertOpts) {
			return taskArgs{Name: t.Name}, &river.InsertOpts{MaxAttempts: job.MaxAttempts,
				UniqueOpts: river.UniqueOpts{ByArgs: true, ByPeriod: t.Every}}
		}, &river.PeriodicJobOpts{ID: t.Name, RunOnStart: true}))
	}
	river.AddWorker(workers, w)
	return periodic, nil
}

// purge fails the lost jobs and deletes those finished longer than job.Retention ago.
func (q *Queue) purge(ctx context.Context) error {
	now := q.now()
	lost, err := q.store.FailLostJobs(ctx, now)
	if err != nil {
		return err
	}
	purged, err := q.store.PurgeJobs(ctx, now.Add(-job.Retention))
	if lost > 0 || purged > 0 {
		q.log.Info("tidied the jobs", "lost", lost, "purged", purged)
	}
	return err
}
