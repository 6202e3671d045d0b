package feedbackapi_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rapportcrm/rapport/api/apitest"
)

func post(t *testing.T, env *apitest.Env, token, path string, body any, want int) map[string]any {
	t.Helper()
	res := env.Do(t, apitest.Req{Method: "POST", Path: path, Token: token, Body: body})
	if res.Code != want {
		t.Fatalf("POST %s: got %d, want %d: %s", path, res.Code, want, res.Body)
	}
	return res.Map(t)
}

func fields(res map[string]any) string {
	var out []string
	errs, _ := res["errors"].([]any)
	for _, e := range errs {
		out = append(out, e.(map[string]any)["field"].(string))
	}
	return strings.Join(out, ",")
}

func newCustomer(t *testing.T, env *apitest.Env, s apitest.Session) string {
	t.Helper()
	return post(t, env, s.Access, "/v1/customers", map[string]any{"first_name": "Ada"}, 201)["id"].(string)
}

func TestSurveyScales(t *testing.T) {
	env := apitest.New(t)
	s := env.Signup(t, "Acme")
	c := newCustomer(t, env, s)
	path := "/v1/customers/" + c + "/feedback"
	for kind, scale := range map[string][2]int{"nps": {0, 10}, "csat": {1, 5}, "ces": {1, 7}} {
		for _, score := range []int{scale[0], scale[1]} {
			post(t, env, s.Access, path, map[string]any{"kind": kind, "score": score, "survey": "Q4"}, 201)
		}
		for _, score := range []int{scale[0] - 1, scale[1] + 1} {
			if got := fields(post(t, env, s.Access, path, map[string]any{"kind": kind, "score": score}, 422)); got != "score" {
				t.Errorf("%s %d: fields %s", kind, score, got)
			}
		}
		if got := fields(post(t, env, s.Access, path, map[string]any{"kind": kind}, 422)); got != "score" {
			t.Errorf("%s without a score: fields %s", kind, got)
		}
	}
	got := fields(post(t, env, s.Access, path, map[string]any{"kind": "compliment", "score": 5, "subject": "x", "priority": "high", "response": "thanks"}, 422))
	for _, f := range []string{"score", "subject", "priority", "response"} {
		if !strings.Contains(got, f) {
			t.Errorf("compliment with %s: fields %s", f, got)
		}
	}
	post(t, env, s.Access, "/v1/feedback", map[string]any{"kind": "gossip", "customer_id": c}, 422)
	post(t, env, s.Access, "/v1/feedback", map[string]any{"kind": "nps", "score": 9}, 422)
	list := env.Do(t, apitest.Req{Method: "GET", Path: "/v1/feedback?kind=nps&survey=Q4", Token: s.Access}).Map(t)
	if n := len(list["data"].([]any)); n != 2 {
		t.Errorf("nps answers listed: %d", n)
	}
}

func TestComplaintWorkflow(t *testing.T) {
	env := apitest.New(t)
	s := env.Signup(t, "Acme")
	agent := env.AddUser(t, s, "agent@acme.example", "agent")
	c := newCustomer(t, env, s)
	f := post(t, env, s.Access, "/v1/feedback", map[string]any{"customer_id": c, "kind": "complaint", "subject": "Broken lid",
		"description": "Arrived cracked", "priority": "high", "assignee_id": agent.UserID}, 201)
	id := f["id"].(string)
	if f["status"] != "open" || f["first_response_at"] != nil || strings.Join(toStrings(f["next_statuses"]), ",") != "acknowledged" {
		t.Fatalf("new complaint: %v", f)
	}
	move := func(to string, body map[string]any, want int) map[string]any {
		t.Helper()
		if body == nil {
			body = map[string]any{}
		}
		body["to"] = to
		return post(t, env, agent.Access, "/v1/feedback/"+id+"/transitions", body, want)
	}
	bad := move("resolved", map[string]any{"resolution": "x"}, 422)
	if msg := bad["errors"].([]any)[0].(map[string]any)["message"].(string); !strings.Contains(msg, "allowed next: acknowledged") {
		t.Errorf("illegal move message: %s", msg)
	}
	got := move("acknowledged", map[string]any{"note": "On it"}, 200)
	if got["first_response_at"] == nil {
		t.Error("first move did not set first_response_at")
	}
	firstResponse := got["first_response_at"]
	move("in_progress", nil, 200)
	if got := move("resolved", nil, 422); fields(got) != "resolution" {
		t.Errorf("resolve without resolution: %v", got)
	}
	got = move("resolved", map[string]any{"resolution": "Sent a new lid"}, 200)
	if got["resolved_at"] == nil || got["resolution"] != "Sent a new lid" || got["first_response_at"] != firstResponse {
		t.Errorf("resolved: %v", got)
	}
	got = move("reopened", map[string]any{"note": "Still cracked"}, 200)
	if got["resolved_at"] != nil {
		t.Errorf("reopened keeps resolved_at: %v", got["resolved_at"])
	}
	move("closed", nil, 422)
	move("in_progress", nil, 200)
	move("resolved", nil, 200) // the earlier resolution stands
	move("closed", nil, 200)
	if got := move("reopened", nil, 422); !strings.Contains(got["errors"].([]any)[0].(map[string]any)["message"].(string), "closed") {
		t.Errorf("move from closed: %v", got)
	}
	tr := env.Do(t, apitest.Req{Method: "GET", Path: "/v1/feedback/" + id + "/transitions", Token: s.Access}).Map(t)["data"].([]any)
	var path []string
	for _, m := range tr {
		m := m.(map[string]any)
		path = append(path, m["from"].(string)+">"+m["to"].(string))
		if m["actor"].(map[string]any)["id"] != agent.UserID {
			t.Errorf("actor %v", m["actor"])
		}
	}
	want := "open>acknowledged,acknowledged>in_progress,in_progress>resolved,resolved>reopened,reopened>in_progress,in_progress>resolved,resolved>closed"
	if strings.Join(path, ",") != want {
		t.Errorf("transitions %s", strings.Join(path, ","))
	}
	if tr[0].(map[string]any)["note"] != "On it" {
		t.Errorf("note: %v", tr[0])
	}
	// The status moves only through transitions; a suggestion's by PATCH.
	res := env.Do(t, apitest.Req{Method: "PATCH", Path: "/v1/feedback/" + id, Token: s.Access, Body: map[string]any{"status": "open"}})
	if res.Code != http.StatusUnprocessableEntity {
		t.Errorf("complaint status by PATCH: %d", res.Code)
	}
	sug := post(t, env, s.Access, "/v1/feedback", map[string]any{"customer_id": c, "kind": "suggestion", "comment": "Dark mode"}, 201)
	if sug["status"] != "new" {
		t.Errorf("suggestion status %v", sug["status"])
	}
	res = env.Do(t, apitest.Req{Method: "PATCH", Path: "/v1/feedback/" + sug["id"].(string), Token: s.Access, Body: map[string]any{"status": "planned", "response": "Coming in March"}})
	if res.Code != http.StatusOK || res.Map(t)["status"] != "planned" {
		t.Errorf("suggestion PATCH: %d %s", res.Code, res.Body)
	}
	post(t, env, s.Access, "/v1/feedback/"+sug["id"].(string)+"/transitions", map[string]any{"to": "acknowledged"}, 422)
	for _, patch := range []map[string]any{{"kind": "complaint"}, {"status": "shipped"}} {
		if res := env.Do(t, apitest.Req{Method: "PATCH", Path: "/v1/feedback/" + sug["id"].(string), Token: s.Access, Body: patch}); res.Code != http.StatusUnprocessableEntity {
			t.Errorf("PATCH %v: %d", patch, res.Code)
		}
	}
	// The timeline shows it all.
	tl := env.Do(t, apitest.Req{Method: "GET", Path: "/v1/customers/" + c + "/timeline?types=feedback.status_changed,feedback.created&limit=200", Token: s.Access}).Map(t)
	if n := len(tl["data"].([]any)); n != 9 {
		t.Errorf("timeline feedback items: %d", n)
	}
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

// clock is a controllable time for SLA tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

func TestComplaintSLA(t *testing.T) {
	clk := &clock{t: time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)}
	env := apitest.NewWith(t, apitest.Options{Now: clk.now})
	s := env.Signup(t, "Acme")
	c := newCustomer(t, env, s)
	sla := func(id string) map[string]any {
		t.Helper()
		return env.Do(t, apitest.Req{Method: "GET", Path: "/v1/feedback/" + id, Token: s.Access}).Map(t)["sla"].(map[string]any)
	}
	urgent := post(t, env, s.Access, "/v1/feedback", map[string]any{"customer_id": c, "kind": "complaint", "subject": "Outage", "priority": "urgent"}, 201)
	id := urgent["id"].(string)
	if got := sla(id); got["first_response_due_at"] != "2026-05-04T10:00:00Z" || got["resolution_due_at"] != "2026-05-04T17:00:00Z" || got["first_response"] != "running" {
		t.Fatalf("urgent SLA: %v", got)
	}
	clk.add(30 * time.Minute)
	post(t, env, s.Access, "/v1/feedback/"+id+"/transitions", map[string]any{"to": "acknowledged"}, 200)
	clk.add(8 * time.Hour) // 17:30, past the 17:00 resolution target
	if got := sla(id); got["first_response"] != "met" || got["resolution"] != "breached" {
		t.Fatalf("after 8h30: %v", got)
	}
	post(t, env, s.Access, "/v1/feedback/"+id+"/transitions", map[string]any{"to": "in_progress"}, 200)
	post(t, env, s.Access, "/v1/feedback/"+id+"/transitions", map[string]any{"to": "resolved", "resolution": "Fixed"}, 200)
	if got := sla(id); got["resolution"] != "breached" {
		t.Fatalf("resolved late: %v", got)
	}

	// Admins set targets; they apply to new complaints, and to a complaint whose priority changes.
	res := env.Do(t, apitest.Req{Method: "PUT", Path: "/v1/feedback/sla", Token: s.Access, Body: map[string]any{"targets": []any{
		map[string]any{"priority": "low", "first_response_minutes": 10, "resolution_minutes": 20}}}})
	if res.Code != http.StatusOK {
		t.Fatalf("PUT sla: %d %s", res.Code, res.Body)
	}
	targets := env.Do(t, apitest.Req{Method: "GET", Path: "/v1/feedback/sla", Token: s.Access}).Map(t)["targets"].([]any)
	if len(targets) != 4 || targets[3].(map[string]any)["resolution_minutes"] != float64(20) || targets[0].(map[string]any)["first_response_minutes"] != float64(60) {
		t.Fatalf("targets: %v", targets)
	}
	low := post(t, env, s.Access, "/v1/feedback", map[string]any{"customer_id": c, "kind": "complaint", "subject": "Typo", "priority": "low"}, 201)
	clk.add(15 * time.Minute)
	if got := sla(low["id"].(string)); got["first_response"] != "breached" || got["resolution"] != "running" {
		t.Fatalf("low after 15 min: %v", got)
	}
	res = env.Do(t, apitest.Req{Method: "PATCH", Path: "/v1/feedback/" + low["id"].(string), Token: s.Access, Body: map[string]any{"priority": "normal"}})
	if got := res.Map(t)["sla"].(map[string]any); got["first_response"] != "running" || got["resolution_due_at"] != "2026-05-07T17:30:00Z" {
		t.Fatalf("after moving to normal: %v", got)
	}
	for name, body := range map[string]any{
		"unknown priority": map[string]any{"targets": []any{map[string]any{"priority": "asap", "first_response_minutes": 1, "resolution_minutes": 2}}},
		"twice":            map[string]any{"targets": []any{map[string]any{"priority": "low", "first_response_minutes": 1, "resolution_minutes": 2}, map[string]any{"priority": "low", "first_response_minutes": 1, "resolution_minutes": 2}}},
		"inverted":         map[string]any{"targets": []any{map[string]any{"priority": "low", "first_response_minutes": 30, "resolution_minutes": 20}}},
		"negative":         map[string]any{"targets": []any{map[string]any{"priority": "low", "first_response_minutes": -1, "resolution_minutes": 20}}},
	} {
		if res := env.Do(t, apitest.Req{Method: "PUT", Path: "/v1/feedback/sla", Token: s.Access, Body: body}); res.Code != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d", name, res.Code)
		}
	}
	agent := env.AddUser(t, s, "agent@acme.example", "agent")
	if res := env.Do(t, apitest.Req{Method: "PUT", Path: "/v1/feedback/sla", Token: agent.Access, Body: map[string]any{"targets": []any{}}}); res.Code != http.StatusForbidden {
		t.Errorf("agent sets SLA: %d", res.Code)
	}
}

func TestFeedbackTenantIsolation(t *testing.T) {
	env := apitest.New(t)
	a := env.Signup(t, "A Corp")
	b := env.Signup(t, "B Corp")
	ca := newCustomer(t, env, a)
	f := post(t, env, a.Access, "/v1/feedback", map[string]any{"customer_id": ca, "kind": "complaint", "subject": "x"}, 201)
	id := f["id"].(string)
	for _, r := range []apitest.Req{
		{Method: "GET", Path: "/v1/feedback/" + id},
		{Method: "PATCH", Path: "/v1/feedback/" + id, Body: map[string]any{"subject": "hijack"}},
		{Method: "DELETE", Path: "/v1/feedback/" + id},
		{Method: "GET", Path: "/v1/feedback/" + id + "/transitions"},
		{Method: "POST", Path: "/v1/feedback/" + id + "/transitions", Body: map[string]any{"to": "acknowledged"}},
		{Method: "GET", Path: "/v1/customers/" + ca + "/feedback"},
		{Method: "POST", Path: "/v1/customers/" + ca + "/feedback", Body: map[string]any{"kind": "nps", "score": 1}},
	} {
		r.Token = b.Access
		if res := env.Do(t, r); res.Code != http.StatusNotFound {
			t.Errorf("%s %s by B: %d", r.Method, r.Path, res.Code)
		}
	}
	post(t, env, b.Access, "/v1/feedback", map[string]any{"customer_id": ca, "kind": "nps", "score": 1}, 422)
	if n := len(env.Do(t, apitest.Req{Method: "GET", Path: "/v1/feedback", Token: b.Access}).Map(t)["data"].([]any)); n != 0 {
		t.Errorf("B sees %d", n)
	}
	if got := env.Do(t, apitest.Req{Method: "GET", Path: "/v1/feedback/" + id, Token: a.Access}).Map(t); got["status"] != "open" || got["subject"] != "x" {
		t.Errorf("A's complaint changed: %v", got)
	}
	viewer := env.AddUser(t, a, "viewer@a.example", "viewer")
	post(t, env, viewer.Access, "/v1/feedback", map[string]any{"customer_id": ca, "kind": "nps", "score": 1}, 403)
}

// TestEveryTransition tries every move from every state: exactly the workflow's moves succeed.
func TestEveryTransition(t *testing.T) {
	env := apitest.New(t)
	s := env.Signup(t, "Acme")
	c := newCustomer(t, env, s)
	// How to reach each state from open.
	reach := map[string][]string{
		"open":         nil,
		"acknowledged": {"acknowledged"},
		"in_progress":  {"acknowledged", "in_progress"},
		"resolved":     {"acknowledged", "in_progress", "resolved"},
		"closed":       {"acknowledged", "in_progress", "resolved", "closed"},
		"reopened":     {"acknowledged", "in_progress", "resolved", "reopened"},
	}
	allowed := map[string]string{"open": "acknowledged", "acknowledged": "in_progress", "in_progress": "resolved",
		"resolved": "closed,reopened", "reopened": "in_progress", "closed": ""}
	for from, path := range reach {
		for _, to := range []string{"open", "acknowledged", "in_progress", "resolved", "closed", "reopened"} {
			t.Run(from+">"+to, func(t *testing.T) {
				id := post(t, env, s.Access, "/v1/feedback", map[string]any{"customer_id": c, "kind": "complaint", "subject": "x"}, 201)["id"].(string)
				for _, step := range path {
					post(t, env, s.Access, "/v1/feedback/"+id+"/transitions", map[string]any{"to": step, "resolution": "r"}, 200)
				}
				want := 422
				if strings.Contains(","+allowed[from]+",", ","+to+",") {
					want = 200
				}
				got := post(t, env, s.Access, "/v1/feedback/"+id+"/transitions", map[string]any{"to": to, "resolution": "r"}, want)
				if want == 200 && got["status"] != to {
					t.Errorf("status %v", got["status"])
				}
			})
		}
	}
}
