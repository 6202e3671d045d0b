package analyticsapi_test

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/rapportcrm/rapport/api/apitest"
	"github.com/rapportcrm/rapport/pkg/chart"
	"github.com/rapportcrm/rapport/pkg/chart/charttest"
)

// The CDNOW backtest through the API, on the raw transactions loaded through it, with the paper's
// split (39 weeks of calibration to 1997-09-30, 39 of holdout to 1998-06-30): the figures are
// those of the direct loop over the file in pkg/analytics (TestBacktestCDNOW), which computes
// every one of them independently; the per-customer rows add up to them; the charts tell them.
func TestBacktestCDNOW(t *testing.T) {
	env := apitest.New(t)
	s := env.Signup(t, "CDNOW backtest")
	customers, purchases := cdnow(t)
	load(t, env, s.Access, customers, purchases)
	params := map[string]any{"calibration_end": "1997-09-30T23:59:59Z", "holdout_end": "1998-06-30T23:59:59Z"}
	accepted := env.Expect(t, s.Access, "POST", "/v1/analytics/clv/backtest", params, 202)
	if again := env.Expect(t, s.Access, "POST", "/v1/analytics/clv/backtest", params, 202); again["id"] != accepted["id"] {
		t.Fatalf("an identical backtest while the first waits: job %v, want %v", again["id"], accepted["id"])
	}
	if j := runJob(t, env, s.Access, accepted); j["status"] != "succeeded" {
		t.Fatalf("backtest job: %v", j)
	}
	id := accepted["id"].(string)
	b := env.Expect(t, s.Access, "GET", "/v1/analytics/clv/backtests/"+id, nil, 200)
	get := func(path string) any {
		var v any = b
		for _, k := range strings.Split(path, ".") {
			switch x := v.(type) {
			case map[string]any:
				v = x[k]
			case []any:
				var i int
				fmt.Sscan(k, &i)
				v = x[i]
			}
		}
		return v
	}
	if b["id"] != id || b["calibration_end"] != "1997-09-30T23:59:59Z" || b["holdout_end"] != "1998-06-30T23:59:59Z" {
		t.Fatalf("backtest %v: id %v, ends %v and %v", id, b["id"], b["calibration_end"], b["holdout_end"])
	}
	for path, want := range map[string]float64{"customers": 2357, "repeat_buyers": 946, "purchases.actual": 1882, "spend.actual": 70976.39,
		"weeks.38.cumulative_actual": 2457, "weeks.77.cumulative_actual": 4339, "calibration_weeks": 39, "churn.returned": 684} {
		if got := get(path); got != want {
			t.Errorf("%s = %v, want %v", path, got, want)
		}
	}
	for path, want := range map[string]float64{"bgnbd.r": 0.2426, "bgnbd.alpha": 4.4136, "bgnbd.a": 0.7929, "bgnbd.b": 2.4259,
		"gamma_gamma.p": 6.25, "gamma_gamma.q": 3.74, "gamma_gamma.gamma": 15.44, "purchases.model.total": 1653.41,
		"purchases.model.mae": 0.786, "purchases.baseline.total": 2930.1, "purchases.baseline.mae": 1.024, "spend.model.total": 59931.63,
		"churn.auc": 0.316, "churn.baseline_auc": 0.771, "churn.p_return_auc": 0.757, "churn.at_risk_lost_share": 0.646,
		"churn.baseline_at_risk_lost_share": 0.893} {
		near(t, path, get(path), want, 0.002)
	}
	if got := get("churn.at_risk"); got != 393.0 {
		t.Errorf("churn.at_risk = %v, want 393", got)
	}
	groups := b["by_frequency"].([]any)
	for i, want := range [][2]float64{{1411, 0.24}, {439, 0.70}, {214, 1.39}, {100, 1.56}, {62, 2.53}, {38, 2.95}, {29, 3.86}, {64, 6.36}} {
		g := groups[i].(map[string]any)
		if g["customers"] != want[0] || math.Abs(g["actual"].(float64)-want[1]) > 0.005 {
			t.Errorf("group %d: %v customers, %v actual; want %v and %v", i, g["customers"], g["actual"], want[0], want[1])
		}
	}

	// The per-customer rows, every page, add up to the summary.
	var rows []map[string]any
	for cursor := ""; ; {
		res := env.Expect(t, s.Access, "GET", "/v1/analytics/clv/backtests/"+id+"/customers?limit=200"+cursor, nil, 200)
		for _, r := range res["data"].([]any) {
			rows = append(rows, r.(map[string]any))
		}
		if res["next_cursor"] == nil {
			break
		}
		cursor = "&cursor=" + res["next_cursor"].(string)
	}
	var actual, predicted, spend float64
	for _, r := range rows {
		actual, predicted, spend = actual+r["actual_purchases"].(float64), predicted+r["predicted_purchases"].(float64), spend+r["actual_spend"].(float64)
	}
	if len(rows) != 2357 || actual != 1882 || math.Abs(predicted-get("purchases.model.total").(float64)) > 0.01 || math.Abs(spend-70976.39) > 0.01 ||
		!slices.IsSortedFunc(rows, func(a, b map[string]any) int {
			return strings.Compare(a["customer_id"].(string), b["customer_id"].(string))
		}) {
		t.Errorf("%d rows: %v actual and %v predicted purchases, %v spent", len(rows), actual, predicted, spend)
	}

	// The charts, as the backtest's numbers.
	texts := env.Chart(t, s.Access, "/v1/analytics/clv/backtests/"+id, "backtest-tracking")
	weeks := b["weeks"].([]any)
	holdoutModel := weeks[77].(map[string]any)["cumulative_model"].(float64) - weeks[38].(map[string]any)["cumulative_model"].(float64)
	charttest.Contains(t, "tracking", texts, "Repeat purchases: the model's forecast against what happened", "2357 customers who bought by 1997-09-30",
		"judged on the 39 weeks", "calibration ends 1997-09-30", "Cumulative", "Per week", "Repeat purchases (cumulative)", "Actual", "Model (BG/NBD)",
		"repeat purchases in the holdout: 1882 actual", chart.Number(holdoutModel)+" expected", "week 39 (the calibration's last) 1997-09-30")
	texts = env.Chart(t, s.Access, "/v1/analytics/clv/backtests/"+id+"?chart=frequency", "backtest-frequency")
	charttest.Contains(t, "frequency", texts, "Holdout purchases by calibration frequency (conditional expectations)", "0 (1411)", "7+ (64)",
		"Mean repeat purchases per customer in the holdout", "1882 repeat purchases in the holdout",
		"the model expected "+chart.Number(get("purchases.model.total").(float64)), fmt.Sprintf("%.2f", get("by_frequency.7.actual")),
		fmt.Sprintf("%.2f", get("by_frequency.0.model")), "70976.39 "+b["currency"].(string))

	// A second backtest comes first in the list and keeps the per-customer rows; the first keeps its summary.
	later := env.Expect(t, s.Access, "POST", "/v1/analytics/clv/backtest", map[string]any{"calibration_end": "1997-06-30T23:59:59Z",
		"holdout_end": "1998-06-30T23:59:59Z", "at_risk_p_alive": 0.3}, 202)
	runJob(t, env, s.Access, later)
	list := env.Expect(t, s.Access, "GET", "/v1/analytics/clv/backtests", nil, 200)["data"].([]any)
	if len(list) != 2 || list[0].(map[string]any)["id"] != later["id"] || list[1].(map[string]any)["id"] != id ||
		list[0].(map[string]any)["churn"].(map[string]any)["at_risk_p_alive"] != 0.3 {
		t.Fatalf("backtests: %v", list)
	}
	env.Expect(t, s.Access, "GET", "/v1/analytics/clv/backtests/"+id, nil, 200)
	env.Expect(t, s.Access, "GET", "/v1/analytics/clv/backtests/"+id+"/customers", nil, 410)
	env.Expect(t, s.Access, "GET", "/v1/analytics/clv/backtests/"+later["id"].(string)+"/customers?limit=1", nil, 200)

	// Another organization sees none of it.
	other := env.Signup(t, "Other")
	env.Expect(t, other.Access, "GET", "/v1/analytics/clv/backtests/"+id, nil, 404)
	env.Expect(t, other.Access, "GET", "/v1/analytics/clv/backtests/"+id+"/customers", nil, 404)
	if n := len(env.Expect(t, other.Access, "GET", "/v1/analytics/clv/backtests", nil, 200)["data"].([]any)); n != 0 {
		t.Fatalf("another organization lists %d backtests", n)
	}
}

// A backtest request's every problem is answered at once, and only admins start one.
func TestBacktestRequests(t *testing.T) {
	env := apitest.New(t)
	s := env.Signup(t, "Backtests")
	for _, c := range []struct {
		body   map[string]any
		fields []string
	}{
		{map[string]any{}, []string{"calibration_end", "holdout_end"}},
		{map[string]any{"calibration_end": "2025-03-31T23:59:59Z", "at_risk_p_alive": 0}, []string{"holdout_end", "at_risk_p_alive"}},
		{map[string]any{"calibration_end": "2025-03-31T23:59:59Z", "holdout_end": "2025-03-31T23:59:59Z", "at_risk_p_alive": 1}, []string{"holdout_end", "at_risk_p_alive"}},
		{map[string]any{"calibration_end": "1969-12-31T00:00:00Z", "holdout_end": "2999-01-01T00:00:00Z"}, []string{"calibration_end", "holdout_end"}},
	} {
		res := env.Expect(t, s.Access, "POST", "/v1/analytics/clv/backtest", c.body, 422)
		var got []string
		for _, e := range res["errors"].([]any) {
			got = append(got, e.(map[string]any)["field"].(string))
		}
		slices.Sort(got)
		if slices.Sort(c.fields); !slices.Equal(got, c.fields) {
			t.Errorf("%v: fields %v, want %v", c.body, got, c.fields)
		}
	}
	env.Expect(t, s.Access, "GET", "/v1/analytics/clv/backtests/not-an-id", nil, 400)
	env.Expect(t, s.Access, "GET", "/v1/analytics/clv/backtests/01938f0e-5c7a-7b3e-9d2f-4a6b8c0e1f23?chart=pie", nil, 400)
	env.Expect(t, s.Access, "GET", "/v1/analytics/clv/backtests/01938f0e-5c7a-7b3e-9d2f-4a6b8c0e1f23", nil, 404)
	agent := env.AddUser(t, s, "agent@backtests.example", "agent")
	env.Expect(t, agent.Access, "POST", "/v1/analytics/clv/backtest", map[string]any{"calibration_end": "2025-03-31T23:59:59Z", "holdout_end": "2025-06-30T23:59:59Z"}, 403)
}
