package purchaseapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rapportcrm/rapport/api/apitest"
)

func fields(m map[string]any) string {
	var out []string
	errs, _ := m["errors"].([]any)
	for _, e := range errs {
		out = append(out, e.(map[string]any)["field"].(string))
	}
	return strings.Join(out, ",")
}

func TestPurchasesKeepCustomerFigures(t *testing.T) {
	env := apitest.New(t)
	res := env.Do(t, apitest.Req{Method: "POST", Path: "/v1/auth/signup", Body: map[string]string{
		"organization_name": "Shop", "name": "Owner", "email": "owner@shop.example", "password": "correct horse battery", "currency": "usd"}})
	if res.Code != http.StatusCreated {
		t.Fatalf("signup: %d %s", res.Code, res.Body)
	}
	s := env.Login(t, "owner@shop.example", "correct horse battery")
	if cur := env.Do(t, apitest.Req{Method: "GET", Path: "/v1/me", Token: s.Access}).Map(t)["organization"].(map[string]any)["currency"]; cur != "USD" {
		t.Fatalf("organization currency %v", cur)
	}
	cust := env.Expect(t, s.Access, "POST", "/v1/customers", map[string]any{"first_name": "Ada"}, 201)["id"].(string)
	base := "/v1/customers/" + cust
	t1 := time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC)
	t2 := t1.AddDate(0, 2, 0)

	p1 := env.Expect(t, s.Access, "POST", base+"/purchases", map[string]any{"amount": "19.9", "occurred_at": t2, "channel": "online", "external_id": "order-1",
		"items": []any{map[string]any{"sku": "LID", "name": "Lid", "quantity": 2, "unit_price": "9.95"}}}, 201)
	if m := p1["amount"].(map[string]any); m["amount"] != "19.90" || m["currency"] != "USD" || p1["status"] != "completed" {
		t.Fatalf("purchase: %v", p1)
	}
	env.Expect(t, s.Access, "POST", "/v1/purchases", map[string]any{"customer_id": cust, "amount": "5", "occurred_at": t1, "external_id": "order-2"}, 201)
	env.Expect(t, s.Access, "POST", "/v1/purchases", map[string]any{"customer_id": cust, "amount": "100", "currency": "JPY", "occurred_at": t1}, 201)
	// The same order again: answered, not counted twice.
	again := env.Expect(t, s.Access, "POST", base+"/purchases", map[string]any{"amount": "19.9", "occurred_at": t2, "external_id": "order-1"}, 200)
	if again["id"] != p1["id"] {
		t.Fatalf("re-sent order answered %v, want %v", again["id"], p1["id"])
	}
	c := env.Expect(t, s.Access, "GET", base, nil, 200)
	check := func(what string, got any, want string) {
		t.Helper()
		if fmt.Sprint(got) != want {
			t.Errorf("%s = %v, want %s", what, got, want)
		}
	}
	check("count", c["purchase_count"], "3")
	check("first", c["first_purchase_at"], t1.Format(time.RFC3339))
	check("last", c["last_purchase_at"], t2.Format(time.RFC3339))
	check("total (USD only)", c["total_spent"], "map[amount:24.90 currency:USD]")
	check("promoted", c["lifecycle_stage"], "customer")
	tl := env.Expect(t, s.Access, "GET", base+"/timeline?types=customer.lifecycle_stage_changed,purchase.created", nil, 200)["data"].([]any)
	check("timeline items", len(tl), "4")

	// Refunds: partial, too much, the rest, then nothing left.
	id := p1["id"].(string)
	r := env.Expect(t, s.Access, "POST", "/v1/purchases/"+id+"/refund", map[string]any{"amount": "5.00"}, 200)
	check("partial refund", []any{r["refunded_amount"].(map[string]any)["amount"], r["status"]}, "[5.00 completed]")
	check("too much", fields(env.Expect(t, s.Access, "POST", "/v1/purchases/"+id+"/refund", map[string]any{"amount": "15.00"}, 422)), "amount")
	check("three decimals", fields(env.Expect(t, s.Access, "POST", "/v1/purchases/"+id+"/refund", map[string]any{"amount": "1.001"}, 422)), "amount")
	r = env.Expect(t, s.Access, "POST", "/v1/purchases/"+id+"/refund", map[string]any{}, 200)
	check("full refund", []any{r["refunded_amount"].(map[string]any)["amount"], r["status"]}, "[19.90 refunded]")
	env.Expect(t, s.Access, "POST", "/v1/purchases/"+id+"/refund", map[string]any{}, 422)
	check("total after refunds", env.Expect(t, s.Access, "GET", base, nil, 200)["total_spent"], "map[amount:5.00 currency:USD]")

	list := env.Expect(t, s.Access, "GET", base+"/purchases?status=refunded", nil, 200)["data"].([]any)
	check("refunded listed", len(list), "1")
	list = env.Expect(t, s.Access, "GET", "/v1/purchases?sort=occurred_at&limit=2", nil, 200)["data"].([]any)
	check("oldest first", list[0].(map[string]any)["occurred_at"], t1.Format(time.RFC3339))
}

func TestPurchaseValidation(t *testing.T) {
	env := apitest.New(t)
	s := env.Signup(t, "Shop")
	cust := env.Expect(t, s.Access, "POST", "/v1/customers", map[string]any{"first_name": "Ada", "lifecycle_stage": "advocate"}, 201)["id"].(string)
	gone := env.Expect(t, s.Access, "POST", "/v1/customers", map[string]any{"first_name": "Gone"}, 201)["id"].(string)
	env.Do(t, apitest.Req{Method: "DELETE", Path: "/v1/customers/" + gone, Token: s.Access})
	for name, tc := range map[string]struct {
		body   map[string]any
		status int
		fields string
	}{
		"negative":       {map[string]any{"customer_id": cust, "amount": "-1"}, 422, "amount"},
		"float-ish":      {map[string]any{"customer_id": cust, "amount": "1.999"}, 422, "amount"},
		"currency":       {map[string]any{"customer_id": cust, "amount": "1", "currency": "ZZZ"}, 422, "currency"},
		"future":         {map[string]any{"customer_id": cust, "amount": "1", "occurred_at": time.Now().Add(time.Hour)}, 422, "occurred_at"},
		"channel":        {map[string]any{"customer_id": cust, "amount": "1", "channel": "fax"}, 422, "channel"},
		"item":           {map[string]any{"customer_id": cust, "amount": "1", "items": []any{map[string]any{"quantity": 0, "unit_price": "-1"}}}, 422, "items[0].quantity,items[0].unit_price"},
		"deleted":        {map[string]any{"customer_id": gone, "amount": "1"}, 422, "customer_id"},
		"no customer":    {map[string]any{"amount": "1"}, 422, "customer_id"},
		"not a number":   {map[string]any{"customer_id": cust, "amount": "ten"}, 422, "amount"},
		"amount as JSON": {map[string]any{"customer_id": cust, "amount": 10.5}, 400, "amount"},
	} {
		t.Run(name, func(t *testing.T) {
			got := env.Expect(t, s.Access, "POST", "/v1/purchases", tc.body, tc.status)
			for _, f := range strings.Split(tc.fields, ",") {
				if !strings.Contains(","+fields(got)+",", ","+f+",") {
					t.Errorf("no error for %s: %v", f, got)
				}
			}
		})
	}
	env.Expect(t, s.Access, "POST", "/v1/customers/"+gone+"/purchases", map[string]any{"amount": "1"}, 404)
	env.Expect(t, s.Access, "POST", "/v1/purchases", map[string]any{"customer_id": cust, "amount": "0"}, 201)
	c := env.Expect(t, s.Access, "GET", "/v1/customers/"+cust, nil, 200)
	if c["lifecycle_stage"] != "advocate" || c["purchase_count"] != float64(1) {
		t.Errorf("an advocate stays one; figures %v %v", c["lifecycle_stage"], c["purchase_count"])
	}
}

func TestPurchaseIsolationAndMerge(t *testing.T) {
	env := apitest.New(t)
	a := env.Signup(t, "A Corp")
	b := env.Signup(t, "B Corp")
	ca := env.Expect(t, a.Access, "POST", "/v1/customers", map[string]any{"first_name": "Ada"}, 201)["id"].(string)
	dup := env.Expect(t, a.Access, "POST", "/v1/customers", map[string]any{"first_name": "Ada L"}, 201)["id"].(string)
	p := env.Expect(t, a.Access, "POST", "/v1/purchases", map[string]any{"customer_id": ca, "amount": "10", "external_id": "o-1"}, 201)["id"].(string)
	env.Expect(t, a.Access, "POST", "/v1/purchases", map[string]any{"customer_id": dup, "amount": "2.50"}, 201)
	for _, r := range []apitest.Req{
		{Method: "GET", Path: "/v1/purchases/" + p},
		{Method: "POST", Path: "/v1/purchases/" + p + "/refund", Body: map[string]any{}},
		{Method: "GET", Path: "/v1/customers/" + ca + "/purchases"},
		{Method: "POST", Path: "/v1/customers/" + ca + "/purchases", Body: map[string]any{"amount": "1"}},
	} {
		r.Token = b.Access
		if res := env.Do(t, r); res.Code != http.StatusNotFound {
			t.Errorf("%s %s by B: %d", r.Method, r.Path, res.Code)
		}
	}
	env.Expect(t, b.Access, "POST", "/v1/purchases", map[string]any{"customer_id": ca, "amount": "1"}, 422)
	// B's own order with A's external id is B's own purchase.
	env.Expect(t, b.Access, "POST", "/v1/customers/"+env.Expect(t, b.Access, "POST", "/v1/customers", map[string]any{"first_name": "Bo"}, 201)["id"].(string)+"/purchases",
		map[string]any{"amount": "1", "external_id": "o-1"}, 201)
	if n := len(env.Expect(t, b.Access, "GET", "/v1/purchases", nil, 200)["data"].([]any)); n != 1 {
		t.Errorf("B sees %d purchases", n)
	}
	merged := env.Expect(t, a.Access, "POST", "/v1/customers/"+ca+"/merge", map[string]any{"duplicate_id": dup}, 200)
	if merged["purchase_count"] != float64(2) || fmt.Sprint(merged["total_spent"]) != "map[amount:12.50 currency:EUR]" {
		t.Errorf("merge moves purchases: %v %v", merged["purchase_count"], merged["total_spent"])
	}
	viewer := env.AddUser(t, a, "viewer@a.example", "viewer")
	env.Expect(t, viewer.Access, "POST", "/v1/purchases", map[string]any{"customer_id": ca, "amount": "1"}, 403)
	env.Expect(t, viewer.Access, "GET", "/v1/purchases", nil, 200)
}

func TestPurchaseBatch(t *testing.T) {
	env := apitest.New(t)
	s := env.Signup(t, "Shop")
	a := env.Expect(t, s.Access, "POST", "/v1/customers", map[string]any{"first_name": "A"}, 201)["id"].(string)
	b := env.Expect(t, s.Access, "POST", "/v1/customers", map[string]any{"first_name": "B", "lifecycle_stage": "client"}, 201)["id"].(string)
	env.Expect(t, s.Access, "POST", "/v1/purchases", map[string]any{"customer_id": a, "amount": "1", "external_id": "o-0"}, 201)
	res := env.Expect(t, s.Access, "POST", "/v1/purchases/batch", map[string]any{"items": []any{
		map[string]any{"customer_id": a, "amount": "10", "external_id": "o-1"},
		map[string]any{"customer_id": a, "amount": "10", "external_id": "o-1"},
		map[string]any{"customer_id": a, "amount": "1", "external_id": "o-0"},
		map[string]any{"customer_id": b, "amount": "2.50", "occurred_at": "2026-01-01T00:00:00Z"},
		map[string]any{"customer_id": b, "amount": "-2"},
		map[string]any{"amount": "2"},
		map[string]any{"customer_id": b, "amount": "2", "colour": "red"},
	}}, 200)["results"].([]any)
	var statuses []string
	for _, r := range res {
		statuses = append(statuses, r.(map[string]any)["status"].(string))
	}
	if got := strings.Join(statuses, ","); got != "created,unchanged,unchanged,created,error,error,error" {
		t.Fatalf("statuses %s", got)
	}
	if res[1].(map[string]any)["id"] != res[0].(map[string]any)["id"] {
		t.Errorf("a repeated order in the batch answers the first one's id")
	}
	ca := env.Expect(t, s.Access, "GET", "/v1/customers/"+a, nil, 200)
	cb := env.Expect(t, s.Access, "GET", "/v1/customers/"+b, nil, 200)
	if ca["purchase_count"] != float64(2) || fmt.Sprint(ca["total_spent"]) != "map[amount:11.00 currency:EUR]" || cb["purchase_count"] != float64(1) {
		t.Errorf("figures: a %v %v, b %v", ca["purchase_count"], ca["total_spent"], cb["purchase_count"])
	}
	if cb["lifecycle_stage"] != "client" {
		t.Errorf("a client stays a client: %v", cb["lifecycle_stage"])
	}

	// Atomic: one bad item, nothing written, the bad items named.
	bad := env.Expect(t, s.Access, "POST", "/v1/purchases/batch", map[string]any{"atomic": true, "items": []any{
		map[string]any{"customer_id": a, "amount": "3", "external_id": "o-9"},
		map[string]any{"customer_id": a, "amount": "3.001"},
	}}, 422)
	if fields(bad) != "items[1].amount" {
		t.Errorf("atomic failure fields %s", fields(bad))
	}
	if n := len(env.Expect(t, s.Access, "GET", "/v1/purchases?limit=200", nil, 200)["data"].([]any)); n != 3 {
		t.Errorf("purchases after the atomic failure: %d", n)
	}
	// 1,000 orders, each customer's figures recomputed once; 1,001 answer 413.
	items := make([]any, 1001)
	for i := range items {
		items[i] = map[string]any{"customer_id": []string{a, b}[i%2], "amount": "1.00", "external_id": fmt.Sprint("bulk-", i)}
	}
	if res := env.Do(t, apitest.Req{Method: "POST", Path: "/v1/purchases/batch", Token: s.Access, Body: map[string]any{"items": items}}); res.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("1,001 items: %d", res.Code)
	}
	env.Expect(t, s.Access, "POST", "/v1/purchases/batch", map[string]any{"items": items[:1000]}, 200)
	if c := env.Expect(t, s.Access, "GET", "/v1/customers/"+a, nil, 200); c["purchase_count"] != float64(502) || fmt.Sprint(c["total_spent"]) != "map[amount:511.00 currency:EUR]" {
		t.Errorf("after 1,000: %v %v", c["purchase_count"], c["total_spent"])
	}
	other := env.Signup(t, "Other")
	r := env.Expect(t, other.Access, "POST", "/v1/purchases/batch", map[string]any{"items": []any{map[string]any{"customer_id": a, "amount": "1"}}}, 200)
	if st := r["results"].([]any)[0].(map[string]any)["status"]; st != "error" {
		t.Errorf("another organization's customer: %v", st)
	}
}

// TestConcurrentBatches: batches racing over the same customers, each listing them in another
// order, all succeed (no deadlock between their row locks) and the figures add up exactly.
func TestConcurrentBatches(t *testing.T) {
	env := apitest.New(t)
	s := env.Signup(t, "Shop")
	var customers []string
	for i := range 3 {
		customers = append(customers, env.Expect(t, s.Access, "POST", "/v1/customers", map[string]any{"first_name": fmt.Sprint("C", i)}, 201)["id"].(string))
	}
	codes := env.Race(t, 8, func(i int) apitest.Req {
		var items []any
		for j := range 30 {
			c := customers[(i+j)%3]
			if i%2 == 1 {
				c = customers[2-(i+j)%3]
			}
			items = append(items, map[string]any{"customer_id": c, "amount": "1.00"})
		}
		return apitest.Req{Method: "POST", Path: "/v1/purchases/batch", Token: s.Access, Body: map[string]any{"items": items}}
	})
	for i, code := range codes {
		if code != http.StatusOK {
			t.Errorf("batch %d answered %d", i, code)
		}
	}
	for _, c := range customers {
		got := env.Expect(t, s.Access, "GET", "/v1/customers/"+c, nil, 200)
		if got["purchase_count"] != float64(80) || fmt.Sprint(got["total_spent"]) != "map[amount:80.00 currency:EUR]" {
			t.Errorf("customer %s: %v, %v", c, got["purchase_count"], got["total_spent"])
		}
	}
}

// TestWhatAPurchaseEarned: the answer of a recorded purchase, single or in a batch, says the
// points it earned or why none; amounts come flat or as the Money object answers carry.
func TestWhatAPurchaseEarned(t *testing.T) {
	env := apitest.New(t)
	s := env.Signup(t, "Shop")
	c := env.Expect(t, s.Access, "POST", "/v1/customers", map[string]any{"first_name": "Ada"}, 201)["id"].(string)
	path := "/v1/customers/" + c + "/purchases"
	earned := func(p map[string]any) string {
		e := p["points_earned"].(map[string]any)
		return fmt.Sprint(e["points"], " ", e["reason"])
	}
	if got := earned(env.Expect(t, s.Access, "POST", path, map[string]any{"amount": "10.00"}, 201)); got != "0 program_inactive" {
		t.Errorf("inactive program: %s", got)
	}
	env.Expect(t, s.Access, "PUT", "/v1/loyalty/program", map[string]any{"active": true, "points_per_unit": "1", "rounding": "floor"}, 200)
	money := map[string]any{"amount": "19.90", "currency": "EUR"} // as an answer carries it
	first := env.Expect(t, s.Access, "POST", path, map[string]any{"amount": money, "external_id": "o-1"}, 201)
	if got := earned(first); got != "19 <nil>" || first["amount"].(map[string]any)["amount"] != "19.90" {
		t.Errorf("a Money object: %s %v", got, first["amount"])
	}
	if again := env.Expect(t, s.Access, "POST", path, map[string]any{"amount": "19.90", "external_id": "o-1"}, 200); again["points_earned"] != nil {
		t.Errorf("an order recorded before earns nothing again, and says nothing: %v", again["points_earned"])
	}
	if got := earned(env.Expect(t, s.Access, "POST", path, map[string]any{"amount": "5", "currency": "USD"}, 201)); got != "0 other_currency" {
		t.Errorf("another currency: %s", got)
	}
	if got := earned(env.Expect(t, s.Access, "POST", path, map[string]any{"amount": "0.50"}, 201)); got != "0 amount_too_small" {
		t.Errorf("less than a point: %s", got)
	}
	env.Expect(t, s.Access, "POST", path, map[string]any{"amount": map[string]any{"amount": "1", "currency": "EUR"}, "currency": "USD"}, 400)
	env.Expect(t, s.Access, "POST", path, map[string]any{"amount": map[string]any{"amount": "1", "cur": "EUR"}}, 400)
	env.Expect(t, s.Access, "POST", "/v1/purchases/"+first["id"].(string)+"/refund", map[string]any{"amount": map[string]any{"amount": "1.00", "currency": "USD"}}, 422)
	env.Expect(t, s.Access, "POST", "/v1/purchases/"+first["id"].(string)+"/refund", map[string]any{"amount": map[string]any{"amount": "1.00", "currency": "eur"}}, 200)

	res := env.Expect(t, s.Access, "POST", "/v1/purchases/batch", map[string]any{"items": []any{
		map[string]any{"customer_id": c, "amount": "7.00"}, map[string]any{"customer_id": c, "amount": "7", "currency": "GBP"},
		map[string]any{"customer_id": c, "amount": "19.90", "external_id": "o-1"},
	}}, 200)["results"].([]any)
	var got []string
	for _, r := range res {
		r := r.(map[string]any)
		if e, ok := r["points_earned"].(map[string]any); ok {
			got = append(got, fmt.Sprint(r["status"], " ", e["points"], " ", e["reason"]))
		} else {
			got = append(got, fmt.Sprint(r["status"]))
		}
	}
	if fmt.Sprint(got) != "[created 7 <nil> created 0 other_currency unchanged]" {
		t.Errorf("batch results: %v", got)
	}
}
