package web_test

import (
	"bytes"
	"encoding/base64"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/go-json-experiment/json"
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/rapportcrm/rapport/api/customerapi"
	"github.com/rapportcrm/rapport/api/purchaseapi"
	"github.com/rapportcrm/rapport/api/web"
	"github.com/rapportcrm/rapport/pkg/apperr"
	"github.com/rapportcrm/rapport/pkg/page"
)

// The fuzz targets below hold web's parsers to what the API promises of any input: no panic, an
// error the API answers with a 4xx, and, when the input is taken, a value that keeps its contract.
// CI runs each for a bounded time (.ci/run); go test runs their seeds and testdata/fuzz.

// clientError fails unless err is nil or an *apperr.Error that answers a 4xx.
func clientError(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if _, ok := apperr.As(err); !ok {
		t.Fatalf("%T is not an *apperr.Error: %v", err, err)
	}
	if p := web.ProblemFor(err, "/"); p.Status < 400 || p.Status > 499 {
		t.Fatalf("answers %d: %v", p.Status, err)
	}
}

// roundTrip decodes body into a T and, if that succeeds, checks that the value written out as
// the server answers it (times in UTC) decodes again, to the same.
func roundTrip[T any](t *testing.T, body []byte) {
	t.Helper()
	var first T
	err := web.Decode(body, &first)
	clientError(t, err)
	if err != nil {
		return
	}
	written := marshal(t, first)
	var again T
	if err := web.Decode(written, &again); err != nil {
		t.Fatalf("%s decoded, but not as written back, %s: %v", body, written, err)
	}
	if rewritten := marshal(t, again); !bytes.Equal(written, rewritten) {
		t.Fatalf("%s decoded as %s, then as %s", body, written, rewritten)
	}
}

// marshal writes v as JSON with its times in UTC, as the server keeps and answers them.
func marshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v, json.Deterministic(true), json.WithMarshalers(json.MarshalFunc(func(t time.Time) ([]byte, error) { return t.UTC().MarshalJSON() })))
	if err != nil {
		t.Fatalf("marshal %#v: %v", v, err)
	}
	return b
}

// FuzzDecode: request binding, into the richest request types (times, decimals, UUIDs, nested
// objects, arrays of objects, free-form custom fields).
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		`{"first_name":"Grace","last_name":"Hopper","email":"grace@example.com","tags":["vip"],"birthday":"1906-12-09",
		  "address":{"country":"DE","city":"Berlin"},"acquisition_cost":{"amount":"19.90","currency":"EUR"},
		  "custom_fields":{"tier":"gold","n":1.5,"list":[1,"a",null,{"x":true}],"deep":{"a":{"b":{"c":[]}}}}}`,
		`{"amount":"19.90","currency":"EUR","occurred_at":"2026-01-02T15:04:05+01:00","items":[{"unit_price":"9.95","quantity":2}]}`,
		`{"occurred_at":"9999-12-31T23:59:59-23:59","amount":"1"}`,
		`{"occurred_at":"0001-01-01T00:00:00+23:59","amount":"1"}`,
		`{"first_name":"a\u0000b"}`,
		"{\"first_name\":\"\xed\xa0\x80\"}",
		`{"first_name":"\ud800"}`,
		`{"custom_fields":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":1}}}}}}}}}}}}`,
		`{"tags":[` + strings.Repeat(`"t",`, 1000) + `"t"]}`,
		`{"first_name":"a","first_name":"b"}`,
		`{"id":"0193b4e0-7a2c-7d1e-8f00-000000000000"}`,
		`{"items":[{"unit_price":"1","quantity":9223372036854775808}],"amount":"1e400"}`,
		`{"custom_fields":{"big":123456789012345678901234567890,"neg":-0,"tiny":5e-324}}`,
		`{"marketing_consent":"true","tags":"vip","address":[]}`,
		`{"email":"x@y.z"} {}`, `{"email":`, `null`, `[]`, `""`, ``, `{}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		roundTrip[customerapi.CustomerInput](t, body)
		roundTrip[purchaseapi.PurchaseInput](t, body)
	})
}

// stored is a customer as a PATCH finds it.
var stored = customerapi.CustomerInput{FirstName: "Grace", LastName: "Hopper", Email: "grace@example.com", Tags: []string{"vip"},
	Address: &customerapi.Address{City: "Arlington", Country: "US"}, AcquisitionCost: &customerapi.Money{Amount: "19.90", Currency: "EUR"},
	CustomFields: map[string]any{"tier": "gold", "visits": 3.0, "prefs": map[string]any{"mail": true, "langs": []any{"en", "de"}}}}

// FuzzMergePatch: a JSON merge patch applied to a stored customer. Merge patches are idempotent
// (RFC 7396): a patch applied to its own result changes nothing, and {} changes nothing at all.
func FuzzMergePatch(f *testing.F) {
	for _, seed := range []string{
		`{}`, `{"first_name":null}`, `{"last_name":"Lovelace","tags":["a","b"]}`, `{"address":{"city":"Berlin","region":null}}`,
		`{"custom_fields":{"tier":null,"new":{"a":[1,2]},"prefs":{"mail":false}}}`, `{"custom_fields":null}`,
		`{"acquisition_cost":{"amount":"-0.5"}}`, `{"acquisition_cost":null}`, `{"email":"not an email"}`, `{"id":"x"}`,
		`{"custom_fields":{"a":{"b":{"c":{"d":{"e":{"f":{"g":{"h":{"i":{"j":1}}}}}}}}}}}`, `{"custom_fields":{"a\u0000":1}}`,
		`[]`, `null`, `{"tags":null,"interests":[]}`, `{"first_name":"a"} x`, ` {"first_name":"b"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, patch []byte) {
		var once customerapi.CustomerInput
		err := web.MergePatch(stored, patch, &once)
		clientError(t, err)
		if err != nil {
			return
		}
		var twice customerapi.CustomerInput
		if err := web.MergePatch(once, patch, &twice); err != nil {
			t.Fatalf("%s applied once, but not to its result: %v", patch, err)
		}
		if a, b := marshal(t, once), marshal(t, twice); !bytes.Equal(a, b) {
			t.Fatalf("%s applied once: %s; twice: %s", patch, a, b)
		}
		if string(bytes.TrimSpace(patch)) == "{}" && !bytes.Equal(marshal(t, once), marshal(t, stored)) {
			t.Fatalf("{} changed the customer: %s", marshal(t, once))
		}
	})
}

var router = echo.New()

// query reads a raw query string as a list handler does.
func query(raw string, filters ...string) *web.Query {
	req := httptest.NewRequest("GET", "/", nil)
	req.URL.RawQuery = raw
	return web.NewQuery(router.NewContext(req, httptest.NewRecorder()), filters...)
}

// sortFields and defaultSort are those of a list the fuzz targets read.
var sortFields, defaultSort = []string{"created_at", "last_name", "clv"}, "-created_at"

// FuzzQuery: a list's query string read with every typed getter. When the query is taken, each
// value is within what its getter promises, and no parameter was left unread.
func FuzzQuery(f *testing.F) {
	for _, seed := range []string{
		"", "limit=10&sort=-created_at", "q=ada&tag=vip&tag=new", "status=active&as_of=2026-01-01T00:00:00Z",
		"min_risk=0.5&months=6&customer_id=0193b4e0-7a2c-7d1e-8f00-000000000000", "q=%00", "q=%ED%A0%80", "%zz", "limit=201",
		"as_of=9999-12-31T23:59:59-23:59", "as_of=1969-12-31T23:59:59Z", "created_after=0001-01-01T00:00:00%2B23:59",
		"min_risk=NaN", "min_risk=-0", "months=9223372036854775808", "sort=last_name&cursor=" + cursorText(`{"s":"last_name","v":"Hopper","i":"0193b4e0-7a2c-7d1e-8f00-000000000000"}`),
		"tag=" + strings.Repeat("a", 2001), strings.Repeat("tag=a&", 51), "q= padded ", "q=a&q=b", "unknown=1", ";", "&&=&",
	} {
		f.Add(seed)
	}
	statuses := []string{"active", "churned"}
	f.Fuzz(func(t *testing.T, raw string) {
		q := query(raw, "q", "tag", "status", "created_after", "as_of", "min_risk", "months", "customer_id")
		text, tags, status := q.String("q"), q.Strings("tag"), web.Enum(q, "status", statuses)
		after, asOf := q.Time("created_after"), q.TimeSince("as_of", web.ReportEpoch)
		risk, months, _ := q.Float("min_risk", 0, 1), q.Int("months", 1, 120), q.UUID("customer_id")
		req := q.Page(sortFields, defaultSort)
		err := q.Err()
		clientError(t, err)
		if err != nil {
			return
		}
		for _, s := range append(tags, text) {
			if !web.Printable(s) || len(s) > web.MaxValueBytes {
				t.Fatalf("%q: took the text %q", raw, s)
			}
		}
		switch {
		case status != "" && !slices.Contains(statuses, status):
			t.Fatalf("%q: status %q", raw, status)
		case after != nil && !web.Storable(*after), asOf != nil && (!web.Storable(*asOf) || asOf.Before(web.ReportEpoch)):
			t.Fatalf("%q: times %v %v", raw, after, asOf)
		case risk != nil && !(*risk >= 0 && *risk <= 1), months != nil && (*months < 1 || *months > 120):
			t.Fatalf("%q: numbers %v %v", raw, risk, months)
		}
		keepsPage(t, raw, req)
		values, _ := url.ParseQuery(raw)
		for name := range values {
			if !slices.Contains([]string{"q", "tag", "status", "created_after", "as_of", "min_risk", "months", "customer_id", "limit", "cursor", "sort"}, name) {
				t.Fatalf("%q: the parameter %q was taken unread", raw, name)
			}
		}
	})
}

// keepsPage fails unless req is a page request the stores can run: a limit in range, a known sort,
// and a position, if any, in the same order with text a database can hold.
func keepsPage(t *testing.T, raw string, req page.Request) {
	t.Helper()
	if req.Limit < 1 || req.Limit > web.MaxLimit || !slices.Contains(sortFields, req.Sort) {
		t.Fatalf("%q: page %+v", raw, req)
	}
	if a := req.After; a != nil && (a.ID == uuid.Nil || a.Sort != req.Sort || a.Desc != req.Desc || !web.Printable(a.Value)) {
		t.Fatalf("%q: position %+v for %+v", raw, *a, req)
	}
}

// cursorText encodes JSON as the API's cursors are.
func cursorText(j string) string { return base64.RawURLEncoding.EncodeToString([]byte(j)) }

// FuzzCursor: the keyset cursor. Any text, and any JSON in a cursor's encoding, is either refused
// (400) or a position in the requested order; and a cursor the API issues for a position reads back
// as that position.
func FuzzCursor(f *testing.F) {
	id := "0193b4e0-7a2c-7d1e-8f00-000000000000"
	for _, seed := range []struct {
		cursor, value string
		desc          bool
	}{
		{`{"s":"last_name","v":"O'Brien \u003cb\u003e","i":"` + id + `"}`, "O'Brien <b>", false},
		{`{"s":"created_at","d":true,"v":"2026-01-02T15:04:05.123456Z","i":"` + id + `"}`, "2026-01-02T15:04:05Z", true},
		{`{"s":"clv","v":"1e308","i":"` + id + `"}`, "-0", false},
		{`{"s":"last_name","v":"Hopper","i":"00000000-0000-0000-0000-000000000000"}`, "", true},
		{`{"s":"last_name","v":123,"i":"` + id + `"}`, "é😀", false},
		{`{"s":"last_name","d":"x","v":null}`, strings.Repeat("Ω", 300), true},
		{`{}`, "<>&", false}, {`null`, "\u2028", true}, {`[`, "a\x00b", false}, {"", "\xff", true},
	} {
		f.Add([]byte(seed.cursor), seed.value, seed.desc)
	}
	f.Fuzz(func(t *testing.T, cursor []byte, value string, desc bool) {
		sort := map[bool]string{false: "last_name", true: "-last_name"}[desc]
		for _, text := range []string{cursorText(string(cursor)), string(cursor)} {
			raw := "sort=" + sort + "&cursor=" + url.QueryEscape(text)
			q := query(raw)
			req := q.Page(sortFields, defaultSort)
			err := q.Err()
			clientError(t, err)
			if err == nil {
				keepsPage(t, raw, req)
			}
		}

		// A position of a stored row: its sort value is text a database holds.
		if !utf8.ValidString(value) || strings.IndexByte(value, 0) >= 0 {
			return
		}
		key := page.Key{Sort: "last_name", Desc: desc, Value: value, ID: uuid.NewSHA1(uuid.NameSpaceOID, []byte(value))}
		issued := web.NewPage(page.Result[int]{Next: &key}, func(int) int { return 0 }).NextCursor
		q := query("sort=" + sort + "&cursor=" + url.QueryEscape(*issued))
		req := q.Page(sortFields, defaultSort)
		err := q.Err()
		if len(*issued) > web.MaxValueBytes {
			clientError(t, err) // a cursor too long to be taken back is refused, not misread
			return
		}
		if err != nil || req.After == nil || *req.After != key {
			t.Fatalf("issued %s for %+v, read back %+v (%v)", *issued, key, req.After, err)
		}
	})
}
