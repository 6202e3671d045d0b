package feedbackapi

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/rapportcrm/rapport/api/eventapi"
	"github.com/rapportcrm/rapport/api/mid"
	"github.com/rapportcrm/rapport/api/web"
	"github.com/rapportcrm/rapport/pkg/chart"
	"github.com/rapportcrm/rapport/pkg/feedback"
)

func (h handlers) respond(c echo.Context, status int, f feedback.Feedback) error {
	web.SetETag(c, f.Version)
	return c.JSON(status, ToFeedback(f, h.svc.Now()))
}

func (h handlers) listWith(c echo.Context, nested bool) error {
	q, customerID, err := web.ScopedQuery(c, nested,
		"kind", "status", "priority", "assignee_id", "survey", "channel", "created_after", "created_before")
	if err != nil {
		return err
	}
	statuses := append(append([]string{}, feedback.ComplaintStatuses...), feedback.SuggestionStatuses...)
	f := feedback.Filter{
		Kind: web.Enum(q, "kind", feedback.Kinds), Status: web.Enum(q, "status", statuses), Priority: web.Enum(q, "priority", feedback.Priorities),
		AssigneeID: q.UUID("assignee_id"), Survey: q.String("survey"), Channel: q.String("channel"),
		CreatedAfter: q.Time("created_after"), CreatedBefore: q.Time("created_before"), CustomerID: customerID,
	}
	req := q.Page(feedback.SortFields, "-created_at")
	if err := q.Err(); err != nil {
		return err
	}
	res, err := h.svc.List(c.Request().Context(), mid.Principal(c).OrgID, f, req)
	if err != nil {
		return err
	}
	now := h.svc.Now()
	return c.JSON(http.StatusOK, web.NewPage(res, func(f feedback.Feedback) Feedback { return ToFeedback(f, now) }))
}

// list godoc
//
//	@Summary		List feedback
//	@ID				listFeedback
//	@Description	Newest first. Complaints carry their SLA state (met, breached or running) as of now.
//	@Tags			feedback
//	@Produce		json
//	@Security		BearerAuth
//	@Param			limit			query		int		false	"Page size, 1 to 200"	default(50)
//	@Param			cursor			query		string	false	"next_cursor of the previous page"
//	@Param			sort			query		string	false	"Order"	Enums(created_at, -created_at)	default(-created_at)
//	@Param			customer_id		query		string	false	"Customer"	format(uuid)
//	@Param			kind			query		string	false	"Kind"	Enums(nps, csat, ces, complaint, suggestion, compliment)
//	@Param			status			query		string	false	"Status of complaints or suggestions"
//	@Param			priority		query		string	false	"Complaint priority"	Enums(urgent, high, normal, low)
//	@Param			assignee_id		query		string	false	"Assignee (a user id)"	format(uuid)
//	@Param			survey			query		string	false	"Survey label"
//	@Param			channel			query		string	false	"Channel label"
//	@Param			created_after	query		string	false	"At or after (RFC 3339)"	format(date-time)
//	@Param			created_before	query		string	false	"Before (RFC 3339)"	format(date-time)
//	@Success		200				{object}	web.Page{data=[]Feedback}
//	@Failure		400,401,403,404,429,500,503	{object}	web.Problem
//	@Router			/feedback [get]
func (h handlers) list(c echo.Context) error { return h.listWith(c, false) }

// listForCustomer godoc
//
//	@Summary	List one customer's feedback
//	@ID			listCustomerFeedback
//	@Tags		feedback
//	@Produce	json
//	@Security	BearerAuth
//	@Param		id				path		string	true	"Customer id"	format(uuid)
//	@Param		limit			query		int		false	"Page size, 1 to 200"	default(50)
//	@Param		cursor			query		string	false	"next_cursor of the previous page"
//	@Param		sort			query		string	false	"Order"	Enums(created_at, -created_at)	default(-created_at)
//	@Param		kind			query		string	false	"Kind"	Enums(nps, csat, ces, complaint, suggestion, compliment)
//	@Param		status			query		string	false	"Status of complaints or suggestions"
//	@Param		priority		query		string	false	"Complaint priority"	Enums(urgent, high, normal, low)
//	@Param		assignee_id		query		string	false	"Assignee (a user id)"	format(uuid)
//	@Param		survey			query		string	false	"Survey label"
//	@Param		channel			query		string	false	"Channel label"
//	@Param		created_after	query		string	false	"At or after (RFC 3339)"	format(date-time)
//	@Param		created_before	query		string	false	"Before (RFC 3339)"	format(date-time)
//	@Success	200				{object}	web.Page{data=[]Feedback}
//	@Failure	400,401,403,404,429,500,503	{object}	web.Problem
//	@Router		/customers/{id}/feedback [get]
func (h handlers) listForCustomer(c echo.Context) error { return h.listWith(c, true) }

// create godoc
//
//	@Summary		Record feedback
//	@ID				createFeedback
//	@Description	nps: score 0–10; csat: 1–5; ces: 1–7 (a score off the scale answers 422 naming score).
//	@Description	complaint: subject required, priority (default normal); starts open with SLA due times.
//	@Description	suggestion: status new unless given, with an optional response. compliment: a comment.
//	@Tags			feedback
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			Idempotency-Key	header		string			false	"Makes a retry safe"
//	@Param			body			body		FeedbackInput	true	"The feedback"
//	@Success		201				{object}	Feedback
//	@Header			201				{string}	ETag		"The version, for If-Match"
//	@Header			201				{string}	Location	"The new feedback's URL"
//	@Failure		400,401,403,413,415,422,429,500,503	{object}	web.Problem
//	@Router			/feedback [post]
func (h handlers) create(c echo.Context) error {
	var in FeedbackInput
	shape, err := web.BindShape(c, &in)
	if err != nil {
		return err
	}
	if in.CustomerID == "" {
		shape.Add("customer_id", "is required")
	}
	ctx, actor, f := c.Request().Context(), mid.Principal(c).Actor(), in.toDomain(feedback.Feedback{})
	if err := web.Checked(shape, func() error { return h.svc.Check(ctx, actor, f) }); err != nil {
		return err
	}
	f, err = h.svc.Create(ctx, actor, f)
	return h.created(c, f, err)
}

// createForCustomer godoc
//
//	@Summary	Record feedback from a customer
//	@ID			createCustomerFeedback
//	@Tags		feedback
//	@Accept		json
//	@Produce	json
//	@Security	BearerAuth
//	@Param		id				path		string			true	"Customer id"	format(uuid)
//	@Param		Idempotency-Key	header		string			false	"Makes a retry safe"
//	@Param		body			body		FeedbackInput	true	"The feedback (customer_id comes from the path)"
//	@Success	201				{object}	Feedback
//	@Header		201				{string}	ETag		"The version, for If-Match"
//	@Header		201				{string}	Location	"The new feedback's URL"
//	@Failure	400,401,403,404,413,415,422,429,500,503	{object}	web.Problem
//	@Router		/customers/{id}/feedback [post]
func (h handlers) createForCustomer(c echo.Context) error {
	id, err := web.PathID(c)
	if err != nil {
		return err
	}
	var in FeedbackInput
	shape, err := web.BindShape(c, &in)
	if err != nil {
		return err
	}
	if err := web.SameCustomer(in.CustomerID, id); err != nil {
		return err
	}
	ctx, actor, f := c.Request().Context(), mid.Principal(c).Actor(), in.toDomain(feedback.Feedback{CustomerID: id})
	if err := web.Checked(shape, func() error { return h.svc.Check(ctx, actor, f) }); err != nil {
		return err
	}
	f, err = h.svc.CreateForCustomer(ctx, actor, id, f)
	return h.created(c, f, err)
}

func (h handlers) created(c echo.Context, f feedback.Feedback, err error) error {
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/v1/feedback/"+f.ID.String())
	return h.respond(c, http.StatusCreated, f)
}

// get godoc
//
//	@Summary	Get feedback
//	@ID			getFeedback
//	@Tags		feedback
//	@Produce	json
//	@Security	BearerAuth
//	@Param		id	path		string	true	"Feedback id"	format(uuid)
//	@Success	200	{object}	Feedback
//	@Header		200	{string}	ETag	"The version, for If-Match"
//	@Failure	401,403,404,429,500,503	{object}	web.Problem
//	@Router		/feedback/{id} [get]
func (h handlers) get(c echo.Context) error {
	id, err := web.PathID(c)
	if err != nil {
		return err
	}
	f, err := h.svc.Get(c.Request().Context(), mid.Principal(c).OrgID, id)
	if err != nil {
		return err
	}
	return h.respond(c, http.StatusOK, f)
}

// patch godoc
//
//	@Summary		Update feedback (JSON merge patch)
//	@ID				updateFeedback
//	@Description	The kind cannot change. A complaint's status moves through its transitions; a new priority
//	@Description	moves its SLA due times (counted from its creation).
//	@Tags			feedback
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id			path		string			true	"Feedback id"	format(uuid)
//	@Param			If-Match	header		string			false	"ETag from a previous read"
//	@Param			body		body		FeedbackInput	true	"The fields to change"
//	@Success		200			{object}	Feedback
//	@Header			200			{string}	ETag	"The new version"
//	@Failure		400,401,403,404,409,412,413,415,422,429,500,503	{object}	web.Problem
//	@Router			/feedback/{id} [patch]
func (h handlers) patch(c echo.Context) error {
	id, err := web.PathID(c)
	if err != nil {
		return err
	}
	ifMatch, err := web.IfMatch(c)
	if err != nil {
		return err
	}
	patch, err := web.ReadBody(c)
	if err != nil {
		return err
	}
	f, err := h.svc.Update(c.Request().Context(), mid.Principal(c).Actor(), id, ifMatch, func(cur feedback.Feedback) (feedback.Feedback, error) {
		var in FeedbackInput
		if err := web.MergePatch(toInput(cur), patch, &in); err != nil {
			return feedback.Feedback{}, err
		}
		return in.toDomain(cur), nil
	})
	if err != nil {
		return err
	}
	return h.respond(c, http.StatusOK, f)
}

// delete godoc
//
//	@Summary	Delete feedback
//	@ID			deleteFeedback
//	@Tags		feedback
//	@Produce	json
//	@Security	BearerAuth
//	@Param		id			path	string	true	"Feedback id"	format(uuid)
//	@Param		If-Match	header	string	false	"ETag from a previous read"
//	@Success	204
//	@Failure	400,401,403,404,412,429,500,503	{object}	web.Problem
//	@Router		/feedback/{id} [delete]
func (h handlers) delete(c echo.Context) error {
	id, err := web.PathID(c)
	if err != nil {
		return err
	}
	ifMatch, err := web.IfMatch(c)
	if err != nil {
		return err
	}
	if err := h.svc.Delete(c.Request().Context(), mid.Principal(c).Actor(), id, ifMatch); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// transition godoc
//
//	@Summary		Move a complaint along its workflow
//	@ID				createFeedbackTransition
//	@Description	open → acknowledged → in_progress → resolved → closed; resolved → reopened → in_progress.
//	@Description	An illegal move answers 422 listing the allowed next states. The first move out of open sets
//	@Description	first_response_at; resolved needs a resolution and sets resolved_at. Each move is recorded.
//	@Tags			feedback
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id				path		string				true	"Complaint id"	format(uuid)
//	@Param			If-Match		header		string				false	"ETag from a previous read"
//	@Param			Idempotency-Key	header		string				false	"Makes a retry safe"
//	@Param			body			body		TransitionRequest	true	"The move"
//	@Success		200				{object}	Feedback
//	@Header			200				{string}	ETag	"The new version"
//	@Failure		400,401,403,404,409,412,413,415,422,429,500,503	{object}	web.Problem
//	@Router			/feedback/{id}/transitions [post]
func (h handlers) transition(c echo.Context) error {
	id, err := web.PathID(c)
	if err != nil {
		return err
	}
	ifMatch, err := web.IfMatch(c)
	if err != nil {
		return err
	}
	var req TransitionRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	f, err := h.svc.Transition(c.Request().Context(), mid.Principal(c).Actor(), id, ifMatch, req.To, req.Note, req.Resolution)
	if err != nil {
		return err
	}
	return h.respond(c, http.StatusOK, f)
}

// transitions godoc
//
//	@Summary	A complaint's recorded moves, oldest first
//	@ID			listFeedbackTransitions
//	@Tags		feedback
//	@Produce	json
//	@Security	BearerAuth
//	@Param		id	path		string	true	"Complaint id"	format(uuid)
//	@Success	200	{object}	TransitionList
//	@Failure	401,403,404,429,500,503	{object}	web.Problem
//	@Router		/feedback/{id}/transitions [get]
func (h handlers) transitions(c echo.Context) error {
	id, err := web.PathID(c)
	if err != nil {
		return err
	}
	moves, err := h.svc.Transitions(c.Request().Context(), mid.Principal(c).OrgID, id)
	if err != nil {
		return err
	}
	out := TransitionList{Data: make([]Transition, len(moves))}
	for i, m := range moves {
		out.Data[i] = Transition{From: m.From, To: m.To, Note: m.Note, Actor: eventapi.ToActor(m.Actor), At: m.At}
	}
	return c.JSON(http.StatusOK, out)
}

// getSLA godoc
//
//	@Summary		Complaint service levels
//	@ID				getSlaSettings
//	@Description	Per priority, the minutes from a complaint's creation to its first response and to its
//	@Description	resolution. Defaults: urgent 60/480, high 240/1440, normal 480/4320, low 1440/10080.
//	@Tags			feedback
//	@Produce		json
//	@Security		BearerAuth
//	@Success		200	{object}	SLASettings
//	@Failure		401,403,429,500,503	{object}	web.Problem
//	@Router			/feedback/sla [get]
func (h handlers) getSLA(c echo.Context) error {
	slas, err := h.svc.SLAs(c.Request().Context(), mid.Principal(c).OrgID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toSLASettings(slas))
}

// putSLA godoc
//
//	@Summary		Set the complaint service levels (admins)
//	@ID				setSlaSettings
//	@Description	Replaces the targets; a priority left out returns to its default. New targets apply to
//	@Description	complaints created, or changed in priority, from now on.
//	@Tags			feedback
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			body	body		SLASettings	true	"The targets"
//	@Success		200		{object}	SLASettings
//	@Failure		400,401,403,413,415,422,429,500,503	{object}	web.Problem
//	@Router			/feedback/sla [put]
func (h handlers) putSLA(c echo.Context) error {
	var req SLASettings
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	slas := make([]feedback.SLA, len(req.Targets))
	for i, t := range req.Targets {
		slas[i] = feedback.SLA{Priority: t.Priority, FirstResponse: time.Duration(t.FirstResponseMinutes) * time.Minute, Resolution: time.Duration(t.ResolutionMinutes) * time.Minute}
	}
	saved, err := h.svc.SetSLAs(c.Request().Context(), mid.Principal(c).Actor(), slas)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toSLASettings(saved))
}

// stats godoc
//
//	@Summary		Satisfaction and complaint-handling figures over a period
//	@ID				getFeedbackStats
//	@Description	Over feedback created in [from, to) (default: the 30 days before now):
//	@Description	NPS = % promoters (9–10) − % detractors (0–6); CSAT = % of answers 4 or 5 (of 1–5);
//	@Description	CES = mean answer (1–7); for complaints: count by status, median and 90th percentile of the
//	@Description	time to first response and to resolution, the SLA breach rate; and the backlog of complaints
//	@Description	open now by age. group_by splits the figures by month, week, channel, survey or the
//	@Description	customer's current lifecycle stage. The range may span at most 3 years.
//	@Description	With Accept: image/svg+xml or image/png, NPS, CSAT and CES per group as a chart (800 px
//	@Description	wide): over time with group_by=month or week.
//	@Tags			feedback
//	@Produce		json,image/svg+xml,image/png
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
	to, from := q.TimeSince("to", web.ReportEpoch), q.TimeSince("from", web.ReportEpoch)
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
	return web.Report(c, out, func() chart.Chart { return statsChart(out) })
}
