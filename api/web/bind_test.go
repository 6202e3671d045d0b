package web

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rapportcrm/rapport/pkg/apperr"
)

type sample struct {
	Name   string         `json:"name" validate:"max=5"`
	When   *time.Time     `json:"when,omitempty"`
	Count  int32          `json:"count,omitempty"`
	Items  []sampleItem   `json:"items,omitempty"`
	Fields map[string]any `json:"fields,omitempty"`
}

type sampleItem struct {
	At time.Time `json:"at"`
}

// TestDecodeNamesTheField: every body a client gets wrong answers which field, and how to fix it.
func TestDecodeNamesTheField(t *testing.T) {
	deep := strings.Repeat(`{"a":`, MaxDepth) + `1` + strings.Repeat(`}`, MaxDepth)
	for _, tc := range []struct {
		name, body string
		kind       apperr.Kind
		field, msg string
	}{
		{"a bad time", `{"when":"yesterday"}`, apperr.KindBadRequest, "when", "RFC 3339"},
		{"year zero", `{"when":"0000-01-01T00:00:00Z"}`, apperr.KindBadRequest, "when", "RFC 3339"},
		{"year zero in UTC", `{"when":"0001-01-01T00:00:00+23:59"}`, apperr.KindBadRequest, "when", "years 1 to 9999"},
		{"year 10000 in UTC", `{"when":"9999-12-31T23:59:59-23:59"}`, apperr.KindBadRequest, "when", "years 1 to 9999"},
		{"too many items", `{"items":[` + strings.Repeat(`{},`, MaxEntries) + `{}]}`, apperr.KindTooLarge, "items", "more than 1000 entries"},
		{"too many members", `{"fields":{"k":{` + members(MaxEntries+1) + `}}}`, apperr.KindTooLarge, "fields.k", "more than 1000 entries"},
		{"a bad time in an array", `{"items":[{"at":"2026-01-01T00:00:00Z"},{"at":"2026-13-01"}]}`, apperr.KindBadRequest, "items[1].at", "RFC 3339"},
		{"a number too large", `{"count":2147483648}`, apperr.KindBadRequest, "count", "from -2147483648 to 2147483647"},
		{"a wrong type", `{"name":5}`, apperr.KindBadRequest, "name", "must be a string"},
		{"an unknown field", `{"nmae":"x"}`, apperr.KindBadRequest, "nmae", "not a writable field"},
		{"a field given twice", `{"name":"a","name":"b"}`, apperr.KindBadRequest, "name", "given twice"},
		{"a NUL character", `{"fields":{"k":"a\u0000b"}}`, apperr.KindBadRequest, "fields.k", "NUL"},
		{"a NUL character in a key", `{"fields":{"a\u0000":1}}`, apperr.KindBadRequest, "fields", "NUL"},
		{"invalid UTF-8", "{\"name\":\"\xed\xa0\x80\"}", apperr.KindBadRequest, "name", "UTF-8"},
		{"nesting too deep", `{"fields":` + deep + `}`, apperr.KindBadRequest, "fields" + strings.Repeat(".a", MaxDepth-1), "deeper than"},
		{"a value too long", `{"name":"toolong"}`, apperr.KindInvalid, "name", "at most 5"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var dst sample
			e, ok := apperr.As(Decode([]byte(tc.body), &dst))
			if !ok || e.Kind != tc.kind || len(e.Fields) != 1 || e.Fields[0].Field != tc.field || !strings.Contains(e.Fields[0].Message, tc.msg) {
				t.Fatalf("got %#v, want kind %d on %s: %q", e, tc.kind, tc.field, tc.msg)
			}
		})
	}
	for _, body := range []string{``, `{"name":"a"} {}`, `{"name":`, `[1,2`} {
		if e, ok := apperr.As(Decode([]byte(body), &sample{})); !ok || e.Kind != apperr.KindBadRequest {
			t.Errorf("%q: got %v, want a bad request", body, e)
		}
	}
	if err := Decode([]byte(`{"name":"ok","items":[{"at":"2026-01-01T00:00:00Z"}],"fields":`+strings.Repeat(`{"a":`, MaxDepth-2)+`1`+strings.Repeat(`}`, MaxDepth-2)+`}`), &sample{}); err != nil {
		t.Fatalf("a body at the depth limit: %v", err)
	}
	if err := Decode([]byte(`{"items":[`+strings.Repeat(`{"at":"9999-12-31T23:59:59Z"},`, MaxEntries-1)+`{"at":"0001-01-01T00:00:00Z"}]}`), &sample{}); err != nil {
		t.Fatalf("a body at the entries limit, with the first and last storable times: %v", err)
	}
}

// TestMergePatchRefusesDeepNesting: the depth bound holds before the merge, whose cost it caps.
func TestMergePatchRefusesDeepNesting(t *testing.T) {
	patch := `{"fields":` + strings.Repeat(`{"a":`, 10000) + `1` + strings.Repeat(`}`, 10000) + `}`
	start := time.Now()
	err := MergePatch(sample{Name: "x"}, []byte(patch), &sample{})
	if e, ok := apperr.As(err); !ok || e.Kind != apperr.KindBadRequest {
		t.Fatalf("got %v, want a bad request", err)
	}
	t.Logf("refused in %s", time.Since(start))
}

// members is n distinct JSON object members.
func members(n int) string {
	m := make([]string, n)
	for i := range m {
		m[i] = fmt.Sprintf(`"m%d":%d`, i, i)
	}
	return strings.Join(m, ",")
}
