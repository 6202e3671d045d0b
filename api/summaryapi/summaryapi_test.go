package summaryapi_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/rapportcrm/rapport/api/apitest"
)

func TestSummary(t *testing.T) {
	env := apitest.New(t)
	s := env.Signup(t, "Acme")
	post := func(path string, body any) map[string]any {
		t.Helper()
		res := env.Do(t, apitest.Req{Method: "POST", Path: path, Token: s.Access, Body: body})
		if res.Code >= 300 {
			t.Fatalf("POST %s: %d %s", path, res.Code, res.Body)
		}
		return res.Map(t)
	}
	id := post("/v1/customers", map[string]any{"first_name": "Ada", "lifecycle_stage": "client"})["id"].(string)
	base := "/v1/customers/" + id
	now := time.Now().UTC().Truncate(time.Second)
	for i, ch := range []string{"phone", "email", "phone"} {
		post(base+"/contact-history", map[string]any{"channel": ch, "direction": "inbound", "subject": fmt.Sprint("c", i), "occurred_at": now.Add(time.Duration(i-5) * time.Hour)})
	}
	post(base+"/feedback", map[string]any{"kind": "nps", "score": 3})
	post(base+"/feedback", map[string]any{"kind": "nps", "score": 9, "survey": "Q4"})
	post(base+"/feedback", map[string]any{"kind": "csat", "score": 4})
	open := post(base+"/feedback", map[string]any{"kind": "complaint", "subject": "Open one", "priority": "high"})["id"].(string)
	done := post(base+"/feedback", map[string]any{"kind": "complaint", "subject": "Done one"})["id"].(string)
	for _, to := range []string{"acknowledged", "in_progress", "resolved", "closed"} {
		post("/v1/feedback/"+done+"/transitions", map[string]any{"to": to, "resolution": "fixed"})
	}

	res := env.Do(t, apitest.Req{Method: "GET", Path: base + "/summary", Token: s.Access})
	if res.Code != http.StatusOK {
		t.Fatalf("summary: %d %s", res.Code, res.Body)
	}
	m := res.Map(t)
	contacts, fb := m["contacts"].(map[string]any), m["feedback"].(map[string]any)
	for what, pair := range map[string][2]any{
		"customer":       {m["customer"].(map[string]any)["first_name"], "Ada"},
		"total":          {contacts["total"], "3"},
		"by channel":     {contacts["by_channel"], "map[email:1 phone:2]"},
		"last contact":   {contacts["last"].(map[string]any)["subject"], "c2"},
		"latest NPS":     {fb["latest_nps"].(map[string]any)["score"], "9"},
		"NPS survey":     {fb["latest_nps"].(map[string]any)["survey"], "Q4"},
		"latest CSAT":    {fb["latest_csat"].(map[string]any)["score"], "4"},
		"open count":     {len(fb["open_complaints"].([]any)), "1"},
		"open complaint": {fb["open_complaints"].([]any)[0].(map[string]any)["id"], open},
		"its SLA":        {fb["open_complaints"].([]any)[0].(map[string]any)["sla"].(map[string]any)["first_response"], "running"},
	} {
		if fmt.Sprint(pair[0]) != fmt.Sprint(pair[1]) {
			t.Errorf("%s = %v, want %v", what, pair[0], pair[1])
		}
	}

	// A customer with nothing yet.
	bare := post("/v1/customers", map[string]any{"first_name": "New"})["id"].(string)
	m = env.Do(t, apitest.Req{Method: "GET", Path: "/v1/customers/" + bare + "/summary", Token: s.Access}).Map(t)
	if c := m["contacts"].(map[string]any); c["last"] != nil || c["total"] != float64(0) || m["feedback"].(map[string]any)["latest_nps"] != nil {
		t.Errorf("empty summary: %v", m)
	}

	other := env.Signup(t, "Other")
	if res := env.Do(t, apitest.Req{Method: "GET", Path: base + "/summary", Token: other.Access}); res.Code != http.StatusNotFound {
		t.Errorf("another organization: %d", res.Code)
	}
	key := env.Do(t, apitest.Req{Method: "POST", Path: "/v1/api-keys", Token: s.Access, Body: map[string]any{"name": "k", "scopes": []string{"customers:read"}}}).Map(t)["secret"].(string)
	if res := env.Do(t, apitest.Req{Method: "GET", Path: base + "/summary", Token: key}); res.Code != http.StatusForbidden {
		t.Errorf("a key without contacts:read and feedback:read: %d", res.Code)
	}
	viewer := env.AddUser(t, s, "viewer@acme.example", "viewer")
	if res := env.Do(t, apitest.Req{Method: "GET", Path: base + "/summary", Token: viewer.Access}); res.Code != http.StatusOK {
		t.Errorf("viewer: %d", res.Code)
	}
}
