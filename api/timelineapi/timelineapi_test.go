package timelineapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/rapportcrm/rapport/api/apitest"
)

// TestTimelineTypes: types= takes event types and prefix.* patterns; a type that does not exist
// answers 400 listing the known ones, instead of an empty page that looks like no history.
func TestTimelineTypes(t *testing.T) {
	env := apitest.New(t)
	s := env.Signup(t, "Acme")
	c := env.Expect(t, s.Access, "POST", "/v1/customers", map[string]any{"first_name": "Ada"}, 201)["id"].(string)
	env.Expect(t, s.Access, "PATCH", "/v1/customers/"+c, map[string]any{"last_name": "Lovelace"}, 200)
	env.Expect(t, s.Access, "POST", "/v1/customers/"+c+"/contact-history", map[string]any{"channel": "phone", "direction": "inbound"}, 201)
	base := "/v1/customers/" + c + "/timeline?types="
	for query, want := range map[string]int{"customer.*": 2, "customer.updated,contact.created": 2, "contact.*,contact.created": 1} {
		if n := len(env.Expect(t, s.Access, "GET", base+query, nil, 200)["data"].([]any)); n != want {
			t.Errorf("types=%s: %d events, want %d", query, n, want)
		}
	}
	res := env.Do(t, apitest.Req{Method: "GET", Path: base + "customer.updatd", Token: s.Access})
	if res.Code != http.StatusBadRequest || !strings.Contains(string(res.Body), `"field":"types"`) || !strings.Contains(string(res.Body), "customer.updated") {
		t.Fatalf("an unknown type: %d %s", res.Code, res.Body)
	}
}
