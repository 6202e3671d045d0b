package event

import (
	"reflect"
	"testing"
)

func TestDiff(t *testing.T) {
	before := map[string]any{"name": "Ada", "tags": []string{"a"}, "owner": nil, "same": 1}
	after := map[string]any{"name": "Ada L", "tags": []string{"a", "b"}, "owner": "u1", "same": 1}
	want := map[string]Change{
		"name":  {Old: "Ada", New: "Ada L"},
		"tags":  {Old: []string{"a"}, New: []string{"a", "b"}},
		"owner": {Old: nil, New: "u1"},
	}
	if got := Diff(before, after); !reflect.DeepEqual(got, want) {
		t.Fatalf("Diff = %v", got)
	}
	if got := Diff(after, after); len(got) != 0 {
		t.Fatalf("no change: %v", got)
	}
	if got := Diff(nil, map[string]any{"a": 1}); !reflect.DeepEqual(got, map[string]Change{"a": {Old: nil, New: 1}}) {
		t.Fatalf("creation: %v", got)
	}
}
