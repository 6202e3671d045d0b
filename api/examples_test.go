package api_test

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/rapportcrm/rapport/api/apitest"
	"github.com/rapportcrm/rapport/docs"
)

// TestRequestExamples sends the published document's request examples, which Swagger UI's
// "Try it out" offers, to a fresh server: the server must take each. The sign-up example comes
// first (its owner sends the others), then the customer example (its customer is the {id} of the
// paths under /customers/{id}); an example without the customer_id that a top-level route
// requires, and that only the caller can know, gets that customer's. Operations with other path
// parameters need records the examples cannot name, and empty examples say nothing that could be
// wrong (what {} answers depends on the data): both are left out.
func TestRequestExamples(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(docs.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	type call struct {
		method, path string
		example      map[string]any
	}
	var calls []call
	for _, path := range doc.Paths.InMatchingOrder() {
		for method, op := range doc.Paths.Value(path).Operations() {
			if op.RequestBody == nil {
				continue
			}
			mt := op.RequestBody.Value.Content.Get("application/json")
			if mt == nil || mt.Example == nil {
				continue
			}
			if rest := strings.ReplaceAll(path, "/customers/{id}", ""); strings.Contains(rest, "{") {
				continue
			}
			example, ok := mt.Example.(map[string]any)
			if !ok {
				t.Fatalf("%s %s: the example is not an object", method, path)
			}
			if len(example) == 0 {
				continue // says nothing that could be wrong; what {} answers depends on the data
			}
			calls = append(calls, call{method, path, example})
		}
	}
	first := map[string]int{"POST /auth/signup": 0, "POST /customers": 1}
	rank := func(c call) int {
		if r, ok := first[c.method+" "+c.path]; ok {
			return r
		}
		return 2
	}
	sort.SliceStable(calls, func(i, j int) bool {
		if rank(calls[i]) != rank(calls[j]) {
			return rank(calls[i]) < rank(calls[j])
		}
		return calls[i].path+calls[i].method < calls[j].path+calls[j].method
	})
	if len(calls) < 15 || rank(calls[0]) != 0 || rank(calls[1]) != 1 {
		t.Fatalf("expected the sign-up and customer examples among 15 or more, got %d", len(calls))
	}

	env := apitest.New(t)
	var token, customerID string
	for _, c := range calls {
		body := c.example
		if !strings.Contains(c.path, "{id}") && customerID != "" {
			body = withCustomer(doc, c.path, c.method, body, customerID)
		}
		res := env.Do(t, apitest.Req{Method: c.method, Path: "/v1" + strings.ReplaceAll(c.path, "{id}", customerID), Token: token, Body: body})
		if res.Code >= 400 {
			t.Errorf("%s %s with its example answered %d: %s\nexample: %v", c.method, c.path, res.Code, res.Body, body)
			continue
		}
		answer := map[string]any{}
		_ = json.Unmarshal(res.Body, &answer)
		if results, ok := answer["results"].([]any); ok { // a batch: every item must pass
			for i, r := range results {
				if item, _ := r.(map[string]any); item["status"] == "error" {
					t.Errorf("%s %s: item %d of the example failed: %v", c.method, c.path, i, item["error"])
				}
			}
		}
		switch rank(c) {
		case 0:
			if token, _ = answer["access_token"].(string); token == "" {
				t.Fatalf("sign-up: no access_token in %s", res.Body)
			}
		case 1:
			if customerID, _ = answer["id"].(string); customerID == "" {
				t.Fatalf("customer: no id in %s", res.Body)
			}
		}
	}
}

// withCustomer gives the body, and each of its items, the customer_id that its schema has and
// the example leaves out.
func withCustomer(doc *openapi3.T, path, method string, body map[string]any, id string) map[string]any {
	schema := doc.Paths.Value(path).GetOperation(strings.ToUpper(method)).RequestBody.Value.Content.Get("application/json").Schema.Value
	add := func(s *openapi3.Schema, m map[string]any) map[string]any {
		if _, has := s.Properties["customer_id"]; !has || m["customer_id"] != nil {
			return m
		}
		out := map[string]any{"customer_id": id}
		for k, v := range m {
			out[k] = v
		}
		return out
	}
	body = add(schema, body)
	if items, ok := body["items"].([]any); ok && schema.Properties["items"] != nil && schema.Properties["items"].Value.Items != nil {
		withIDs := make([]any, len(items))
		for i, it := range items {
			m, _ := it.(map[string]any)
			withIDs[i] = add(schema.Properties["items"].Value.Items.Value, m)
		}
		out := map[string]any{}
		for k, v := range body {
			out[k] = v
		}
		out["items"] = withIDs
		body = out
	}
	return body
}
