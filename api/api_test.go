package api_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/rapportcrm/rapport/api/apitest"
)

func TestIdempotencyKey(t *testing.T) {
	env := apitest.New(t)
	s := env.Signup(t, "Acme")
	key := map[string]string{"Idempotency-Key": "order-42"}
	body := map[string]any{"email": "idem@example.com"}

	first := env.Do(t, apitest.Req{Method: "POST", Path: "/v1/customers", Token: s.Access, Body: body, Header: key})
	again := env.Do(t, apitest.Req{Method: "POST", Path: "/v1/customers", Token: s.Access, Body: body, Header: key})
	if first.Code != http.StatusCreated || again.Code != http.StatusCreated || string(first.Body) != string(again.Body) {
		t.Fatalf("replay differs: %d %s / %d %s", first.Code, first.Body, again.Code, again.Body)
	}
	if again.Header.Get("Idempotent-Replayed") != "true" || again.Header.Get("Location") != first.Header.Get("Location") {
		t.Errorf("replay headers: %v", again.Header)
	}
	list := env.Do(t, apitest.Req{Method: "GET", Path: "/v1/customers", Token: s.Access}).Map(t)
	if n := len(list["data"].([]any)); n != 1 {
		t.Fatalf("the retry did the work again: %d customers", n)
	}
	if res := env.Do(t, apitest.Req{Method: "POST", Path: "/v1/customers", Token: s.Access, Body: map[string]any{"email": "other@example.com"}, Header: key}); res.Code != http.StatusUnprocessableEntity {
		t.Errorf("same key, other body: %d", res.Code)
	}
	// A failed request is kept too: its retry answers the same error without running again.
	bad := map[string]string{"Idempotency-Key": "bad-1"}
	r1 := env.Do(t, apitest.Req{Method: "POST", Path: "/v1/customers", Token: s.Access, Body: map[string]any{"email": "idem@example.com"}, Header: bad})
	r2 := env.Do(t, apitest.Req{Method: "POST", Path: "/v1/customers", Token: s.Access, Body: map[string]any{"email": "idem@example.com"}, Header: bad})
	if r1.Code != http.StatusConflict || r2.Code != http.StatusConflict || r2.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("replayed conflict: %d %d", r1.Code, r2.Code)
	}
	// Keys belong to their caller: another user's same key is a new request.
	other := env.AddUser(t, s, "agent@acme.example", "agent")
	if res := env.Do(t, apitest.Req{Method: "POST", Path: "/v1/customers", Token: other.Access, Body: map[string]any{"email": "agent-made@example.com"}, Header: key}); res.Code != http.StatusCreated {
		t.Errorf("another caller's key: %d", res.Code)
	}
}

// TestIdempotencyInFlight sends the same key concurrently: exactly one runs, the others answer
// the first response or 409 while it runs; never a second customer.
func TestIdempotencyInFlight(t *testing.T) {
	env := apitest.New(t)
	s := env.Signup(t, "Acme")
	codes := env.Race(t, 8, func(int) apitest.Req {
		return apitest.Req{Method: "POST", Path: "/v1/customers", Token: s.Access, Body: map[string]any{"email": "race@example.com"},
			Header: map[string]string{"Idempotency-Key": "race"}}
	})
	for _, c := range codes {
		if c != http.StatusCreated && c != http.StatusConflict {
			t.Errorf("codes %v", codes)
		}
	}
	list := env.Do(t, apitest.Req{Method: "GET", Path: "/v1/customers", Token: s.Access}).Map(t)
	if n := len(list["data"].([]any)); n != 1 {
		t.Fatalf("%d customers created", n)
	}
}

func TestRateLimit(t *testing.T) {
	env := apitest.NewWith(t, apitest.Options{RateLimit: 0.01, RateBurst: 5})
	s := env.Signup(t, "Acme") // the signup and the /me in it spend two tokens: one as the IP, one as the user
	var last *apitest.Response
	for i := 0; i < 6; i++ {
		last = env.Do(t, apitest.Req{Method: "GET", Path: "/v1/customers", Token: s.Access})
		if last.Header.Get("RateLimit-Limit") != "5" || last.Header.Get("RateLimit-Remaining") == "" || last.Header.Get("RateLimit-Reset") == "" {
			t.Fatalf("headers: %v", last.Header)
		}
	}
	if last.Code != http.StatusTooManyRequests || last.Header.Get("Retry-After") == "" {
		t.Fatalf("6th request over a burst of 5: %d %v", last.Code, last.Header)
	}
	other := env.Signup(t, "Other")
	if res := env.Do(t, apitest.Req{Method: "GET", Path: "/v1/customers", Token: other.Access}); res.Code != http.StatusOK {
		t.Fatalf("another caller has its own bucket: %d", res.Code)
	}
}

func TestProtocolErrors(t *testing.T) {
	env := apitest.New(t)
	s := env.Signup(t, "Acme")
	big := `{"first_name": "` + strings.Repeat("x", 2<<20) + `"}`
	for _, tc := range []struct {
		name   string
		req    apitest.Req
		status int
	}{
		{"unknown route", apitest.Req{Method: "GET", Path: "/v1/nothing-here", Token: s.Access}, 404},
		{"unknown root route", apitest.Req{Method: "GET", Path: "/nothing"}, 404},
		{"wrong method", apitest.Req{Method: "PUT", Path: "/v1/customers", Token: s.Access, Body: map[string]any{}}, 405},
		{"body too large", apitest.Req{Method: "POST", Path: "/v1/customers", Token: s.Access, Body: big}, 413},
		{"batch body too large", apitest.Req{Method: "POST", Path: "/v1/customers/batch", Token: s.Access, Body: strings.Repeat(big, 9)}, 413},
		{"idempotent body too large", apitest.Req{Method: "POST", Path: "/v1/customers", Token: s.Access, Body: big, Header: map[string]string{"Idempotency-Key": "k"}}, 413},
		{"no credentials", apitest.Req{Method: "GET", Path: "/v1/customers"}, 401},
		{"not bearer", apitest.Req{Method: "GET", Path: "/v1/customers", Header: map[string]string{"Authorization": "Basic YTpi"}}, 401},
		{"empty body", apitest.Req{Method: "POST", Path: "/v1/customers", Token: s.Access, Body: " "}, 400},
		{"bad If-Match", apitest.Req{Method: "PATCH", Path: "/v1/customers/01a21609-0000-7000-8000-000000000000", Token: s.Access, Body: map[string]any{}, Header: map[string]string{"If-Match": "nonsense"}}, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if res := env.Do(t, tc.req); res.Code != tc.status {
				t.Fatalf("got %d, want %d: %.300s", res.Code, tc.status, res.Body)
			}
		})
	}
	res := env.Do(t, apitest.Req{Method: "GET", Path: "/v1/me", Token: s.Access, Header: map[string]string{"X-Request-Id": "trace-me-123"}})
	if res.Header.Get("X-Request-Id") != "trace-me-123" {
		t.Errorf("request id not echoed: %q", res.Header.Get("X-Request-Id"))
	}
}

func TestPanicIsAProblem(t *testing.T) {
	env := apitest.New(t)
	env.Echo.GET("/boom", func(echo.Context) error { panic("kaboom: SELECT secret FROM t") })
	res := env.Do(t, apitest.Req{Method: "GET", Path: "/boom"})
	if res.Code != http.StatusInternalServerError || strings.Contains(string(res.Body), "kaboom") {
		t.Fatalf("panic: %d %s", res.Code, res.Body)
	}
	env.Echo.GET("/fail", func(echo.Context) error { return errors.New(`pq: relation "customers" does not exist`) })
	if res := env.Do(t, apitest.Req{Method: "GET", Path: "/fail"}); res.Code != 500 || strings.Contains(string(res.Body), "relation") {
		t.Fatalf("internal error leaks: %s", res.Body)
	}
}

// TestDatabaseDown closes the pool under a running server: requests answer 503 problems, not hangs or panics.
func TestDatabaseDown(t *testing.T) {
	env := apitest.New(t)
	s := env.Signup(t, "Acme")
	if res := env.Do(t, apitest.Req{Method: "GET", Path: "/readyz"}); res.Code != http.StatusOK {
		t.Fatalf("readyz: %d", res.Code)
	}
	env.DB.Close()
	for _, r := range []apitest.Req{
		{Method: "GET", Path: "/readyz"},
		{Method: "GET", Path: "/v1/customers", Token: s.Access},
		{Method: "POST", Path: "/v1/auth/login", Body: map[string]string{"email": s.Email, "password": s.Password}},
	} {
		if res := env.Do(t, r); res.Code != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" {
			t.Errorf("%s %s with the database down: %d %v %s", r.Method, r.Path, res.Code, res.Header, res.Body)
		}
	}
	if res := env.Do(t, apitest.Req{Method: "GET", Path: "/healthz"}); res.Code != http.StatusOK {
		t.Errorf("healthz is about the process: %d", res.Code)
	}
}

func TestOperations(t *testing.T) {
	env := apitest.New(t)
	env.Do(t, apitest.Req{Method: "GET", Path: "/v1/customers"})
	for path, want := range map[string]string{
		"/metrics":         `rapport_http_request_duration_seconds_count{method="GET",route="/v1/customers",status="401"} 1`,
		"/openapi.json":    `"openapi": "3.0.3"`,
		"/docs":            `url: "/openapi.json"`,
		"/docs/index.html": `url: "/openapi.json"`,
	} {
		res := env.Do(t, apitest.Req{Method: "GET", Path: path})
		if res.Code != http.StatusOK || !strings.Contains(string(res.Body), want) {
			t.Errorf("%s: %d, want %q in %.200s", path, res.Code, want, res.Body)
		}
	}
}
