package event

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
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

// TestEveryRecordedTypeIsListed reads the domain packages' sources: every event type they record
// must be in Types, or the timeline and the feed would refuse to filter by it.
func TestEveryRecordedTypeIsListed(t *testing.T) {
	literal := regexp.MustCompile(`"((?:api_key|contact|customer|feedback|feedback_sla|loyalty|loyalty_program|loyalty_reward|organization|purchase|user)\.[a-z_]+)"`)
	loyaltyLine := regexp.MustCompile(`"loyalty\."\s*\+`)
	files, _ := filepath.Glob("../*/*.go")
	found := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || strings.Contains(f, "/event/") || strings.Contains(f, "/storage/") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range literal.FindAllSubmatch(src, -1) {
			found++
			if !slices.Contains(Types, string(m[1])) {
				t.Errorf("%s records %s, which Types does not list", f, m[1])
			}
		}
		if loyaltyLine.Match(src) { // ledger lines record "loyalty." + their type
			for _, typ := range []string{"earn", "redeem", "adjust", "reverse", "expire"} {
				if !slices.Contains(Types, "loyalty."+typ) {
					t.Errorf("loyalty.%s is not listed", typ)
				}
			}
		}
	}
	if found < 25 {
		t.Fatalf("found only %d event types in the sources: the pattern is stale", found)
	}
}

func TestPatterns(t *testing.T) {
	got, err := Patterns("customer.created, purchase.*,customer.created")
	if err != nil || !reflect.DeepEqual(got, []string{"customer.created", "purchase.created", "purchase.refunded"}) {
		t.Fatalf("Patterns = %v, %v", got, err)
	}
	for _, bad := range []string{"foo", "customer.*x", "*", "customers.*"} {
		if _, err := Patterns(bad); err == nil {
			t.Errorf("%q was accepted", bad)
		}
	}
}
