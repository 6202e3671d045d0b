// Package job runs long work in the background: a request enqueues a job and answers 202, any
// instance of the service claims it, and the caller polls it for progress and the result. Jobs are
// rows in the database, so they survive restarts; a claim is a lease renewed while the work runs,
// so a job runs once even with several instances, and again only if its instance died.
package job

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/rapportcrm/rapport/pkg/apperr"
)

// Status is where a job stands.
type Status string

const (
	StatusQueued    Status = "queued"
	StatusRunning   Status = "running"
	StatusSucceeded Status = "succeeded"
	StatusFailed    Status = "failed"
)

// MaxAttempts is how many times a job is started before a lost lease fails it.
const MaxAttempts = 3

// Retention is how long a finished job stays readable (the results of analyses are kept
// elsewhere, in their runs).
const Retention = 30 * 24 * time.Hour

// Job is one piece of background work.
type Job struct {
	ID         uuid.UUID
	OrgID      uuid.UUID
	Type       string
	Status     Status
	Params     json.RawMessage
	Progress   float64
	Result     json.RawMessage
	Error      string
	Attempts   int
	CreatedBy  *uuid.UUID
	CreatedAt  time.Time
	StartedAt  *time.Time
	FinishedAt *time.Time
}

// ErrNotFound is answered for a job that does not exist in the caller's organization.
var ErrNotFound = apperr.New(apperr.KindNotFound, "job not found")

// Store keeps jobs.
type Store interface {
	InsertJob(ctx context.Context, j Job) error
	GetJob(ctx context.Context, orgID, id uuid.UUID) (Job, error)
	// ClaimJob marks the oldest job of the given types that is queued, or running with a lease
	// that ran out before now, as running by this claim (attempts + 1) until leaseUntil. Jobs
	// whose lease ran out after MaxAttempts fail instead. ok is false when none is waiting.
	ClaimJob(ctx context.Context, types []string, now, leaseUntil time.Time) (j Job, ok bool, err error)
	// RenewJob extends the lease of the claim (the job at that attempt) and records progress;
	// it answers false when the claim is no longer held.
	RenewJob(ctx context.Context, j Job, progress float64, leaseUntil time.Time) (bool, error)
	// FinishJob records the outcome of the claim, unless the claim is no longer held.
	FinishJob(ctx context.Context, j Job) error
}

// Handler does a job's work, reporting progress between 0 and 1, and answers the result to
// store (marshalled as JSON). An error fails the job: an apperr's message is shown to the
// caller, any other error is logged and shown as an internal error.
type Handler func(ctx context.Context, j Job, progress func(float64)) (any, error)

// Runner enqueues and runs jobs.
type Runner struct {
	store    Store
	log      *slog.Logger
	now      func() time.Time
	handlers map[string]Handler
	wake     chan struct{}
	lease    time.Duration
	poll     time.Duration
	mu       sync.Mutex
}

// NewRunner returns a runner over store; register handlers before Run.
func NewRunner(store Store, log *slog.Logger, now func() time.Time) *Runner {
	return &Runner{store: store, log: log, now: now, handlers: map[string]Handler{}, wake: make(chan struct{}, 1),
		lease: time.Minute, poll: 2 * time.Second}
}

// Handle registers the handler of a job type.
func (r *Runner) Handle(typ string, h Handler) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.handlers[typ] = h
}

func (r *Runner) types() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	types := make([]string, 0, len(r.handlers))
	for t := range r.handlers {
		types = append(types, t)
	}
	return types
}

// Enqueue stores a queued job of the given type and wakes this instance's runner.
func (r *Runner) Enqueue(ctx context.Context, orgID uuid.UUID, createdBy *uuid.UUID, typ string, params any) (Job, error) {
	raw, err := json.Marshal(params)
	if err != nil {
		return Job{}, err
	}
	j := Job{ID: uuid.Must(uuid.NewV7()), OrgID: orgID, Type: typ, Status: StatusQueued, Params: raw,
		CreatedBy: createdBy, CreatedAt: r.now().UTC().Truncate(time.Microsecond)}
	if err := r.store.InsertJob(ctx, j); err != nil {
		return Job{}, err
	}
	select {
	case r.wake <- struct{}{}:
	default:
	}
	return j, nil
}

// Get returns a job of the organization.
func (r *Runner) Get(ctx context.Context, orgID, id uuid.UUID) (Job, error) {
	return r.store.GetJob(ctx, orgID, id)
}

// Run claims and runs jobs one at a time until ctx ends.
func (r *Runner) Run(ctx context.Context) {
	for {
		for r.RunNext(ctx) {
		}
		select {
		case <-ctx.Done():
			return
		case <-r.wake:
		case <-time.After(r.poll):
		}
	}
}

// RunNext claims one waiting job and runs it; it answers whether there was one.
func (r *Runner) RunNext(ctx context.Context) bool {
	now := r.now()
	j, ok, err := r.store.ClaimJob(ctx, r.types(), now, now.Add(r.lease))
	if err != nil {
		if ctx.Err() == nil {
			r.log.Error("claiming a job failed", "error", err)
		}
		return false
	}
	if !ok {
		return false
	}
	r.mu.Lock()
	h := r.handlers[j.Type]
	r.mu.Unlock()
	r.execute(ctx, j, h)
	return true
}

// execute runs the handler while a goroutine renews the lease with the latest progress; losing
// the lease cancels the work.
func (r *Runner) execute(ctx context.Context, j Job, h Handler) {
	work, cancel := context.WithCancel(ctx)
	defer cancel()
	var mu sync.Mutex
	progress := 0.0
	done, renewing := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(renewing)
		tick := time.NewTicker(r.lease / 4)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				mu.Lock()
				p := progress
				mu.Unlock()
				held, err := r.store.RenewJob(work, j, p, r.now().Add(r.lease))
				if err == nil && !held {
					r.log.Warn("a job's lease was lost; stopping it", "job_id", j.ID)
					cancel()
				}
			}
		}
	}()
	start := r.now()
	result, err := runSafely(work, j, h, func(p float64) {
		mu.Lock()
		progress = min(max(p, 0), 1)
		mu.Unlock()
	})
	close(done)
	<-renewing // no renewal may race the outcome below
	if ctx.Err() != nil {
		return // shutting down: the lease runs out and another start picks the job up
	}
	finished := r.now().UTC().Truncate(time.Microsecond)
	j.FinishedAt = &finished
	if err == nil {
		j.Result, err = json.Marshal(result)
	}
	if err != nil {
		j.Status, j.Error = StatusFailed, "internal error (the server log has it under this job's id)"
		var ae *apperr.Error
		if errors.As(err, &ae) && ae.Kind != apperr.KindInternal {
			j.Error = ae.Message
		}
		r.log.Warn("job failed", "job_id", j.ID, "type", j.Type, "error", err)
	} else {
		j.Status, j.Progress = StatusSucceeded, 1
		r.log.Info("job succeeded", "job_id", j.ID, "type", j.Type, "duration_ms", r.now().Sub(start).Milliseconds())
	}
	if err := r.store.FinishJob(context.WithoutCancel(ctx), j); err != nil {
		r.log.Error("recording a job's outcome failed", "job_id", j.ID, "error", err)
	}
}

// runSafely turns a handler's panic into the job's error.
func runSafely(ctx context.Context, j Job, h Handler, progress func(float64)) (result any, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("internal error: %v", p)
		}
	}()
	if h == nil {
		return nil, errors.New("no handler for this job type")
	}
	return h(ctx, j, progress)
}
