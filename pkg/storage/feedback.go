package storage

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/rapportcrm/rapport/pkg/feedback"
	"github.com/rapportcrm/rapport/pkg/page"
)

// closedStatuses end a complaint's handling; the others are its backlog.
var closedStatuses = []string{"resolved", "closed"}

// FeedbackStore keeps feedback and the complaint service levels.
type FeedbackStore struct{ conn }

var _ feedback.Store = (*FeedbackStore)(nil)

// FeedbackStore returns the store over db.
func (db *DB) FeedbackStore() *FeedbackStore {
	return &FeedbackStore{db.conn}
}

type feedbackRow struct {
	OrgID              uuid.UUID `gorm:"primaryKey"`
	ID                 uuid.UUID `gorm:"primaryKey"`
	CustomerID         uuid.UUID
	Kind               string
	Score              *int
	Comment            string
	Channel            string
	Survey             string
	ContactID          *uuid.UUID
	Subject            string
	Description        string
	Priority           string
	AssigneeID         *uuid.UUID
	Resolution         string
	Response           string
	Status             string
	FirstResponseAt    *time.Time
	ResolvedAt         *time.Time
	FirstResponseDueAt *time.Time
	ResolutionDueAt    *time.Time
	Version            int64
	CreatedAt          time.Time
	UpdatedAt          time.Time `gorm:"autoUpdateTime:false"`
	DeletedAt          *time.Time
}

func (feedbackRow) TableName() string { return "feedback" }

func toFeedbackRow(f feedback.Feedback) feedbackRow {
	return feedbackRow{
		OrgID: f.OrgID, ID: f.ID, CustomerID: f.CustomerID, Kind: f.Kind, Score: f.Score, Comment: f.Comment, Channel: f.Channel,
		Survey: f.Survey, ContactID: f.ContactID, Subject: f.Subject, Description: f.Description, Priority: f.Priority,
		AssigneeID: f.AssigneeID, Resolution: f.Resolution, Response: f.Response, Status: f.Status,
		FirstResponseAt: f.FirstResponseAt, ResolvedAt: f.ResolvedAt, FirstResponseDueAt: f.FirstResponseDueAt,
		ResolutionDueAt: f.ResolutionDueAt, Version: f.Version, CreatedAt: f.CreatedAt, UpdatedAt: f.UpdatedAt, DeletedAt: f.DeletedAt,
	}
}

func (r feedbackRow) toFeedback() feedback.Feedback {
	return feedback.Feedback{
		ID: r.ID, OrgID: r.OrgID, CustomerID: r.CustomerID, Kind: r.Kind, Score: r.Score, Comment: r.Comment, Channel: r.Channel,
		Survey: r.Survey, ContactID: r.ContactID, Subject: r.Subject, Description: r.Description, Priority: r.Priority,
		AssigneeID: r.AssigneeID, Resolution: r.Resolution, Response: r.Response, Status: r.Status,
		FirstResponseAt: utcPtr(r.FirstResponseAt), ResolvedAt: utcPtr(r.ResolvedAt), FirstResponseDueAt: utcPtr(r.FirstResponseDueAt),
		ResolutionDueAt: utcPtr(r.ResolutionDueAt), Version: r.Version, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
		DeletedAt: utcPtr(r.DeletedAt),
	}
}

// Insert stores new feedback.
func (s *FeedbackStore) Insert(ctx context.Context, f feedback.Feedback) error {
	row := toFeedbackRow(f)
	return translate(s.with(ctx).Create(&row).Error)
}

// Update overwrites feedback whose stored version is prev.
func (s *FeedbackStore) Update(ctx context.Context, f feedback.Feedback, prev int64) error {
	row := toFeedbackRow(f)
	res := s.with(ctx).Model(&feedbackRow{}).Where("org_id = ? AND id = ? AND version = ?", f.OrgID, f.ID, prev).
		Select("*").Omit("org_id", "id", "created_at").Updates(&row)
	if res.Error != nil {
		return translate(res.Error)
	}
	if res.RowsAffected == 0 {
		return feedback.ErrConcurrentWrite
	}
	return nil
}

// Get returns live feedback.
func (s *FeedbackStore) Get(ctx context.Context, orgID, id uuid.UUID) (feedback.Feedback, error) {
	var row feedbackRow
	if err := s.with(ctx).Where("org_id = ? AND id = ? AND deleted_at IS NULL", orgID, id).Take(&row).Error; err != nil {
		return feedback.Feedback{}, notFound(err, feedback.ErrNotFound)
	}
	return row.toFeedback(), nil
}

var feedbackSortKeys = map[string]sortKey[feedbackRow]{
	"created_at": {column: "created_at", isTime: true, value: func(r feedbackRow) any { return r.CreatedAt }},
}

// List returns a page of live feedback matching the filter.
func (s *FeedbackStore) List(ctx context.Context, orgID uuid.UUID, f feedback.Filter, p page.Request) (page.Result[feedback.Feedback], error) {
	q := s.with(ctx).Model(&feedbackRow{}).Where("org_id = ? AND deleted_at IS NULL", orgID)
	for column, value := range map[string]string{"kind": f.Kind, "status": f.Status, "priority": f.Priority, "survey": f.Survey, "channel": f.Channel} {
		if value != "" {
			q = q.Where(column+" = ?", value)
		}
	}
	for column, id := range map[string]*uuid.UUID{"customer_id": f.CustomerID, "assignee_id": f.AssigneeID} {
		if id != nil {
			q = q.Where(column+" = ?", *id)
		}
	}
	for cond, t := range map[string]*time.Time{"created_at >= ?": f.CreatedAfter, "created_at < ?": f.CreatedBefore} {
		if t != nil {
			q = q.Where(cond, t.UTC())
		}
	}
	if f.OpenComplaints {
		q = q.Where("kind = ? AND status NOT IN ?", feedback.KindComplaint, closedStatuses)
	}
	return keysetPage(q, p, feedbackSortKeys, func(r feedbackRow) uuid.UUID { return r.ID }, gormScan[feedbackRow](q), feedbackRow.toFeedback)
}

// ContactOf tells whether a live contact has the id and belongs to the customer.
func (s *FeedbackStore) ContactOf(ctx context.Context, orgID, contactID, customerID uuid.UUID) (bool, error) {
	return s.contactOf(ctx, orgID, contactID, customerID)
}

type slaRow struct {
	OrgID                uuid.UUID `gorm:"primaryKey"`
	Priority             string    `gorm:"primaryKey"`
	FirstResponseMinutes int
	ResolutionMinutes    int
}

func (slaRow) TableName() string { return "feedback_sla" }

// SLAs returns the organization's targets, defaults for priorities it has not set.
func (s *FeedbackStore) SLAs(ctx context.Context, orgID uuid.UUID) ([]feedback.SLA, error) {
	var rows []slaRow
	if err := s.with(ctx).Where("org_id = ?", orgID).Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	out := append([]feedback.SLA(nil), feedback.DefaultSLAs...)
	for _, r := range rows {
		for i := range out {
			if out[i].Priority == r.Priority {
				out[i].FirstResponse, out[i].Resolution = time.Duration(r.FirstResponseMinutes)*time.Minute, time.Duration(r.ResolutionMinutes)*time.Minute
			}
		}
	}
	return out, nil
}

// SetSLAs replaces the organization's targets.
func (s *FeedbackStore) SetSLAs(ctx context.Context, orgID uuid.UUID, slas []feedback.SLA) error {
	return s.InTx(ctx, func(ctx context.Context) error {
		tx := s.with(ctx)
		if err := tx.Where("org_id = ?", orgID).Delete(&slaRow{}).Error; err != nil {
			return err
		}
		rows := make([]slaRow, len(slas))
		for i, sla := range slas {
			rows[i] = slaRow{OrgID: orgID, Priority: sla.Priority, FirstResponseMinutes: int(sla.FirstResponse.Minutes()), ResolutionMinutes: int(sla.Resolution.Minutes())}
		}
		return tx.Create(&rows).Error
	})
}

// Transitions reads a complaint's status changes from the change log, oldest first.
func (s *FeedbackStore) Transitions(ctx context.Context, orgID, feedbackID uuid.UUID) ([]feedback.Transition, error) {
	rows, err := s.with(ctx).Table("events").Select(eventColumns).
		Where("org_id = ? AND subject_id = ? AND type = ?", orgID, feedbackID, "feedback.status_changed").Order("occurred_at, id").Rows()
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var out []feedback.Transition
	for rows.Next() {
		r, err := scanEvent(rows)
		if err != nil {
			return nil, translate(err)
		}
		var data struct{ From, To, Note string }
		if len(r.Data) > 0 {
			if err := json.Unmarshal(r.Data, &data); err != nil {
				return nil, err
			}
		}
		e := r.toEvent()
		out = append(out, feedback.Transition{From: data.From, To: data.To, Note: data.Note, Actor: e.Actor, At: e.OccurredAt})
	}
	return out, translate(rows.Err())
}

// statsScope selects the feedback of a statistics query, and the expression it is grouped by.
func (s *FeedbackStore) statsScope(ctx context.Context, orgID uuid.UUID, q feedback.StatsQuery, kinds ...string) (*gorm.DB, string) {
	pg := s.dialect == Postgres
	key := map[string]string{
		"":                "''",
		"channel":         "f.channel",
		"survey":          "f.survey",
		"lifecycle_stage": "c.lifecycle_stage",
		"month":           map[bool]string{true: "to_char(f.created_at AT TIME ZONE 'UTC', 'YYYY-MM')", false: "substr(f.created_at, 1, 7)"}[pg],
		"week": map[bool]string{true: "to_char(date_trunc('week', f.created_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD')",
			false: "date(substr(f.created_at, 1, 10), 'weekday 0', '-6 days')"}[pg],
	}[q.GroupBy]
	db := s.with(ctx).Table("feedback AS f").
		Where("f.org_id = ? AND f.deleted_at IS NULL AND f.kind IN ? AND f.created_at >= ? AND f.created_at < ?", orgID, kinds, q.From.UTC(), q.To.UTC())
	if q.GroupBy == "lifecycle_stage" {
		db = db.Joins("JOIN customers AS c ON c.org_id = f.org_id AND c.id = f.customer_id")
	}
	return db, key
}

// SurveyCounts tallies survey answers per group in one pass over the period's answers.
func (s *FeedbackStore) SurveyCounts(ctx context.Context, orgID uuid.UUID, q feedback.StatsQuery) ([]feedback.SurveyCounts, error) {
	db, key := s.statsScope(ctx, orgID, q, feedback.KindNPS, feedback.KindCSAT, feedback.KindCES)
	rows, err := db.Select(key + ` AS k,
		SUM(CASE WHEN f.kind = 'nps' THEN 1 ELSE 0 END),
		SUM(CASE WHEN f.kind = 'nps' AND f.score >= 9 THEN 1 ELSE 0 END),
		SUM(CASE WHEN f.kind = 'nps' AND f.score BETWEEN 7 AND 8 THEN 1 ELSE 0 END),
		SUM(CASE WHEN f.kind = 'nps' AND f.score <= 6 THEN 1 ELSE 0 END),
		SUM(CASE WHEN f.kind = 'csat' THEN 1 ELSE 0 END),
		SUM(CASE WHEN f.kind = 'csat' AND f.score >= 4 THEN 1 ELSE 0 END),
		SUM(CASE WHEN f.kind = 'ces' THEN 1 ELSE 0 END),
		SUM(CASE WHEN f.kind = 'ces' THEN f.score ELSE 0 END)`).Group("k").Rows()
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var out []feedback.SurveyCounts
	for rows.Next() {
		var c feedback.SurveyCounts
		if err := rows.Scan(&c.Key, &c.NPS, &c.Promoters, &c.Passives, &c.Detractor, &c.CSAT, &c.Satisfied, &c.CES, &c.CESSum); err != nil {
			return nil, translate(err)
		}
		out = append(out, c)
	}
	return out, translate(rows.Err())
}

// ComplaintFacts reads the times of the period's complaints.
func (s *FeedbackStore) ComplaintFacts(ctx context.Context, orgID uuid.UUID, q feedback.StatsQuery) ([]feedback.ComplaintFacts, error) {
	db, key := s.statsScope(ctx, orgID, q, feedback.KindComplaint)
	rows, err := db.Select(key + " AS k, f.status, f.created_at, f.first_response_at, f.resolved_at, f.first_response_due_at, f.resolution_due_at").Rows()
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var out []feedback.ComplaintFacts
	for rows.Next() {
		var f feedback.ComplaintFacts
		if err := rows.Scan(&f.Key, &f.Status, &f.CreatedAt, &f.FirstResponseAt, &f.ResolvedAt, &f.FirstResponseDueAt, &f.ResolutionDueAt); err != nil {
			return nil, translate(err)
		}
		out = append(out, f)
	}
	return out, translate(rows.Err())
}

// OpenComplaints returns when each complaint still open was created.
func (s *FeedbackStore) OpenComplaints(ctx context.Context, orgID uuid.UUID) ([]time.Time, error) {
	var created []time.Time
	err := s.with(ctx).Model(&feedbackRow{}).
		Where("org_id = ? AND deleted_at IS NULL AND kind = ? AND status NOT IN ?", orgID, feedback.KindComplaint, closedStatuses).
		Pluck("created_at", &created).Error
	return created, translate(err)
}
