package opsapi_test

import (
	"context"
	"errors"
	"fmt"
	"html"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/rapportcrm/rapport/api/apitest"
	"github.com/rapportcrm/rapport/api/web"
	"github.com/rapportcrm/rapport/pkg/apperr"
	"github.com/rapportcrm/rapport/pkg/auth"
)

// producibleProblems feeds the one error mapping everything it can be given: every error kind
// (and kinds past the last one declared), the errors of a more specific type, every 4xx and 5xx status Echo can fail with, a
// timeout and an error of no kind. It returns one problem of each type, by type URI.
func producibleProblems() map[string]web.Problem {
	inputs := []error{context.DeadlineExceeded, context.Canceled, errors.New("no kind"), auth.ErrTokenExpired}
	for k := range apperr.Kind(64) {
		inputs = append(inputs, apperr.New(k, "x"))
	}
	for code := 400; code < 600; code++ {
		inputs = append(inputs, echo.NewHTTPError(code))
	}
	byType := map[string]web.Problem{}
	for _, err := range inputs {
		p := web.ProblemFor(err, "/v1/x")
		byType[p.Type] = p
	}
	return byType
}

// TestProblemTypePages fetches the page of every problem type the API can answer with: the
// type URI is a path on this server, and the page there explains it.
func TestProblemTypePages(t *testing.T) {
	env := apitest.New(t)
	problems := producibleProblems()
	if len(problems) < 10 {
		t.Fatalf("only %d problem types: %v", len(problems), slices.Collect(maps.Keys(problems)))
	}
	index := env.Do(t, apitest.Req{Method: "GET", Path: "/problems/"})
	if index.Code != http.StatusOK {
		t.Fatalf("/problems/: %d %s", index.Code, index.Body)
	}
	for uri, p := range problems {
		t.Run(strings.TrimPrefix(uri, web.ProblemBase), func(t *testing.T) {
			if !strings.HasPrefix(uri, web.ProblemBase) {
				t.Fatalf("type %q is not under %s", uri, web.ProblemBase)
			}
			res := env.Do(t, apitest.Req{Method: "GET", Path: uri})
			if res.Code != http.StatusOK || res.Header.Get("Content-Type") != echo.MIMETextHTMLCharsetUTF8 {
				t.Fatalf("GET %s: %d %s %.300s", uri, res.Code, res.Header.Get("Content-Type"), res.Body)
			}
			page := html.UnescapeString(string(res.Body))
			for _, want := range []string{"<h1>" + p.Title + "</h1>", fmt.Sprintf("HTTP status <strong>%d</strong>", p.Status), "<code>" + uri + "</code>", "When it happens", "What to do"} {
				if !strings.Contains(page, want) {
					t.Errorf("the page of %s lacks %q:\n%s", uri, want, page)
				}
			}
			if !strings.Contains(string(index.Body), `href="`+uri+`"`) {
				t.Errorf("/problems/ does not link %s", uri)
			}
		})
	}
	var listed []string
	for _, pt := range web.ProblemTypes() {
		listed = append(listed, pt.URI())
	}
	if produced := slices.Sorted(maps.Keys(problems)); !slices.Equal(slices.Sorted(slices.Values(listed)), produced) {
		t.Errorf("the pages list %q, the API answers with %q", listed, produced)
	}
}

// TestProblemTypeResolves follows a real answer's type the way RFC 9457 says, resolved against
// the request's URL, to its page; an unknown slug is a 404 problem.
func TestProblemTypeResolves(t *testing.T) {
	env := apitest.New(t)
	res := env.Do(t, apitest.Req{Method: "GET", Path: "/v1/customers"})
	typ, _ := res.Map(t)["type"].(string)
	ref, err := url.Parse(typ)
	if res.Code != http.StatusUnauthorized || err != nil {
		t.Fatalf("unauthenticated list: %d %s", res.Code, res.Body)
	}
	resolved := (&url.URL{Scheme: "https", Host: "crm.acme.example", Path: "/v1/customers"}).ResolveReference(ref)
	if resolved.String() != "https://crm.acme.example/problems/unauthorized" {
		t.Errorf("type %q resolves to %s", typ, resolved)
	}
	if page := env.Do(t, apitest.Req{Method: "GET", Path: resolved.Path}); page.Code != http.StatusOK || !strings.Contains(string(page.Body), "<h1>Unauthorized</h1>") {
		t.Errorf("GET %s: %d %.300s", resolved.Path, page.Code, page.Body)
	}

	for _, path := range []string{"/problems/no-such-thing", "/problems/Validation"} {
		res := env.Do(t, apitest.Req{Method: "GET", Path: path})
		if res.Code != http.StatusNotFound || res.Map(t)["type"] != "/problems/not-found" {
			t.Errorf("GET %s: %d %s", path, res.Code, res.Body)
		}
	}
}
