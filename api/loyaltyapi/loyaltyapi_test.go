package loyaltyapi_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/rapportcrm/rapport/api/apitest"
)

// TestConcurrentRedemptions: 50 redemptions of 10 points race against a balance of 100; exactly
// 10 succeed, the balance ends at 0 and the ledger adds up.
func TestConcurrentRedemptions(t *testing.T) {
	env := apitest.New(t)
	s := env.Signup(t, "Shop")
	c := env.Expect(t, s.Access, "POST", "/v1/customers", map[string]any{"first_name": "Ada"}, 201)["id"].(string)
	path := "/v1/customers/" + c + "/loyalty/transactions"
	env.Expect(t, s.Access, "POST", path, map[string]any{"type": "earn", "points": 100, "reason": "welcome"}, 201)
	codes := env.Race(t, 50, func(int) apitest.Req {
		return apitest.Req{Method: "POST", Path: path, Token: s.Access, Body: map[string]any{"type": "redeem", "points": 10}}
	})
	ok, refused := 0, 0
	for _, code := range codes {
		switch code {
		case http.StatusCreated:
			ok++
		case http.StatusUnprocessableEntity:
			refused++
		default:
			t.Errorf("unexpected status %d", code)
		}
	}
	if ok != 10 || refused != 40 {
		t.Fatalf("%d redemptions succeeded and %d were refused, want 10 and 40", ok, refused)
	}
	a := env.Expect(t, s.Access, "GET", "/v1/customers/"+c+"/loyalty", nil, 200)
	if a["balance"] != float64(0) || a["lifetime_earned"] != float64(100) || a["lifetime_redeemed"] != float64(100) {
		t.Fatalf("account %v", a)
	}
	ledger := env.Expect(t, s.Access, "GET", path+"?limit=200", nil, 200)["data"].([]any)
	sum := 0.0
	for _, l := range ledger {
		sum += l.(map[string]any)["points"].(float64)
	}
	if len(ledger) != 11 || sum != 0 || ledger[0].(map[string]any)["balance_after"] != float64(0) {
		t.Fatalf("ledger: %d lines summing to %v", len(ledger), sum)
	}
}

func TestLedgerRules(t *testing.T) {
	env := apitest.New(t)
	s := env.Signup(t, "Shop")
	agent := env.AddUser(t, s, "agent@shop.example", "agent")
	c := env.Expect(t, s.Access, "POST", "/v1/customers", map[string]any{"first_name": "Ada"}, 201)["id"].(string)
	path := "/v1/customers/" + c + "/loyalty/transactions"
	earn := env.Expect(t, agent.Access, "POST", path, map[string]any{"type": "earn", "points": 50, "reason": "event", "external_id": "e-1"}, 201)
	again := env.Expect(t, agent.Access, "POST", path, map[string]any{"type": "earn", "points": 50, "reason": "event", "external_id": "e-1"}, 200)
	if again["id"] != earn["id"] {
		t.Fatalf("a retried entry was applied again")
	}
	for name, tc := range map[string]struct {
		token  string
		body   map[string]any
		status int
	}{
		"too much":              {agent.Access, map[string]any{"type": "redeem", "points": 51}, 422},
		"earn without a reason": {agent.Access, map[string]any{"type": "earn", "points": 5}, 422},
		"zero":                  {agent.Access, map[string]any{"type": "redeem", "points": 0}, 422},
		"unknown type":          {agent.Access, map[string]any{"type": "expire", "points": 1}, 422},
		"agent adjusts":         {agent.Access, map[string]any{"type": "adjust", "points": 5, "reason": "x"}, 403},
		"adjust below zero":     {s.Access, map[string]any{"type": "adjust", "points": -51, "reason": "x"}, 422},
		"adjust needs a reason": {s.Access, map[string]any{"type": "adjust", "points": -5}, 422},
		"reverse nothing":       {s.Access, map[string]any{"type": "reverse"}, 422},
		"reverse a stranger":    {s.Access, map[string]any{"type": "reverse", "reverses_id": "01a21609-0000-7000-8000-000000000000"}, 422},
	} {
		t.Run(name, func(t *testing.T) { env.Expect(t, tc.token, "POST", path, tc.body, tc.status) })
	}
	env.Expect(t, s.Access, "POST", path, map[string]any{"type": "adjust", "points": -5, "reason": "goodwill correction"}, 201)
	red := env.Expect(t, agent.Access, "POST", path, map[string]any{"type": "redeem", "points": 20}, 201)
	rev := env.Expect(t, agent.Access, "POST", path, map[string]any{"type": "reverse", "reverses_id": red["id"]}, 201)
	if rev["points"] != float64(20) || rev["balance_after"] != float64(45) {
		t.Fatalf("reversal: %v", rev)
	}
	env.Expect(t, agent.Access, "POST", path, map[string]any{"type": "reverse", "reverses_id": red["id"]}, 409)
	env.Expect(t, agent.Access, "POST", path, map[string]any{"type": "reverse", "reverses_id": rev["id"]}, 422)
	// Reversing the earn would take the balance below zero once it is spent.
	env.Expect(t, agent.Access, "POST", path, map[string]any{"type": "redeem", "points": 45}, 201)
	env.Expect(t, agent.Access, "POST", path, map[string]any{"type": "reverse", "reverses_id": earn["id"]}, 422)
	a := env.Expect(t, s.Access, "GET", "/v1/customers/"+c+"/loyalty", nil, 200)
	if fmt.Sprint(a["balance"], a["lifetime_earned"], a["lifetime_redeemed"]) != "0 50 45" {
		t.Errorf("account %v", a)
	}
	// The program's minimum redemption applies.
	env.Expect(t, agent.Access, "PUT", "/v1/loyalty/program", map[string]any{"active": true, "points_per_unit": "1", "rounding": "floor", "min_redemption": 10}, 403)
	env.Expect(t, s.Access, "PUT", "/v1/loyalty/program", map[string]any{"active": true, "points_per_unit": "1.5", "rounding": "floor", "min_redemption": 10}, 200)
	env.Expect(t, s.Access, "PUT", "/v1/loyalty/program", map[string]any{"active": true, "points_per_unit": "0", "rounding": "sideways", "min_redemption": -1}, 422)
	if p := env.Expect(t, agent.Access, "GET", "/v1/loyalty/program", nil, 200); p["points_per_unit"] != "1.5" || p["min_redemption"] != float64(10) {
		t.Errorf("program %v", p)
	}
	env.Expect(t, s.Access, "POST", path, map[string]any{"type": "earn", "points": 30, "reason": "x"}, 201)
	env.Expect(t, agent.Access, "POST", path, map[string]any{"type": "redeem", "points": 5}, 422)
	// Tenant isolation.
	other := env.Signup(t, "Other")
	for _, r := range []apitest.Req{
		{Method: "GET", Path: "/v1/customers/" + c + "/loyalty"},
		{Method: "GET", Path: path},
		{Method: "POST", Path: path, Body: map[string]any{"type": "earn", "points": 1, "reason": "x"}},
	} {
		r.Token = other.Access
		if res := env.Do(t, r); res.Code != http.StatusNotFound {
			t.Errorf("%s %s by another organization: %d", r.Method, r.Path, res.Code)
		}
	}
	if p := env.Expect(t, other.Access, "GET", "/v1/loyalty/program", nil, 200); p["active"] != false {
		t.Errorf("another organization's program: %v", p)
	}
}

// TestPointsFromPurchases: purchases earn points under an active program, refunds take back their
// share, and points already spent are not taken below a zero balance.
func TestPointsFromPurchases(t *testing.T) {
	env := apitest.New(t)
	s := env.Signup(t, "Shop")
	c := env.Expect(t, s.Access, "POST", "/v1/customers", map[string]any{"first_name": "Ada"}, 201)["id"].(string)
	account := "/v1/customers/" + c + "/loyalty"
	balance := func() string {
		t.Helper()
		a := env.Expect(t, s.Access, "GET", account, nil, 200)
		return fmt.Sprint(a["balance"], "/", a["lifetime_earned"], "/", a["lifetime_redeemed"])
	}
	// Inactive (the default): nothing earned.
	env.Expect(t, s.Access, "POST", "/v1/purchases", map[string]any{"customer_id": c, "amount": "10"}, 201)
	if got := balance(); got != "0/0/0" {
		t.Fatalf("inactive program: %s", got)
	}
	env.Expect(t, s.Access, "PUT", "/v1/loyalty/program", map[string]any{"active": true, "points_per_unit": "1.5", "rounding": "floor", "min_redemption": 0}, 200)
	p := env.Expect(t, s.Access, "POST", "/v1/purchases", map[string]any{"customer_id": c, "amount": "19.90", "external_id": "o-1"}, 201)["id"].(string)
	env.Expect(t, s.Access, "POST", "/v1/purchases", map[string]any{"customer_id": c, "amount": "19.90", "external_id": "o-1"}, 200) // re-sent
	env.Expect(t, s.Access, "POST", "/v1/purchases", map[string]any{"customer_id": c, "amount": "1000", "currency": "JPY"}, 201)     // not the org currency
	if got := balance(); got != "29/29/0" {                                                                                          // floor(19.90 × 1.5)
		t.Fatalf("after a purchase: %s", got)
	}
	env.Expect(t, s.Access, "POST", "/v1/purchases/"+p+"/refund", map[string]any{"amount": "5.00"}, 200)
	if got := balance(); got != "22/29/0" { // floor(29 × 5 / 19.90) = 7 taken back
		t.Fatalf("after a partial refund: %s", got)
	}
	env.Expect(t, s.Access, "POST", account+"/transactions", map[string]any{"type": "redeem", "points": 20}, 201)
	env.Expect(t, s.Access, "POST", "/v1/purchases/"+p+"/refund", map[string]any{}, 200)
	if got := balance(); got != "0/29/20" { // 22 more are due, only 2 are left
		t.Fatalf("after the full refund: %s", got)
	}
	ledger := env.Expect(t, s.Access, "GET", account+"/transactions", nil, 200)["data"].([]any)
	last := ledger[0].(map[string]any)
	if last["points"] != float64(-2) || last["reason"] != "refund of purchase "+p+" (20 points were spent already)" {
		t.Errorf("last line: %v", last)
	}
	// A batch earns per purchase, and an atomic failure earns nothing.
	env.Expect(t, s.Access, "POST", "/v1/purchases/batch", map[string]any{"items": []any{
		map[string]any{"customer_id": c, "amount": "2"}, map[string]any{"customer_id": c, "amount": "4", "external_id": "o-2"}}}, 200)
	env.Expect(t, s.Access, "POST", "/v1/purchases/batch", map[string]any{"atomic": true, "items": []any{
		map[string]any{"customer_id": c, "amount": "100"}, map[string]any{"customer_id": c, "amount": "-1"}}}, 422)
	if got := balance(); got != "9/38/20" { // floor(2 × 1.5) + floor(4 × 1.5)
		t.Fatalf("after the batches: %s", got)
	}
}

// TestTiers: qualifying points move customers up and down the tiers; the tier's multiplier
// applies to what purchases earn; changes are on the timeline; simulate writes nothing.
func TestTiers(t *testing.T) {
	env := apitest.New(t)
	s := env.Signup(t, "Shop")
	c := env.Expect(t, s.Access, "POST", "/v1/customers", map[string]any{"first_name": "Ada"}, 201)["id"].(string)
	env.Expect(t, s.Access, "PUT", "/v1/loyalty/program", map[string]any{"active": true, "points_per_unit": "1", "rounding": "floor",
		"tiers": []any{map[string]any{"name": "Gold", "qualifying_points": 300, "multiplier": "2"}, map[string]any{"name": "Silver", "qualifying_points": 100, "multiplier": "1"}}}, 422)
	env.Expect(t, s.Access, "PUT", "/v1/loyalty/program", map[string]any{"active": true, "points_per_unit": "1", "rounding": "floor", "tier_window_months": 12,
		"tiers": []any{map[string]any{"name": "Silver", "qualifying_points": 100, "multiplier": "1"}, map[string]any{"name": "Gold", "qualifying_points": 300, "multiplier": "2", "benefits": "Free shipping"}}}, 200)
	buy := func(amount string) string {
		return env.Expect(t, s.Access, "POST", "/v1/purchases", map[string]any{"customer_id": c, "amount": amount}, 201)["id"].(string)
	}
	account := func() map[string]any { return env.Expect(t, s.Access, "GET", "/v1/customers/"+c+"/loyalty", nil, 200) }
	buy("100")
	buy("150")
	a := account()
	if a["tier"] != "Silver" || a["qualifying_points"] != float64(250) || fmt.Sprint(a["next_tier"]) != "map[name:Gold points_to_go:50]" {
		t.Fatalf("after 250: %v", a)
	}
	sim := env.Expect(t, s.Access, "POST", "/v1/loyalty/simulate", map[string]any{"customer_id": c, "amount": "100"}, 200)
	if fmt.Sprintf("%v %v %v", sim["points"], sim["tier_before"], sim["tier_after"]) != "100 Silver Gold" {
		t.Fatalf("simulate: %v", sim)
	}
	if account()["balance"] != float64(250) {
		t.Fatal("simulate wrote something")
	}
	big := buy("100")
	buy("10") // Gold doubles: 20 points
	a = account()
	if a["tier"] != "Gold" || a["balance"] != float64(370) || a["next_tier"] != nil {
		t.Fatalf("after Gold: %v", a)
	}
	env.Expect(t, s.Access, "POST", "/v1/loyalty/rewards", map[string]any{"name": "Lounge", "cost_points": 10, "min_tier": "Platinum", "active": true}, 422)
	lounge := env.Expect(t, s.Access, "POST", "/v1/loyalty/rewards", map[string]any{"name": "Lounge", "cost_points": 10, "min_tier": "Gold", "active": true}, 201)["id"]
	env.Expect(t, s.Access, "POST", "/v1/customers/"+c+"/loyalty/redemptions", map[string]any{"reward_id": lounge}, 201)
	env.Expect(t, s.Access, "POST", "/v1/purchases/"+big+"/refund", map[string]any{}, 200) // takes back 100: 270 qualifying
	if a = account(); a["tier"] != "Silver" || a["qualifying_points"] != float64(270) {
		t.Fatalf("after the refund: %v", a)
	}
	env.Expect(t, s.Access, "POST", "/v1/customers/"+c+"/loyalty/redemptions", map[string]any{"reward_id": lounge}, 422) // Gold only
	tl := env.Expect(t, s.Access, "GET", "/v1/customers/"+c+"/timeline?types=loyalty.tier_changed", nil, 200)["data"].([]any)
	var moves []string
	for _, it := range tl {
		d := it.(map[string]any)["data"].(map[string]any)
		moves = append(moves, fmt.Sprintf("%v>%v", d["from"], d["to"]))
	}
	if fmt.Sprint(moves) != "[Gold>Silver Silver>Gold >Silver]" {
		t.Errorf("tier changes: %v", moves)
	}
}

// TestBatchEarning: a batch earns as its purchases would one by one: a purchase that lifts the
// customer to a higher tier makes the later ones earn that tier's multiplier, every line carries
// the balance after it, and each tier change is on the timeline. Concurrent batches for the same
// customers, listed in different orders, all succeed and add up exactly.
func TestBatchEarning(t *testing.T) {
	env := apitest.New(t)
	s := env.Signup(t, "Shop")
	a := env.Expect(t, s.Access, "POST", "/v1/customers", map[string]any{"first_name": "Ada"}, 201)["id"].(string)
	b := env.Expect(t, s.Access, "POST", "/v1/customers", map[string]any{"first_name": "Bo"}, 201)["id"].(string)
	env.Expect(t, s.Access, "PUT", "/v1/loyalty/program", map[string]any{"active": true, "points_per_unit": "1", "rounding": "floor",
		"tiers": []any{map[string]any{"name": "Silver", "qualifying_points": 100, "multiplier": "1"}, map[string]any{"name": "Gold", "qualifying_points": 200, "multiplier": "2"}}}, 200)
	item := func(customer, amount string) map[string]any {
		return map[string]any{"customer_id": customer, "amount": amount}
	}
	env.Expect(t, s.Access, "POST", "/v1/purchases/batch", map[string]any{"items": []any{
		item(a, "60"), item(b, "10"), item(a, "60"), item(a, "100"), item(a, "10"), item(a, "-1")}}, 200)
	ledger := func(c string) (points, balances []any) {
		for _, l := range env.Expect(t, s.Access, "GET", "/v1/customers/"+c+"/loyalty/transactions", nil, 200)["data"].([]any) {
			line := l.(map[string]any)
			points, balances = append(points, line["points"]), append(balances, line["balance_after"])
			if line["type"] != "earn" {
				t.Errorf("line %v: want an earn line", line)
			}
		}
		return points, balances
	}
	// 60 and 60 reach Silver (×1), 100 reaches Gold, whose ×2 makes the last 10 earn 20.
	if p, bal := ledger(a); fmt.Sprint(p, bal) != "[20 100 60 60] [240 220 120 60]" {
		t.Fatalf("a's ledger, newest first: points %v, balances %v", p, bal)
	}
	if p, _ := ledger(b); fmt.Sprint(p) != "[10]" {
		t.Fatalf("b's ledger: %v", p)
	}
	tl := env.Expect(t, s.Access, "GET", "/v1/customers/"+a+"/timeline?types=loyalty.tier_changed", nil, 200)["data"].([]any)
	var moves []string
	for _, it := range tl {
		d := it.(map[string]any)["data"].(map[string]any)
		moves = append(moves, fmt.Sprintf("%v>%v@%v", d["from"], d["to"], d["qualifying_points"]))
	}
	if fmt.Sprint(moves) != "[Silver>Gold@220 >Silver@120]" {
		t.Fatalf("tier changes: %v", moves)
	}

	codes := env.Race(t, 8, func(i int) apitest.Req {
		first, second := a, b
		if i%2 == 1 {
			first, second = b, a
		}
		var items []any
		for range 5 {
			items = append(items, item(first, "1"), item(second, "1"))
		}
		return apitest.Req{Method: "POST", Path: "/v1/purchases/batch", Token: s.Access, Body: map[string]any{"items": items}}
	})
	for i, code := range codes {
		if code != http.StatusOK {
			t.Errorf("batch %d answered %d", i, code)
		}
	}
	// Gold earns 2 a unit: a gains 8 × 5 × 2; b, below Silver, 8 × 5.
	for c, want := range map[string]string{a: "320/320", b: "50/50"} {
		acc := env.Expect(t, s.Access, "GET", "/v1/customers/"+c+"/loyalty", nil, 200)
		if got := fmt.Sprint(acc["balance"], "/", acc["lifetime_earned"]); got != want {
			t.Errorf("account %s: %s, want %s", c, got, want)
		}
		if cust := env.Expect(t, s.Access, "GET", "/v1/customers/"+c, nil, 200); cust["purchase_count"] == nil {
			t.Errorf("customer %s: %v", c, cust)
		}
	}
}
