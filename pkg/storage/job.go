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

// JobStore keeps background jobs.
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
	Progress   float64
	Result     jsonValue[json.RawMessage]
	Error      *string
	Attempts   int
	LeaseUntil *time.Time
	CreatedBy  *uuid.UUID
	CreatedAt  time.Time
	StartedAt  *time.Time
	FinishedAt *time.Time
}

func (jobRow) TableName() string { return "jobs" }

func (r jobRow) toJob() job.Job {
	return job.Job{ID: r.ID, OrgID: r.OrgID, Type: r.Type, Status: job.Status(r.Status), Params: r.Params.V,
		Progress: r.Progress, Result: r.Result.V, Error: deref(r.Error), Attempts: r.Attempts, CreatedBy: r.CreatedBy,
		CreatedAt: r.CreatedAt.UTC(), StartedAt: utcPtr(r.StartedAt), FinishedAt: utcPtr(r.FinishedAt)}
}

// InsertJob stores a new job.
func (s *JobStore) InsertJob(ctx context.Context, j job.Job) error {
	return translate(s.with(ctx).Create(&jobRow{OrgID: j.OrgID, ID: j.ID, Type: j.Type, Status: string(j.Status),
		Params: jsonValue[json.RawMessage]{V: j.Params}, CreatedBy: j.CreatedBy, CreatedAt: j.CreatedAt}).Error)
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

// ClaimJob takes the oldest waiting job in one statement; on PostgreSQL SKIP LOCKED lets
// instances claim different jobs at once, SQLite serializes writers anyway.
func (s *JobStore) ClaimJob(ctx context.Context, types []string, now, leaseUntil time.Time) (job.Job, bool, error) {
	now, leaseUntil = now.UTC(), leaseUntil.UTC()
	err := s.with(ctx).Model(&jobRow{}).
		Where("status = ? AND lease_until < ? AND attempts >= ?", job.StatusRunning, now, job.MaxAttempts).
		Updates(map[string]any{"status": job.StatusFailed, "finished_at": now,
			"error": "the job was interrupted too many times (its instance stopped while running it)"}).Error
	if err != nil {
		return job.Job{}, false, translate(err)
	}
	lock := ""
	if s.dialect == Postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	var rows []jobRow
	err = s.with(ctx).Raw(`UPDATE jobs SET status = ?, attempts = attempts + 1, lease_until = ?, started_at = ?
		WHERE (org_id, id) = (SELECT org_id, id FROM jobs WHERE status IN (?, ?) AND type IN ?
			AND (status = ? OR lease_until < ?) ORDER BY created_at, id LIMIT 1`+lock+`)
		RETURNING *`, job.StatusRunning, leaseUntil, now, job.StatusQueued, job.StatusRunning, types,
		job.StatusQueued, now).Scan(&rows).Error
	if err != nil || len(rows) == 0 {
		return job.Job{}, false, translate(err)
	}
	return rows[0].toJob(), true, nil
}

func claimed(db *gorm.DB, j job.Job) *gorm.DB {
	return db.Model(&jobRow{}).Where("org_id = ? AND id = ? AND status = ? AND attempts = ?", j.OrgID, j.ID, job.StatusRunning, j.Attempts)
}

// RenewJob extends the claim's lease and records progress.
func (s *JobStore) RenewJob(ctx context.Context, j job.Job, progress float64, leaseUntil time.Time) (bool, error) {
	res := claimed(s.with(ctx), j).Updates(map[string]any{"progress": progress, "lease_until": leaseUntil.UTC()})
	return res.RowsAffected == 1, translate(res.Error)
}

// FinishJob records the claim's outcome.
func (s *JobStore) FinishJob(ctx context.Context, j job.Job) error {
	return translate(claimed(s.with(ctx), j).Updates(map[string]any{"status": j.Status, "progress": j.Progress,
		"result": jsonValue[json.RawMessage]{V: j.Result}, "error": nullable(j.Error), "finished_at": j.FinishedAt,
		"lease_until": nil}).Error)
}

// PurgeJobs deletes the jobs that finished before t.
func (s *JobStore) PurgeJobs(ctx context.Context, t time.Time) (int64, error) {
	res := s.with(ctx).Where("status IN ? AND finished_at < ?", []job.Status{job.StatusSucceeded, job.StatusFailed}, t.UTC()).Delete(&jobRow{})
	return res.RowsAffected, translate(res.Error)
}
