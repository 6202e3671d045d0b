package analyticsapi_test

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rapportcrm/rapport/api/apitest"
	"github.com/rapportcrm/rapport/pkg/chart"
	"github.com/rapportcrm/rapport/pkg/chart/charttest"
)

func count(v any, noun string) string { return chart.Count(int(v.(float64)), noun) }

// The reports as charts, on every eighth CDNOW customer: each tells the numbers of its JSON answer.
func TestReportCharts(t *testing.T) {
	env := apitest.New(t)
	s := env.Signup(t, "Charts")
	customers, purchases := cdnow(t)
	customers = slices.DeleteFunc(customers, func(c string) bool { n, _ := strconv.Atoi(c); return n%8 != 1 })
	purchases = slices.DeleteFunc(purchases, func(p purchase) bool { return !slices.Contains(customers, p.customer) })
	load(t, env, s.Access, customers, purchases)
	asOf := "1997-09-30T23:59:59Z"
	for _, run := range []string{"/v1/analytics/clv/fit", "/v1/analytics/rfm/run"} {
		if j := runJob(t, env, s.Access, env.Expect(t, s.Access, "POST", run, map[string]any{"as_of": asOf}, 202)); j["status"] != "succeeded" {
			t.Fatalf("%s: %v", run, j)
		}
	}
	get := func(path string) map[string]any { return env.Expect(t, s.Access, "GET", path, nil, 200) }

	rfm := get("/v1/analytics/rfm")
	texts := env.Chart(t, s.Access, "/v1/analytics/rfm", "rfm")
	charttest.Contains(t, "rfm", texts, "RFM segments: recency × frequency", "Frequency score (5: the most purchases)", count(rfm["customers"], "customer")+" with purchases")
	for _, seg := range rfm["segments"].([]any) {
		seg := seg.(map[string]any)
		var revenue float64
		fmt.Sscan(seg["revenue"].(string), &revenue)
		name := strings.NewReplacer("_", " ", "cant", "can't").Replace(seg["segment"].(string))
		charttest.Contains(t, "rfm", texts, name, count(seg["customers"], "customer"),
			fmt.Sprintf("%.2f %s", revenue, rfm["currency"]), chart.Percent(seg["revenue_share"].(float64))+" of revenue")
	}

	pareto := get("/v1/analytics/pareto")
	texts = env.Chart(t, s.Access, "/v1/analytics/pareto", "pareto")
	charttest.Contains(t, "pareto", texts, "Revenue concentration: the Lorenz curve", "Cumulative share of revenue (%)",
		fmt.Sprintf("Top 20%% (%s): %s of revenue", count(pareto["key_accounts"], "key account"), chart.Percent(pareto["top_20_percent_share"].(float64))),
		fmt.Sprintf("Gini coefficient %.4g", pareto["gini"]), count(pareto["customers"], "customer")+" with net revenue")

	currency := get("/v1/analytics/clv")["currency"]
	matrix := get("/v1/analytics/loyalty-matrix")
	texts = env.Chart(t, s.Access, "/v1/analytics/loyalty-matrix", "loyalty-matrix")
	charttest.Contains(t, "loyalty matrix", texts, "Loyalty and profitability (Reinartz & Kumar)", "Profitability", "not loyal")
	for _, q := range matrix["quadrants"].([]any) {
		q := q.(map[string]any)
		charttest.Contains(t, "loyalty matrix", texts, count(q["customers"], "customer"), fmt.Sprintf("revenue %.2f %s", q["revenue"], currency), fmt.Sprintf("CLV %.2f %s", q["clv"], currency))
	}

	churnPath := "/v1/analytics/churn?as_of=" + asOf + "&months=9"
	churn := get(churnPath)
	texts = env.Chart(t, s.Access, churnPath, "churn")
	charttest.Contains(t, "churn", texts, "Retention by first-purchase cohort", "Months since the first purchase")
	if len(churn["cohorts"].([]any)) != 3 {
		t.Fatalf("%d cohorts", len(churn["cohorts"].([]any)))
	}
	for _, c := range churn["cohorts"].([]any) {
		c := c.(map[string]any)
		charttest.Contains(t, "churn", texts, fmt.Sprintf("%s (%v)", c["month"], c["customers"]))
		for _, share := range c["retention"].([]any) {
			charttest.Contains(t, "churn", texts, chart.Percent(share.(float64)))
		}
	}

	env.Expect(t, s.Access, "POST", "/v1/analytics/ladder/apply", map[string]any{"dry_run": false}, 200) // repeat buyers become clients
	ladder := get("/v1/analytics/ladder")
	texts = env.Chart(t, s.Access, "/v1/analytics/ladder", "ladder")
	charttest.Contains(t, "ladder", texts, "The loyalty ladder", "Lifecycle stage", "customer", "prospect")
	for stage, n := range ladder["stages"].(map[string]any) {
		charttest.Contains(t, "ladder", texts, stage, fmt.Sprintf("%v (", n))
	}
	for _, m := range ladder["moves"].([]any) {
		m := m.(map[string]any)
		charttest.Contains(t, "ladder", texts, fmt.Sprintf("%s → %s: %v", m["from"], m["to"], m["count"]))
	}

	// Content negotiation: JSON by default and for */*, q weights respected, 406 for nothing offered.
	for accept, want := range map[string]string{
		"": "application/json", "*/*": "application/json", "image/*": "image/svg+xml", "image/png, image/svg+xml;q=0.9": "image/png",
		"application/json;q=0.5, image/png": "image/png", "image/*;q=0.5, application/json": "application/json",
		"application/json;q=0, */*": "image/svg+xml", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8": "application/json",
		"text/html": "", "image/png;q=0, image/svg+xml;q=0, application/json;q=0": "", "nonsense": "",
	} {
		res := env.Do(t, apitest.Req{Method: "GET", Path: "/v1/analytics/pareto", Token: s.Access, Header: map[string]string{"Accept": accept}})
		if want == "" {
			if res.Code != 406 || res.Map(t)["type"] != "/problems/not-acceptable" {
				t.Errorf("Accept %q: %d %s", accept, res.Code, res.Body)
			}
			continue
		}
		if res.Code != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), want) {
			t.Errorf("Accept %q: %d %s, want %s", accept, res.Code, res.Header.Get("Content-Type"), want)
		}
	}

	// A customer who bought long before the others: the segmentation as of then sees only them,
	// as of before then nobody.
	one := env.Expect(t, s.Access, "POST", "/v1/customers", map[string]any{"first_name": "Early"}, 201)["id"]
	env.Expect(t, s.Access, "POST", "/v1/purchases", map[string]any{"customer_id": one, "amount": "42.50", "occurred_at": "1996-06-15T12:00:00Z"}, 201)
	for _, at := range []string{"1996-05-31T23:59:59Z", "1996-06-30T23:59:59Z"} {
		runJob(t, env, s.Access, env.Expect(t, s.Access, "POST", "/v1/analytics/rfm/run", map[string]any{"as_of": at}, 202))
	}
	texts = env.Chart(t, s.Access, "/v1/analytics/churn?as_of=1996-05-31T23:59:59Z", "churn-empty")
	charttest.Contains(t, "churn", texts, "Retention by first-purchase cohort", "there are no cohorts to draw")
	texts = env.Chart(t, s.Access, "/v1/analytics/churn?as_of=1996-06-30T23:59:59Z&months=3", "churn-one")
	charttest.Contains(t, "churn", texts, "1996-06 (1)", "100.0%")
}

// The charts of an organization without customers and of one with a single customer: an empty
// state that says so, or the one customer; the reports that need a fit answer 404 as problems.
func TestReportChartsEmptyAndSingle(t *testing.T) {
	env := apitest.New(t)
	for _, org := range []string{"Empty", "One"} {
		s := env.Signup(t, org)
		if org == "One" {
			id := env.Expect(t, s.Access, "POST", "/v1/customers", map[string]any{"first_name": "Solo"}, 201)["id"]
			env.Expect(t, s.Access, "POST", "/v1/purchases", map[string]any{"customer_id": id, "amount": "42.50",
				"occurred_at": time.Now().UTC().Add(-48 * time.Hour)}, 201)
		}
		runJob(t, env, s.Access, env.Expect(t, s.Access, "POST", "/v1/analytics/rfm/run", map[string]any{}, 202))
		name := strings.ToLower(org)
		rfm := env.Chart(t, s.Access, "/v1/analytics/rfm", "rfm-"+name)
		pareto := env.Chart(t, s.Access, "/v1/analytics/pareto", "pareto-"+name)
		ladder := env.Chart(t, s.Access, "/v1/analytics/ladder", "ladder-"+name)
		for _, c := range []string{"/v1/analytics/churn", "/v1/analytics/loyalty-matrix"} {
			if res := env.Do(t, apitest.Req{Method: "GET", Path: c, Token: s.Access, Header: map[string]string{"Accept": "image/png"}}); res.Code != 404 {
				t.Errorf("%s without a fit: %d", c, res.Code)
			}
		}
		if org == "Empty" {
			charttest.Contains(t, "rfm", rfm, "RFM segments", "0 customers with purchases", "there are no segments to draw")
			charttest.Contains(t, "pareto", pareto, "Lorenz curve", "there is no curve to draw")
			charttest.Contains(t, "ladder", ladder, "The loyalty ladder", "the ladder is empty", "No stage changes")
			continue
		}
		charttest.Contains(t, "rfm", rfm, "1 customer with purchases", "1 customer", "42.50 EUR", "100.0% of revenue")
		charttest.Contains(t, "pareto", pareto, "1 customer with net revenue", "Top 20% (1 key account): 100.0% of revenue", "Gini coefficient 0")
		charttest.Contains(t, "ladder", ladder, "customer", "1 (100.0%)", "prospect → customer: 1")
	}
}
