package main

import (
	"fmt"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// requestExamples gives every JSON request body an example made of the fields that have one
// (swag's example tags), and nothing else. Without it, Swagger UI's "Try it out" fills in every
// field, inventing what has no example: a random uuid as owner_id, which the server rejects. So a
// field whose valid values depend on the data (the ids of other records, tokens) has no example
// tag and is left out. Where such a field is required, the body gets no example at all (the page
// then offers every field, for the user to fill in). Any other example must validate against its
// schema: a required enum, number or boolean needs an example tag.
func requestExamples(doc *openapi3.T) error {
	var errs []string
	operations(doc, func(path, method string, op *openapi3.Operation) {
		if op.RequestBody == nil || op.RequestBody.Value == nil {
			return
		}
		mt := op.RequestBody.Value.Content.Get("application/json")
		if mt == nil || mt.Schema == nil || mt.Schema.Value == nil {
			return
		}
		s := mt.Schema.Value
		ex, ok := example(s, 0)
		if !ok {
			ex = map[string]any{}
		}
		if m, ok := ex.(map[string]any); ok {
			for _, name := range s.Required {
				p := s.Properties[name]
				if _, given := m[name]; given || p == nil || p.Value == nil {
					continue
				}
				if !p.Value.Type.Is("string") || p.Value.Enum != nil {
					errs = append(errs, fmt.Sprintf("%s %s: %s is required: give it an example", method, path, name))
				}
				return // a value only the caller knows
			}
		}
		if err := s.VisitJSON(ex); err != nil {
			errs = append(errs, fmt.Sprintf("%s %s: the example made of the fields' examples is invalid: %v", method, path, err))
			return
		}
		mt.Example = ex
	})
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return nil
}

// example is s's example, or one made of its fields' or items' examples.
func example(s *openapi3.Schema, depth int) (any, bool) {
	if s == nil {
		return nil, false
	}
	if s.Example != nil {
		return s.Example, true
	}
	if depth > 10 {
		return nil, false
	}
	switch {
	case len(s.AllOf) > 0:
		out := map[string]any{}
		for _, part := range s.AllOf {
			if ex, ok := example(part.Value, depth+1); ok {
				if m, ok := ex.(map[string]any); ok {
					for k, v := range m {
						out[k] = v
					}
				}
			}
		}
		return out, len(out) > 0
	case s.Type.Is("object"):
		out := map[string]any{}
		for name, p := range s.Properties {
			if ex, ok := example(p.Value, depth+1); ok {
				out[name] = ex
			}
		}
		return out, len(out) > 0
	case s.Type.Is("array") && s.Items != nil:
		if ex, ok := example(s.Items.Value, depth+1); ok {
			return []any{ex}, true
		}
	}
	return nil, false
}
