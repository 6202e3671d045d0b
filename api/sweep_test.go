package api_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/rapportcrm/rapport/api/apitest"
	"github.com/rapportcrm/rapport/docs"
)

// Bounds every answer of the sweep must keep.
const (
	sweepMaxElapsed   = time.Second
	sweepMaxAllocated = 16 << 20
)

// TestHostileInputSweep sends hostile values to every operation of the published OpenAPI
// document: to each path parameter, query parameter, header parameter and request-body field it
// documents (array items and nested objects included, and the body and the query string as a
// whole), one at a time, the rest of the request valid. Every answer must be a 2xx or a 4xx
// problem, never a 5xx, within a second and 16 MB of allocations, and the jobs the accepted
// requests queued must not fail inside. Path ids point at real records of the owner's
// organization, so that a hostile value gets past the lookup; the operations come from the
// document, so a new endpoint is swept without anyone writing a line.
func TestHostileInputSweep(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(docs.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	env := apitest.New(t)
	owner := env.Signup(t, "Sweep")
	records := seedRecords(t, env, owner.Access)
	prefix := doc.Servers[0].URL // /v1
	ops := operations(doc)
	for _, op := range ops { // before any probe adds records that lists would show first
		op.ids = realIDs(t, env, owner.Access, prefix, op.path, records)
		op.body = op.baseBody(doc, records["/customers"])
	}

	started := time.Now()
	stats := sweepStats{byStatus: map[int]int{}, jobs: map[string]string{}, jobsEnded: map[string]int{}}
	sweep := func(op *operation) {
		for _, p := range op.probes(prefix) {
			p.req.Token = owner.Access
			stats.record(t, p, env.Do(t, p.req), func() *apitest.Response { return env.Do(t, p.req) })
		}
		stats.runJobs(t, env, owner.Access, prefix) // before a later operation deletes what they read
		stats.operations++
		stats.fields += op.fieldCount
	}
	deletes := slices.IndexFunc(ops, func(op *operation) bool { return op.method == http.MethodDelete })
	if deletes < 0 {
		deletes = len(ops)
	}
	for _, op := range ops[:deletes] {
		sweep(op)
	}
	stats.readBack(t, env, owner.Access, prefix, ops[:deletes])
	for _, op := range ops[deletes:] {
		sweep(op)
	}
	t.Logf("sweep: %d operations, %d parameters and body fields, %d requests in %s; answers %v; %d of 5xx; jobs queued %v; slowest %s (%s); most allocating %.1f MB (%s)",
		stats.operations, stats.fields, stats.requests, time.Since(started).Round(time.Millisecond), stats.byStatus, stats.serverErrors, stats.jobsEnded,
		stats.slowest.Round(time.Millisecond), stats.slowestAt, float64(stats.mostAllocated)/(1<<20), stats.mostAllocatedAt)
	if stats.failures > maxReported {
		t.Errorf("... and %d more failures", stats.failures-maxReported)
	}
	if res := env.Do(t, apitest.Req{Method: "GET", Path: prefix + "/me", Token: owner.Access}); res.Code != http.StatusOK {
		t.Errorf("after the sweep the owner's token answers %d", res.Code)
	}
}

// sweepStats counts what the sweep sent and got, and reports each answer out of bounds.
type sweepStats struct {
	operations, fields, requests, serverErrors int
	byStatus                                   map[int]int
	slowest                                    time.Duration
	slowestAt                                  string
	mostAllocated                              uint64
	mostAllocatedAt                            string
	jobs                                       map[string]string // queued by an accepted request: id → probe
	jobsEnded                                  map[string]int    // how many ended how
	failures                                   int
}

// maxReported bounds the failures reported one by one: one broken record can fail thousands.
const maxReported = 50

// fail reports a failure, the first maxReported of them in full.
func (s *sweepStats) fail(t *testing.T, format string, args ...any) {
	t.Helper()
	if s.failures++; s.failures <= maxReported {
		t.Errorf(format, args...)
	}
}

// record checks one answer; a request over the time bound is sent again before it counts, so that
// a pause of a shared machine is not taken for the server's.
func (s *sweepStats) record(t *testing.T, p probe, res *apitest.Response, again func() *apitest.Response) {
	t.Helper()
	s.requests++
	if res.Elapsed > sweepMaxElapsed {
		res = again()
		s.requests++
	}
	s.byStatus[res.Code]++
	at := p.String()
	switch {
	case res.Code >= 500:
		s.serverErrors++
		s.fail(t, "%s answered %d: %.400s", at, res.Code, res.Body)
	case res.Code >= 300 && res.Code < 400 || res.Code < 200:
		s.fail(t, "%s answered %d, neither a success nor a client error", at, res.Code)
	case res.Code == http.StatusAccepted:
		var job struct{ ID string }
		if json.Unmarshal(res.Body, &job) == nil && job.ID != "" {
			s.jobs[job.ID] = at
		}
	}
	if res.Elapsed > sweepMaxElapsed {
		s.fail(t, "%s took %s", at, res.Elapsed)
	}
	if res.Allocated > sweepMaxAllocated {
		s.fail(t, "%s allocated %.1f MB", at, float64(res.Allocated)/(1<<20))
	}
	if res.Elapsed > s.slowest {
		s.slowest, s.slowestAt = res.Elapsed, at
	}
	if res.Allocated > s.mostAllocated {
		s.mostAllocated, s.mostAllocatedAt = res.Allocated, at
	}
}

// runJobs runs the jobs that accepted requests queued and fails each that failed inside (the
// background's 500).
func (s *sweepStats) runJobs(t *testing.T, env *apitest.Env, token, prefix string) {
	t.Helper()
	for id, at := range s.jobs {
		job := env.WaitJob(t, token, id)
		status, _ := job["status"].(string)
		msg, _ := job["error"].(string)
		s.jobsEnded[status]++
		if status != "succeeded" && status != "failed" || strings.HasPrefix(msg, "internal error") {
			s.fail(t, "the job of %s ended %s: %s", at, status, msg)
		}
		delete(s.jobs, id)
	}
}

// readBack sends each operation's valid request once more, now that the hostile values that were
// accepted are stored, and reads each list to its end: what was written must read back, and the
// jobs the requests queue (analytics runs) must digest it.
func (s *sweepStats) readBack(t *testing.T, env *apitest.Env, token, prefix string, ops []*operation) {
	t.Helper()
	for _, op := range ops {
		req := op.valid(prefix, "read-back")
		req.Token = token
		if op.method == http.MethodGet && op.param("limit") {
			req.Path += "?limit=200"
		}
		for page := 1; page <= 100; page++ {
			p := probe{method: op.method, path: op.path, where: "the read-back", value: fmt.Sprintf("the valid request, page %d", page), req: req}
			res := env.Do(t, req)
			s.record(t, p, res, func() *apitest.Response { return env.Do(t, req) })
			var list struct {
				NextCursor string `json:"next_cursor"`
			}
			if op.method != http.MethodGet || json.Unmarshal(res.Body, &list) != nil || list.NextCursor == "" {
				break
			}
			req.Path = prefix + fill(op.path, op.ids) + "?limit=200&cursor=" + url.QueryEscape(list.NextCursor)
		}
	}
	s.runJobs(t, env, token, prefix)
}

// seedRecords gives the organization one of each record, so that every path id can name a real
// one: a customer with points and a redemption, purchases (repeat ones, that the CLV model can be
// fitted to), a contact, a complaint, analytics runs, an API key, a user besides the owner and a
// queued job. It returns, by the path of their collection, the ids that path parameters and
// bodies use instead of the newest record of a list.
func seedRecords(t *testing.T, env *apitest.Env, token string) map[string]string {
	t.Helper()
	var customer string
	for i, name := range []string{"Bea", "Ada"} { // Ada, the newest, is the one the sweep uses
		customer = env.Expect(t, token, "POST", "/v1/customers", map[string]any{"first_name": name}, 201)["id"].(string)
		for month := 1; month <= 3+i; month++ {
			env.Expect(t, token, "POST", "/v1/customers/"+customer+"/purchases", map[string]any{"amount": fmt.Sprintf("%d.90", 10*month+i),
				"currency": "EUR", "occurred_at": fmt.Sprintf("2025-%02d-1%dT10:00:00Z", 2*month, i)}, 201)
		}
	}
	c := "/v1/customers/" + customer
	env.Expect(t, token, "POST", c+"/loyalty/transactions", map[string]any{"type": "earn", "points": 1000, "reason": "seed"}, 201)
	env.Expect(t, token, "POST", c+"/contact-history", map[string]any{"channel": "phone", "direction": "inbound", "subject": "Seed"}, 201)
	env.Expect(t, token, "POST", c+"/feedback", map[string]any{"kind": "complaint", "subject": "Late", "description": "Seed"}, 201)
	for _, run := range []string{"/v1/analytics/rfm/run", "/v1/analytics/clv/fit"} {
		job := env.Expect(t, token, "POST", run, map[string]any{}, 202)["id"].(string)
		if status := env.WaitJob(t, token, job)["status"]; status != "succeeded" {
			t.Fatalf("seed %s: %v", run, status)
		}
	}
	reward := env.Expect(t, token, "POST", "/v1/loyalty/rewards", map[string]any{"name": "Mug", "cost_points": 30, "stock": 100, "active": true}, 201)["id"].(string)
	env.Expect(t, token, "POST", c+"/loyalty/redemptions", map[string]any{"reward_id": reward}, 201)
	env.Expect(t, token, "POST", "/v1/api-keys", map[string]any{"name": "seed", "scopes": []string{"customers:read"}}, 201)
	env.Expect(t, token, "POST", "/v1/users", map[string]any{"email": "agent@sweep.example", "name": "Agent", "password": "another long password", "role": "agent"}, 201)
	job := env.Expect(t, token, "POST", "/v1/analytics/rfm/run", map[string]any{}, 202)["id"].(string)
	return map[string]string{"/customers": customer, "/jobs": job}
}

// realIDs names a real record for each path parameter of path: one the seed made, else the newest
// of the collection the parameter indexes (a GET of the path up to it, kept in known for the next
// path), else a well-formed id of nothing.
func realIDs(t *testing.T, env *apitest.Env, token, prefix, path string, known map[string]string) map[string]string {
	t.Helper()
	ids := map[string]string{}
	segments := strings.Split(path, "/")
	for i, seg := range segments {
		name, ok := strings.CutPrefix(seg, "{")
		if !ok {
			continue
		}
		name = strings.TrimSuffix(name, "}")
		collection := strings.Join(segments[:i], "/")
		if _, ok := known[collection]; !ok {
			known[collection] = unknownID
			res := env.Do(t, apitest.Req{Method: "GET", Path: prefix + fill(collection, ids) + "?limit=1", Token: token})
			var page struct{ Data []struct{ ID string } }
			if res.Code == http.StatusOK && json.Unmarshal(res.Body, &page) == nil && len(page.Data) > 0 && page.Data[0].ID != "" {
				known[collection] = page.Data[0].ID
			}
		}
		ids[name] = known[collection]
	}
	return ids
}

// unknownID is a well-formed id that names no record.
const unknownID = "0193b4e0-7a2c-7d1e-8f00-000000000000"

// fill puts ids into a path template's parameters.
func fill(path string, ids map[string]string) string {
	for name, id := range ids {
		path = strings.ReplaceAll(path, "{"+name+"}", id)
	}
	return path
}

// operation is one method on one path of the document, with what its valid request needs.
type operation struct {
	method, path string
	op           *openapi3.Operation
	ids          map[string]string // real records for the path parameters
	body         map[string]any    // a valid body; nil if it takes none
	fieldCount   int
}

// param tells whether the operation documents a parameter.
func (o *operation) param(name string) bool {
	return slices.ContainsFunc(o.op.Parameters, func(p *openapi3.ParameterRef) bool { return p.Value.Name == name })
}

// valid is the operation's valid request. Its body has an email of its own, if it has one, named
// by tag: a taken email would answer 409 before the value under test is looked at.
func (o *operation) valid(prefix, tag string) apitest.Req {
	req := apitest.Req{Method: o.method, Path: prefix + fill(o.path, o.ids)}
	if o.body != nil {
		req.Body = encode(o.fresh(tag))
	}
	return req
}

// fresh is the valid body with an email named by tag, if it has one.
func (o *operation) fresh(tag string) map[string]any {
	if _, ok := o.body["email"].(string); !ok {
		return o.body
	}
	slug := strings.Trim(strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' {
			return r
		}
		return '-'
	}, strings.ToLower(o.method+o.path)), "-")
	body := maps.Clone(o.body)
	body["email"] = fmt.Sprintf("sweep-%s-%s@example.com", slug, tag)
	return body
}

// operations lists the document's operations in a fixed order, deletes last: a delete that a
// hostile value lets through must not take the records the other operations point at.
func operations(doc *openapi3.T) []*operation {
	var ops []*operation
	for _, path := range slices.Sorted(maps.Keys(doc.Paths.Map())) {
		for method, op := range doc.Paths.Value(path).Operations() {
			ops = append(ops, &operation{method: method, path: path, op: op})
		}
	}
	sort.SliceStable(ops, func(i, j int) bool {
		di, dj := ops[i].method == http.MethodDelete, ops[j].method == http.MethodDelete
		if di != dj {
			return dj
		}
		return ops[i].path+" "+ops[i].method < ops[j].path+" "+ops[j].method
	})
	return ops
}

// probe is one request with one hostile value in it.
type probe struct {
	method, path string
	where, value string // where the value went (query limit, body items[0].amount), and what it is
	req          apitest.Req
}

func (p probe) String() string {
	return fmt.Sprintf("%s %s with %s = %s", p.method, p.path, p.where, p.value)
}

// probes builds the operation's requests: for each parameter and body field, one per hostile value.
func (o *operation) probes(prefix string) []probe {
	path := prefix + fill(o.path, o.ids)
	var out []probe
	valid := func() apitest.Req { return o.valid(prefix, strconv.Itoa(len(out))) }
	add := func(where string, h hostile, req apitest.Req) {
		out = append(out, probe{method: o.method, path: o.path, where: where, value: h.name, req: req})
	}
	for _, h := range queryStrings {
		req := valid()
		req.Path = path + "?" + h.text
		add("the query", h, req)
	}
	for _, ref := range o.op.Parameters {
		p := ref.Value
		o.fieldCount++
		where := p.In + " " + p.Name
		switch p.In {
		case "path":
			for _, h := range pathValues {
				req := valid()
				req.Path = prefix + fill(strings.ReplaceAll(o.path, "{"+p.Name+"}", h.text), o.ids)
				add(where, h, req)
			}
		case "query":
			values := queryValues(p.Name)
			if p.Name == "cursor" {
				values = append(values, cursorValues(o.sorts())...)
			}
			for _, h := range values {
				req := valid()
				req.Path = path + "?" + h.text
				add(where, h, req)
			}
		case "header":
			for _, h := range headerValues {
				req := valid()
				req.Header = map[string]string{p.Name: h.text}
				add(where, h, req)
			}
		}
	}
	if o.body == nil {
		return out
	}
	schema := o.op.RequestBody.Value.Content.Get("application/json").Schema.Value
	for _, h := range rootValues {
		req := valid()
		req.Body = []byte(h.text)
		add("the body", h, req)
	}
	for _, f := range bodyFields(schema, nil) {
		o.fieldCount++
		for _, h := range bodyValues(f.schema) {
			req := valid()
			req.Body = encode(put(o.fresh(strconv.Itoa(len(out))), schema, f.path, raw(h.text)))
			add("body "+f.name(), h, req)
		}
	}
	return out
}

// baseBody is a valid body for the operation, or nil if it takes none: the document's example
// without the fields it documents as unique (so that a hostile value is not refused as a duplicate
// before it reaches the database), else one built from the schema's required fields; a top-level
// route gets the real customer the examples cannot know.
func (o *operation) baseBody(doc *openapi3.T, customer string) map[string]any {
	if o.op.RequestBody == nil || o.op.RequestBody.Value.Content.Get("application/json") == nil {
		return nil
	}
	mt := o.op.RequestBody.Value.Content.Get("application/json")
	schema := mt.Schema.Value
	body, ok := withoutUnique(mt.Example, schema).(map[string]any)
	if !ok {
		body, _ = base(schema).(map[string]any)
	}
	if !strings.Contains(o.path, "{") { // the example's customer, or the one base made up, is nobody
		delete(body, "customer_id")
		body = withCustomer(doc, o.path, o.method, body, customer)
	}
	return body
}

// withoutUnique is a copy of v (of schema s) without the optional members documented as unique.
func withoutUnique(v any, s *openapi3.Schema) any {
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for name, member := range v {
			p := s.Properties[name]
			if p == nil || p.Value == nil {
				out[name] = member
			} else if !strings.Contains(strings.ToLower(p.Value.Description), "unique") || slices.Contains(s.Required, name) {
				out[name] = withoutUnique(member, p.Value)
			}
		}
		return out
	case []any:
		if s.Items == nil || s.Items.Value == nil {
			return v
		}
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = withoutUnique(e, s.Items.Value)
		}
		return out
	}
	return v
}

// base is a valid value of a schema: its example, else one built from its required members.
func base(s *openapi3.Schema) any {
	switch {
	case s.Example != nil:
		return s.Example
	case len(s.Enum) > 0:
		return s.Enum[0]
	case s.Type.Is("object"):
		m := map[string]any{}
		for _, name := range s.Required {
			m[name] = base(s.Properties[name].Value)
		}
		return m
	case s.Type.Is("array"):
		if s.MinItems > 0 && s.Items != nil {
			return []any{base(s.Items.Value)}
		}
		return []any{}
	case s.Type.Is("integer"), s.Type.Is("number"):
		return 1
	case s.Type.Is("boolean"):
		return false
	case s.Format == "uuid":
		return unknownID
	case s.Format == "date-time":
		return "2026-01-02T15:04:05Z"
	case s.Format == "date":
		return "2026-01-02"
	}
	return "sweep"
}

// field is a place in a request body: its path of member names ("[0]" for an array's first
// element) and its schema.
type field struct {
	path   []string
	schema *openapi3.Schema
}

func (f field) name() string { return strings.ReplaceAll(strings.Join(f.path, "."), ".[0]", "[0]") }

// freeKey names the member the sweep puts into an object of free-form members (custom_fields).
const freeKey = "sweep_key"

// bodyFields lists every field of a body schema, depth first: members of objects, the items of
// arrays, and a member of free-form objects.
func bodyFields(s *openapi3.Schema, at []string) []field {
	if len(at) > 6 {
		return nil // deep enough; a schema that nests itself ends here
	}
	var out []field
	visit := func(name string, child *openapi3.SchemaRef) {
		if child == nil || child.Value == nil {
			return
		}
		path := append(slices.Clip(at), name)
		out = append(out, field{path, child.Value})
		out = append(out, bodyFields(child.Value, path)...)
	}
	for _, name := range slices.Sorted(maps.Keys(s.Properties)) {
		visit(name, s.Properties[name])
	}
	if s.Type.Is("array") {
		visit("[0]", s.Items)
	}
	if len(s.Properties) == 0 && s.AdditionalProperties.Schema != nil {
		visit(freeKey, s.AdditionalProperties.Schema)
	}
	return out
}

// child is the schema of a member or of the items of s.
func child(s *openapi3.Schema, name string) *openapi3.Schema {
	ref := s.Properties[name]
	switch {
	case name == "[0]":
		ref = s.Items
	case ref == nil:
		ref = s.AdditionalProperties.Schema
	}
	if ref == nil || ref.Value == nil {
		return &openapi3.Schema{}
	}
	return ref.Value
}

// put returns a copy of node (of schema s) with v at path, building what is missing from the
// schema; an array keeps only its first element.
func put(node any, s *openapi3.Schema, path []string, v raw) any {
	if len(path) == 0 {
		return v
	}
	c := child(s, path[0])
	if path[0] == "[0]" {
		var first any
		if arr, _ := node.([]any); len(arr) > 0 {
			first = arr[0]
		} else {
			first = base(c)
		}
		return []any{put(first, c, path[1:], v)}
	}
	m, _ := node.(map[string]any)
	m = maps.Clone(m)
	if m == nil {
		m = map[string]any{}
	}
	cur, ok := m[path[0]]
	if !ok {
		cur = base(c)
	}
	m[path[0]] = put(cur, c, path[1:], v)
	return m
}

// raw is JSON text that goes into a body as it is: a hostile value is often not valid JSON, or
// not UTF-8, which encoding/json would refuse or repair.
type raw string

// encode writes v as JSON, members in name order, raw values as they are.
func encode(v any) []byte {
	var b bytes.Buffer
	var write func(v any)
	write = func(v any) {
		switch v := v.(type) {
		case raw:
			b.WriteString(string(v))
		case map[string]any:
			b.WriteByte('{')
			for i, k := range slices.Sorted(maps.Keys(v)) {
				if i > 0 {
					b.WriteByte(',')
				}
				write(k)
				b.WriteByte(':')
				write(v[k])
			}
			b.WriteByte('}')
		case []any:
			b.WriteByte('[')
			for i, e := range v {
				if i > 0 {
					b.WriteByte(',')
				}
				write(e)
			}
			b.WriteByte(']')
		default:
			j, err := json.Marshal(v)
			if err != nil {
				panic(err)
			}
			b.Write(j)
		}
	}
	write(v)
	return b.Bytes()
}

// hostile is one bad value: JSON text for a body, escaped text for a path or a query, a header's
// value as it is.
type hostile struct{ name, text string }

// Sizes of the big hostile values: all fit the 1 MiB body limit.
const (
	deepNesting = 10_000
	longArray   = 100_000
	longString  = 1_000_000
	manyMembers = 50_000
)

// repeat is n copies of s joined by sep.
func repeat(s, sep string, n int) string { return strings.Repeat(s+sep, n-1) + s }

// nested is v inside n levels of arrays and objects, alternating.
func nested(n int, v string) string {
	var open, close strings.Builder
	for i := range n {
		if i%2 == 0 {
			open.WriteString(`{"a":`)
			close.WriteString("}")
		} else {
			open.WriteString("[")
			close.WriteString("]")
		}
	}
	c := []byte(close.String())
	slices.Reverse(c)
	return open.String() + v + string(c)
}

// Hostile JSON values, by the type they attack; every field gets anyJSON.
var (
	anyJSON = []hostile{
		{name: "null", text: `null`},
		{name: "true", text: `true`},
		{name: "0", text: `0`},
		{name: `""`, text: `""`},
		{name: "{}", text: `{}`},
		{name: "[]", text: `[]`},
		{name: "10,000 levels of nesting", text: nested(deepNesting, "1")},
		{name: "100,000 numbers", text: "[" + repeat("0", ",", longArray) + "]"},
	}
	stringJSON = append([]hostile{
		{name: "a NUL character", text: `"a\u0000b"`},
		{name: "a raw NUL byte", text: "\"a\x00b\""},
		{name: "invalid UTF-8", text: "\"\xed\xa0\x80\""},
		{name: "a byte 0xFF", text: "\"a\xffb\""},
		{name: "a lone surrogate", text: `"\ud800"`},
		{name: "control characters", text: `"\u0001\u001f\u2028\u202e"`},
		{name: "blanks", text: `"   "`},
		{name: "a 1,000,000-character string", text: `"` + strings.Repeat("a", longString) + `"`},
		{name: "year 0", text: `"0000-01-01T00:00:00Z"`},
		{name: "year 9999", text: `"9999-12-31T23:59:59Z"`},
		{name: "year 10000 in UTC", text: `"9999-12-31T23:59:59-23:59"`},
		{name: "year 0 in UTC", text: `"0001-01-01T00:00:00+23:59"`},
		{name: "February 30", text: `"2026-02-30T00:00:00Z"`},
		{name: "not a time", text: `"not-a-time"`},
		{name: "the date of year 0", text: `"0000-01-01"`},
		{name: "the date of year 10000", text: `"10000-01-01"`},
		{name: "the date February 30", text: `"2026-02-30"`},
		{name: "a decimal in blanks", text: `" 19.90 "`},
		{name: "a decimal of 21 places", text: `"1.999999999999999999999"`},
		{name: "a 40-digit decimal", text: `"-9999999999999999999999999999999999999.99"`},
		{name: "a tiny decimal", text: `"0.0000000000000000000000000001"`},
		{name: "an unknown enum value", text: `"not-a-value"`},
		{name: "the nil UUID", text: `"00000000-0000-0000-0000-000000000000"`},
		{name: "an unknown UUID", text: `"` + unknownID + `"`},
	}, asIs(`"1e308"`, `"-0"`, `"NaN"`, `"Infinity"`, `"1000000000000000"`, `"1e16"`, `"-1"`)...)
	numberJSON = []hostile{
		{name: "-1", text: `-1`},
		{name: "-0", text: `-0`},
		{name: "0.5", text: `0.5`},
		{name: "2^31-1", text: `2147483647`},
		{name: "2^31", text: `2147483648`},
		{name: "-2^31-1", text: `-2147483649`},
		{name: "2^63-1", text: `9223372036854775807`},
		{name: "2^63", text: `9223372036854775808`},
		{name: "-2^63-1", text: `-9223372036854775809`},
		{name: "2^64", text: `18446744073709551616`},
		{name: "1e308", text: `1e308`},
		{name: "-1e308", text: `-1e308`},
		{name: "1e309", text: `1e309`},
		{name: "5e-324", text: `5e-324`},
		{name: "1e-400", text: `1e-400`},
		{name: "a 30-digit number", text: `123456789012345678901234567890.5`},
		{name: `"1"`, text: `"1"`},
		{name: `"NaN"`, text: `"NaN"`},
	}
	boolJSON   = []hostile{{name: `"true"`, text: `"true"`}, {name: "1", text: `1`}}
	objectJSON = []hostile{
		{name: "a NUL character in a member name", text: `{"a\u0000":1}`},
		{name: "invalid UTF-8 in a member name", text: "{\"\xff\":1}"},
		{name: "a member given twice", text: `{"a":1,"a":2}`},
		{name: "an unknown member", text: `{"sweep_unknown":1}`},
		{name: "a 100,000-character member name", text: `{"` + strings.Repeat("k", 100_000) + `":1}`},
		{name: "50,000 members", text: "{" + manyMembersText() + "}"},
		{name: "12 levels of nesting", text: nested(12, "1")},
	}
	// rootValues are whole bodies, beside anyJSON.
	rootValues = append(slices.Clone(anyJSON),
		hostile{name: "no body", text: ""},
		hostile{name: "a truncated object", text: `{"a":`},
		hostile{name: "two values", text: `{} {}`},
		hostile{name: "a NUL character", text: `"\u0000"`},
		hostile{name: "invalid UTF-8", text: "\xff"},
		hostile{name: "a member given twice", text: `{"a":1,"a":2}`},
		hostile{name: "an unknown member", text: `{"sweep_unknown":1}`},
	)
)

// asIs is values named by their own text.
func asIs(texts ...string) []hostile {
	vs := make([]hostile, len(texts))
	for i, text := range texts {
		vs[i] = hostile{name: text, text: text}
	}
	return vs
}

func manyMembersText() string {
	var b strings.Builder
	for i := range manyMembers {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"k%d":0`, i)
	}
	return b.String()
}

// bodyValues are the hostile values for a body field of schema s: every field gets values of the
// wrong type, nesting and size; strings, numbers, booleans, arrays and objects get their own.
func bodyValues(s *openapi3.Schema) []hostile {
	vs := slices.Clone(anyJSON)
	if s.Type.Permits("string") {
		vs = append(vs, stringJSON...)
		if s.MaxLength != nil {
			n := int(*s.MaxLength)
			vs = append(vs,
				hostile{name: "maxLength characters of 4 bytes", text: `"` + strings.Repeat("😀", n) + `"`},
				hostile{name: "maxLength+1 characters", text: `"` + strings.Repeat("a", n+1) + `"`})
		}
		if len(s.Enum) > 0 {
			vs = append(vs, hostile{name: "an enum value in capitals", text: strings.ToUpper(string(encode(s.Enum[0])))})
		}
	}
	if s.Type.Permits("integer") || s.Type.Permits("number") {
		vs = append(vs, numberJSON...)
		if s.Min != nil {
			vs = append(vs, hostile{name: "minimum-1", text: fmt.Sprint(*s.Min - 1)})
		}
		if s.Max != nil {
			vs = append(vs, hostile{name: "maximum+1", text: fmt.Sprint(*s.Max + 1)})
		}
	}
	if s.Type.Permits("boolean") {
		vs = append(vs, boolJSON...)
	}
	if s.Type.Permits("array") {
		item := "0"
		if s.Items != nil {
			item = string(encode(base(s.Items.Value)))
		}
		if s.MaxItems != nil {
			vs = append(vs, hostile{name: "maxItems+1 items", text: "[" + repeat(item, ",", int(*s.MaxItems)+1) + "]"})
		}
		if len(item)*longArray > 1<<20 {
			item = "{}"
		}
		vs = append(vs,
			hostile{name: "100,000 items", text: "[" + repeat(item, ",", longArray) + "]"},
			hostile{name: "[null]", text: "[null]"})
	}
	if s.Type.Permits("object") {
		vs = append(vs, objectJSON...)
	}
	return vs
}

// queryStrings are whole query strings, for every operation.
var queryStrings = []hostile{
	{name: "an unknown parameter", text: "sweep_unknown=1"},
	{name: "a NUL character in a name", text: "a%00b=1"},
	{name: "invalid UTF-8 in a name", text: "%FF=1"},
	{name: "a broken escape", text: "%zz=1"},
	{name: "10,001 parameters", text: repeat("x=1", "&", 10_001)},
	{name: "separators only", text: "&&=&;"},
}

// pathValues replace a path parameter, escaped.
var pathValues = []hostile{
	{name: "an unknown id", text: unknownID},
	{name: "the nil UUID", text: "00000000-0000-0000-0000-000000000000"},
	{name: "an id in capitals", text: strings.ToUpper(unknownID)},
	{name: "an id in braces", text: "%7B" + unknownID + "%7D"},
	{name: "not a UUID", text: "not-a-uuid"},
	{name: "a NUL character", text: "%00"},
	{name: "invalid UTF-8", text: "%ED%A0%80"},
	{name: "a byte 0xFF", text: "%FF"},
	{name: "an encoded slash", text: "a%2Fb"},
	{name: "a 10,000-character id", text: strings.Repeat("a", 10_000)},
	{name: "1e308", text: "1e308"},
	{name: "-1", text: "-1"},
	{name: "2^63", text: "9223372036854775808"},
}

// queryValues are query strings that give the parameter name hostile values.
func queryValues(name string) []hostile {
	texts := []struct{ name, value string }{
		{"empty", ""},
		{"a NUL character", "a%00b"},
		{"invalid UTF-8", "%ED%A0%80"},
		{"a byte 0xFF", "%FF"},
		{"an overlong NUL", "%C0%80"},
		{"a broken escape", "%zz"},
		{"blanks", "%20%20"},
		{"a 100,000-character value", strings.Repeat("a", 100_000)},
		{"70,000 comma-separated values", repeat("a", ",", 70_000)},
		{"-1", "-1"},
		{"0", "0"},
		{"-0", "-0"},
		{"1.5", "1.5"},
		{"1e308", "1e308"},
		{"NaN", "NaN"},
		{"Infinity", "Infinity"},
		{"2^63", "9223372036854775808"},
		{"a 30-digit number", "123456789012345678901234567890"},
		{"hexadecimal", "0x10"},
		{"year 0", "0000-01-01T00:00:00Z"},
		{"year 9999", "9999-12-31T23:59:59Z"},
		{"year 10000 in UTC", "9999-12-31T23:59:59-23:59"},
		{"year 0 in UTC", "0001-01-01T00:00:00%2B23:59"},
		{"not a time", "not-a-time"},
		{"an unknown enum value", "not-a-value"},
		{"the nil UUID", "00000000-0000-0000-0000-000000000000"},
		{"an unknown UUID", unknownID},
		{"a cursor of garbage", "!!!"},
		{"a cursor with a NUL character", cursor(`{"s":"created_at","d":true,"v":"\u0000","i":"` + unknownID + `"}`)},
		{"a cursor with wrong types", cursor(`{"s":1,"d":"x","v":[],"i":"` + unknownID + `"}`)},
		{"a cursor out of range", cursor(`{"s":"created_at","d":true,"v":"99999-01-01T00:00:00Z","i":"` + unknownID + `"}`)},
		{"a deeply nested cursor", cursor(nested(deepNesting, "1"))},
	}
	var out []hostile
	for _, v := range texts {
		out = append(out, hostile{name: v.name, text: name + "=" + v.value})
	}
	return append(out,
		hostile{name: "given 51 times", text: repeat(name+"=a", "&", 51)},
		hostile{name: "given 1,000 times", text: repeat(name+"=a", "&", 1000)})
}

// sorts are the orders the operation's sort parameter documents.
func (o *operation) sorts() []string {
	var sorts []string
	for _, p := range o.op.Parameters {
		if p.Value.Name == "sort" && p.Value.Schema != nil {
			for _, v := range p.Value.Schema.Value.Enum {
				sorts = append(sorts, fmt.Sprint(v))
			}
		}
	}
	return sorts
}

// cursorValues are forged cursors in each of the documented orders, so that they pass the check
// that a cursor belongs to the requested order and their positions reach the database.
func cursorValues(sorts []string) []hostile {
	positions := append(asIs(`"\u0000"`, `""`, `"NaN"`, `"Infinity"`, `"1e400"`, `"-0"`, `123`, `null`,
		`"0000-01-01T00:00:00Z"`, `"9999-12-31T23:59:59-23:59"`, `"2026-02-30T00:00:00Z"`),
		hostile{name: "1,000 characters", text: `"` + strings.Repeat("a", 1000) + `"`})
	var out []hostile
	for _, sort := range sorts {
		field, desc := strings.TrimPrefix(sort, "-"), strings.HasPrefix(sort, "-")
		for _, v := range positions {
			c := fmt.Sprintf(`{"s":%q,"d":%t,"v":%s,"i":%q}`, field, desc, v.text, unknownID)
			out = append(out, hostile{name: "a cursor in order " + sort + " at " + v.name, text: "sort=" + url.QueryEscape(sort) + "&cursor=" + cursor(c)})
		}
	}
	return out
}

// cursor encodes JSON as the API's cursors are.
func cursor(j string) string { return base64.RawURLEncoding.EncodeToString([]byte(j)) }

// headerValues replace a header parameter's value.
var headerValues = []hostile{
	{name: "a NUL character", text: "a\x00b"},
	{name: "invalid UTF-8", text: "a\xed\xa0\x80"},
	{name: "a byte 0xFF", text: "\xff"},
	{name: "a line break", text: "a\r\nb"},
	{name: "a 100,000-character value", text: strings.Repeat("a", 100_000)},
	{name: "an ETag list", text: repeat(`"x"`, ", ", 10_000)},
	{name: "a weak ETag", text: `W/"sweep"`},
}
