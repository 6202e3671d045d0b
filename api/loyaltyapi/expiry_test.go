package loyaltyapi_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rapportcrm/rapport/api/apitest"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

// TestExpiryFIFO: lots expire one month after earning; redemptions use the lot expiring soonest;
// expiry runs are idempotent; the expiring figures look ahead 30/60/90 days.
func TestExpiryFIFO(t *testing.T) {
	day := 24 * time.Hour
	clk := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	env := apitest.NewWith(t, apitest.Options{Now: clk.now})
	s := env.Signup(t, "Shop")
	c := env.Expect(t, s.Access, "POST", "/v1/customers", map[string]any{"first_name": "Ada"}, 201)["id"].(string)
	path := "/v1/customers/" + c + "/loyalty"
	env.Expect(t, s.Access, "PUT", "/v1/loyalty/program", map[string]any{"active": true, "points_per_unit": "1", "rounding": "floor", "expiry_months": 1}, 200)
	env.Expect(t, s.Access, "PUT", "/v1/loyalty/program", map[string]any{"active": true, "points_per_unit": "1", "rounding": "floor", "expiry_months": 0}, 422)

	env.Expect(t, s.Access, "POST", path+"/transactions", map[string]any{"type": "earn", "points": 100, "reason": "A"}, 201) // lot A, expires 04-01
	clk.add(10 * day)
	b := env.Expect(t, s.Access, "POST", path+"/transactions", map[string]any{"type": "earn", "points": 50, "reason": "B"}, 201) // lot B, expires 04-11
	clk.add(2 * day)
	env.Expect(t, s.Access, "POST", path+"/transactions", map[string]any{"type": "redeem", "points": 30}, 201) // from A: A 70, B 50
	a := env.Expect(t, s.Access, "GET", path, nil, 200)
	if fmt.Sprint(a["expiring"]) != "map[in_30_days:120 in_60_days:120 in_90_days:120]" || a["balance"] != float64(120) {
		t.Fatalf("before expiry: %v", a)
	}
	expire := func(asOf time.Time) map[string]any { // as the run at asOf would: the clock moves there
		t.Helper()
		if d := asOf.Sub(clk.now()); d > 0 {
			clk.add(d)
		}
		return env.Expect(t, s.Access, "POST", "/v1/loyalty/expire", map[string]any{"as_of": asOf}, 200)
	}
	if r := expire(time.Date(2026, 4, 5, 0, 0, 0, 0, time.UTC)); r["points"] != float64(70) || r["customers"] != float64(1) {
		t.Fatalf("first expiry: %v", r)
	}
	if r := expire(time.Date(2026, 4, 5, 0, 0, 0, 0, time.UTC)); r["points"] != float64(0) {
		t.Fatalf("the same expiry again: %v", r)
	}
	if a := env.Expect(t, s.Access, "GET", path, nil, 200); a["balance"] != float64(50) {
		t.Fatalf("after A expired: %v", a)
	}
	// Reversing B's earning takes B's own lot first: nothing is left to expire.
	clk.add(7 * day)                                                                                                        // 04-12: B is due but not yet expired
	env.Expect(t, s.Access, "POST", path+"/transactions", map[string]any{"type": "earn", "points": 20, "reason": "C"}, 201) // lot C, expires 05-12
	env.Expect(t, s.Access, "POST", path+"/transactions", map[string]any{"type": "reverse", "reverses_id": b["id"]}, 201)
	if r := expire(time.Date(2026, 4, 20, 0, 0, 0, 0, time.UTC)); r["points"] != float64(0) {
		t.Fatalf("B was reversed, C not yet due: %v", r)
	}
	if r := expire(time.Date(2026, 5, 13, 0, 0, 0, 0, time.UTC)); r["points"] != float64(20) {
		t.Fatalf("C expires: %v", r)
	}
	ledger := env.Expect(t, s.Access, "GET", path+"/transactions?limit=200", nil, 200)["data"].([]any)
	sum := 0.0
	var types []string
	for _, l := range ledger {
		sum += l.(map[string]any)["points"].(float64)
		types = append(types, l.(map[string]any)["type"].(string))
	}
	if sum != 0 || fmt.Sprint(types) != "[expire reverse earn expire redeem earn earn]" {
		t.Errorf("ledger %v sums to %v", types, sum)
	}
	agent := env.AddUser(t, s, "agent@shop.example", "agent")
	env.Expect(t, agent.Access, "POST", "/v1/loyalty/expire", map[string]any{}, 403)
	// Expiring as of a time to come would take points that are still good.
	env.Expect(t, s.Access, "POST", "/v1/loyalty/expire", map[string]any{"as_of": clk.now().Add(time.Hour)}, 422)
}

// TestTimeDrivenDowngrade: when earnings leave the tier window, the scheduled run records the
// downgrade although the customer did nothing.
func TestTimeDrivenDowngrade(t *testing.T) {
	clk := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	env := apitest.NewWith(t, apitest.Options{Now: clk.now})
	s := env.Signup(t, "Shop")
	c := env.Expect(t, s.Access, "POST", "/v1/customers", map[string]any{"first_name": "Ada"}, 201)["id"].(string)
	env.Expect(t, s.Access, "PUT", "/v1/loyalty/program", map[string]any{"active": true, "points_per_unit": "1", "rounding": "floor", "tier_window_months": 1,
		"tiers": []any{map[string]any{"name": "Silver", "qualifying_points": 100, "multiplier": "1"}}}, 200)
	env.Expect(t, s.Access, "POST", "/v1/customers/"+c+"/loyalty/transactions", map[string]any{"type": "earn", "points": 150, "reason": "x"}, 201)
	svc := env.App.Loyalty
	if n, err := svc.RetierDue(context.Background()); err != nil || n != 0 {
		t.Fatalf("nothing left the window yet: %d %v", n, err)
	}
	clk.add(31*24*time.Hour + time.Hour)
	if n, err := svc.RetierDue(context.Background()); err != nil || n != 1 {
		t.Fatalf("the earning left the window: %d %v", n, err)
	}
	tl := env.Expect(t, s.Access, "GET", "/v1/customers/"+c+"/timeline?types=loyalty.tier_changed", nil, 200)["data"].([]any)
	if len(tl) != 2 || fmt.Sprint(tl[0].(map[string]any)["data"].(map[string]any)["from"]) != "Silver" || tl[0].(map[string]any)["actor"].(map[string]any)["type"] != "system" {
		t.Fatalf("tier changes: %v", tl)
	}
	if a := env.Expect(t, s.Access, "GET", "/v1/customers/"+c+"/loyalty", nil, 200); a["tier"] != "" || a["balance"] != float64(150) {
		t.Fatalf("account: %v", a)
	}
}
