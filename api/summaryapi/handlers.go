package summaryapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/rapportcrm/rapport/api/contactapi"
	"github.com/rapportcrm/rapport/api/customerapi"
	"github.com/rapportcrm/rapport/api/feedbackapi"
	"github.com/rapportcrm/rapport/api/mid"
	"github.com/rapportcrm/rapport/api/web"
	"github.com/rapportcrm/rapport/pkg/contact"
	"github.com/rapportcrm/rapport/pkg/feedback"
	"github.com/rapportcrm/rapport/pkg/page"
)

func newest(n int) page.Request { return page.Request{Limit: n, Sort: "created_at", Desc: true} }

// summary godoc
//
//	@Summary		The 360° view of a customer
//	@ID				getCustomerSummary
//	@Description	The profile, contacts by channel and the latest contact, the latest NPS and CSAT answers and the
//	@Description	open complaints with their SLA state: enough to render a customer page from one request.
//	@Description	Needs customers:read, contacts:read and feedback:read.
//	@Tags			customers
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id	path		string	true	"Customer id"	format(uuid)
//	@Success		200	{object}	Summary
//	@Failure		401,403,404,429,500,503	{object}	web.Problem
//	@Router			/customers/{id}/summary [get]
func (h handlers) summary(c echo.Context) error {
	ctx, org := c.Request().Context(), mid.Principal(c).OrgID
	id, err := web.PathID(c)
	if err != nil {
		return err
	}
	cust, err := h.customers.Get(ctx, org, id)
	if err != nil {
		return err
	}
	out := Summary{Customer: customerapi.ToCustomer(cust), Contacts: ContactSummary{Total: cust.ContactCount},
		Feedback: FeedbackSummary{OpenComplaints: []feedbackapi.Feedback{}}}
	if out.Contacts.ByChannel, err = h.contacts.ChannelCounts(ctx, org, id); err != nil {
		return err
	}
	last, err := h.contacts.List(ctx, org, contact.Filter{CustomerID: &id}, page.Request{Limit: 1, Sort: "occurred_at", Desc: true})
	if err != nil {
		return err
	}
	if len(last.Items) > 0 {
		lc := contactapi.ToContact(last.Items[0])
		out.Contacts.Last = &lc
	}
	for kind, dst := range map[string]**SurveyAnswer{feedback.KindNPS: &out.Feedback.LatestNPS, feedback.KindCSAT: &out.Feedback.LatestCSAT} {
		res, err := h.feedback.List(ctx, org, feedback.Filter{CustomerID: &id, Kind: kind}, newest(1))
		if err != nil {
			return err
		}
		if len(res.Items) > 0 && res.Items[0].Score != nil {
			f := res.Items[0]
			*dst = &SurveyAnswer{Score: *f.Score, AnsweredAt: f.CreatedAt, Survey: f.Survey}
		}
	}
	open, err := h.feedback.List(ctx, org, feedback.Filter{CustomerID: &id, OpenComplaints: true}, newest(20))
	if err != nil {
		return err
	}
	now := h.feedback.Now()
	for _, f := range open.Items {
		out.Feedback.OpenComplaints = append(out.Feedback.OpenComplaints, feedbackapi.ToFeedback(f, now))
	}
	return c.JSON(http.StatusOK, out)
}
