package main

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

const schemaPrefix = "#/components/schemas/"

// FormatDateTime and FormatUUID stand in for time.Time and uuid.UUID while swag reads the code:
// swag writes both as a bare string, so swag.overrides (beside this file) replaces them with these
// markers, and the formats pass writes every reference to a marker as a string of its format.
// (A marker's name must not end in Time or UUID, which swag takes for a string itself.)
type (
	FormatDateTime struct{} // @name FormatDateTime
	FormatUUID     struct{} // @name FormatUUID
)

// markerFormats are the markers' formats.
var markerFormats = map[string]string{"FormatDateTime": "date-time", "FormatUUID": "uuid"}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// operations calls f on every operation, in a stable order.
func operations(doc *openapi3.T, f func(path, method string, op *openapi3.Operation)) {
	for _, path := range doc.Paths.InMatchingOrder() {
		item := doc.Paths.Value(path)
		ops := item.Operations()
		for _, method := range sortedKeys(ops) {
			f(path, method, ops[method])
		}
	}
}

// rootSchemas are the schemas that operations hold directly: parameters, bodies, responses and
// their headers.
func rootSchemas(doc *openapi3.T) []*openapi3.SchemaRef {
	var roots []*openapi3.SchemaRef
	content := func(c openapi3.Content) {
		for _, mt := range sortedKeys(c) {
			roots = append(roots, c[mt].Schema)
		}
	}
	operations(doc, func(_, _ string, op *openapi3.Operation) {
		for _, p := range op.Parameters {
			if p.Value != nil {
				roots = append(roots, p.Value.Schema)
			}
		}
		if b := op.RequestBody; b != nil && b.Value != nil {
			content(b.Value.Content)
		}
		for _, code := range op.Responses.Keys() {
			r := op.Responses.Value(code).Value
			if r == nil {
				continue
			}
			content(r.Content)
			for _, name := range sortedKeys(r.Headers) {
				if h := r.Headers[name].Value; h != nil {
					roots = append(roots, h.Schema)
				}
			}
		}
	})
	return roots
}

// eachSchema calls f on every schema of the document, a parent before its inline children: the
// components' schemas and the operations'. f may replace what a reference holds.
func eachSchema(doc *openapi3.T, f func(*openapi3.SchemaRef)) {
	var walk func(*openapi3.SchemaRef)
	walk = func(s *openapi3.SchemaRef) {
		if s == nil {
			return
		}
		f(s)
		if s.Ref != "" || s.Value == nil {
			return
		}
		v := s.Value
		for _, list := range []openapi3.SchemaRefs{v.AllOf, v.AnyOf, v.OneOf} {
			for _, c := range list {
				walk(c)
			}
		}
		walk(v.Not)
		walk(v.Items)
		for _, name := range sortedKeys(v.Properties) {
			walk(v.Properties[name])
		}
		walk(v.AdditionalProperties.Schema)
	}
	for _, name := range sortedKeys(doc.Components.Schemas) {
		walk(doc.Components.Schemas[name])
	}
	for _, s := range rootSchemas(doc) {
		walk(s)
	}
}

// component returns the schema a reference names.
func component(doc *openapi3.T, ref string) (*openapi3.Schema, error) {
	name, ok := strings.CutPrefix(ref, schemaPrefix)
	if s := doc.Components.Schemas[name]; ok && s != nil && s.Value != nil {
		return s.Value, nil
	}
	return nil, fmt.Errorf("no schema %s", ref)
}

// reachable adds to seen the name of every component schema that s uses, directly or not.
func reachable(doc *openapi3.T, s *openapi3.SchemaRef, seen map[string]bool) {
	if s == nil {
		return
	}
	if s.Ref != "" {
		name := strings.TrimPrefix(s.Ref, schemaPrefix)
		if seen[name] {
			return
		}
		seen[name] = true
		reachable(doc, doc.Components.Schemas[name], seen)
		return
	}
	v := s.Value
	if v == nil {
		return
	}
	for _, list := range []openapi3.SchemaRefs{v.AllOf, v.AnyOf, v.OneOf} {
		for _, c := range list {
			reachable(doc, c, seen)
		}
	}
	reachable(doc, v.Not, seen)
	reachable(doc, v.Items, seen)
	for _, p := range v.Properties {
		reachable(doc, p, seen)
	}
	reachable(doc, v.AdditionalProperties.Schema, seen)
}

func stringSchema(format string) *openapi3.Schema {
	s := openapi3.NewStringSchema()
	s.Format = format
	return s
}

// formats writes every reference to a marker (FormatDateTime, FormatUUID) as a string of the
// marker's format. A nullable or described one is an allOf of the one reference; it becomes a
// plain string.
func formats(doc *openapi3.T) error {
	for name, format := range markerFormats {
		marker := doc.Components.Schemas[name]
		if marker == nil {
			continue
		}
		if marker.Value == nil || len(marker.Value.Properties) > 0 {
			return fmt.Errorf("a real schema is named %s; rename it or the marker", name)
		}
		delete(doc.Components.Schemas, name)
		eachSchema(doc, func(s *openapi3.SchemaRef) {
			if s.Ref == schemaPrefix+name {
				s.Ref, s.Value = "", stringSchema(format)
			}
		})
	}
	eachSchema(doc, func(s *openapi3.SchemaRef) {
		v := s.Value
		if s.Ref != "" || v == nil || len(v.AllOf) != 1 || v.Type != nil || len(v.Properties) > 0 || v.Items != nil {
			return
		}
		if in := v.AllOf[0]; in.Ref == "" && in.Value.Type.Is("string") && len(in.Value.Properties) == 0 && len(in.Value.AllOf) == 0 {
			v.Type, v.Format, v.AllOf = in.Value.Type, in.Value.Format, nil
		}
	})
	return nil
}

// isAny reports whether v allows any JSON value: it says nothing of type or shape.
func isAny(v *openapi3.Schema) bool {
	return v.Type == nil && len(v.AllOf)+len(v.AnyOf)+len(v.OneOf) == 0 && v.Not == nil && len(v.Properties) == 0 &&
		v.Items == nil && v.AdditionalProperties.Has == nil && v.AdditionalProperties.Schema == nil && v.Enum == nil
}

// jsonValues makes every schema of any value (a Go any, or a map's values) refer to JSONValue,
// which says null too: a custom field may hold null, and a changed field may have been null. In
// OpenAPI 3.0, {} leaves null unsaid (kin-openapi, which the API tests check answers with, refuses
// it there), and nullable means something only beside a type. A description stays beside the
// reference, in an allOf.
func jsonValues(doc *openapi3.T) error {
	const name = "JSONValue"
	used := false
	eachSchema(doc, func(s *openapi3.SchemaRef) {
		if s.Ref != "" || s.Value == nil || !isAny(s.Value) {
			return
		}
		used = true
		ref := openapi3.NewSchemaRef(schemaPrefix+name, nil)
		if d := s.Value.Description; d != "" {
			s.Value = &openapi3.Schema{AllOf: openapi3.SchemaRefs{ref}, Description: d}
			return
		}
		s.Ref, s.Value = ref.Ref, nil
	})
	if !used {
		return nil
	}
	if doc.Components.Schemas[name] != nil {
		return fmt.Errorf("a real schema is named %s", name)
	}
	// The value's schema does not refer to itself: openapi-typescript writes a self-referring array
	// as a type that TypeScript refuses. Objects take any members (additionalProperties: true says
	// null too), arrays any items, and the items of arrays in arrays any value but null.
	value := func(items *openapi3.Schema) *openapi3.Schema {
		null := openapi3.NewStringSchema()
		null.Nullable = true
		object := openapi3.NewObjectSchema()
		object.AdditionalProperties = openapi3.AdditionalProperties{Has: openapi3.Ptr(true)}
		array := openapi3.NewArraySchema()
		array.Items = openapi3.NewSchemaRef("", items)
		return &openapi3.Schema{AnyOf: openapi3.SchemaRefs{
			openapi3.NewSchemaRef("", null), openapi3.NewSchemaRef("", openapi3.NewFloat64Schema()),
			openapi3.NewSchemaRef("", openapi3.NewBoolSchema()), openapi3.NewSchemaRef("", object), openapi3.NewSchemaRef("", array),
		}}
	}
	v := value(value(&openapi3.Schema{}))
	v.Description = "Any JSON value: a string (or null), a number, a boolean, an object or an array."
	doc.Components.Schemas[name] = openapi3.NewSchemaRef("", v)
	return nil
}

// nullableTypes gives every nullable schema a type. In OpenAPI 3.0, nullable means something only
// beside a type, so swag's x-nullable on a reference (an allOf of it, once converted) would leave
// null unsaid: such a schema takes the referenced schema's type. (A nullable value of any type is
// a JSONValue by now.)
func nullableTypes(doc *openapi3.T) error {
	var errs []string
	eachSchema(doc, func(s *openapi3.SchemaRef) {
		v := s.Value
		if s.Ref != "" || v == nil || !v.Nullable || v.Type != nil {
			return
		}
		switch {
		case len(v.AllOf) == 1 && v.AllOf[0].Ref != "":
			target, err := component(doc, v.AllOf[0].Ref)
			if err != nil || !target.Type.IsSingle() {
				errs = append(errs, fmt.Sprintf("nullable %s has no single type", v.AllOf[0].Ref))
				return
			}
			v.Type = &openapi3.Types{target.Type.Slice()[0]}
		default:
			errs = append(errs, fmt.Sprintf("nullable schema %q has no type", v.Description))
		}
	})
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

func clone(s *openapi3.Schema) (*openapi3.Schema, error) {
	data, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	var out openapi3.Schema
	return &out, json.Unmarshal(data, &out)
}

func sameJSON(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(x) == string(y)
}

// namedCompositions names swag's compositions. An annotation such as web.Page{data=[]Customer}
// comes out as allOf of Page and an object typing data; generators see Page.data as unknown and
// give the combination no name. Each becomes one schema, the base with the field replaced, named
// after the item and the base: CustomerPage, CustomerBatchRequest (an item's Input suffix is left
// out). The bases, unused afterwards, are pruned.
func namedCompositions(doc *openapi3.T) error {
	var err error
	compose := func(s *openapi3.SchemaRef) {
		if err == nil && s != nil && s.Ref == "" && s.Value != nil && len(s.Value.AllOf) > 0 {
			err = composition(doc, s)
		}
	}
	operations(doc, func(_, _ string, op *openapi3.Operation) {
		if b := op.RequestBody; b != nil && b.Value != nil {
			for _, mt := range b.Value.Content {
				compose(mt.Schema)
			}
		}
		for _, r := range op.Responses.Map() {
			if r.Value != nil {
				for _, mt := range r.Value.Content {
					compose(mt.Schema)
				}
			}
		}
	})
	return err
}

func composition(doc *openapi3.T, s *openapi3.SchemaRef) error {
	all := s.Value.AllOf
	if len(all) != 2 || all[0].Ref == "" || all[1].Ref != "" || all[1].Value == nil || len(all[1].Value.Properties) != 1 {
		return fmt.Errorf("a composition that is not Base{field=Type}: %v", all)
	}
	baseName := strings.TrimPrefix(all[0].Ref, schemaPrefix)
	base, err := component(doc, all[0].Ref)
	if err != nil {
		return err
	}
	field := sortedKeys(all[1].Value.Properties)[0]
	typed := all[1].Value.Properties[field]
	item := typed
	if typed.Ref == "" && typed.Value != nil && typed.Value.Type.Is("array") {
		item = typed.Value.Items
	}
	if item == nil || item.Ref == "" {
		return fmt.Errorf("%s{%s=...}: compose with a named type", baseName, field)
	}
	name := strings.TrimSuffix(strings.TrimPrefix(item.Ref, schemaPrefix), "Input") + baseName
	merged, err := clone(base)
	if err != nil {
		return err
	}
	if old := merged.Properties[field]; old == nil {
		return fmt.Errorf("%s has no field %s", baseName, field)
	} else if old.Value != nil && typed.Value != nil && typed.Value.Description == "" {
		typed.Value.Description = old.Value.Description
	}
	merged.Properties[field] = typed
	if existing := doc.Components.Schemas[name]; existing != nil {
		if !sameJSON(existing.Value, merged) {
			return fmt.Errorf("the composition %s differs from the schema of that name", name)
		}
	} else {
		doc.Components.Schemas[name] = openapi3.NewSchemaRef("", merged)
	}
	s.Ref, s.Value = schemaPrefix+name, nil
	return nil
}

// noRequestDefaults refuses a default in what a request body takes. openapi-typescript (with its
// default options) makes a property that has a default required: right for a response, which
// always has the field, and wrong for a request, whose sender could then not leave it out. An input
// type says its defaults in words instead.
func noRequestDefaults(doc *openapi3.T) error {
	seen := map[string]bool{}
	operations(doc, func(_, _ string, op *openapi3.Operation) {
		if b := op.RequestBody; b != nil && b.Value != nil {
			for _, mt := range b.Value.Content {
				reachable(doc, mt.Schema, seen)
			}
		}
	})
	var bad []string
	for _, name := range sortedKeys(seen) {
		s := doc.Components.Schemas[name]
		if s == nil || s.Value == nil {
			continue
		}
		for _, prop := range sortedKeys(s.Value.Properties) {
			if p := s.Value.Properties[prop]; p.Value != nil && p.Value.Default != nil {
				bad = append(bad, name+"."+prop)
			}
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("request bodies use these, which have a default (say it in the description): %s", strings.Join(bad, ", "))
	}
	return nil
}

// pruneSchemas drops the component schemas that no operation uses.
func pruneSchemas(doc *openapi3.T) error {
	seen := map[string]bool{}
	for _, s := range rootSchemas(doc) {
		reachable(doc, s, seen)
	}
	for _, h := range doc.Components.Headers {
		if h.Value != nil {
			reachable(doc, h.Value.Schema, seen)
		}
	}
	for name := range doc.Components.Schemas {
		if !seen[name] {
			delete(doc.Components.Schemas, name)
		}
	}
	if len(seen) == 0 {
		return fmt.Errorf("no operation uses a schema")
	}
	return nil
}

// mergePatches gives each JSON merge patch its own schema. A PATCH whose body is a resource's
// XInput type applies the body to that input as RFC 7396 says: a field left out stays as it is,
// and null removes one. So the body's schema is XPatch: XInput with nothing required and every
// field nullable. (Nested objects merge too; their fields keep the input's rules.)
func mergePatches(doc *openapi3.T) error {
	var err error
	operations(doc, func(_, method string, op *openapi3.Operation) {
		if err != nil || method != "PATCH" || op.RequestBody == nil || op.RequestBody.Value == nil {
			return
		}
		mt := op.RequestBody.Value.Content.Get("application/json")
		input, ok := "", false
		if mt != nil && mt.Schema != nil {
			input, ok = strings.CutPrefix(mt.Schema.Ref, schemaPrefix)
		}
		if !ok || !strings.HasSuffix(input, "Input") {
			return
		}
		name := strings.TrimSuffix(input, "Input") + "Patch"
		if doc.Components.Schemas[name] == nil {
			var patch *openapi3.Schema
			if patch, err = mergePatch(doc, input); err != nil {
				return
			}
			doc.Components.Schemas[name] = openapi3.NewSchemaRef("", patch)
		}
		mt.Schema = openapi3.NewSchemaRef(schemaPrefix+name, nil)
	})
	return err
}

func mergePatch(doc *openapi3.T, input string) (*openapi3.Schema, error) {
	base, err := component(doc, schemaPrefix+input)
	if err != nil {
		return nil, err
	}
	patch, err := clone(base)
	if err != nil {
		return nil, err
	}
	// The example changes what the input's examples show, less the fields a create requires: those
	// say what the record is (a feedback's kind), which a patch leaves alone.
	if ex, ok := example(base, 0); ok {
		if m, ok := ex.(map[string]any); ok {
			for _, name := range base.Required {
				delete(m, name)
			}
			patch.Example = m
		}
	}
	patch.Required = nil
	patch.Description = strings.TrimSpace("A JSON merge patch (RFC 7396) of " + input + ": a field left out stays as it is; null removes one. " + base.Description)
	for _, name := range sortedKeys(patch.Properties) {
		p := patch.Properties[name]
		if p.Ref != "" {
			target, err := component(doc, p.Ref)
			if err != nil || !target.Type.IsSingle() {
				return nil, fmt.Errorf("%s.%s: %s has no single type", input, name, p.Ref)
			}
			wrapped := &openapi3.Schema{AllOf: openapi3.SchemaRefs{openapi3.NewSchemaRef(p.Ref, nil)}, Type: &openapi3.Types{target.Type.Slice()[0]}}
			p = openapi3.NewSchemaRef("", wrapped)
			patch.Properties[name] = p
		}
		if p.Value.Type == nil {
			return nil, fmt.Errorf("%s.%s has no type", input, name)
		}
		p.Value.Nullable = true
	}
	return patch, nil
}

// freeFormObjects says of an object schema with no properties that any may be there. OpenAPI
// means that already, but openapi-typescript (with its default options) reads such a schema as an
// object without keys (Record<string, never>).
func freeFormObjects(doc *openapi3.T) error {
	eachSchema(doc, func(s *openapi3.SchemaRef) {
		v := s.Value
		if s.Ref == "" && v != nil && v.Type.Is("object") && len(v.Properties) == 0 && len(v.AllOf)+len(v.AnyOf)+len(v.OneOf) == 0 &&
			v.AdditionalProperties.Has == nil && v.AdditionalProperties.Schema == nil {
			v.AdditionalProperties = openapi3.AdditionalProperties{Has: openapi3.Ptr(true)}
		}
	})
	return nil
}
