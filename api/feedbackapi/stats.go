package feedbackapi

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/rapportcrm/rapport/api/mid"
	"github.com/rapportcrm/rapport/api/web"
	"github.com/rapportcrm/rapport/pkg/feedback"
)

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

// stats godoc
//
//	@Summary		Satisfaction and complaint-handling figures over a period
//	@Description	Over feedback created in [from, to) (default: the 30 days before now):
//	@Description	NPS = % promoters (9–10) − % detractors (0–6); CSAT = % of answers 4 or 5 (of 1–5);
//	@Description	CES = mean answer (1–7); for complaints: count by status, median and 90th percentile of the
//	@Description	time to first response and to resolution, the SLA breach rate; and the backlog of complaints
//	@Description	open now by age. group_by splits the figures by month, week, channel, survey or the
//	@Description	customer's current lifecycle stage. The range may span at most 3 years.
//	@Tags			feedback
//	@Produce		json
//	@Security		BearerAuth
//	@Param			from		query		string	false	"Start, inclusive (RFC 3339)"	format(date-time)
//	@Param			to			query		string	false	"End, exclusive (RFC 3339)"	format(date-time)
//	@Param			group_by	query		string	false	"Grouping"	Enums(month, week, channel, survey, lifecycle_stage)
//	@Success		200			{object}	StatsReport
//	@Failure		400,401,403,422,429,500,503	{object}	web.Problem
//	@Router			/feedback/stats [get]
func (h handlers) stats(c echo.Context) error {
	q := web.NewQuery(c, "from", "to", "group_by")
	sq := feedback.StatsQuery{GroupBy: web.Enum(q, "group_by", feedback.GroupBys)}
	to, from := q.Time("to"), q.Time("from")
	if err := q.Err(); err != nil {
		return err
	}
	sq.To = h.svc.Now()
	if to != nil {
		sq.To = *to
	}
	sq.From = sq.To.Add(-30 * 24 * time.Hour)
	if from != nil {
		sq.From = *from
	}
	r, err := h.svc.Stats(c.Request().Context(), mid.Principal(c).OrgID, sq)
	if err != nil {
		return err
	}
	out := StatsReport{From: sq.From.UTC(), To: sq.To.UTC(), GroupBy: sq.GroupBy, Overall: ToStats(r.Overall), Groups: []FeedbackStats{},
		Backlog: Backlog{Open: r.Backlog.Open, ByAge: r.Backlog.ByAge}}
	for _, g := range r.Groups {
		out.Groups = append(out.Groups, ToStats(g))
	}
	return c.JSON(http.StatusOK, out)
}
