package feedbackapi_test

import (
	"testing"
	"time"

	"github.com/rapportcrm/rapport/api/apitest"
	"github.com/rapportcrm/rapport/pkg/chart"
	"github.com/rapportcrm/rapport/pkg/chart/charttest"
)

// The satisfaction figures as a chart: per month with a gap for a month without answers, per
// channel, for a period without answers and for a single answer; the chart tells the JSON's numbers.
func TestStatsChart(t *testing.T) {
	clk := &clock{t: time.Date(2026, 1, 12, 10, 0, 0, 0, time.UTC)}
	env := apitest.NewWith(t, apitest.Options{Now: clk.now})
	s := env.Signup(t, "Acme")
	a := post(t, env, s.Access, "/v1/customers", map[string]any{"first_name": "A"}, 201)["id"].(string)
	b := post(t, env, s.Access, "/v1/customers", map[string]any{"first_name": "B"}, 201)["id"].(string)
	answer := func(cust, kind string, score int, channel string) {
		post(t, env, s.Access, "/v1/customers/"+cust+"/feedback", map[string]any{"kind": kind, "score": score, "channel": channel}, 201)
	}
	// January: NPS 10, 9, 3, CSAT 5, 2, CES 2; nothing in February; March: NPS 10, CES 5; April: CSAT 4.
	for _, sc := range []int{10, 9, 3} {
		answer(a, "nps", sc, "email")
	}
	answer(b, "csat", 5, "web")
	answer(b, "csat", 2, "web")
	answer(a, "ces", 2, "email")
	clk.t = time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC)
	answer(b, "nps", 10, "web")
	answer(b, "ces", 5, "web")
	clk.t = time.Date(2026, 4, 20, 10, 0, 0, 0, time.UTC)
	answer(a, "csat", 4, "email")

	period := "/v1/feedback/stats?from=2026-01-01T00:00:00Z&to=2026-05-01T00:00:00Z"
	for _, by := range []string{"month", "channel"} {
		path := period + "&group_by=" + by
		r := env.Expect(t, s.Access, "GET", path, nil, 200)
		texts := env.Chart(t, s.Access, path, "feedback-"+by)
		wants := []string{"Customer satisfaction by " + by, "NPS (−100 to 100)", "CSAT (% satisfied)", "CES (mean, 1 to 7)", "overall NPS " + chart.Number(r["overall"].(map[string]any)["nps"].(map[string]any)["score"].(float64))}
		if by == "month" {
			wants = append(wants, "2026-01", "2026-02", "2026-03", "2026-04") // February is on the axis, without points
		}
		for _, g := range r["groups"].([]any) {
			g := g.(map[string]any)
			wants = append(wants, g["key"].(string))
			for _, v := range []any{g["nps"].(map[string]any)["score"], g["csat"].(map[string]any)["score"], g["ces"].(map[string]any)["mean"]} {
				if v != nil {
					wants = append(wants, chart.Number(v.(float64)))
				}
			}
		}
		charttest.Contains(t, "feedback by "+by, texts, wants...)
	}
	charttest.Contains(t, "empty feedback", env.Chart(t, s.Access, "/v1/feedback/stats?from=2020-01-01T00:00:00Z&to=2020-02-01T00:00:00Z&group_by=month", "feedback-empty"),
		"Customer satisfaction by month", "No NPS, CSAT or CES answers in the period")

	one := env.Signup(t, "One")
	c := post(t, env, one.Access, "/v1/customers", map[string]any{"first_name": "Solo"}, 201)["id"].(string)
	post(t, env, one.Access, "/v1/customers/"+c+"/feedback", map[string]any{"kind": "nps", "score": 9}, 201)
	clk.add(time.Hour)
	charttest.Contains(t, "one answer", env.Chart(t, one.Access, "/v1/feedback/stats?group_by=month", "feedback-one"),
		"overall NPS 100 (1 answer)", "CSAT none (0 answers)", "2026-04", "\n100\n", "No CSAT answers in the period.")
}
