package contactapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rapportcrm/rapport/api/apitest"
)

func mustCreate(t *testing.T, env *apitest.Env, token, path string, body any) map[string]any {
	t.Helper()
	res := env.Do(t, apitest.Req{Method: "POST", Path: path, Token: token, Body: body})
	if res.Code != http.StatusCreated {
		t.Fatalf("POST %s: %d %s", path, res.Code, res.Body)
	}
	return res.Map(t)
}

func customer(t *testing.T, env *apitest.Env, s apitest.Session, name string) string {
	t.Helper()
	return mustCreate(t, env, s.Access, "/v1/customers", map[string]any{"first_name": name})["id"].(string)
}

func getCustomer(t *testing.T, env *apitest.Env, s apitest.Session, id string) map[string]any {
	t.Helper()
	return env.Do(t, apitest.Req{Method: "GET", Path: "/v1/customers/" + id, Token: s.Access}).Map(t)
}

func TestContactLifecycleKeepsCustomerFigures(t *testing.T) {
	env := apitest.New(t)
	s := env.Signup(t, "Acme")
	ada, bob := customer(t, env, s, "Ada"), customer(t, env, s, "Bob")
	t1 := time.Now().UTC().Add(-48 * time.Hour).Truncate(time.Second)
	t2 := t1.Add(24 * time.Hour)

	first := mustCreate(t, env, s.Access, "/v1/customers/"+ada+"/contact-history", map[string]any{
		"channel": "phone", "direction": "inbound", "subject": "Delivery late", "notes": "Parcel stuck in Leipzig",
		"occurred_at": t1, "duration_seconds": 240, "outcome": "follow_up", "follow_up_at": t2, "tags": []string{"Delivery"}})
	if first["agent_id"] != s.UserID || first["customer_id"] != ada || fmt.Sprint(first["tags"]) != "[delivery]" {
		t.Fatalf("created: %v", first)
	}
	second := mustCreate(t, env, s.Access, "/v1/contact-history", map[string]any{
		"customer_id": ada, "channel": "email", "direction": "outbound", "subject": "Sorry", "occurred_at": t2, "external_ref": "msg-1"})

	c := getCustomer(t, env, s, ada)
	if c["contact_count"] != float64(2) || c["last_contacted_at"] != t2.Format(time.RFC3339) {
		t.Fatalf("after two contacts: count %v, last %v", c["contact_count"], c["last_contacted_at"])
	}
	// Moving the later contact to Bob moves the figures with it.
	res := env.Do(t, apitest.Req{Method: "PATCH", Path: "/v1/contact-history/" + second["id"].(string), Token: s.Access,
		Body: map[string]any{"customer_id": bob}, Header: map[string]string{"If-Match": `"1"`}})
	if res.Code != http.StatusOK {
		t.Fatalf("move: %d %s", res.Code, res.Body)
	}
	if c := getCustomer(t, env, s, ada); c["contact_count"] != float64(1) || c["last_contacted_at"] != t1.Format(time.RFC3339) {
		t.Errorf("Ada after the move: %v %v", c["contact_count"], c["last_contacted_at"])
	}
	if c := getCustomer(t, env, s, bob); c["contact_count"] != float64(1) {
		t.Errorf("Bob after the move: %v", c["contact_count"])
	}
	// Deleting the first empties Ada's figures.
	if res := env.Do(t, apitest.Req{Method: "DELETE", Path: "/v1/contact-history/" + first["id"].(string), Token: s.Access}); res.Code != http.StatusNoContent {
		t.Fatalf("delete: %d", res.Code)
	}
	if c := getCustomer(t, env, s, ada); c["contact_count"] != float64(0) || c["last_contacted_at"] != nil {
		t.Errorf("Ada after the delete: %v %v", c["contact_count"], c["last_contacted_at"])
	}
	if res := env.Do(t, apitest.Req{Method: "GET", Path: "/v1/contact-history/" + first["id"].(string), Token: s.Access}); res.Code != http.StatusNotFound {
		t.Errorf("deleted contact: %d", res.Code)
	}
	// A customer's own PATCH does not undo the figures, nor its version count them.
	cb := getCustomer(t, env, s, bob)
	patched := env.Do(t, apitest.Req{Method: "PATCH", Path: "/v1/customers/" + bob, Token: s.Access, Body: map[string]any{"company": "Bob Ltd"}}).Map(t)
	if patched["contact_count"] != float64(1) || patched["version"] != float64(2) || cb["version"] != float64(1) {
		t.Errorf("customer patch: count %v, version %v (was %v)", patched["contact_count"], patched["version"], cb["version"])
	}
}

func TestContactValidation(t *testing.T) {
	env := apitest.New(t)
	s := env.Signup(t, "Acme")
	ada := customer(t, env, s, "Ada")
	gone := customer(t, env, s, "Gone")
	env.Do(t, apitest.Req{Method: "DELETE", Path: "/v1/customers/" + gone, Token: s.Access})
	mustCreate(t, env, s.Access, "/v1/contact-history", map[string]any{"customer_id": ada, "channel": "sms", "direction": "inbound", "external_ref": "call-7"})
	future := time.Now().Add(time.Hour)
	for _, tc := range []struct {
		name   string
		path   string
		body   any
		status int
		fields string
	}{
		{"enums and ranges", "/v1/contact-history", map[string]any{"customer_id": ada, "channel": "pigeon", "direction": "sideways", "outcome": "maybe", "duration_seconds": -1, "occurred_at": future},
			422, "channel,direction,outcome,occurred_at,duration_seconds"},
		{"missing required", "/v1/contact-history", map[string]any{"subject": "x"}, 422, "channel,direction"},
		{"no customer", "/v1/contact-history", map[string]any{"channel": "sms", "direction": "inbound"}, 422, "customer_id"},
		{"deleted customer", "/v1/contact-history", map[string]any{"customer_id": gone, "channel": "sms", "direction": "inbound"}, 422, "customer_id"},
		{"deleted customer in the path", "/v1/customers/" + gone + "/contact-history", map[string]any{"channel": "sms", "direction": "inbound"}, 404, ""},
		{"other customer in the body", "/v1/customers/" + ada + "/contact-history", map[string]any{"customer_id": gone, "channel": "sms", "direction": "inbound"}, 422, "customer_id"},
		{"unknown agent", "/v1/contact-history", map[string]any{"customer_id": ada, "channel": "sms", "direction": "inbound", "agent_id": "01a21609-0000-7000-8000-000000000000"}, 422, "agent_id"},
		{"re-imported external_ref", "/v1/contact-history", map[string]any{"customer_id": ada, "channel": "sms", "direction": "inbound", "external_ref": "call-7"}, 409, ""},
		{"read-only field", "/v1/contact-history", map[string]any{"customer_id": ada, "channel": "sms", "direction": "inbound", "version": 3}, 400, "version"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := env.Do(t, apitest.Req{Method: "POST", Path: tc.path, Token: s.Access, Body: tc.body})
			if res.Code != tc.status {
				t.Fatalf("got %d, want %d: %s", res.Code, tc.status, res.Body)
			}
			var got []string
			errs, _ := res.Map(t)["errors"].([]any)
			for _, e := range errs {
				got = append(got, e.(map[string]any)["field"].(string))
			}
			for _, f := range strings.Split(tc.fields, ",") {
				if f != "" && !strings.Contains(","+strings.Join(got, ",")+",", ","+f+",") {
					t.Errorf("no error for %s: %s", f, res.Body)
				}
			}
		})
	}
	if c := getCustomer(t, env, s, ada); c["contact_count"] != float64(1) {
		t.Errorf("failed requests changed the figures: %v", c["contact_count"])
	}
}

func TestContactListFilters(t *testing.T) {
	env := apitest.New(t)
	s := env.Signup(t, "Acme")
	agent := env.AddUser(t, s, "agent@acme.example", "agent")
	ada, bob := customer(t, env, s, "Ada"), customer(t, env, s, "Bob")
	base := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	add := func(token, cust, channel, direction, outcome, subject string, day int, followUp *time.Time) {
		body := map[string]any{"customer_id": cust, "channel": channel, "direction": direction, "outcome": outcome, "subject": subject,
			"occurred_at": base.AddDate(0, 0, day)}
		if followUp != nil {
			body["follow_up_at"] = followUp
		}
		mustCreate(t, env, token, "/v1/contact-history", body)
	}
	due := base.AddDate(0, 0, 3)
	add(s.Access, ada, "phone", "inbound", "resolved", "Invoice question", 0, nil)
	add(agent.Access, ada, "email", "outbound", "follow_up", "Quote for 100% wool", 1, &due)
	add(agent.Access, bob, "phone", "outbound", "sale", "Upsell call", 2, nil)

	subjects := func(path string) string {
		t.Helper()
		res := env.Do(t, apitest.Req{Method: "GET", Path: path, Token: s.Access})
		if res.Code != http.StatusOK {
			t.Fatalf("%s: %d %s", path, res.Code, res.Body)
		}
		var out []string
		for _, c := range res.Map(t)["data"].([]any) {
			out = append(out, c.(map[string]any)["subject"].(string))
		}
		return strings.Join(out, "|")
	}
	for path, want := range map[string]string{
		"/v1/contact-history":                                        "Upsell call|Quote for 100% wool|Invoice question",
		"/v1/contact-history?sort=occurred_at":                       "Invoice question|Quote for 100% wool|Upsell call",
		"/v1/contact-history?channel=phone":                          "Upsell call|Invoice question",
		"/v1/contact-history?direction=outbound&outcome=sale":        "Upsell call",
		"/v1/contact-history?agent_id=" + agent.UserID:               "Upsell call|Quote for 100% wool",
		"/v1/contact-history?customer_id=" + bob:                     "Upsell call",
		"/v1/customers/" + ada + "/contact-history":                  "Quote for 100% wool|Invoice question",
		"/v1/customers/" + ada + "/contact-history?q=INVOICE":        "Invoice question",
		"/v1/contact-history?q=100%25":                               "Quote for 100% wool",
		"/v1/contact-history?occurred_after=2026-03-02T00:00:00Z":    "Upsell call|Quote for 100% wool",
		"/v1/contact-history?occurred_before=2026-03-02T00:00:00Z":   "Invoice question",
		"/v1/contact-history?follow_up_due=2026-03-10T00:00:00Z":     "Quote for 100% wool",
		"/v1/contact-history?follow_up_due=2026-03-02T00:00:00Z":     "",
		"/v1/contact-history?limit=1&sort=occurred_at&channel=phone": "Invoice question",
	} {
		if got := subjects(path); got != want {
			t.Errorf("%s: got %q, want %q", path, got, want)
		}
	}
	for _, bad := range []string{"channel=fax", "customer_id=nope", "follow_up_due=soon", "sort=subject", "/x"} {
		path := "/v1/contact-history?" + bad
		if bad == "/x" {
			path = "/v1/customers/" + ada + "/contact-history?customer_id=" + bob
		}
		if res := env.Do(t, apitest.Req{Method: "GET", Path: path, Token: s.Access}); res.Code != http.StatusBadRequest {
			t.Errorf("%s: %d", path, res.Code)
		}
	}
}

func TestContactTenantIsolationAndRoles(t *testing.T) {
	env := apitest.New(t)
	a := env.Signup(t, "A Corp")
	b := env.Signup(t, "B Corp")
	viewer := env.AddUser(t, a, "viewer@a.example", "viewer")
	ca := customer(t, env, a, "Ada")
	ct := mustCreate(t, env, a.Access, "/v1/contact-history", map[string]any{"customer_id": ca, "channel": "chat", "direction": "inbound"})
	id := ct["id"].(string)
	for _, r := range []apitest.Req{
		{Method: "GET", Path: "/v1/contact-history/" + id},
		{Method: "PATCH", Path: "/v1/contact-history/" + id, Body: map[string]any{"subject": "hijack"}},
		{Method: "DELETE", Path: "/v1/contact-history/" + id},
		{Method: "GET", Path: "/v1/customers/" + ca + "/contact-history"},
		{Method: "POST", Path: "/v1/customers/" + ca + "/contact-history", Body: map[string]any{"channel": "chat", "direction": "inbound"}},
		{Method: "GET", Path: "/v1/customers/" + ca + "/timeline"},
	} {
		r.Token = b.Access
		if res := env.Do(t, r); res.Code != http.StatusNotFound {
			t.Errorf("%s %s by B: %d", r.Method, r.Path, res.Code)
		}
	}
	if res := env.Do(t, apitest.Req{Method: "POST", Path: "/v1/contact-history", Token: b.Access, Body: map[string]any{"customer_id": ca, "channel": "chat", "direction": "inbound"}}); res.Code != http.StatusUnprocessableEntity {
		t.Errorf("B logs a contact for A's customer: %d", res.Code)
	}
	if n := len(env.Do(t, apitest.Req{Method: "GET", Path: "/v1/contact-history", Token: b.Access}).Map(t)["data"].([]any)); n != 0 {
		t.Errorf("B sees %d contacts", n)
	}
	if res := env.Do(t, apitest.Req{Method: "GET", Path: "/v1/contact-history", Token: viewer.Access}); res.Code != http.StatusOK {
		t.Errorf("viewer reads: %d", res.Code)
	}
	if res := env.Do(t, apitest.Req{Method: "POST", Path: "/v1/contact-history", Token: viewer.Access, Body: map[string]any{"customer_id": ca, "channel": "chat", "direction": "inbound"}}); res.Code != http.StatusForbidden {
		t.Errorf("viewer writes: %d", res.Code)
	}
	if c := getCustomer(t, env, a, ca); c["contact_count"] != float64(1) {
		t.Errorf("A's customer figures changed: %v", c["contact_count"])
	}
}

func TestTimeline(t *testing.T) {
	env := apitest.New(t)
	s := env.Signup(t, "Acme")
	ada := customer(t, env, s, "Ada")
	dup := customer(t, env, s, "Ada L")
	mustCreate(t, env, s.Access, "/v1/contact-history", map[string]any{"customer_id": dup, "channel": "visit", "direction": "inbound", "subject": "Came by"})
	env.Do(t, apitest.Req{Method: "PATCH", Path: "/v1/customers/" + ada, Token: s.Access, Body: map[string]any{"lifecycle_stage": "client"}})
	mustCreate(t, env, s.Access, "/v1/customers/"+ada+"/contact-history", map[string]any{"channel": "phone", "direction": "outbound", "subject": "Welcome"})
	res := env.Do(t, apitest.Req{Method: "POST", Path: "/v1/customers/" + ada + "/merge", Token: s.Access, Body: map[string]any{"duplicate_id": dup}})
	if res.Code != http.StatusOK || res.Map(t)["contact_count"] != float64(2) {
		t.Fatalf("merge moves the duplicate's contacts: %d %s", res.Code, res.Body)
	}
	other := customer(t, env, s, "Someone else")
	mustCreate(t, env, s.Access, "/v1/contact-history", map[string]any{"customer_id": other, "channel": "sms", "direction": "inbound"})

	types := func(query string) string {
		t.Helper()
		var out []string
		path := "/v1/customers/" + ada + "/timeline?limit=2" + query
		for path != "" {
			page := env.Do(t, apitest.Req{Method: "GET", Path: path, Token: s.Access}).Map(t)
			for _, it := range page["data"].([]any) {
				item := it.(map[string]any)
				if item["actor"].(map[string]any)["id"] != s.UserID {
					t.Errorf("actor: %v", item["actor"])
				}
				out = append(out, item["type"].(string))
			}
			path = ""
			if c, ok := page["next_cursor"].(string); ok {
				path = "/v1/customers/" + ada + "/timeline?limit=2" + query + "&cursor=" + c
			}
		}
		return strings.Join(out, ",")
	}
	want := "customer.merged,customer.deleted,contact.created,customer.lifecycle_stage_changed,customer.updated,contact.created,customer.created,customer.created"
	if got := types(""); got != want {
		t.Errorf("timeline:\n got %s\nwant %s", got, want)
	}
	if got := types("&types=contact.created,customer.lifecycle_stage_changed"); got != "contact.created,customer.lifecycle_stage_changed,contact.created" {
		t.Errorf("filtered timeline: %s", got)
	}
	page := env.Do(t, apitest.Req{Method: "GET", Path: "/v1/customers/" + ada + "/timeline?types=customer.lifecycle_stage_changed", Token: s.Access}).Map(t)
	item := page["data"].([]any)[0].(map[string]any)
	if d := item["data"].(map[string]any); d["from"] != "prospect" || d["to"] != "client" {
		t.Errorf("stage change data: %v", d)
	}
	if res := env.Do(t, apitest.Req{Method: "GET", Path: "/v1/customers/" + dup + "/timeline", Token: s.Access}); res.Code != http.StatusNotFound {
		t.Errorf("a merged duplicate's own timeline: %d", res.Code)
	}
}
