package queue

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/rapportcrm/rapport/pkg/apperr"
	"github.com/rapportcrm/rapport/pkg/job"
)

// recordArgs is the River job that works a job record: its id, and its type for the metrics.
type recordArgs struct {
	OrgID uuid.UUID `json:"org_id"`
	JobID uuid.UUID `json:"job_id"`
	Type  string    `json:"type"`
}

const recordKind = "rapport.job"

func (recordArgs) Kind() string { return recordKind }

// InsertOpts gives River one attempt more than a job gets, so that the worker, not River's
// rescuer, fails the record of a job whose last start was lost (see work).
func (recordArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: job.MaxAttempts + 1}
}

type recordWorker struct {
	river.WorkerDefaults[recordArgs]
	q *Queue
}

func (w *recordWorker) Work(ctx context.Context, j *river.Job[recordArgs]) error {
	return w.q.work(ctx, j.Args.OrgID, j.Args.JobID, j.Attempt)
}

// Handle registers the handler of a job type.
func (q *Queue) Handle(typ string, h job.Handler) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.handlers[typ] = h
}

func (q *Queue) handler(typ string) job.Handler {
	q.mu.RLock()
	defer q.mu.RUnlock()
	return q.handlers[typ]
}

// Enqueue starts a job: its record and the River job that works it, in one transaction. While an
// identical job (same organization, type and identity) is queued or running, it answers that one
// instead; an organization with job.MaxActive unfinished jobs is refused with job.ErrTooMany.
func (q *Queue) Enqueue(ctx context.Context, s job.Spec) (job.Job, error) {
	params, err := json.Marshal(s.Params)
	if err != nil {
		return job.Job{}, err
	}
	identity := params
	if s.Identity != nil {
		if identity, err = json.Marshal(s.Identity); err != nil {
			return job.Job{}, err
		}
	}
	key := sha256.Sum256(append([]byte(s.Type+"\n"), identity...))
	j := job.Job{ID: uuid.Must(uuid.NewV7()), OrgID: s.OrgID, Type: s.Type, Status: job.StatusQueued, Params: params,
		Key: hex.EncodeToString(key[:]), CreatedBy: s.CreatedBy, CreatedAt: q.now().UTC().Truncate(time.Microsecond)}
	err = q.db.InTx(ctx, func(ctx context.Context) error {
		active, err := q.store.ActiveJobs(ctx, s.OrgID)
		if err != nil {
			return err
		}
		for _, a := range active {
			if a.Type == j.Type && a.Key == j.Key {
				j = a
				return nil
			}
		}
		if len(active) >= job.MaxActive {
			return job.ErrTooMany
		}
		row, err := q.Insert(ctx, recordArgs{OrgID: j.OrgID, JobID: j.ID, Type: j.Type}, nil)
		if err != nil {
			return err
		}
		j.RiverJobID = row.ID
		return q.store.InsertJob(ctx, j)
	})
	if err != nil {
		return job.Job{}, fmt.Errorf("start a %s job: %w", s.Type, err)
	}
	return j, nil
}

// Get returns a job of the organization.
func (q *Queue) Get(ctx context.Context, orgID, id uuid.UUID) (job.Job, error) {
	return q.store.GetJob(ctx, orgID, id)
}

// work runs a job's handler as River's attempt and records the outcome. It answers nil when the
// job succeeded, or had finished already (its outcome was recorded, but its instance stopped
// before River heard); river.JobCancel when it failed for good; any other error to run it again.
func (q *Queue) work(ctx context.Context, orgID, id uuid.UUID, attempt int) error {
	j, ok, err := q.store.StartJob(ctx, orgID, id, attempt, q.now())
	if err != nil || !ok {
		return err
	}
	if attempt > job.MaxAttempts {
		return q.fail(ctx, j, "the job was interrupted too many times (its instance stopped while running it)", nil)
	}
	result, err := runSafely(ctx, j, q.handler(j.Type), func(p float64) {
		j.Progress = min(max(p, 0), 1)
		if err := q.store.UpdateJob(ctx, j); err != nil && ctx.Err() == nil {
			q.log.Warn("recording a job's progress failed", "job_id", j.ID, "error", err)
		}
	})
	if err == nil {
		if j.Result, err = json.Marshal(result); err == nil {
			j.Status, j.Progress, j.FinishedAt = job.StatusSucceeded, 1, q.finished()
			return q.store.UpdateJob(context.WithoutCancel(ctx), j)
		}
	}
	if ae, ok := apperr.As(err); ok && clientFault(ae.Kind) {
		return q.fail(ctx, j, ae.Message, err)
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return q.fail(ctx, j, "the job took longer than its time limit", err) // and would again
	}
	q.log.Warn("job failed", "job_id", j.ID, "type", j.Type, "attempt", attempt, "error", err)
	if attempt >= job.MaxAttempts {
		return q.fail(ctx, j, "internal error (the server log has it under this job's id)", err)
	}
	// It runs again: queued once more, as far as the caller can tell.
	j.Status, j.Progress = job.StatusQueued, 0
	if uerr := q.store.UpdateJob(context.WithoutCancel(ctx), j); uerr != nil {
		q.log.Warn("recording a job's retry failed", "job_id", j.ID, "error", uerr)
	}
	return err
}

// fail records that the job failed for good with message, and tells River not to run it again.
func (q *Queue) fail(ctx context.Context, j job.Job, message string, cause error) error {
	j.Status, j.Error, j.FinishedAt = job.StatusFailed, message, q.finished()
	if err := q.store.UpdateJob(context.WithoutCancel(ctx), j); err != nil {
		return err // River runs it again, which records the failure then
	}
	return river.JobCancel(errors.Join(errors.New(message), cause))
}

// clientFault tells the errors that running the job again would not change (bad parameters, data
// that does not allow the analysis) from the passing ones (the database away, a collision).
func clientFault(k apperr.Kind) bool {
	switch k {
	case apperr.KindInternal, apperr.KindUnavailable, apperr.KindConflict, apperr.KindRateLimited:
		return false
	}
	return true
}

func (q *Queue) finished() *time.Time {
	t := q.now().UTC().Truncate(time.Microsecond)
	return &t
}

// runSafely turns a handler's panic into the job's error.
func runSafely(ctx context.Context, j job.Job, h job.Handler, progress func(float64)) (result any, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("internal error: %v", p)
		}
	}()
	if h == nil {
		return nil, fmt.Errorf("no handler for jobs of type %q", j.Type)
	}
	return h(ctx, j, progress)
}
