package storage

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/rapportcrm/rapport/pkg/job"
)

// JobStore keeps the records of background jobs; River's tables keep the work.
type JobStore struct{ conn }

var _ job.Store = (*JobStore)(nil)

// JobStore returns the store over db.
func (db *DB) JobStore() *JobStore {
	return &JobStore{db.conn}
}

type jobRow struct {
	OrgID      uuid.UUID `gorm:"primaryKey"`
	ID         uuid.UUID `gorm:"primaryKey"`
	Type       string
	Status     string
	Params     jsonValue[json.RawMessage]
	ParamsHash *string
	Progress   float64
	Result     jsonValue[json.RawMessage]
	Error      *string
	Attempts   int
	RiverJobID *int64
	CreatedBy  *uuid.UUID
	CreatedAt  time.Time
	StartedAt  *time.Time
	FinishedAt *time.Time
}

func (jobRow) TableName() string { return "jobs" }

func (r jobRow) toJob() job.Job {
	j := job.Job{ID: r.ID, OrgID: r.OrgID, Type: r.Type, Status: job.Status(r.Status), Params: r.Params.V, Key: deref(r.ParamsHash),
		Progress: r.Progress, Result: r.Result.V, Error: deref(r.Error), Attempts: r.Attempts, CreatedBy: r.CreatedBy,
		CreatedAt: r.CreatedAt.UTC(), StartedAt: utcPtr(r.StartedAt), FinishedAt: utcPtr(r.FinishedAt)}
	if r.RiverJobID != nil {
		j.RiverJobID = *r.RiverJobID
	}
	return j
}

// unfinished are the statuses of jobs that still have work to do.
var unfinished = []job.Status{job.StatusQueued, job.StatusRunning}

// ActiveJobs answers the organization's unfinished jobs (through the partial index jobs_active_idx).
// On PostgreSQL a transaction-scoped advisory lock per organization makes concurrent starts take
// turns; SQLite's write transactions do anyway.
func (s *JobStore) ActiveJobs(ctx context.Context, orgID uuid.UUID) ([]job.Job, error) {
	if s.dialect == Postgres {
		err := s.with(ctx).Exec("SELECT pg_advisory_xact_lock(hashtext('rapport.jobs'), hashtext(?))", orgID.String()).Error
		if err != nil {
			return nil, translate(err)
		}
	}
	var rows []jobRow
	if err := s.with(ctx).Where("org_id = ? AND status IN ?", orgID, unfinished).Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	jobs := make([]job.Job, len(rows))
	for i, r := range rows {
		jobs[i] = r.toJob()
	}
	return jobs, nil
}

// InsertJob stores a new job.
func (s *JobStore) InsertJob(ctx context.Context, j job.Job) error {
	row := jobRow{OrgID: j.OrgID, ID: j.ID, Type: j.Type, Status: string(j.Status), Params: jsonValue[json.RawMessage]{V: j.Params},
		ParamsHash: nullable(j.Key), CreatedBy: j.CreatedBy, CreatedAt: j.CreatedAt}
	if j.RiverJobID != 0 {
		row.RiverJobID = &j.RiverJobID
	}
	return translate(s.with(ctx).Create(&row).Error)
}

// GetJob returns a job of the organization.
func (s *JobStore) GetJob(ctx context.Context, orgID, id uuid.UUID) (job.Job, error) {
	var r jobRow
	err := s.with(ctx).Where("org_id = ? AND id = ?", orgID, id).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return job.Job{}, job.ErrNotFound
	}
	if err != nil {
		return job.Job{}, translate(err)
	}
	return r.toJob(), nil
}

// StartJob marks an unfinished job running as attempt, from no progress.
func (s *JobStore) StartJob(ctx context.Context, orgID, id uuid.UUID, attempt int, at time.Time) (job.Job, bool, error) {
	var rows []jobRow
	err := s.with(ctx).Raw(`UPDATE jobs SET status = ?, attempts = ?, started_at = ?, progress = 0
		WHERE org_id = ? AND id = ? AND status IN ? RETURNING *`, job.StatusRunning, attempt, at.UTC(), orgID, id, unfinished).Scan(&rows).Error
	if err != nil || len(rows) == 0 {
		return job.Job{}, false, translate(err)
	}
	return rows[0].toJob(), true, nil
}

// UpdateJob records the state of attempt j.Attempts while the job is unfinished.
func (s *JobStore) UpdateJob(ctx context.Context, j job.Job) error {
	return translate(s.with(ctx).Model(&jobRow{}).
		Where("org_id = ? AND id = ? AND attempts = ? AND status IN ?", j.OrgID, j.ID, j.Attempts, unfinished).
		Updates(map[string]any{"status": j.Status, "progress": j.Progress, "result": jsonValue[json.RawMessage]{V: j.Result},
			"error": nullable(j.Error), "finished_at": utcPtr(j.FinishedAt)}).Error)
}

// PurgeJobs deletes the jobs that finished before t.
func (s *JobStore) PurgeJobs(ctx context.Context, t time.Time) (int64, error) {
	res := s.with(ctx).Where("status IN ? AND finished_at < ?", []job.Status{job.StatusSucceeded, job.StatusFailed}, t.UTC()).Delete(&jobRow{})
	return res.RowsAffected, translate(res.Error)
}

// FailLostJobs fails the unfinished jobs without an unfinished River job. River finishes its job
// only after the worker recorded the outcome here, so such a job was lost: its River job ran out
// of attempts without a word, or was deleted.
func (s *JobStore) FailLostJobs(ctx context.Context, at time.Time) (int64, error) {
	res := s.with(ctx).Exec(`UPDATE jobs SET status = ?, error = ?, finished_at = ?
		WHERE status IN ? AND NOT EXISTS (SELECT 1 FROM river_job r WHERE r.id = jobs.river_job_id
			AND r.state IN ('available', 'pending', 'retryable', 'running', 'scheduled'))`,
		job.StatusFailed, "the job was lost (its instance stopped while running it, too many times)", at.UTC(), unfinished)
	return res.RowsAffected, translate(res.Error)
}
