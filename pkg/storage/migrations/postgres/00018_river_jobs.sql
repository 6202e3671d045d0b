-- +goose Up
-- Jobs run on River (its tables come from its own migrations, applied after these): a row here is
-- the job's record that GET /v1/jobs/{id} answers, and river_job_id names the River job, inserted
-- in the same transaction, that works it. River's rescuer replaces the lease.
ALTER TABLE jobs DROP COLUMN lease_until;
ALTER TABLE jobs ADD COLUMN params_hash text;
ALTER TABLE jobs ADD COLUMN river_job_id bigint;
DROP INDEX jobs_pending_idx;
-- One run per organization, type and parameters while it is queued or running: a second identical
-- request answers the first. The index also finds an organization's unfinished jobs.
CREATE UNIQUE INDEX jobs_active_idx ON jobs (org_id, type, params_hash) WHERE status IN ('queued', 'running');

-- +goose Down
DROP INDEX jobs_active_idx;
CREATE INDEX jobs_pending_idx ON jobs (created_at, id) WHERE status IN ('queued', 'running');
ALTER TABLE jobs DROP COLUMN river_job_id;
ALTER TABLE jobs DROP COLUMN params_hash;
ALTER TABLE jobs ADD COLUMN lease_until timestamptz;
