package eventapi_test

import (
	"encoding/base64"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rapportcrm/rapport/api/apitest"
	"github.com/rapportcrm/rapport/pkg/storage/storagetest"
)

// item is an event of the feed as the test reads it.
type item = map[string]any

// page reads one page of the feed.
func page(t *testing.T, env *apitest.Env, token, query string) ([]item, string, bool) {
	t.Helper()
	res := env.Expect(t, token, "GET", "/v1/events?"+query, nil, http.StatusOK)
	var items []item
	for _, it := range res["data"].([]any) {
		items = append(items, it.(item))
	}
	next, _ := res["next_cursor"].(string)
	if next == "" {
		t.Fatalf("GET /v1/events?%s: no next_cursor", query)
	}
	return items, next, res["has_more"].(bool)
}

// settled waits until the feed shows all that was committed (on PostgreSQL, other tests'
// transactions hold it back for a moment).
func settled(t *testing.T, env *apitest.Env) {
	t.Helper()
	storagetest.FeedSettled(t, env.DB)
}

// follow reads the feed from after ("" for the start) to its end, limit at a time, once it shows
// all that was committed, and answers the events and where to poll next.
func follow(t *testing.T, env *apitest.Env, token, after, query string, limit int) ([]item, string) {
	t.Helper()
	settled(t, env)
	var all []item
	for {
		q := fmt.Sprintf("limit=%d&%s", limit, query)
		if after != "" {
			q += "&after=" + url.QueryEscape(after)
		}
		items, next, more := page(t, env, token, q)
		if len(items) > limit {
			t.Fatalf("a page of %d events for limit=%d", len(items), limit)
		}
		all, after = append(all, items...), next
		if !more {
			return all, after
		}
	}
}

// kinds lists the events' types, with the subject where it is one the test names.
func kinds(items []item, names map[string]string) []string {
	var out []string
	for _, it := range items {
		s := it["type"].(string)
		if n, ok := names[it["subject_id"].(string)]; ok {
			s += " " + n
		}
		out = append(out, s)
	}
	return out
}

// del deletes a record.
func del(t *testing.T, env *apitest.Env, token, path string) {
	t.Helper()
	if res := env.Do(t, apitest.Req{Method: "DELETE", Path: path, Token: token}); res.Code != http.StatusNoContent {
		t.Fatalf("DELETE %s: %d %s", path, res.Code, res.Body)
	}
}

// TestFeed: one organization's changes in the order they were made, a page at a time or all at
// once, filtered by type; never another organization's; after=now starts at the end.
func TestFeed(t *testing.T) {
	env := apitest.New(t)
	a, b := env.Signup(t, "Acme"), env.Signup(t, "Globex")
	ada := env.Expect(t, a.Access, "POST", "/v1/customers", map[string]any{"first_name": "Ada", "email": "ada@example.com"}, 201)["id"].(string)
	env.Expect(t, b.Access, "POST", "/v1/customers", map[string]any{"first_name": "Bob"}, 201)
	env.Expect(t, a.Access, "PATCH", "/v1/customers/"+ada, map[string]any{"lifecycle_stage": "client"}, 200)
	contact := env.Expect(t, a.Access, "POST", "/v1/customers/"+ada+"/contact-history", map[string]any{"channel": "phone", "direction": "inbound"}, 201)["id"].(string)
	fb := env.Expect(t, a.Access, "POST", "/v1/customers/"+ada+"/feedback", map[string]any{"kind": "nps", "score": 9}, 201)["id"].(string)
	names := map[string]string{ada: "ada", contact: "call", fb: "nps", a.OrgID: "acme", a.UserID: "owner"}

	all, end := follow(t, env, a.Access, "", "", 200)
	want := []string{"organization.created acme", "user.created owner", "customer.created ada", "customer.updated ada",
		"customer.lifecycle_stage_changed ada", "contact.created call", "feedback.created nps"}
	if got := kinds(all, names); !slices.Equal(got, want) {
		t.Fatalf("the feed:\n%q\nwant\n%q", got, want)
	}
	for _, limit := range []int{1, 2, 3} {
		paged, _ := follow(t, env, a.Access, "", "", limit)
		if !reflect.DeepEqual(paged, all) {
			t.Errorf("limit=%d: %q", limit, kinds(paged, names))
		}
	}
	for query, want := range map[string][]string{
		"types=customer.*,feedback.created": {"customer.created ada", "customer.updated ada", "customer.lifecycle_stage_changed ada", "feedback.created nps"},
		"types=contact.created":             {"contact.created call"},
		"types=purchase.*":                  nil,
	} {
		for _, limit := range []int{1, 50} {
			got, _ := follow(t, env, a.Access, "", query, limit)
			if !slices.Equal(kinds(got, names), want) {
				t.Errorf("%s, limit=%d: %q, want %q", query, limit, kinds(got, names), want)
			}
		}
	}
	first := all[2]
	if first["customer_id"] != ada || first["actor"].(item)["type"] != "user" || first["actor"].(item)["id"] != a.UserID ||
		first["changes"].(item)["first_name"].(item)["new"] != "Ada" {
		t.Errorf("customer.created: %v", first)
	}
	if all[0]["customer_id"] != nil || len(all[0]["changes"].(item)) != 0 {
		t.Errorf("organization.created names a customer or changes: %v", all[0])
	}

	// Another organization's feed has its own events, and none of these.
	theirs, _ := follow(t, env, b.Access, "", "", 200)
	for _, it := range theirs {
		if it["subject_id"] == ada || it["subject_id"] == a.OrgID {
			t.Fatalf("Globex's feed shows Acme's %v", it)
		}
	}
	if got := kinds(theirs, nil); !slices.Equal(got, []string{"organization.created", "user.created", "customer.created"}) {
		t.Errorf("Globex's feed: %q", got)
	}

	// From the end: nothing until something happens, then that.
	items, next, more := page(t, env, a.Access, "after="+url.QueryEscape(end))
	if len(items) != 0 || more {
		t.Fatalf("after the end: %d events, has_more %v", len(items), more)
	}
	now, fromNow, _ := page(t, env, a.Access, "after=now")
	if len(now) != 0 {
		t.Fatalf("after=now answered %d events", len(now))
	}
	del(t, env, a.Access, "/v1/customers/"+ada)
	for _, cursor := range []string{next, fromNow} {
		got, _ := follow(t, env, a.Access, cursor, "", 10)
		if !slices.Equal(kinds(got, names), []string{"customer.deleted ada"}) {
			t.Errorf("after %s: %q", cursor, kinds(got, names))
		}
	}
}

// TestFeedWaits: with wait=, a request that finds nothing answers as soon as an event arrives.
func TestFeedWaits(t *testing.T) {
	env := apitest.New(t)
	s := env.Signup(t, "Acme")
	settled(t, env)
	_, end, _ := page(t, env, s.Access, "after=now")
	var wg sync.WaitGroup
	var got []item
	wg.Add(1)
	go func() {
		defer wg.Done()
		got, _, _ = page(t, env, s.Access, "wait=30s&after="+url.QueryEscape(end))
	}()
	time.Sleep(300 * time.Millisecond) // let it find nothing first (not needed for the test to pass)
	id := env.Expect(t, s.Access, "POST", "/v1/customers", map[string]any{"first_name": "Ada"}, 201)["id"].(string)
	wg.Wait()
	if len(got) != 1 || got[0]["type"] != "customer.created" || got[0]["subject_id"] != id {
		t.Fatalf("the long poll answered %v", got)
	}
	// Nothing arrives: an empty page when the wait is over, with a cursor to go on from.
	items, next, _ := page(t, env, s.Access, "wait=1&after="+url.QueryEscape(end)+"&types=contact.*")
	if len(items) != 0 || next == "" {
		t.Fatalf("an empty wait answered %v, %q", items, next)
	}
}

// TestFeedRefuses: the parameters are checked, a cursor past the retention is gone, and the
// feed needs events:read.
func TestFeedRefuses(t *testing.T) {
	var mu sync.Mutex
	clock := time.Now()
	env := apitest.NewWith(t, apitest.Options{Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }})
	s := env.Signup(t, "Acme")
	settled(t, env)
	_, end, _ := page(t, env, s.Access, "after=now")
	forged := base64.RawURLEncoding.EncodeToString([]byte(`{"v":9,"tx":1,"id":"00000000-0000-0000-0000-000000000000","at":"2026-01-01T00:00:00Z"}`))
	for query, field := range map[string]string{
		"after=nonsense": "after", "after=" + forged: "after", "types=customer.updatd": "types", "limit=0": "limit",
		"limit=201": "limit", "wait=61s": "wait", "wait=-1s": "wait", "wait=soon": "wait", "cursor=" + end: "cursor", "sort=-occurred_at": "sort",
		"since=2026-01-01T00:00:00Z": "since",
	} {
		res := env.Do(t, apitest.Req{Method: "GET", Path: "/v1/events?" + query, Token: s.Access})
		if res.Code != http.StatusBadRequest || !strings.Contains(string(res.Body), `"field":"`+field+`"`) {
			t.Errorf("%s: %d %s", query, res.Code, res.Body)
		}
		if field == "types" && !strings.Contains(string(res.Body), "customer.updated") {
			t.Errorf("an unknown type does not list the known ones: %s", res.Body)
		}
	}

	// Past the retention (30 days and an hour's grace), a cursor is gone; a fresh start is not.
	env.Expect(t, s.Access, "POST", "/v1/customers", map[string]any{"first_name": "Ada"}, 201)
	mu.Lock()
	clock = clock.Add(30*24*time.Hour + 59*time.Minute)
	mu.Unlock()
	if got, _ := follow(t, env, s.Access, end, "", 10); len(got) != 1 {
		t.Fatalf("within the grace: %d events", len(got))
	}
	mu.Lock()
	clock = clock.Add(2 * time.Minute)
	mu.Unlock()
	res := env.Do(t, apitest.Req{Method: "GET", Path: "/v1/events?after=" + url.QueryEscape(end), Token: s.Access})
	if res.Code != http.StatusGone || res.Map(t)["type"] != "/problems/gone" {
		t.Fatalf("a cursor past the retention: %d %s", res.Code, res.Body)
	}
	if got, _ := follow(t, env, s.Access, "", "", 10); len(got) != 0 {
		t.Fatalf("a fresh start shows %d events older than the retention", len(got))
	}

	// events:read, and the families the caller may read.
	key := func(scopes ...string) string {
		return env.Expect(t, s.Access, "POST", "/v1/api-keys", map[string]any{"name": "k", "scopes": scopes}, 201)["secret"].(string)
	}
	if res := env.Do(t, apitest.Req{Method: "GET", Path: "/v1/events", Token: key("customers:read")}); res.Code != http.StatusForbidden {
		t.Errorf("a key without events:read: %d", res.Code)
	}
	mu.Lock()
	clock = time.Now()
	mu.Unlock()
	env.Expect(t, s.Access, "POST", "/v1/feedback", map[string]any{"customer_id": env.Expect(t, s.Access, "POST", "/v1/customers", map[string]any{"first_name": "Eve"}, 201)["id"], "kind": "compliment"}, 201)
	for scopes, want := range map[string][]string{
		"events:read":                               nil,
		"events:read customers:read":                {"customer.created", "customer.created"},
		"events:read customers:read feedback:write": {"customer.created", "customer.created", "feedback.created"},
	} {
		got, _ := follow(t, env, key(strings.Fields(scopes)...), "", "types=customer.*,feedback.*,api_key.*", 50)
		if !slices.Equal(kinds(got, nil), want) {
			t.Errorf("a key with %s reads %q, want %q", scopes, kinds(got, nil), want)
		}
	}
	viewer := env.AddUser(t, s, "viewer@example.com", "viewer")
	if got, _ := follow(t, env, viewer.Access, "", "types=customer.created", 50); len(got) != 2 {
		t.Errorf("a viewer reads %d customer.created, want 2", len(got))
	}
}

// TestFeedData: an event's data is the record after the change as its GET answers it, less what
// it computes or gathers; deletes and merges say what a copy needs to follow them.
func TestFeedData(t *testing.T) {
	env := apitest.New(t)
	s := env.Signup(t, "Acme")
	settled(t, env)
	_, start, _ := page(t, env, s.Access, "after=now")
	last := func(typ string) item {
		t.Helper()
		got, _ := follow(t, env, s.Access, start, "types="+typ, 200)
		if len(got) == 0 {
			t.Fatalf("no %s event", typ)
		}
		return got[len(got)-1]["data"].(item)
	}
	same := func(what string, data item, get map[string]any, computed ...string) {
		t.Helper()
		want := maps.Clone(get)
		for _, k := range computed {
			if _, ok := want[k]; !ok {
				t.Errorf("%s: the record has no %s to leave out", what, k)
			}
			delete(want, k)
		}
		if !reflect.DeepEqual(data, want) {
			t.Errorf("%s: data\n%v\nwant the record as GET answers it\n%v", what, data, want)
		}
	}
	customerComputed := []string{"last_contacted_at", "contact_count", "first_purchase_at", "last_purchase_at", "purchase_count", "total_spent", "rfm", "value"}

	ada := env.Expect(t, s.Access, "POST", "/v1/customers", map[string]any{"first_name": "Ada", "email": "ada@example.com",
		"address": map[string]any{"city": "London", "country": "GB"}, "tags": []string{"vip"}, "marketing_consent": true,
		"acquisition_cost": map[string]any{"amount": "12.50", "currency": "EUR"}, "custom_fields": map[string]any{"tier": 2}}, 201)
	id := ada["id"].(string)
	path := "/v1/customers/" + id
	same("customer.created", last("customer.created"), env.Expect(t, s.Access, "GET", path, nil, 200), customerComputed...)
	env.Expect(t, s.Access, "PATCH", path, map[string]any{"last_name": "Lovelace", "status": "churned"}, 200)
	got := env.Expect(t, s.Access, "GET", path, nil, 200)
	same("customer.updated", last("customer.updated"), got, customerComputed...)
	moved := last("customer.status_changed")
	if moved["from"] != "active" || moved["to"] != "churned" {
		t.Errorf("customer.status_changed: %v", moved)
	}
	delete(moved, "from")
	delete(moved, "to")
	same("customer.status_changed", moved, got, customerComputed...)

	contact := env.Expect(t, s.Access, "POST", path+"/contact-history", map[string]any{"channel": "email", "direction": "outbound", "subject": "Hello"}, 201)
	same("contact.created", last("contact.created"), env.Expect(t, s.Access, "GET", "/v1/contact-history/"+contact["id"].(string), nil, 200))
	complaint := env.Expect(t, s.Access, "POST", path+"/feedback", map[string]any{"kind": "complaint", "subject": "Late"}, 201)
	fpath := "/v1/feedback/" + complaint["id"].(string)
	env.Expect(t, s.Access, "POST", fpath+"/transitions", map[string]any{"to": "acknowledged", "note": "On it"}, 200)
	transition := last("feedback.status_changed")
	if transition["from"] != "open" || transition["to"] != "acknowledged" || transition["note"] != "On it" {
		t.Errorf("feedback.status_changed: %v", transition)
	}
	delete(transition, "from")
	delete(transition, "to")
	delete(transition, "note")
	same("feedback.status_changed", transition, env.Expect(t, s.Access, "GET", fpath, nil, 200), "sla", "next_statuses")

	// A first purchase moves the prospect: the move carries the customer as the purchase left it.
	bob := env.Expect(t, s.Access, "POST", "/v1/customers", map[string]any{"first_name": "Bob"}, 201)["id"].(string)
	p := env.Expect(t, s.Access, "POST", "/v1/purchases", map[string]any{"customer_id": bob, "amount": "19.90", "external_id": "o-1",
		"items": []map[string]any{{"sku": "A-1", "quantity": 2, "unit_price": "9.95"}}}, 201)
	ppath := "/v1/purchases/" + p["id"].(string)
	same("purchase.created", last("purchase.created"), env.Expect(t, s.Access, "GET", ppath, nil, 200))
	stage := last("customer.lifecycle_stage_changed")
	if stage["id"] != bob || stage["from"] != "prospect" || stage["to"] != "customer" || stage["reason"] != "first purchase" {
		t.Errorf("the purchase's stage move: %v", stage)
	}
	for _, k := range []string{"from", "to", "reason"} {
		delete(stage, k)
	}
	same("the purchase's stage move", stage, env.Expect(t, s.Access, "GET", "/v1/customers/"+bob, nil, 200), customerComputed...)
	env.Expect(t, s.Access, "POST", ppath+"/refund", map[string]any{"amount": "5.00"}, 200)
	refund := last("purchase.refunded")
	if r := refund["refund"].(item); r["amount"] != "5.00" || r["currency"] != "EUR" {
		t.Errorf("purchase.refunded: %v", refund)
	}
	delete(refund, "refund")
	same("purchase.refunded", refund, env.Expect(t, s.Access, "GET", ppath, nil, 200))

	// Tombstones: what a copy needs to go, or to follow the survivor of a merge.
	dup := env.Expect(t, s.Access, "POST", "/v1/customers", map[string]any{"first_name": "Ada", "external_id": "shop-7", "email": "ada2@example.com"}, 201)["id"].(string)
	env.Expect(t, s.Access, "POST", path+"/merge", map[string]any{"duplicate_id": dup}, 200)
	merged := last("customer.merged")
	if merged["duplicate_id"] != dup || merged["id"] != id {
		t.Errorf("customer.merged: %v", merged)
	}
	delete(merged, "duplicate_id")
	same("customer.merged", merged, env.Expect(t, s.Access, "GET", path, nil, 200), customerComputed...)
	gone := last("customer.deleted")
	if gone["id"] != dup || gone["external_id"] != "shop-7" || gone["email"] != "ada2@example.com" || gone["merged_into_id"] != id || gone["deleted_at"] == nil {
		t.Errorf("the merged duplicate's tombstone: %v", gone)
	}
	del(t, env, s.Access, "/v1/contact-history/"+contact["id"].(string))
	if d := last("contact.deleted"); d["id"] != contact["id"] || d["customer_id"] != id || d["deleted_at"] == nil {
		t.Errorf("contact.deleted: %v", d)
	}
	del(t, env, s.Access, fpath)
	if d := last("feedback.deleted"); d["id"] != complaint["id"] || d["customer_id"] != id || d["deleted_at"] == nil {
		t.Errorf("feedback.deleted: %v", d)
	}
	del(t, env, s.Access, path)
	if d := last("customer.deleted"); d["id"] != id || d["merged_into_id"] != nil || d["version"] == nil {
		t.Errorf("customer.deleted: %v", d)
	}
	restored := env.Expect(t, s.Access, "POST", path+"/restore", nil, 200)
	same("customer.restored", last("customer.restored"), restored, customerComputed...)
}
