package feedbackapi

import (
	"time"

	"github.com/google/uuid"

	"github.com/rapportcrm/rapport/api/eventapi"
	"github.com/rapportcrm/rapport/api/web"
	"github.com/rapportcrm/rapport/pkg/feedback"
)

// FeedbackInput holds feedback's writable fields, for POST and as the document a PATCH (JSON
// merge patch) applies to. Which fields apply depends on the kind; others answer 422.
type FeedbackInput struct {
	// Required on POST /v1/feedback; taken from the path under /v1/customers/{id}.
	CustomerID string `json:"customer_id,omitempty" validate:"omitempty,uuid" format:"uuid"`
	Kind       string `json:"kind" validate:"required" enums:"nps,csat,ces,complaint,suggestion,compliment" example:"nps"`
	// Surveys only: nps 0–10, csat 1–5, ces 1–7.
	Score   *int   `json:"score,omitempty" example:"9"`
	Comment string `json:"comment,omitempty" validate:"max=20000"`
	// Where the answer came from (a free label such as email, web, phone), lower-cased.
	Channel string `json:"channel,omitempty" validate:"max=50" example:"email"`
	// A free label for the survey or campaign.
	Survey string `json:"survey,omitempty" validate:"max=200" example:"Onboarding 2026-Q4"`
	// The contact this answers, a contact with the same customer.
	ContactID string `json:"contact_id,omitempty" validate:"omitempty,uuid" format:"uuid"`
	// Complaints: required subject.
	Subject     string `json:"subject,omitempty" validate:"max=500"`
	Description string `json:"description,omitempty" validate:"max=20000"`
	// Complaints only. Absent on create: normal.
	Priority   string `json:"priority,omitempty" enums:"urgent,high,normal,low"`
	AssigneeID string `json:"assignee_id,omitempty" validate:"omitempty,uuid" format:"uuid"`
	Resolution string `json:"resolution,omitempty" validate:"max=20000"`
	// Suggestions: new, under_review, planned, implemented, declined. A complaint's status moves
	// only through POST /v1/feedback/{id}/transitions.
	Status string `json:"status,omitempty"`
	// Suggestions: the answer to the customer.
	Response string `json:"response,omitempty" validate:"max=20000"`
} // @name FeedbackInput

// SLAStatus is a complaint's service level: when each target is due and whether it was met.
type SLAStatus struct {
	FirstResponseDueAt time.Time `json:"first_response_due_at"`
	FirstResponse      string    `json:"first_response" enums:"met,breached,running"`
	ResolutionDueAt    time.Time `json:"resolution_due_at"`
	Resolution         string    `json:"resolution" enums:"met,breached,running"`
} // @name SLAStatus

// Feedback is one piece of feedback.
type Feedback struct {
	ID              string     `json:"id" format:"uuid"`
	CustomerID      string     `json:"customer_id" format:"uuid"`
	Kind            string     `json:"kind" enums:"nps,csat,ces,complaint,suggestion,compliment"`
	Score           *int       `json:"score" extensions:"x-nullable"`
	Comment         string     `json:"comment"`
	Channel         string     `json:"channel"`
	Survey          string     `json:"survey"`
	ContactID       *string    `json:"contact_id" format:"uuid" extensions:"x-nullable"`
	Subject         string     `json:"subject"`
	Description     string     `json:"description"`
	Priority        string     `json:"priority"`
	AssigneeID      *string    `json:"assignee_id" format:"uuid" extensions:"x-nullable"`
	Resolution      string     `json:"resolution"`
	Response        string     `json:"response"`
	Status          string     `json:"status"`
	FirstResponseAt *time.Time `json:"first_response_at" extensions:"x-nullable"`
	ResolvedAt      *time.Time `json:"resolved_at" extensions:"x-nullable"`
	// Complaints only.
	SLA *SLAStatus `json:"sla" extensions:"x-nullable"`
	// Complaints only: where the workflow allows it to move next.
	NextStatuses []string  `json:"next_statuses"`
	Version      int64     `json:"version"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
} // @name Feedback

func idString(id *uuid.UUID) *string {
	if id == nil {
		return nil
	}
	s := id.String()
	return &s
}

// ToFeedback converts domain feedback for a response; now decides SLA states.
func ToFeedback(f feedback.Feedback, now time.Time) Feedback {
	out := Feedback{
		ID: f.ID.String(), CustomerID: f.CustomerID.String(), Kind: f.Kind, Score: f.Score, Comment: f.Comment, Channel: f.Channel,
		Survey: f.Survey, ContactID: idString(f.ContactID), Subject: f.Subject, Description: f.Description, Priority: f.Priority,
		AssigneeID: idString(f.AssigneeID), Resolution: f.Resolution, Response: f.Response, Status: f.Status,
		FirstResponseAt: f.FirstResponseAt, ResolvedAt: f.ResolvedAt, NextStatuses: []string{},
		Version: f.Version, CreatedAt: f.CreatedAt, UpdatedAt: f.UpdatedAt,
	}
	if f.Kind == feedback.KindComplaint && f.FirstResponseDueAt != nil && f.ResolutionDueAt != nil {
		out.SLA = &SLAStatus{
			FirstResponseDueAt: *f.FirstResponseDueAt, FirstResponse: feedback.SLAState(f.FirstResponseDueAt, f.FirstResponseAt, now),
			ResolutionDueAt: *f.ResolutionDueAt, Resolution: feedback.SLAState(f.ResolutionDueAt, f.ResolvedAt, now),
		}
		out.NextStatuses = feedback.Next(f.Status)
	}
	return out
}

func toInput(f feedback.Feedback) FeedbackInput {
	in := FeedbackInput{
		CustomerID: f.CustomerID.String(), Kind: f.Kind, Score: f.Score, Comment: f.Comment, Channel: f.Channel, Survey: f.Survey,
		Subject: f.Subject, Description: f.Description, Priority: f.Priority, Resolution: f.Resolution, Status: f.Status, Response: f.Response,
	}
	if f.ContactID != nil {
		in.ContactID = f.ContactID.String()
	}
	if f.AssigneeID != nil {
		in.AssigneeID = f.AssigneeID.String()
	}
	return in
}

// toDomain applies a validated input over base.
func (in FeedbackInput) toDomain(base feedback.Feedback) feedback.Feedback {
	f := base
	if in.CustomerID != "" {
		f.CustomerID = web.ParseID(in.CustomerID)
	}
	f.Kind, f.Score, f.Comment, f.Channel, f.Survey = in.Kind, in.Score, in.Comment, in.Channel, in.Survey
	f.Subject, f.Description, f.Priority, f.Resolution, f.Status, f.Response = in.Subject, in.Description, in.Priority, in.Resolution, in.Status, in.Response
	f.ContactID, f.AssigneeID = web.OptionalID(in.ContactID), web.OptionalID(in.AssigneeID)
	return f
}

// TransitionRequest moves a complaint along its workflow:
// open → acknowledged → in_progress → resolved → closed, and resolved → reopened → in_progress.
type TransitionRequest struct {
	To   string `json:"to" validate:"required" enums:"acknowledged,in_progress,resolved,closed,reopened" example:"acknowledged"`
	Note string `json:"note,omitempty" validate:"max=5000" example:"Replacement on its way"`
	// Required to resolve, unless the complaint already has one.
	Resolution string `json:"resolution,omitempty" validate:"max=20000"`
} // @name TransitionRequest

// Transition is one recorded move of a complaint.
type Transition struct {
	From  string         `json:"from"`
	To    string         `json:"to"`
	Note  string         `json:"note"`
	Actor eventapi.Actor `json:"actor"`
	At    time.Time      `json:"at"`
} // @name Transition

// TransitionList is a complaint's moves, oldest first.
type TransitionList struct {
	Data []Transition `json:"data"`
} // @name TransitionList

// SLATarget is the service level of one priority.
type SLATarget struct {
	Priority             string `json:"priority" validate:"required" enums:"urgent,high,normal,low" example:"high"`
	FirstResponseMinutes int    `json:"first_response_minutes" validate:"required" example:"240"`
	ResolutionMinutes    int    `json:"resolution_minutes" validate:"required" example:"1440"`
} // @name SLATarget

// SLASettings are the complaint service levels: the time to a first response and to resolution,
// per priority, counted from the complaint's creation.
type SLASettings struct {
	Targets []SLATarget `json:"targets" validate:"required,max=4,dive"`
} // @name SLASettings

func toSLASettings(slas []feedback.SLA) SLASettings {
	out := SLASettings{Targets: make([]SLATarget, len(slas))}
	for i, s := range slas {
		out.Targets[i] = SLATarget{Priority: s.Priority, FirstResponseMinutes: int(s.FirstResponse.Minutes()), ResolutionMinutes: int(s.Resolution.Minutes())}
	}
	return out
}

// NPSStats is the Net Promoter Score: % promoters (scores 9–10) minus % detractors (0–6), from
// −100 to 100; passives (7–8) count only in the total. Null without answers.
type NPSStats struct {
	Score      *float64 `json:"score" extensions:"x-nullable" example:"42.5"`
	Promoters  int      `json:"promoters"`
	Passives   int      `json:"passives"`
	Detractors int      `json:"detractors"`
	Responses  int      `json:"responses"`
} // @name NPSStats

// CSATStats is the Customer Satisfaction score: the percentage of answers that are 4 or 5 on the
// 1–5 scale. Null without answers.
type CSATStats struct {
	Score     *float64 `json:"score" extensions:"x-nullable" example:"87.5"`
	Satisfied int      `json:"satisfied"`
	Responses int      `json:"responses"`
} // @name CSATStats

// CESStats is the Customer Effort Score: the mean answer on the 1–7 scale. Null without answers.
type CESStats struct {
	Mean      *float64 `json:"mean" extensions:"x-nullable" example:"2.4"`
	Responses int      `json:"responses"`
} // @name CESStats

// DurationStats are a duration's median and 90th percentile in seconds (linear interpolation
// between ranks, as PostgreSQL's percentile_cont). Null without data.
type DurationStats struct {
	Median *float64 `json:"median" extensions:"x-nullable"`
	P90    *float64 `json:"p90" extensions:"x-nullable"`
} // @name DurationStats

// ComplaintStats describe the handling of the complaints created in the period.
type ComplaintStats struct {
	Count    int            `json:"count"`
	ByStatus map[string]int `json:"by_status"`
	// From creation to the first move out of open.
	FirstResponseSeconds DurationStats `json:"first_response_seconds"`
	// From creation to (the latest) resolution.
	ResolutionSeconds DurationStats `json:"resolution_seconds"`
	// The share (0–1) of complaints that missed their first-response or resolution target, as of now.
	SLABreachRate *float64 `json:"sla_breach_rate" extensions:"x-nullable"`
} // @name ComplaintStats

// FeedbackStats are the figures of one group, or of all.
type FeedbackStats struct {
	// The group: a month (2026-05), a week (the Monday, 2026-05-04), a channel, a survey or a
	// lifecycle stage; empty for the overall figures.
	Key        string         `json:"key"`
	NPS        NPSStats       `json:"nps"`
	CSAT       CSATStats      `json:"csat"`
	CES        CESStats       `json:"ces"`
	Complaints ComplaintStats `json:"complaints"`
} // @name FeedbackStats

// Backlog counts the complaints open now (not resolved or closed), by age.
type Backlog struct {
	Open  int            `json:"open"`
	ByAge map[string]int `json:"by_age" example:"under_1d:3"`
} // @name ComplaintBacklog

// StatsReport answers GET /v1/feedback/stats.
type StatsReport struct {
	From    time.Time       `json:"from"`
	To      time.Time       `json:"to"`
	GroupBy string          `json:"group_by"`
	Overall FeedbackStats   `json:"overall"`
	Groups  []FeedbackStats `json:"groups"`
	Backlog Backlog         `json:"backlog"`
} // @name FeedbackStatsReport

// ToStats converts the figures of a group for a response.
func ToStats(s feedback.Stats) FeedbackStats {
	c := s.Complaints
	return FeedbackStats{
		Key:  s.Key,
		NPS:  NPSStats{Score: s.NPS.Score, Promoters: s.NPS.Promoters, Passives: s.NPS.Passives, Detractors: s.NPS.Detractors, Responses: s.NPS.Answered},
		CSAT: CSATStats{Score: s.CSAT.Score, Satisfied: s.CSAT.Satisfied, Responses: s.CSAT.Answered},
		CES:  CESStats{Mean: s.CES.Mean, Responses: s.CES.Answered},
		Complaints: ComplaintStats{Count: c.Count, ByStatus: c.ByStatus, SLABreachRate: c.BreachRate,
			FirstResponseSeconds: DurationStats{Median: c.FirstResponse.Median, P90: c.FirstResponse.P90},
			ResolutionSeconds:    DurationStats{Median: c.Resolution.Median, P90: c.Resolution.P90}},
	}
}
