package loyaltyapi_test

import (
	"net/http"
	"regexp"
	"testing"

	"github.com/rapportcrm/rapport/api/apitest"
)

func TestRewardsAndRedemptions(t *testing.T) {
	env := apitest.New(t)
	s := env.Signup(t, "Shop")
	agent := env.AddUser(t, s, "agent@shop.example", "agent")
	c := env.Expect(t, s.Access, "POST", "/v1/customers", map[string]any{"first_name": "Ada"}, 201)["id"].(string)
	base := "/v1/customers/" + c + "/loyalty"
	env.Expect(t, agent.Access, "POST", "/v1/loyalty/rewards", map[string]any{"name": "Mug", "cost_points": 30, "active": true}, 403)
	env.Expect(t, s.Access, "POST", "/v1/loyalty/rewards", map[string]any{"name": "", "cost_points": 0, "stock": -1}, 422)
	mug := env.Expect(t, s.Access, "POST", "/v1/loyalty/rewards", map[string]any{"name": "Mug", "cost_points": 30, "stock": 2, "active": true}, 201)["id"].(string)
	trip := env.Expect(t, s.Access, "POST", "/v1/loyalty/rewards", map[string]any{"name": "Trip", "cost_points": 50, "active": true}, 201)["id"].(string)
	old := env.Expect(t, s.Access, "POST", "/v1/loyalty/rewards", map[string]any{"name": "Old", "cost_points": 1, "active": false}, 201)["id"].(string)
	env.Expect(t, s.Access, "POST", base+"/transactions", map[string]any{"type": "earn", "points": 100, "reason": "welcome"}, 201)
	state := func() (int, any) {
		t.Helper()
		bal := env.Expect(t, s.Access, "GET", base, nil, 200)["balance"].(float64)
		return int(bal), env.Expect(t, s.Access, "GET", "/v1/loyalty/rewards/"+mug, nil, 200)["stock"]
	}

	first := env.Expect(t, agent.Access, "POST", base+"/redemptions", map[string]any{"reward_id": mug}, 201)
	if !regexp.MustCompile(`^[A-Z2-9]{5}-[A-Z2-9]{5}$`).MatchString(first["code"].(string)) || first["points"] != float64(30) {
		t.Fatalf("redemption: %v", first)
	}
	env.Expect(t, agent.Access, "POST", base+"/redemptions", map[string]any{"reward_id": mug}, 201)
	if bal, stock := state(); bal != 40 || stock != float64(0) {
		t.Fatalf("after two mugs: balance %d stock %v", bal, stock)
	}
	env.Expect(t, agent.Access, "POST", base+"/redemptions", map[string]any{"reward_id": mug}, 422)  // out of stock
	env.Expect(t, agent.Access, "POST", base+"/redemptions", map[string]any{"reward_id": trip}, 422) // 50 > 40
	env.Expect(t, agent.Access, "POST", base+"/redemptions", map[string]any{"reward_id": old}, 422)  // inactive
	if bal, stock := state(); bal != 40 || stock != float64(0) {
		t.Fatalf("failed redemptions changed something: balance %d stock %v", bal, stock)
	}
	cancelled := env.Expect(t, agent.Access, "POST", base+"/redemptions/"+first["id"].(string)+"/cancel", nil, 200)
	if cancelled["status"] != "cancelled" || cancelled["cancel_transaction_id"] == nil {
		t.Fatalf("cancel: %v", cancelled)
	}
	env.Expect(t, agent.Access, "POST", base+"/redemptions/"+first["id"].(string)+"/cancel", nil, 409)
	if bal, stock := state(); bal != 70 || stock != float64(1) {
		t.Fatalf("after the cancel: balance %d stock %v", bal, stock)
	}
	if n := len(env.Expect(t, s.Access, "GET", base+"/redemptions", nil, 200)["data"].([]any)); n != 2 {
		t.Errorf("redemptions listed: %d", n)
	}
	if n := len(env.Expect(t, s.Access, "GET", "/v1/loyalty/rewards?active=true", nil, 200)["data"].([]any)); n != 2 {
		t.Errorf("active rewards: %d", n)
	}
	env.Expect(t, s.Access, "PUT", "/v1/loyalty/rewards/"+mug, map[string]any{"name": "Mug", "cost_points": 30, "stock": 5, "active": true}, 200)

	// Racing redemptions never take more than the stock.
	env.Expect(t, s.Access, "POST", base+"/transactions", map[string]any{"type": "earn", "points": 1000, "reason": "bonus"}, 201)
	codes := env.Race(t, 12, func(int) apitest.Req {
		return apitest.Req{Method: "POST", Path: base + "/redemptions", Token: agent.Access, Body: map[string]any{"reward_id": mug}}
	})
	won := 0
	for _, code := range codes {
		if code == http.StatusCreated {
			won++
		} else if code != http.StatusUnprocessableEntity {
			t.Errorf("status %d", code)
		}
	}
	if bal, stock := state(); won != 5 || stock != float64(0) || bal != 1070-5*30 {
		t.Fatalf("%d of 12 racing redemptions won; balance %d, stock %v", won, bal, stock)
	}

	other := env.Signup(t, "Other")
	oc := env.Expect(t, other.Access, "POST", "/v1/customers", map[string]any{"first_name": "O"}, 201)["id"].(string)
	env.Expect(t, other.Access, "POST", "/v1/customers/"+oc+"/loyalty/redemptions", map[string]any{"reward_id": trip}, 422)
	env.Expect(t, other.Access, "GET", "/v1/loyalty/rewards/"+mug, nil, 404)
	env.Expect(t, other.Access, "POST", base+"/redemptions/"+first["id"].(string)+"/cancel", nil, 404)
}
