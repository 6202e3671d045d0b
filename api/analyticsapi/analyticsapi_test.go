package analyticsapi_test

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/rapportcrm/rapport/api/apitest"
	"github.com/rapportcrm/rapport/pkg/analytics"
)

type purchase struct {
	customer string
	day      time.Time
	dollars  string
}

// cdnow reads the raw CDNOW sample transactions: sample id, date, CDs, dollars.
func cdnow(t *testing.T) (customers []string, purchases []purchase) {
	t.Helper()
	f, err := os.Open("../../testdata/cdnow/CDNOW_sample.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	seen := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) != 5 {
			continue
		}
		day, err := time.Parse("20060102", fs[2])
		if err != nil {
			t.Fatal(err)
		}
		if !seen[fs[1]] {
			seen[fs[1]] = true
			customers = append(customers, fs[1])
		}
		purchases = append(purchases, purchase{customer: fs[1], day: day.Add(12 * time.Hour), dollars: fs[4]})
	}
	return customers, purchases
}

// load creates the customers and their purchases through the batch endpoints.
func load(t *testing.T, env *apitest.Env, token string, customers []string, purchases []purchase) map[string]string {
	t.Helper()
	ids := map[string]string{}
	for start := 0; start < len(customers); start += 1000 {
		var items []any
		for _, c := range customers[start:min(start+1000, len(customers))] {
			items = append(items, map[string]any{"external_id": c, "first_name": "Customer", "last_name": c})
		}
		res := env.Expect(t, token, "POST", "/v1/customers/batch", map[string]any{"items": items, "atomic": true}, 200)
		for i, r := range res["results"].([]any) {
			ids[customers[start+i]] = r.(map[string]any)["id"].(string)
		}
	}
	for start := 0; start < len(purchases); start += 1000 {
		var items []any
		for i, p := range purchases[start:min(start+1000, len(purchases))] {
			items = append(items, map[string]any{"customer_id": ids[p.customer], "amount": p.dollars, "occurred_at": p.day,
				"channel": "online", "external_id": fmt.Sprintf("order-%d", start+i)})
		}
		env.Expect(t, token, "POST", "/v1/purchases/batch", map[string]any{"items": items, "atomic": true}, 200)
	}
	return ids
}

// runJob runs the job a 202 answered and returns it once finished.
func runJob(t *testing.T, env *apitest.Env, token string, accepted map[string]any) map[string]any {
	t.Helper()
	if accepted["status"] != "queued" {
		t.Fatalf("job %v", accepted)
	}
	return env.WaitJob(t, token, accepted["id"].(string))
}

func near(t *testing.T, name string, got any, want, rel float64) {
	t.Helper()
	g := got.(float64)
	if math.Abs(g-want) > rel*math.Abs(want) {
		t.Errorf("%s = %.6g, want %.6g (±%.2g%%)", name, g, want, rel*100)
	}
}

// The published CDNOW results, from the raw transactions loaded through the API.
func TestCDNOWThroughTheAPI(t *testing.T) {
	env := apitest.New(t)
	s := env.Signup(t, "CDNOW")
	customers, purchases := cdnow(t)
	if len(customers) != 2357 || len(purchases) != 6919 {
		t.Fatalf("%d customers, %d purchases", len(customers), len(purchases))
	}
	ids := load(t, env, s.Access, customers, purchases)

	// Before any fit: the reports answer 404, the customer has no scores.
	env.Expect(t, s.Access, "GET", "/v1/analytics/clv", nil, 404)
	if c := env.Expect(t, s.Access, "GET", "/v1/customers/"+ids["0001"], nil, 200); c["value"] != nil || c["rfm"] != nil {
		t.Fatalf("scores before a run: %v %v", c["value"], c["rfm"])
	}

	asOf := "1997-09-30T23:59:59Z" // the end of the 39-week calibration period
	res := env.Do(t, apitest.Req{Method: "POST", Path: "/v1/analytics/clv/fit", Token: s.Access, Body: map[string]any{"as_of": asOf}})
	if res.Code != 202 || !strings.HasPrefix(res.Header.Get("Location"), "/v1/jobs/") {
		t.Fatalf("fit: %d %s %v", res.Code, res.Body, res.Header)
	}
	j := runJob(t, env, s.Access, res.Map(t))
	if j["status"] != "succeeded" || j["progress"] != 1.0 {
		t.Fatalf("job: %v", j)
	}
	fit := env.Expect(t, s.Access, "GET", "/v1/analytics/clv?as_of="+asOf, nil, 200)
	bg, gg := fit["bgnbd"].(map[string]any), fit["gamma_gamma"].(map[string]any)
	t.Logf("BG/NBD %v (log-likelihood %v); Gamma-Gamma %v (%v)", bg, fit["bgnbd_log_likelihood"], gg, fit["gamma_gamma_log_likelihood"])
	near(t, "r", bg["r"], 0.2426, 0.005)
	near(t, "alpha", bg["alpha"], 4.4136, 0.005)
	near(t, "a", bg["a"], 0.7929, 0.005)
	near(t, "b", bg["b"], 2.4259, 0.005)
	near(t, "BG/NBD log-likelihood", fit["bgnbd_log_likelihood"], -9582.43, 0.005)
	near(t, "p", gg["p"], 6.25, 0.005)
	near(t, "q", gg["q"], 3.74, 0.005)
	near(t, "gamma", gg["gamma"], 15.44, 0.005)
	near(t, "Gamma-Gamma log-likelihood", fit["gamma_gamma_log_likelihood"], -4055.92, 0.005)
	if fit["customers"] != 2357.0 || fit["repeat_buyers"] != 946.0 {
		t.Errorf("customers %v, repeat buyers %v", fit["customers"], fit["repeat_buyers"])
	}
	model := analytics.BGNBD{R: bg["r"].(float64), Alpha: bg["alpha"].(float64), A: bg["a"].(float64), B: bg["b"].(float64)}
	// Customer 0001: x = 2, t_x = 30.43, T = 38.86 weeks.
	ey := model.ExpectedPurchases(analytics.History{X: 2, Tx: 30.43, T: 38.86}, 39)
	t.Logf("E[Y(39)] of customer 0001: %.4f", ey)
	near(t, "E[Y(39)] of customer 0001", ey, 1.226, 0.005)

	// Per customer, on the customer and in lists.
	first := env.Expect(t, s.Access, "GET", "/v1/customers/"+ids["0001"], nil, 200)["value"].(map[string]any)
	if p := first["p_alive"].(float64); math.Abs(p+first["churn_risk"].(float64)-1) > 1e-9 || p <= 0 || p > 1 {
		t.Errorf("value of 0001: %v", first)
	}
	byCLV := env.Expect(t, s.Access, "GET", "/v1/customers?sort=-clv&limit=5", nil, 200)
	items := byCLV["data"].([]any)
	for i := 1; i < len(items); i++ {
		a, b := items[i-1].(map[string]any)["value"].(map[string]any)["clv"].(float64), items[i].(map[string]any)["value"].(map[string]any)["clv"].(float64)
		if a < b {
			t.Fatalf("sort=-clv out of order: %v then %v", a, b)
		}
	}
	next := env.Expect(t, s.Access, "GET", "/v1/customers?sort=-clv&limit=5&cursor="+byCLV["next_cursor"].(string), nil, 200)["data"].([]any)
	if next[0].(map[string]any)["value"].(map[string]any)["clv"].(float64) > items[4].(map[string]any)["value"].(map[string]any)["clv"].(float64) {
		t.Fatal("the second page of sort=-clv starts above the first")
	}
	risky := env.Expect(t, s.Access, "GET", "/v1/customers?churn_risk_above=0.9&limit=200", nil, 200)["data"].([]any)
	for _, c := range risky {
		if c.(map[string]any)["value"].(map[string]any)["churn_risk"].(float64) <= 0.9 {
			t.Fatalf("churn_risk_above=0.9 listed %v", c)
		}
	}

	matrix := env.Expect(t, s.Access, "GET", "/v1/analytics/loyalty-matrix", nil, 200)
	total := 0.0
	for _, q := range matrix["quadrants"].([]any) {
		total += q.(map[string]any)["customers"].(float64)
	}
	if total != 2357 {
		t.Errorf("the quadrants hold %v customers", total)
	}

	// RFM and value tiers as of the same date.
	j = runJob(t, env, s.Access, env.Expect(t, s.Access, "POST", "/v1/analytics/rfm/run", map[string]any{"as_of": asOf}, 202))
	if j["status"] != "succeeded" {
		t.Fatalf("rfm job: %v", j)
	}
	rfm := env.Expect(t, s.Access, "GET", "/v1/analytics/rfm", nil, 200)
	counted, share := 0.0, 0.0
	for _, seg := range rfm["segments"].([]any) {
		counted += seg.(map[string]any)["customers"].(float64)
		share += seg.(map[string]any)["revenue_share"].(float64)
	}
	if rfm["customers"] != 2357.0 || counted != 2357 || math.Abs(share-1) > 0.001 {
		t.Errorf("rfm: %v customers, segments hold %v, shares sum to %v", rfm["customers"], counted, share)
	}
	for _, r := range rfm["cutoffs"].(map[string]any)["frequency"].([]any) {
		if r.(map[string]any)["min"].(float64) > r.(map[string]any)["max"].(float64) {
			t.Errorf("frequency cut-off %v", r)
		}
	}
	champions := env.Expect(t, s.Access, "GET", "/v1/customers?rfm_segment=champions&limit=200", nil, 200)["data"].([]any)
	if len(champions) == 0 {
		t.Fatal("no champions")
	}
	for _, c := range champions {
		if r := c.(map[string]any)["rfm"].(map[string]any); r["segment"] != "champions" || r["r"] != 5.0 || r["f"].(float64) < 4 {
			t.Fatalf("rfm_segment=champions listed %v", r)
		}
	}
	pareto := env.Expect(t, s.Access, "GET", "/v1/analytics/pareto", nil, 200)
	lorenz := pareto["lorenz"].([]any)
	if len(lorenz) != 101 || lorenz[100].(map[string]any)["revenue_share"] != 1.0 {
		t.Fatalf("lorenz: %v", lorenz)
	}
	if g := pareto["gini"].(float64); g <= 0 || g >= 1 {
		t.Errorf("gini %v", g)
	}

	// The raw figures of the calibration period, for the KPIs.
	var orders int
	var revenue float64
	for _, p := range purchases {
		if p.day.Before(time.Date(1997, 10, 1, 0, 0, 0, 0, time.UTC)) {
			orders++
			v, _ := strconv.ParseFloat(p.dollars, 64)
			revenue += v
		}
	}
	kpis := env.Expect(t, s.Access, "GET", "/v1/analytics/kpis?from=1997-01-01T00:00:00Z&to=1997-10-01T00:00:00Z", nil, 200)
	if kpis["orders"] != float64(orders) || math.Abs(kpis["revenue"].(float64)-revenue) > 0.01 || kpis["active_customers"] != 2357.0 {
		t.Errorf("kpis: orders %v (want %d), revenue %v (want %.2f), active %v", kpis["orders"], orders, kpis["revenue"], revenue, kpis["active_customers"])
	}
	churn := env.Expect(t, s.Access, "GET", "/v1/analytics/churn?as_of=1997-09-30T23:59:59Z&months=9", nil, 200)
	if len(churn["retention"].([]any)) != 9 || len(churn["cohorts"].([]any)) != 3 {
		t.Errorf("churn: %d months of retention, %d cohorts (want 9 and 3: every first purchase is in Q1 1997)",
			len(churn["retention"].([]any)), len(churn["cohorts"].([]any)))
	}

	// The ladder: a dry run lists, an applied run promotes and the moves show in the report.
	days := map[string]map[time.Time]bool{}
	for _, p := range purchases {
		if days[p.customer] == nil {
			days[p.customer] = map[time.Time]bool{}
		}
		days[p.customer][p.day] = true
	}
	repeaters := 0
	for _, d := range days {
		if len(d) >= 2 {
			repeaters++
		}
	}
	dry := env.Expect(t, s.Access, "POST", "/v1/analytics/ladder/apply", map[string]any{"limit": 10}, 200)
	if dry["dry_run"] != true || dry["total"] != float64(repeaters) || len(dry["changes"].([]any)) != 10 {
		t.Fatalf("ladder dry run: total %v (want %d), %d changes", dry["total"], repeaters, len(dry["changes"].([]any)))
	}
	done := env.Expect(t, s.Access, "POST", "/v1/analytics/ladder/apply", map[string]any{"limit": 3, "dry_run": false}, 200)
	moved := done["changes"].([]any)[0].(map[string]any)["customer_id"].(string)
	if c := env.Expect(t, s.Access, "GET", "/v1/customers/"+moved, nil, 200); c["lifecycle_stage"] != "client" {
		t.Fatalf("after the ladder: %v", c["lifecycle_stage"])
	}
	moves := map[string]float64{}
	for _, m := range env.Expect(t, s.Access, "GET", "/v1/analytics/ladder", nil, 200)["moves"].([]any) {
		m := m.(map[string]any)
		moves[m["from"].(string)+">"+m["to"].(string)] = m["count"].(float64)
	}
	if moves["prospect>customer"] != 2357 || moves["customer>client"] != 3 {
		t.Fatalf("ladder moves %v", moves)
	}
	// The churn rule: applied to one customer, who is won back by the next purchase.
	would := env.Expect(t, s.Access, "POST", "/v1/analytics/churn/apply", map[string]any{}, 200)
	if would["total"] != churn["should_churn_total"] || would["total"].(float64) == 0 {
		t.Fatalf("churn dry run %v, report %v", would["total"], churn["should_churn_total"])
	}
	churned := env.Expect(t, s.Access, "POST", "/v1/analytics/churn/apply", map[string]any{"dry_run": false, "limit": 1}, 200)
	id := churned["changes"].([]any)[0].(map[string]any)["customer_id"].(string)
	if c := env.Expect(t, s.Access, "GET", "/v1/customers/"+id, nil, 200); c["status"] != "churned" {
		t.Fatalf("after the churn rule: %v", c["status"])
	}
	env.Expect(t, s.Access, "POST", "/v1/purchases", map[string]any{"customer_id": id, "amount": "10", "occurred_at": time.Now().UTC()}, 201)
	if c := env.Expect(t, s.Access, "GET", "/v1/customers/"+id, nil, 200); c["status"] != "won_back" {
		t.Fatalf("after buying again: %v", c["status"])
	}
	k := env.Expect(t, s.Access, "GET", "/v1/analytics/kpis", nil, 200)
	if k["churned"] != 1.0 || k["won_back"] != 1.0 {
		t.Fatalf("kpis churned %v, won back %v", k["churned"], k["won_back"])
	}
}

// An organization without purchases: the fit fails with a reason, the segmentation is empty,
// and neither sees another organization's data.
func TestAnalyticsWithoutPurchases(t *testing.T) {
	env := apitest.New(t)
	a, b := env.Signup(t, "A"), env.Signup(t, "B")
	env.Expect(t, b.Access, "POST", "/v1/customers", map[string]any{"first_name": "Only"}, 201)
	fitA := env.Expect(t, a.Access, "POST", "/v1/analytics/clv/fit", map[string]any{}, 202)
	env.Expect(t, b.Access, "GET", "/v1/jobs/"+fitA["id"].(string), nil, 404)
	j := runJob(t, env, a.Access, fitA)
	if j["status"] != "failed" || !strings.Contains(j["error"].(string), "too few") {
		t.Fatalf("fit without purchases: %v", j)
	}
	runJob(t, env, b.Access, env.Expect(t, b.Access, "POST", "/v1/analytics/rfm/run", map[string]any{}, 202))
	if rfm := env.Expect(t, b.Access, "GET", "/v1/analytics/rfm", nil, 200); rfm["customers"] != 0.0 {
		t.Fatalf("rfm: %v", rfm)
	}
	env.Expect(t, a.Access, "GET", "/v1/analytics/rfm", nil, 404)
	env.Expect(t, b.Access, "GET", "/v1/analytics/churn", nil, 404)
	env.Expect(t, b.Access, "GET", "/v1/analytics/churn?months=1.5", nil, 400)
	env.Expect(t, b.Access, "GET", "/v1/analytics/churn?min_risk=2", nil, 400)
	env.Expect(t, a.Access, "POST", "/v1/analytics/clv/fit", map[string]any{"horizon_months": 0, "monthly_discount_rate": 1.5}, 422)
	viewer := env.AddUser(t, a, "viewer@a.example", "viewer")
	env.Expect(t, viewer.Access, "POST", "/v1/analytics/rfm/run", map[string]any{}, 403)
	env.Expect(t, viewer.Access, "GET", "/v1/analytics/kpis", nil, 200)
}

// A single customer, then ties: five customers with the same history get distinct scores in the
// order of their ids, the same on every run; acquisition costs give the CAC per source.
func TestSingleCustomerAndTies(t *testing.T) {
	env := apitest.New(t)
	s := env.Signup(t, "Ties")
	day := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	var ids []string
	add := func(source, cost string) {
		c := env.Expect(t, s.Access, "POST", "/v1/customers", map[string]any{"first_name": "Tie", "source": source,
			"acquisition_cost": map[string]any{"amount": cost, "currency": "EUR"}}, 201)
		ids = append(ids, c["id"].(string))
		env.Expect(t, s.Access, "POST", "/v1/purchases", map[string]any{"customer_id": c["id"], "amount": "20", "occurred_at": day}, 201)
	}
	add("ads", "30")
	asOf := map[string]any{"as_of": "2026-04-01T00:00:00Z"}
	runJob(t, env, s.Access, env.Expect(t, s.Access, "POST", "/v1/analytics/rfm/run", asOf, 202))
	if rfm := env.Expect(t, s.Access, "GET", "/v1/customers/"+ids[0], nil, 200)["rfm"].(map[string]any); rfm["r"] != 1.0 || rfm["recency_days"] != 30.0 || rfm["key_account"] != true {
		t.Fatalf("a single customer: %v", rfm)
	}
	if j := runJob(t, env, s.Access, env.Expect(t, s.Access, "POST", "/v1/analytics/clv/fit", asOf, 202)); j["status"] != "failed" {
		t.Fatalf("a fit on one customer: %v", j)
	}
	for range 4 {
		add("referral", "10")
	}
	slices.Sort(ids)
	scores := func() []float64 {
		runJob(t, env, s.Access, env.Expect(t, s.Access, "POST", "/v1/analytics/rfm/run", asOf, 202))
		var out []float64
		for _, id := range ids {
			rfm := env.Expect(t, s.Access, "GET", "/v1/customers/"+id, nil, 200)["rfm"].(map[string]any)
			out = append(out, rfm["r"].(float64), rfm["f"].(float64), rfm["m"].(float64))
		}
		return out
	}
	first := scores()
	if want := []float64{1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 5}; !slices.Equal(first, want) {
		t.Fatalf("tied scores %v, want %v", first, want)
	}
	if again := scores(); !slices.Equal(again, first) {
		t.Fatalf("a second run scored %v, the first %v", again, first)
	}
	env.Expect(t, s.Access, "GET", "/v1/analytics/rfm?as_of=2026-04-01T00:00:00Z", nil, 200)
	env.Expect(t, s.Access, "GET", "/v1/analytics/rfm?as_of=2026-04-02T00:00:00Z", nil, 404)
	env.Expect(t, s.Access, "GET", "/v1/analytics/rfm?as_of=yesterday", nil, 400)

	env.Expect(t, s.Access, "POST", "/v1/customers/"+ids[0]+"/feedback", map[string]any{"kind": "nps", "score": 10}, 201)
	k := env.Expect(t, s.Access, "GET", "/v1/analytics/kpis", nil, 200)
	if nps := k["feedback"].(map[string]any)["nps"].(map[string]any); nps["score"] != 100.0 || nps["responses"] != 1.0 {
		t.Fatalf("kpis feedback: %v", nps)
	}
	bySource := k["cac_by_source"].(map[string]any)
	if k["new_customers"] != 5.0 || k["cac"] != 14.0 || bySource["ads"].(map[string]any)["cac"] != 30.0 || bySource["referral"].(map[string]any)["cac"] != 10.0 {
		t.Fatalf("kpis: new %v, cac %v, by source %v", k["new_customers"], k["cac"], bySource)
	}
}

// The ladder one rung per run: a repeat buyer becomes a client, a promoter a supporter, and a
// supporter who referred someone an advocate; referrals follow merges.
func TestReferralsAndTheLadder(t *testing.T) {
	env := apitest.New(t)
	s := env.Signup(t, "Ladder")
	newCustomer := func(body map[string]any) string {
		return env.Expect(t, s.Access, "POST", "/v1/customers", body, 201)["id"].(string)
	}
	a, d := newCustomer(map[string]any{"first_name": "Ada"}), newCustomer(map[string]any{"first_name": "Dan"})
	b := newCustomer(map[string]any{"first_name": "Bob", "referred_by_id": a})
	if got := env.Expect(t, s.Access, "GET", "/v1/customers/"+b, nil, 200)["referred_by_id"]; got != a {
		t.Fatalf("referred_by_id %v", got)
	}
	env.Expect(t, s.Access, "POST", "/v1/customers", map[string]any{"first_name": "X", "referred_by_id": d + "0"}, 422)
	bad := env.Expect(t, s.Access, "POST", "/v1/customers", map[string]any{"first_name": "X", "referred_by_id": "01a216bd-569c-72a6-9b1f-40eb92309a7c"}, 422)
	if bad["errors"].([]any)[0].(map[string]any)["field"] != "referred_by_id" {
		t.Fatalf("an unknown referrer: %v", bad)
	}
	env.Expect(t, s.Access, "PATCH", "/v1/customers/"+a, map[string]any{"referred_by_id": a}, 422)
	for _, id := range []string{a, d} {
		for _, day := range []int{1, 2} {
			env.Expect(t, s.Access, "POST", "/v1/purchases", map[string]any{"customer_id": id, "amount": "10",
				"occurred_at": time.Date(2026, 3, day, 12, 0, 0, 0, time.UTC)}, 201)
		}
		env.Expect(t, s.Access, "POST", "/v1/customers/"+id+"/feedback", map[string]any{"kind": "nps", "score": 10}, 201)
	}
	stage := func(id string) any {
		return env.Expect(t, s.Access, "GET", "/v1/customers/"+id, nil, 200)["lifecycle_stage"]
	}
	time.Sleep(2 * time.Millisecond)
	before := time.Now().UTC().Format(time.RFC3339Nano)
	time.Sleep(2 * time.Millisecond)
	for _, want := range []string{"client", "supporter"} {
		env.Expect(t, s.Access, "POST", "/v1/analytics/ladder/apply", map[string]any{"dry_run": false}, 200)
		if stage(a) != want || stage(d) != want {
			t.Fatalf("after a run: %v and %v, want %s", stage(a), stage(d), want)
		}
	}
	run := env.Expect(t, s.Access, "POST", "/v1/analytics/ladder/apply", map[string]any{"dry_run": false}, 200)
	if stage(a) != "advocate" || stage(d) != "supporter" || run["total"] != 1.0 || run["changes"].([]any)[0].(map[string]any)["rule"] != "referral" {
		t.Fatalf("the referral rule: %v and %v, %v", stage(a), stage(d), run)
	}
	// The ladder as of before the runs: two customers (first purchases) and a prospect.
	then := env.Expect(t, s.Access, "GET", "/v1/analytics/ladder?as_of="+before, nil, 200)["stages"].(map[string]any)
	now := env.Expect(t, s.Access, "GET", "/v1/analytics/ladder", nil, 200)["stages"].(map[string]any)
	if then["customer"] != 2.0 || then["prospect"] != 1.0 || len(then) != 2 || now["advocate"] != 1.0 || now["supporter"] != 1.0 {
		t.Fatalf("stages as of before the runs %v, now %v", then, now)
	}
	env.Expect(t, s.Access, "GET", "/v1/analytics/kpis?as_of="+before+"&to="+time.Now().UTC().Format(time.RFC3339Nano), nil, 422)
	// Merging the referrer into another customer moves the referral to the survivor.
	env.Expect(t, s.Access, "POST", "/v1/customers/"+d+"/merge", map[string]any{"duplicate_id": a}, 200)
	if got := env.Expect(t, s.Access, "GET", "/v1/customers/"+b, nil, 200)["referred_by_id"]; got != d {
		t.Fatalf("after the merge, referred by %v, want %v", got, d)
	}
}

// A second identical run while the first is queued answers the first; an organization has at
// most three runs queued or running, and 37 more fits from it, refused with 429, do not hold up
// another organization's run.
func TestRunsAreUniqueAndBounded(t *testing.T) {
	env := apitest.New(t)
	a, b, c := env.Signup(t, "A"), env.Signup(t, "B"), env.Signup(t, "C")
	asOf := map[string]any{"as_of": "2026-04-01T00:00:00Z"}
	dated := env.Expect(t, c.Access, "POST", "/v1/analytics/rfm/run", asOf, 202)
	if again := env.Expect(t, c.Access, "POST", "/v1/analytics/rfm/run", asOf, 202); again["id"] != dated["id"] {
		t.Fatalf("an identical run answered %v, want the first %v", again["id"], dated["id"])
	}
	now := env.Expect(t, c.Access, "POST", "/v1/analytics/rfm/run", map[string]any{}, 202)
	if again := env.Expect(t, c.Access, "POST", "/v1/analytics/rfm/run", map[string]any{}, 202); now["id"] == dated["id"] || again["id"] != now["id"] {
		t.Fatalf("runs as of now: %v then %v (the dated one %v)", now["id"], again["id"], dated["id"])
	}

	// Nothing runs yet: A's first three fits wait, and take all of A's room.
	var fits []string
	for n := 1; n <= 40; n++ {
		res := env.Do(t, apitest.Req{Method: "POST", Path: "/v1/analytics/clv/fit", Token: a.Access, Body: map[string]any{"horizon_months": n}})
		switch {
		case n <= 3 && res.Code == 202:
			fits = append(fits, res.Map(t)["id"].(string))
		case n > 3 && res.Code == 429 && res.Header.Get("Retry-After") != "":
		default:
			t.Fatalf("fit %d: %d %s", n, res.Code, res.Body)
		}
	}
	// A refusal is not kept as the answer to its Idempotency-Key: the retry runs again.
	retry := apitest.Req{Method: "POST", Path: "/v1/analytics/clv/fit", Token: a.Access, Body: map[string]any{"horizon_months": 41},
		Header: map[string]string{"Idempotency-Key": "fit-41"}}
	if res := env.Do(t, retry); res.Code != 429 {
		t.Fatalf("a fourth fit: %d %s", res.Code, res.Body)
	}
	rfmB := env.Expect(t, b.Access, "POST", "/v1/analytics/rfm/run", map[string]any{}, 202)
	if j := runJob(t, env, b.Access, rfmB); j["status"] != "succeeded" {
		t.Fatalf("B's run: %v", j)
	}
	// Ahead of B's run in the queue were C's two runs and A's three fits, not A's forty.
	runB, err := env.DB.JobStore().GetJob(context.Background(), uuid.MustParse(b.OrgID), uuid.MustParse(rfmB["id"].(string)))
	if err != nil {
		t.Fatal(err)
	}
	riverB, err := env.App.Jobs.Client().JobGet(context.Background(), runB.RiverJobID)
	if err != nil {
		t.Fatal(err)
	}
	queued, err := env.App.Jobs.Client().JobList(context.Background(), river.NewJobListParams().Kinds("rapport.job").First(100))
	if err != nil {
		t.Fatal(err)
	}
	ahead := 0
	for _, j := range queued.Jobs {
		if j.CreatedAt.Before(riverB.CreatedAt) {
			ahead++
		}
	}
	if len(queued.Jobs) != 6 || ahead != 5 {
		t.Fatalf("%d jobs in the queue, %d of them ahead of B's run", len(queued.Jobs), ahead)
	}
	for _, id := range fits {
		runJob(t, env, a.Access, map[string]any{"id": id, "status": "queued"})
	}
	if res := env.Do(t, retry); res.Code != 202 || res.Header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("the fourth fit retried once the others finished: %d %v %s", res.Code, res.Header, res.Body)
	}
	for _, j := range []map[string]any{dated, now} {
		runJob(t, env, c.Access, j)
	}
}
