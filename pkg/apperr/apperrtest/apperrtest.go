// Package apperrtest states what a domain test expects of an error: its kind, the fields a
// validation error names, and the sentinel it wraps. It lets a table case say "invalid: score"
// instead of unpacking the error in every test.
package apperrtest

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/rapportcrm/rapport/pkg/apperr"
)

// Want is the error a test case expects; a nil *Want expects none.
type Want struct {
	Kind apperr.Kind
	// Fields are the fields the error names, in any order (a field named twice is listed twice);
	// none for an error without fields.
	Fields []string
	// Is, when set, is a sentinel the error must wrap.
	Is error
}

// Invalid expects a validation error naming exactly these fields.
func Invalid(fields ...string) *Want { return &Want{Kind: apperr.KindInvalid, Fields: fields} }

// Kind expects an error of kind k that names no field.
func Kind(k apperr.Kind) *Want { return &Want{Kind: k} }

// Is expects an error that wraps sentinel and has its kind.
func Is(sentinel error) *Want { return &Want{Kind: apperr.KindOf(sentinel), Is: sentinel} }

func (w *Want) String() string {
	s := kindNames[w.Kind]
	if len(w.Fields) > 0 {
		s += fmt.Sprintf(" %v", w.Fields)
	}
	if w.Is != nil {
		s += fmt.Sprintf(" wrapping %q", w.Is)
	}
	return s
}

var kindNames = map[apperr.Kind]string{
	apperr.KindInternal: "internal", apperr.KindBadRequest: "bad request", apperr.KindInvalid: "invalid",
	apperr.KindUnauthorized: "unauthorized", apperr.KindForbidden: "forbidden", apperr.KindNotFound: "not found",
	apperr.KindConflict: "conflict", apperr.KindPreconditionFailed: "precondition failed", apperr.KindTooLarge: "too large",
	apperr.KindRateLimited: "rate limited", apperr.KindUnavailable: "unavailable",
}

// Fields lists, sorted, the fields the error in err's chain names.
func Fields(err error) []string {
	var names []string
	if e, ok := apperr.As(err); ok {
		for _, f := range e.Fields {
			names = append(names, f.Field)
		}
	}
	slices.Sort(names)
	return names
}

// Check fails the test unless err is what want describes.
func Check(t testing.TB, err error, want *Want) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Fatalf("error %q (%s %v), want none", err, kindNames[apperr.KindOf(err)], Fields(err))
	case want == nil:
		return
	case err == nil:
		t.Fatalf("no error, want %s", want)
	}
	wantFields := slices.Sorted(slices.Values(want.Fields))
	if apperr.KindOf(err) != want.Kind || !slices.Equal(Fields(err), wantFields) || (want.Is != nil && !errors.Is(err, want.Is)) {
		t.Fatalf("error %q (%s %v), want %s", err, kindNames[apperr.KindOf(err)], Fields(err), want)
	}
}
