package web_test

import (
	"testing"

	"github.com/rapportcrm/rapport/api/web"
)

func TestNegotiate(t *testing.T) {
	offers := []string{"application/json", "image/svg+xml", "image/png"}
	for _, tc := range []struct{ accept, want string }{
		{"", "application/json"},
		{"*/*", "application/json"},
		{"image/*", "image/svg+xml"},
		{"IMAGE/PNG", "image/png"},
		{"image/png;q=0.9, image/svg+xml;q=0.8", "image/png"},
		{"image/*;q=0.5, image/png", "image/png"},
		{"image/*, image/svg+xml;q=0", "image/png"},          // the most specific range decides
		{"application/json;q=0, */*;q=0.1", "image/svg+xml"}, // ruled out, the next wins
		{"application/json; charset=utf-8; q=0.2, image/png; q=0.3", "image/png"},
		{"image/png;q=abc, application/json", "application/json"}, // a bad q drops its range
		{"text/html", ""},
		{"image/*;q=0", ""},
		{"nonsense, */png", ""},
	} {
		got, ok := web.Negotiate(tc.accept, offers...)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("Accept %q: %q %v, want %q", tc.accept, got, ok, tc.want)
		}
	}
}
