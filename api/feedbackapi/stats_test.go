package feedbackapi_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/rapportcrm/rapport/api/apitest"
)

// TestStatsByHand checks the figures against ones computed by hand for a known set of answers.
func TestStatsByHand(t *testing.T) {
	clk := &clock{t: time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC)}
	env := apitest.NewWith(t, apitest.Options{Now: clk.now})
	s := env.Signup(t, "Acme")
	a := post(t, env, s.Access, "/v1/customers", map[string]any{"first_name": "A", "lifecycle_stage": "client"}, 201)["id"].(string)
	b := post(t, env, s.Access, "/v1/customers", map[string]any{"first_name": "B"}, 201)["id"].(string)
	answer := func(cust, kind string, score int, channel string) {
		post(t, env, s.Access, "/v1/customers/"+cust+"/feedback", map[string]any{"kind": kind, "score": score, "channel": channel, "survey": "S1"}, 201)
	}
	complaint := func(priority string) string {
		return post(t, env, s.Access, "/v1/customers/"+a+"/feedback", map[string]any{"kind": "complaint", "subject": "x", "priority": priority}, 201)["id"].(string)
	}
	move := func(id, to string) {
		post(t, env, s.Access, "/v1/feedback/"+id+"/transitions", map[string]any{"to": to, "resolution": "done"}, 200)
	}
	// March 10: NPS 10, 9, 8, 3 from A by email; CSAT 5, 4, 2 from B on the web; CES 2, 3 from A.
	for _, sc := range []int{10, 9, 8, 3} {
		answer(a, "nps", sc, "email")
	}
	for _, sc := range []int{5, 4, 2} {
		answer(b, "csat", sc, "web")
	}
	answer(a, "ces", 2, "email")
	answer(a, "ces", 3, "email")
	c1, c2 := complaint("urgent"), complaint("normal")
	clk.add(30 * time.Minute)
	move(c1, "acknowledged") // first response 1,800 s: within the urgent 1 h
	move(c1, "in_progress")
	clk.add(90 * time.Minute)
	move(c1, "resolved") // resolution 7,200 s: within 8 h
	clk.add(8 * time.Hour)
	move(c2, "acknowledged") // first response 36,000 s: past the normal 8 h
	// April 5: NPS 0 from B; a low complaint left open.
	clk.t = time.Date(2026, 4, 5, 10, 0, 0, 0, time.UTC)
	answer(b, "nps", 0, "web")
	complaint("low")
	clk.add(time.Hour)

	get := func(query string) map[string]any {
		t.Helper()
		res := env.Do(t, apitest.Req{Method: "GET", Path: "/v1/feedback/stats?from=2026-03-01T00:00:00Z&to=2026-05-01T00:00:00Z" + query, Token: s.Access})
		if res.Code != 200 {
			t.Fatalf("stats %s: %d %s", query, res.Code, res.Body)
		}
		return res.Map(t)
	}
	r := get("&group_by=month")
	check := func(what string, got any, want string) {
		t.Helper()
		if fmt.Sprint(got) != want {
			t.Errorf("%s = %v, want %s", what, got, want)
		}
	}
	o := r["overall"].(map[string]any)
	nps, csat, ces, cp := o["nps"].(map[string]any), o["csat"].(map[string]any), o["ces"].(map[string]any), o["complaints"].(map[string]any)
	check("overall NPS", nps["score"], "0") // (2 promoters − 2 detractors) / 5
	check("NPS counts", []any{nps["promoters"], nps["passives"], nps["detractors"], nps["responses"]}, "[2 1 2 5]")
	check("CSAT", csat["score"], "66.67") // 2 of 3
	check("CES", ces["mean"], "2.5")
	check("complaints", cp["count"], "3")
	check("by status", cp["by_status"], "map[acknowledged:1 open:1 resolved:1]")
	fr := cp["first_response_seconds"].(map[string]any)
	check("first response median", fr["median"], "18900") // between 1,800 and 36,000
	check("first response p90", fr["p90"], "32580")       // 1,800 + 0.9 × 34,200
	check("resolution median", cp["resolution_seconds"].(map[string]any)["median"], "7200")
	check("breach rate", cp["sla_breach_rate"], "0.3333") // c2's first response
	bl := r["backlog"].(map[string]any)
	check("backlog", bl["open"], "2")
	check("backlog ages", bl["by_age"], "map[1d_to_3d:0 3d_to_7d:0 over_7d:1 under_1d:1]")
	groups := r["groups"].([]any)
	check("months", len(groups), "2")
	march, april := groups[0].(map[string]any), groups[1].(map[string]any)
	check("march key", march["key"], "2026-03")
	check("march NPS", march["nps"].(map[string]any)["score"], "25")
	check("april NPS", april["nps"].(map[string]any)["score"], "-100")
	check("april complaints", april["complaints"].(map[string]any)["count"], "1")

	byStage := get("&group_by=lifecycle_stage")["groups"].([]any)
	check("stages", []any{byStage[0].(map[string]any)["key"], byStage[1].(map[string]any)["key"]}, "[client prospect]")
	check("client NPS", byStage[0].(map[string]any)["nps"].(map[string]any)["score"], "25")
	check("prospect CSAT", byStage[1].(map[string]any)["csat"].(map[string]any)["score"], "66.67")
	byWeek := get("&group_by=week")["groups"].([]any)
	check("weeks", []any{byWeek[0].(map[string]any)["key"], byWeek[1].(map[string]any)["key"]}, "[2026-03-09 2026-03-30]")
	byChannel := get("&group_by=channel")["groups"].([]any)
	check("channels", len(byChannel), "3") // "" (complaints), email, web

	empty := env.Do(t, apitest.Req{Method: "GET", Path: "/v1/feedback/stats?from=2020-01-01T00:00:00Z&to=2020-02-01T00:00:00Z", Token: s.Access}).Map(t)
	if o := empty["overall"].(map[string]any); o["nps"].(map[string]any)["score"] != nil || o["complaints"].(map[string]any)["sla_breach_rate"] != nil {
		t.Errorf("an empty period: %v", o)
	}
	for _, bad := range []string{"group_by=day", "from=2026-05-01T00:00:00Z&to=2026-04-01T00:00:00Z", "from=2000-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", "from=yesterday"} {
		if res := env.Do(t, apitest.Req{Method: "GET", Path: "/v1/feedback/stats?" + bad, Token: s.Access}); res.Code != 400 && res.Code != 422 {
			t.Errorf("%s: %d", bad, res.Code)
		}
	}
}
