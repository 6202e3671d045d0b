package customerapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/rapportcrm/rapport/api/apitest"
)

type customerJSON = map[string]any

func create(t *testing.T, env *apitest.Env, token string, body any) customerJSON {
	t.Helper()
	res := env.Do(t, apitest.Req{Method: "POST", Path: "/v1/customers", Token: token, Body: body})
	if res.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", res.Code, res.Body)
	}
	return res.Map(t)
}

func fieldsOf(t *testing.T, res *apitest.Response) []string {
	t.Helper()
	var fields []string
	errs, _ := res.Map(t)["errors"].([]any)
	for _, e := range errs {
		fields = append(fields, e.(map[string]any)["field"].(string))
	}
	return fields
}

func TestCreateGetNormalize(t *testing.T) {
	env := apitest.New(t)
	s := env.Signup(t, "Acme")
	c := create(t, env, s.Access, map[string]any{
		"external_id": "shop-1", "first_name": " Grace ", "last_name": "Hopper", "email": "Grace@Example.com",
		"phone": "(415) 555-0123", "tags": []string{"VIP", "vip", "Navy"}, "custom_fields": map[string]any{"shoe_size": 41},
		"address": map[string]string{"city": "Berlin", "country": "de"}, "birthday": "1906-12-09",
		"acquisition_cost": map[string]string{"amount": "19.9", "currency": "eur"}, "marketing_consent": true,
		"owner_id": s.UserID, "lifecycle_stage": "client", "preferred_channel": "email", "interests": []string{"Jazz"},
	})
	checks := map[string]any{"first_name": "Grace", "email": "Grace@Example.com", "lifecycle_stage": "client", "status": "active", "version": float64(1)}
	for k, want := range checks {
		if c[k] != want {
			t.Errorf("%s = %v, want %v", k, c[k], want)
		}
	}
	if got := fmt.Sprint(c["tags"]); got != "[vip navy]" {
		t.Errorf("tags = %s", got)
	}
	if c["phone"] != "+4941555501" && !strings.HasPrefix(c["phone"].(string), "+") {
		t.Errorf("phone = %v", c["phone"])
	}
	if m := c["acquisition_cost"].(map[string]any); m["amount"] != "19.90" || m["currency"] != "EUR" {
		t.Errorf("acquisition_cost = %v", m)
	}
	if c["marketing_consent_at"] == nil {
		t.Error("consent time not set")
	}
	res := env.Do(t, apitest.Req{Method: "GET", Path: "/v1/customers/" + c["id"].(string), Token: s.Access})
	if res.Code != http.StatusOK || res.Header.Get("ETag") != `"1"` {
		t.Fatalf("get: %d etag %q", res.Code, res.Header.Get("ETag"))
	}
	if got := res.Map(t); fmt.Sprint(got) != fmt.Sprint(c) {
		t.Errorf("read differs from write:\n%v\n%v", got, c)
	}
}

func TestPhoneIsE164(t *testing.T) {
	env := apitest.New(t)
	s := env.Signup(t, "Acme")
	for in, want := range map[string]string{"(415) 555-0123": "+14155550123", "+49 30 901820": "+4930901820", "+44 20 7946 0958": "+442079460958"} {
		if got := create(t, env, s.Access, map[string]any{"phone": in})["phone"]; got != want {
			t.Errorf("%s → %v, want %s", in, got, want)
		}
	}
	// A national number is read in the address's country.
	if got := create(t, env, s.Access, map[string]any{"phone": "030 901820", "address": map[string]string{"country": "DE"}})["phone"]; got != "+4930901820" {
		t.Errorf("German national number → %v", got)
	}
}

func TestCreateValidation(t *testing.T) {
	env := apitest.New(t)
	s := env.Signup(t, "Acme")
	for _, tc := range []struct {
		name   string
		body   any
		status int
		fields []string
	}{
		{"empty record", map[string]any{}, 422, []string{"first_name"}},
		{"bad values", map[string]any{"email": "nope", "birthday": "09.12.1906", "owner_id": "x"}, 422, []string{"email", "birthday", "owner_id"}},
		{"business rules", map[string]any{"first_name": "A", "phone": "12", "lifecycle_stage": "king", "status": "gone", "preferred_channel": "pigeon",
			"acquisition_cost": map[string]string{"amount": "1.234", "currency": "EUR"}, "address": map[string]string{"country": "XX"}},
			422, []string{"address.country", "phone", "lifecycle_stage", "status", "preferred_channel", "acquisition_cost.amount"}},
		{"negative money, bad currency", map[string]any{"first_name": "A", "acquisition_cost": map[string]string{"amount": "-1", "currency": "ZZZ"}}, 422, []string{"acquisition_cost.currency"}},
		{"owner from nowhere", map[string]any{"first_name": "A", "owner_id": "01a21609-0000-7000-8000-000000000000"}, 422, []string{"owner_id"}},
		{"unknown field", map[string]any{"first_name": "A", "frist_name": "B"}, 400, []string{"frist_name"}},
		{"read-only field", map[string]any{"first_name": "A", "version": 7}, 400, []string{"version"}},
		{"wrong type", map[string]any{"first_name": 7}, 400, []string{"first_name"}},
		{"malformed", `{"first_name": `, 400, nil},
		{"not an object", `[1]`, 400, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := env.Do(t, apitest.Req{Method: "POST", Path: "/v1/customers", Token: s.Access, Body: tc.body})
			if res.Code != tc.status {
				t.Fatalf("got %d, want %d: %s", res.Code, tc.status, res.Body)
			}
			got := strings.Join(fieldsOf(t, res), ",")
			for _, f := range tc.fields {
				if !strings.Contains(","+got+",", ","+f+",") {
					t.Errorf("no error for %s in %s", f, res.Body)
				}
			}
		})
	}
	list := env.Do(t, apitest.Req{Method: "GET", Path: "/v1/customers", Token: s.Access}).Map(t)
	if n := len(list["data"].([]any)); n != 0 {
		t.Fatalf("failed requests wrote %d customers", n)
	}
	res := env.Do(t, apitest.Req{Method: "POST", Path: "/v1/customers", Token: s.Access, Body: "first_name=A", Header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}})
	if res.Code != http.StatusUnsupportedMediaType {
		t.Fatalf("form body: %d", res.Code)
	}
}

func TestDuplicates(t *testing.T) {
	env := apitest.New(t)
	s := env.Signup(t, "Acme")
	first := create(t, env, s.Access, map[string]any{"email": "dup@example.com", "external_id": "x-1"})
	for name, body := range map[string]any{
		"email, other case": map[string]any{"email": "DUP@example.com"},
		"external_id":       map[string]any{"external_id": "x-1", "first_name": "B"},
	} {
		t.Run(name, func(t *testing.T) {
			res := env.Do(t, apitest.Req{Method: "POST", Path: "/v1/customers", Token: s.Access, Body: body})
			if res.Code != http.StatusConflict || res.Map(t)["existing_id"] != first["id"] {
				t.Fatalf("got %d %s", res.Code, res.Body)
			}
		})
	}
	// Another organization may use the same email.
	other := env.Signup(t, "Other")
	create(t, env, other.Access, map[string]any{"email": "dup@example.com"})
}

func TestPatchMergeAndIfMatch(t *testing.T) {
	env := apitest.New(t)
	s := env.Signup(t, "Acme")
	c := create(t, env, s.Access, map[string]any{"first_name": "Ada", "email": "ada@example.com", "tags": []string{"a"},
		"custom_fields": map[string]any{"keep": 1, "drop": 2}, "address": map[string]string{"city": "London", "country": "GB"}})
	path := "/v1/customers/" + c["id"].(string)

	res := env.Do(t, apitest.Req{Method: "PATCH", Path: path, Token: s.Access, Header: map[string]string{"If-Match": `"1"`},
		Body: map[string]any{"last_name": "Lovelace", "email": nil, "custom_fields": map[string]any{"drop": nil, "new": true}, "address": map[string]any{"city": "Paris", "country": "FR"}}})
	if res.Code != http.StatusOK || res.Header.Get("ETag") != `"2"` {
		t.Fatalf("patch: %d %s", res.Code, res.Body)
	}
	got := res.Map(t)
	if got["last_name"] != "Lovelace" || got["first_name"] != "Ada" || got["email"] != nil {
		t.Errorf("after patch: %v", got)
	}
	if cf := fmt.Sprint(got["custom_fields"]); cf != "map[keep:1 new:true]" {
		t.Errorf("custom_fields merged to %s", cf)
	}

	stale := env.Do(t, apitest.Req{Method: "PATCH", Path: path, Token: s.Access, Header: map[string]string{"If-Match": `"1"`}, Body: map[string]any{"first_name": "X"}})
	if stale.Code != http.StatusPreconditionFailed {
		t.Fatalf("stale If-Match: %d", stale.Code)
	}
	for name, body := range map[string]any{"read-only id": map[string]any{"id": "x"}, "unknown": map[string]any{"nickname": "x"}, "array": `[]`} {
		if res := env.Do(t, apitest.Req{Method: "PATCH", Path: path, Token: s.Access, Body: body}); res.Code != http.StatusBadRequest {
			t.Errorf("%s: %d", name, res.Code)
		}
	}
	if res := env.Do(t, apitest.Req{Method: "PATCH", Path: path, Token: s.Access, Body: map[string]any{"phone": "1"}}); res.Code != http.StatusUnprocessableEntity {
		t.Errorf("bad phone: %d", res.Code)
	}
	after := env.Do(t, apitest.Req{Method: "GET", Path: path, Token: s.Access}).Map(t)
	if after["first_name"] != "Ada" || after["version"] != float64(2) {
		t.Fatalf("failed patches changed the customer: %v", after)
	}
	// A patch that changes nothing writes nothing.
	same := env.Do(t, apitest.Req{Method: "PATCH", Path: path, Token: s.Access, Body: map[string]any{"first_name": "Ada"}}).Map(t)
	if same["version"] != float64(2) {
		t.Errorf("no-op patch bumped the version to %v", same["version"])
	}

	// The update is recorded once, with the old and new value of each changed field and its actor.
	var n int
	var changes, actor string
	if err := env.DB.SQL().QueryRow(`SELECT count(*) FROM events WHERE type = 'customer.updated' AND subject_id = $1`, c["id"]).Scan(&n); err != nil {
		t.Fatal(err)
	}
	err := env.DB.SQL().QueryRow(`SELECT changes, actor_id FROM events WHERE type = 'customer.updated' AND subject_id = $1`, c["id"]).Scan(&changes, &actor)
	if err != nil {
		t.Fatal(err)
	}
	var ch map[string]map[string]any
	if err := json.Unmarshal([]byte(changes), &ch); err != nil {
		t.Fatal(err)
	}
	if n != 1 || actor != s.UserID || ch["last_name"]["new"] != "Lovelace" || ch["email"]["old"] != "ada@example.com" || ch["email"]["new"] != "" {
		t.Errorf("%d update events, actor %s, changes %s", n, actor, changes)
	}
	if _, ok := ch["first_name"]; ok {
		t.Errorf("an unchanged field is in the changes: %s", changes)
	}
}

func TestDeleteRestore(t *testing.T) {
	env := apitest.New(t)
	owner := env.Signup(t, "Acme")
	agent := env.AddUser(t, owner, "agent@acme.example", "agent")
	c := create(t, env, agent.Access, map[string]any{"email": "gone@example.com"})
	path := "/v1/customers/" + c["id"].(string)

	if res := env.Do(t, apitest.Req{Method: "DELETE", Path: path, Token: agent.Access, Header: map[string]string{"If-Match": `"9"`}}); res.Code != http.StatusPreconditionFailed {
		t.Fatalf("delete with stale If-Match: %d", res.Code)
	}
	if res := env.Do(t, apitest.Req{Method: "DELETE", Path: path, Token: agent.Access}); res.Code != http.StatusNoContent {
		t.Fatalf("delete: %d", res.Code)
	}
	if res := env.Do(t, apitest.Req{Method: "GET", Path: path, Token: agent.Access}); res.Code != http.StatusNotFound {
		t.Fatalf("deleted customer: %d", res.Code)
	}
	if n := len(env.Do(t, apitest.Req{Method: "GET", Path: "/v1/customers", Token: agent.Access}).Map(t)["data"].([]any)); n != 0 {
		t.Fatalf("deleted customer listed")
	}
	if res := env.Do(t, apitest.Req{Method: "POST", Path: path + "/restore", Token: agent.Access}); res.Code != http.StatusForbidden {
		t.Fatalf("agent restore: %d", res.Code)
	}
	// While deleted, its email is free; restoring then conflicts.
	taker := create(t, env, agent.Access, map[string]any{"email": "gone@example.com"})
	res := env.Do(t, apitest.Req{Method: "POST", Path: path + "/restore", Token: owner.Access})
	if res.Code != http.StatusConflict || res.Map(t)["existing_id"] != taker["id"] {
		t.Fatalf("restore over a taken email: %d %s", res.Code, res.Body)
	}
	env.Do(t, apitest.Req{Method: "DELETE", Path: "/v1/customers/" + taker["id"].(string), Token: agent.Access})
	res = env.Do(t, apitest.Req{Method: "POST", Path: path + "/restore", Token: owner.Access})
	if res.Code != http.StatusOK || res.Map(t)["version"] != float64(3) {
		t.Fatalf("restore: %d %s", res.Code, res.Body)
	}
	if res := env.Do(t, apitest.Req{Method: "POST", Path: path + "/restore", Token: owner.Access}); res.Code != http.StatusConflict {
		t.Fatalf("restore a live customer: %d", res.Code)
	}
}

func TestListFiltersSearchSort(t *testing.T) {
	env := apitest.New(t)
	s := env.Signup(t, "Acme")
	create(t, env, s.Access, map[string]any{"first_name": "Ada", "last_name": "Lovelace", "email": "ada@math.example", "tags": []string{"vip", "uk"}, "lifecycle_stage": "advocate", "source": "referral"})
	create(t, env, s.Access, map[string]any{"first_name": "Grace", "last_name": "Hopper", "company": "US Navy", "tags": []string{"vip"}, "status": "churned"})
	create(t, env, s.Access, map[string]any{"first_name": "Alan", "last_name": "Turing", "phone": "+44 20 7946 0958", "tags": []string{"uk"}, "owner_id": s.UserID})
	create(t, env, s.Access, map[string]any{"first_name": "100%", "last_name": "Under_score"})

	names := func(query string) string {
		t.Helper()
		res := env.Do(t, apitest.Req{Method: "GET", Path: "/v1/customers?" + query, Token: s.Access})
		if res.Code != http.StatusOK {
			t.Fatalf("%s: %d %s", query, res.Code, res.Body)
		}
		var out []string
		for _, c := range res.Map(t)["data"].([]any) {
			out = append(out, c.(map[string]any)["last_name"].(string))
		}
		return strings.Join(out, ",")
	}
	for query, want := range map[string]string{
		"sort=last_name":                      "Hopper,Lovelace,Turing,Under_score",
		"sort=-last_name":                     "Under_score,Turing,Lovelace,Hopper",
		"":                                    "Under_score,Turing,Hopper,Lovelace",
		"q=NAVY":                              "Hopper",
		"q=ada+love":                          "Lovelace",
		"q=7946":                              "Turing",
		"q=math.example":                      "Lovelace",
		"q=" + url.QueryEscape("%"):           "Under_score",
		"q=_":                                 "Under_score",
		"tag=vip&sort=last_name":              "Hopper,Lovelace",
		"tag=vip&tag=uk":                      "Lovelace",
		"tag=VIP&tag=uk":                      "Lovelace",
		"lifecycle_stage=advocate":            "Lovelace",
		"status=churned":                      "Hopper",
		"source=referral":                     "Lovelace",
		"email=ADA@math.example":              "Lovelace",
		"owner_id=" + s.UserID:                "Turing",
		"created_after=2000-01-01T00:00:00Z":  "Under_score,Turing,Hopper,Lovelace",
		"created_before=2000-01-01T00:00:00Z": "",
		"updated_after=2999-01-01T00:00:00Z":  "",
	} {
		if got := names(query); got != want {
			t.Errorf("%q: got %q, want %q", query, got, want)
		}
	}
	for _, bad := range []string{"limit=0", "limit=201", "limit=x", "sort=email", "cursor=garbage", "lifecycle_stage=king",
		"owner_id=1", "created_after=yesterday", "colour=red", "status=active&status=churned"} {
		res := env.Do(t, apitest.Req{Method: "GET", Path: "/v1/customers?" + bad, Token: s.Access})
		if res.Code != http.StatusBadRequest {
			t.Errorf("%s: got %d, want 400", bad, res.Code)
		}
	}
}

// TestPagingStableUnderInserts pages through customers while new ones are created: every customer
// that existed before paging started is seen exactly once, in order.
func TestPagingStableUnderInserts(t *testing.T) {
	env := apitest.New(t)
	s := env.Signup(t, "Acme")
	before := map[string]bool{}
	for i := range 25 {
		before[create(t, env, s.Access, map[string]any{"first_name": fmt.Sprint("c", i)})["id"].(string)] = true
	}
	for _, sort := range []string{"-created_at", "created_at", "last_name", "-updated_at"} {
		t.Run(sort, func(t *testing.T) {
			seen := map[string]int{}
			path := "/v1/customers?limit=4&sort=" + sort
			for pages := 0; path != ""; pages++ {
				page := env.Do(t, apitest.Req{Method: "GET", Path: path, Token: s.Access}).Map(t)
				for _, c := range page["data"].([]any) {
					seen[c.(map[string]any)["id"].(string)]++
				}
				create(t, env, s.Access, map[string]any{"first_name": "inserted while paging"})
				path = ""
				if c, ok := page["next_cursor"].(string); ok {
					if page["has_more"] != true {
						t.Fatal("next_cursor without has_more")
					}
					path = "/v1/customers?limit=4&sort=" + url.QueryEscape(sort) + "&cursor=" + c
				}
				if pages > 100 {
					t.Fatal("paging does not end")
				}
			}
			for id := range before {
				if seen[id] != 1 {
					t.Errorf("customer %s seen %d times", id, seen[id])
				}
			}
		})
	}
	res := env.Do(t, apitest.Req{Method: "GET", Path: "/v1/customers?limit=1&sort=created_at", Token: s.Access})
	cursor := res.Map(t)["next_cursor"].(string)
	if res := env.Do(t, apitest.Req{Method: "GET", Path: "/v1/customers?sort=last_name&cursor=" + cursor, Token: s.Access}); res.Code != http.StatusBadRequest {
		t.Errorf("a cursor used with another sort: %d", res.Code)
	}
}

func TestMerge(t *testing.T) {
	env := apitest.New(t)
	s := env.Signup(t, "Acme")
	survivor := create(t, env, s.Access, map[string]any{"first_name": "Ada", "tags": []string{"a"}, "custom_fields": map[string]any{"x": 1}})
	dup := create(t, env, s.Access, map[string]any{"first_name": "Augusta", "last_name": "King", "email": "ada@example.com", "phone": "+442079460958",
		"tags": []string{"b", "a"}, "custom_fields": map[string]any{"x": 2, "y": 3}, "lifecycle_stage": "advocate"})
	path := "/v1/customers/" + survivor["id"].(string) + "/merge"

	res := env.Do(t, apitest.Req{Method: "POST", Path: path, Token: s.Access, Body: map[string]string{"duplicate_id": dup["id"].(string)}})
	if res.Code != http.StatusOK {
		t.Fatalf("merge: %d %s", res.Code, res.Body)
	}
	m := res.Map(t)
	want := map[string]string{"first_name": "Ada", "last_name": "King", "email": "ada@example.com", "phone": "+442079460958",
		"tags": "[a b]", "custom_fields": "map[x:1 y:3]", "lifecycle_stage": "advocate"}
	for k, v := range want {
		if fmt.Sprint(m[k]) != v {
			t.Errorf("%s = %v, want %s", k, m[k], v)
		}
	}
	if res := env.Do(t, apitest.Req{Method: "GET", Path: "/v1/customers/" + dup["id"].(string), Token: s.Access}); res.Code != http.StatusNotFound {
		t.Errorf("duplicate still there: %d", res.Code)
	}
	if res := env.Do(t, apitest.Req{Method: "POST", Path: path, Token: s.Access, Body: map[string]string{"duplicate_id": survivor["id"].(string)}}); res.Code != http.StatusUnprocessableEntity {
		t.Errorf("merge into itself: %d", res.Code)
	}
	if res := env.Do(t, apitest.Req{Method: "POST", Path: path, Token: s.Access, Body: map[string]string{"duplicate_id": dup["id"].(string)}}); res.Code != http.StatusUnprocessableEntity {
		t.Errorf("merge a deleted duplicate: %d", res.Code)
	}
	var types []string
	if err := env.DB.SQL().QueryRow(`SELECT count(*) FROM events WHERE type = 'customer.merged'`).Scan(new(int)); err != nil {
		t.Fatal(err)
	}
	rows, err := env.DB.SQL().Query(`SELECT type FROM events WHERE subject_type = 'customer' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var typ string
		rows.Scan(&typ)
		types = append(types, typ)
	}
	if got := strings.Join(types, ","); got != "customer.created,customer.created,customer.deleted,customer.updated,customer.lifecycle_stage_changed,customer.merged" {
		t.Errorf("events: %s", got)
	}
}

func TestBatch(t *testing.T) {
	env := apitest.New(t)
	s := env.Signup(t, "Acme")
	existing := create(t, env, s.Access, map[string]any{"email": "old@example.com", "first_name": "Old", "tags": []string{"keep"}})

	res := env.Do(t, apitest.Req{Method: "POST", Path: "/v1/customers/batch", Token: s.Access, Body: map[string]any{"items": []any{
		map[string]any{"external_id": "e-1", "first_name": "New"},
		map[string]any{"email": "OLD@example.com", "last_name": "Timer"},
		map[string]any{"email": "OLD@example.com", "last_name": "Timer"},
		map[string]any{"email": "bad"},
		map[string]any{"external_id": "e-1", "company": "Acme"},
		map[string]any{"first_name": "X", "id": "read-only"},
	}}})
	if res.Code != http.StatusOK {
		t.Fatalf("batch: %d %s", res.Code, res.Body)
	}
	results := res.Map(t)["results"].([]any)
	var statuses []string
	for _, r := range results {
		statuses = append(statuses, r.(map[string]any)["status"].(string))
	}
	if got := strings.Join(statuses, ","); got != "created,updated,unchanged,error,updated,error" {
		t.Fatalf("statuses %s: %s", got, res.Body)
	}
	if id := results[1].(map[string]any)["id"]; id != existing["id"] {
		t.Errorf("matched by email to %v, want %v", id, existing["id"])
	}
	if e := results[3].(map[string]any)["error"].(map[string]any); e["status"] != float64(422) {
		t.Errorf("item error: %v", e)
	}
	got := env.Do(t, apitest.Req{Method: "GET", Path: "/v1/customers/" + existing["id"].(string), Token: s.Access}).Map(t)
	if got["first_name"] != "Old" || got["last_name"] != "Timer" || fmt.Sprint(got["tags"]) != "[keep]" {
		t.Errorf("batch update must merge: %v", got)
	}

	// Atomic: one bad item fails all, and names it.
	before := len(env.Do(t, apitest.Req{Method: "GET", Path: "/v1/customers", Token: s.Access}).Map(t)["data"].([]any))
	res = env.Do(t, apitest.Req{Method: "POST", Path: "/v1/customers/batch", Token: s.Access, Body: map[string]any{"atomic": true, "items": []any{
		map[string]any{"first_name": "Fine"}, map[string]any{"email": "nope"}, map[string]any{"external_id": "e-1", "phone": "1"},
	}}})
	if res.Code != http.StatusUnprocessableEntity {
		t.Fatalf("atomic batch: %d %s", res.Code, res.Body)
	}
	if got := strings.Join(fieldsOf(t, res), ","); got != "items[1].email,items[2].phone" {
		t.Errorf("atomic failure fields: %s", got)
	}
	after := len(env.Do(t, apitest.Req{Method: "GET", Path: "/v1/customers", Token: s.Access}).Map(t)["data"].([]any))
	if after != before {
		t.Errorf("atomic failure wrote %d customers", after-before)
	}

	// 1,000 items is the limit: 1,001 answers 413.
	items := make([]any, 1001)
	for i := range items {
		items[i] = map[string]any{"external_id": fmt.Sprint("bulk-", i), "first_name": "Bulk"}
	}
	if res := env.Do(t, apitest.Req{Method: "POST", Path: "/v1/customers/batch", Token: s.Access, Body: map[string]any{"items": items}}); res.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("1001 items: %d", res.Code)
	}
	res = env.Do(t, apitest.Req{Method: "POST", Path: "/v1/customers/batch", Token: s.Access, Body: map[string]any{"items": items[:1000]}})
	if res.Code != http.StatusOK {
		t.Fatalf("1000 items: %d %s", res.Code, res.Body)
	}
	for _, r := range res.Map(t)["results"].([]any) {
		if r.(map[string]any)["status"] != "created" {
			t.Fatalf("bulk item: %v", r)
		}
	}
	if res := env.Do(t, apitest.Req{Method: "POST", Path: "/v1/customers/batch", Token: s.Access, Body: map[string]any{"items": []any{}}}); res.Code != http.StatusUnprocessableEntity {
		t.Fatalf("empty batch: %d", res.Code)
	}
}

// TestTenantIsolation: every customer route answers another organization's ids as not found,
// and nothing of organization A changes.
func TestTenantIsolation(t *testing.T) {
	env := apitest.New(t)
	a := env.Signup(t, "A Corp")
	b := env.Signup(t, "B Corp")
	ca := create(t, env, a.Access, map[string]any{"email": "a1@example.com", "external_id": "a-1"})
	ca2 := create(t, env, a.Access, map[string]any{"email": "a2@example.com"})
	cb := create(t, env, b.Access, map[string]any{"email": "b1@example.com"})
	id := ca["id"].(string)
	for _, r := range []apitest.Req{
		{Method: "GET", Path: "/v1/customers/" + id},
		{Method: "PATCH", Path: "/v1/customers/" + id, Body: map[string]any{"first_name": "hijacked"}},
		{Method: "DELETE", Path: "/v1/customers/" + id},
		{Method: "POST", Path: "/v1/customers/" + id + "/restore"},
		{Method: "POST", Path: "/v1/customers/" + id + "/merge", Body: map[string]any{"duplicate_id": cb["id"]}},
	} {
		r.Token = b.Access
		if res := env.Do(t, r); res.Code != http.StatusNotFound {
			t.Errorf("%s %s by B: %d", r.Method, r.Path, res.Code)
		}
	}
	// B merging A's customer into its own: the duplicate is not B's.
	res := env.Do(t, apitest.Req{Method: "POST", Path: "/v1/customers/" + cb["id"].(string) + "/merge", Token: b.Access, Body: map[string]any{"duplicate_id": ca2["id"]}})
	if res.Code != http.StatusUnprocessableEntity {
		t.Errorf("merge A's customer into B's: %d", res.Code)
	}
	// B's batch with A's keys creates B's own customers and never touches A's.
	res = env.Do(t, apitest.Req{Method: "POST", Path: "/v1/customers/batch", Token: b.Access, Body: map[string]any{"items": []any{
		map[string]any{"external_id": "a-1", "first_name": "B's own"}, map[string]any{"email": "a2@example.com", "first_name": "B's own"},
	}}})
	for _, r := range res.Map(t)["results"].([]any) {
		if r.(map[string]any)["status"] != "created" {
			t.Errorf("B's batch matched across tenants: %v", r)
		}
	}
	list := env.Do(t, apitest.Req{Method: "GET", Path: "/v1/customers", Token: b.Access}).Map(t)
	if n := len(list["data"].([]any)); n != 3 {
		t.Errorf("B lists %d customers, want its own 3", n)
	}
	for _, c := range []customerJSON{ca, ca2} {
		got := env.Do(t, apitest.Req{Method: "GET", Path: "/v1/customers/" + c["id"].(string), Token: a.Access})
		if got.Code != http.StatusOK || got.Map(t)["version"] != float64(1) {
			t.Errorf("A's customer changed: %d %s", got.Code, got.Body)
		}
	}
}

// TestBatchMatchNeverOverwritesAnother: an item with a new external_id whose email (in any case)
// belongs to a customer with another external_id fails naming that customer, instead of taking it
// over; it falls back to the email only for a customer without an external_id of its own.
func TestBatchMatchNeverOverwritesAnother(t *testing.T) {
	env := apitest.New(t)
	s := env.Signup(t, "Shop")
	a := create(t, env, s.Access, map[string]any{"external_id": "a-1", "email": "ann@example.com", "first_name": "Ann"})
	c := create(t, env, s.Access, map[string]any{"email": "cy@example.com", "first_name": "Cy"})
	batch := map[string]any{"items": []any{
		map[string]any{"external_id": "b-2", "email": "ANN@example.com", "first_name": "Bob"},
		map[string]any{"external_id": "c-9", "email": "cy@example.com", "last_name": "Young"},
		map[string]any{"email": "ann@example.com", "last_name": "Lee"},
	}}
	for round := range 2 { // running it again must not flip-flop
		results := env.Expect(t, s.Access, "POST", "/v1/customers/batch", batch, 200)["results"].([]any)
		first := results[0].(map[string]any)
		if first["status"] != "error" || first["error"].(map[string]any)["status"] != float64(409) || first["error"].(map[string]any)["existing_id"] != a["id"] {
			t.Fatalf("round %d: the item naming another's email: %v", round, first)
		}
		if r := results[1].(map[string]any); r["id"] != c["id"] || (round == 0 && r["status"] != "updated") || (round == 1 && r["status"] != "unchanged") {
			t.Fatalf("round %d: the email of a customer without an external_id: %v", round, r)
		}
		if r := results[2].(map[string]any); r["id"] != a["id"] {
			t.Fatalf("round %d: an item without an external_id matches by email: %v", round, r)
		}
	}
	got := env.Expect(t, s.Access, "GET", "/v1/customers/"+a["id"].(string), nil, 200)
	if got["external_id"] != "a-1" || got["first_name"] != "Ann" || got["last_name"] != "Lee" {
		t.Fatalf("Ann after the batches: %v", got)
	}
	if got := env.Expect(t, s.Access, "GET", "/v1/customers/"+c["id"].(string), nil, 200); got["external_id"] != "c-9" {
		t.Fatalf("Cy takes the external_id it had none of: %v", got)
	}
}
