// Package job is the record of long work that a request starts and answers 202 for: its type,
// status, progress and outcome, which the caller polls. The record is a row of its own; pkg/queue
// inserts it together with the River job that does the work, and records the outcome on it.
package job

import (
	"context"
	"encoding/json"
	"fmt"
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

// MaxActive is how many jobs one organization may have queued or running at once: one more is
// refused (ErrTooMany), so that no organization fills the queue in front of the others.
const MaxActive = 3

// MaxAttempts is how many times a job is started before an error, or the loss of the instance
// running it, fails it.
const MaxAttempts = 3

// Retention is how long a finished job stays readable (the results of analyses are kept
// elsewhere, in their runs).
const Retention = 30 * 24 * time.Hour

// Job is one piece of background work.
type Job struct {
	ID     uuid.UUID
	OrgID  uuid.UUID
	Type   string
	Status Status
	Params json.RawMessage
	// Key identifies the work (a hash of the type and what makes two runs the same): while a job
	// is queued or running, starting an identical one answers it.
	Key        string
	Progress   float64
	Result     json.RawMessage
	Error      string
	Attempts   int
	RiverJobID int64 // the River job that works it
	CreatedBy  *uuid.UUID
	CreatedAt  time.Time
	StartedAt  *time.Time
	FinishedAt *time.Time
}

// Spec is a job to start.
type Spec struct {
	OrgID     uuid.UUID
	CreatedBy *uuid.UUID
	Type      string
	Params    any // what the handler reads, marshalled as JSON
	// Identity is what makes two runs the same (Params when nil).
	Identity any
}

// ErrNotFound is answered for a job that does not exist in the caller's organization.
var ErrNotFound = apperr.New(apperr.KindNotFound, "job not found")

// ErrTooMany is answered when the organization already has MaxActive jobs queued or running.
var ErrTooMany = &apperr.Error{Kind: apperr.KindRateLimited, RetryAfter: 10 * time.Second,
	Message: fmt.Sprintf("the organization already has %d jobs queued or running: start another once one of them has finished", MaxActive)}

// Handler does a job's work, reporting progress between 0 and 1, and answers the result to
// store (marshalled as JSON). An apperr of a kind that running again would not change (invalid,
// not found, …) fails the job with its message; any other error (internal, the database away,
// a collision) is logged and the job runs again, up to MaxAttempts starts, then fails as an
// internal error. Running past the queue's time limit fails it at once.
type Handler func(ctx context.Context, j Job, progress func(float64)) (any, error)

// Store keeps the job records.
type Store interface {
	// ActiveJobs answers the organization's queued and running jobs. Called inside InTx, it holds
	// the organization's job slots until that transaction ends, so that concurrent starts of the
	// organization take turns.
	ActiveJobs(ctx context.Context, orgID uuid.UUID) ([]Job, error)
	InsertJob(ctx context.Context, j Job) error
	GetJob(ctx context.Context, orgID, id uuid.UUID) (Job, error)
	// StartJob marks the job running as the given attempt and answers it; ok is false when it has
	// finished (or is gone).
	StartJob(ctx context.Context, orgID, id uuid.UUID, attempt int, at time.Time) (j Job, ok bool, err error)
	// UpdateJob records the status, progress, result, error and finish time of attempt
	// j.Attempts, unless another attempt has started since.
	UpdateJob(ctx context.Context, j Job) error
	// PurgeJobs deletes the jobs that finished before t.
	PurgeJobs(ctx context.Context, t time.Time) (int64, error)
	// FailLostJobs fails, as of at, the queued and running jobs whose River job has finished or
	// is gone, so that nothing is left to record their outcome.
	FailLostJobs(ctx context.Context, at time.Time) (int64, error)
}
