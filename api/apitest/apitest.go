// Package apitest runs the real router on a fresh database and checks every response it sees
// against the published OpenAPI document, so that a response the document does not describe
// fails the test.
package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/crypto/bcrypt"

	"github.com/rapportcrm/rapport/cmd/rapport/app"
	"github.com/rapportcrm/rapport/docs"
	"github.com/rapportcrm/rapport/pkg/job"
	"github.com/rapportcrm/rapport/pkg/queue"
	"github.com/rapportcrm/rapport/pkg/redisx"
	"github.com/rapportcrm/rapport/pkg/storage"
	"github.com/rapportcrm/rapport/pkg/storage/storagetest"
)

// Secret signs the test server's tokens.
var Secret = []byte("test-secret-test-secret-test-secret!")

// Env is the application, as cmd/rapport wires it, on a fresh database.
type Env struct {
	t    *testing.T
	App  *app.App
	Echo *echo.Echo
	DB   *storage.DB
	// Registry holds the instance's metrics.
	Registry *prometheus.Registry
	router   routers.Router
	// working starts the background work once (Work).
	working sync.Once
}

// Options change the server a test gets.
type Options struct {
	RateLimit     float64
	RateBurst     int
	LoginAttempts int
	// AuthFailures is the budget of failed credentials per client address; default 1,000.
	AuthFailures int
	// TrustedProxies are the networks whose X-Forwarded-For the server believes.
	TrustedProxies []*net.IPNet
	SignupClosed   bool
	AccessTTL      time.Duration
	// Now is the clock of services that compute deadlines (complaint SLAs); default the real one.
	Now func() time.Time
	// AuthCacheTTL is how long a user or API key is cached; default 5 s.
	AuthCacheTTL time.Duration
	// RedisURL, when set, makes the instance share its limits and invalidations through that
	// Redis, under RedisPrefix (redistest.Prefix gives a test its own).
	RedisURL, RedisPrefix string
	// Log receives the instance's logs; discarded when nil.
	Log *slog.Logger
	// Jobs tunes the job queue; by default it looks for jobs every 20 ms.
	Jobs queue.Config
}

// New returns a server with generous limits.
func New(t *testing.T) *Env { return NewWith(t, Options{}) }

// NewWith returns a server with the given options.
func NewWith(t *testing.T, o Options) *Env {
	t.Helper()
	return NewOn(t, storagetest.New(t), o)
}

// Sibling returns another instance, as a second pod would be, over e's database: its own router,
// caches and in-memory limits, and o's options (the same Redis to agree through, or none).
func (e *Env) Sibling(t *testing.T, o Options) *Env {
	t.Helper()
	return NewOn(t, e.DB, o)
}

// NewOn returns a server over db, a database that another server may share (two instances).
func NewOn(t *testing.T, db *storage.DB, o Options) *Env {
	t.Helper()
	if o.RateLimit == 0 {
		o.RateLimit, o.RateBurst = 1e6, 1e6
	}
	if o.LoginAttempts == 0 {
		o.LoginAttempts = 1000
	}
	if o.AuthFailures == 0 {
		o.AuthFailures = 1000
	}
	if o.AccessTTL == 0 {
		o.AccessTTL = 15 * time.Minute
	}
	if o.AuthCacheTTL == 0 {
		o.AuthCacheTTL = 5 * time.Second
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	var rdb *redisx.Client
	if o.RedisURL != "" {
		var err error
		if rdb, err = redisx.Open(o.RedisURL, o.RedisPrefix, o.Log); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { rdb.Close() })
	}
	if o.Jobs.PollInterval == 0 {
		o.Jobs.PollInterval = 20 * time.Millisecond
	}
	o.Jobs.TestOnly = true
	registry := prometheus.NewRegistry()
	a, err := app.New(db, app.Config{
		JWTSecret: Secret, SignupOpen: !o.SignupClosed, AccessTokenTTL: o.AccessTTL, RefreshTokenTTL: time.Hour,
		BcryptCost: bcrypt.MinCost, LoginAttempts: o.LoginAttempts, AuthCacheTTL: o.AuthCacheTTL, DefaultRegion: "US",
		RateLimit: o.RateLimit, RateBurst: o.RateBurst, AuthFailures: o.AuthFailures, TrustedProxies: o.TrustedProxies, RequestTimeout: 30 * time.Second, Now: o.Now,
		Redis: rdb, Jobs: o.Jobs,
	}, o.Log, registry)
	if err != nil {
		t.Fatal(err)
	}
	a.Echo.JSONSerializer = sameAsStd{t: t, JSONSerializer: a.Echo.JSONSerializer}
	return &Env{t: t, App: a, Echo: a.Echo, DB: db, Registry: registry, router: contractRouter(t)}
}

// sameAsStd fails the test when the server's JSON encoder writes an answer otherwise than
// encoding/json would.
type sameAsStd struct {
	t *testing.T
	echo.JSONSerializer
}

func (s sameAsStd) Serialize(c echo.Context, i any, indent string) error {
	var want bytes.Buffer
	enc := json.NewEncoder(&want)
	enc.SetIndent("", indent)
	if err := enc.Encode(i); err != nil {
		return err
	}
	res := c.Response()
	got := &bytes.Buffer{}
	writer := res.Writer
	res.Writer = teeWriter{writer, got}
	defer func() { res.Writer = writer }()
	if err := s.JSONSerializer.Serialize(c, i, indent); err != nil {
		return err
	}
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		s.t.Errorf("%s %s: the JSON encoder wrote\n%.2000s\nwhere encoding/json writes\n%.2000s", c.Request().Method, c.Request().URL, got, want.Bytes())
	}
	return nil
}

// teeWriter copies what a response writes.
type teeWriter struct {
	http.ResponseWriter
	copy *bytes.Buffer
}

func (w teeWriter) Write(b []byte) (int, error) {
	w.copy.Write(b)
	return w.ResponseWriter.Write(b)
}

// Metric is the sum of the named metric's series in the instance's registry; zero when it has none.
func (e *Env) Metric(t *testing.T, name string) float64 {
	t.Helper()
	families, err := e.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return sum
}

// Work starts the server's background work (River's client: the queued jobs, the periodic
// tasks) for the rest of the test; once is enough.
func (e *Env) Work(t *testing.T) {
	t.Helper()
	e.working.Do(func() {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- e.App.Run(ctx) }()
		t.Cleanup(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("background work: %v", err)
			}
		})
	})
}

// WaitJob works the queued jobs until the job of that id has finished, and answers it as
// GET /v1/jobs/{id} does.
func (e *Env) WaitJob(t *testing.T, token, id string) map[string]any {
	t.Helper()
	e.Work(t)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		j := e.Expect(t, token, "GET", "/v1/jobs/"+id, nil, 200)
		if j["status"] == string(job.StatusSucceeded) || j["status"] == string(job.StatusFailed) {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s still %s after 2 minutes", id, j["status"])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func contractRouter(t *testing.T) routers.Router {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(docs.OpenAPI)
	if err != nil {
		t.Fatalf("load OpenAPI document: %v", err)
	}
	doc.Servers = openapi3.Servers{{URL: "http://example.com/v1"}}
	r, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatalf("route OpenAPI document: %v", err)
	}
	return r
}

// Response is a recorded response.
type Response struct {
	Code   int
	Header http.Header
	Body   []byte
	// Elapsed and Allocated are what the router took to serve it: wall time, and bytes allocated
	// on the heap meanwhile (by the whole process; tests send one request at a time).
	Elapsed   time.Duration
	Allocated uint64
}

// Decode parses the body into v.
func (r *Response) Decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// Map parses the body as a JSON object.
func (r *Response) Map(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	r.Decode(t, &m)
	return m
}

// Req is a request to send.
type Req struct {
	Method, Path string
	Body         any // marshalled to JSON unless a string or []byte
	Token        string
	Header       map[string]string
	// RemoteAddr is the client's address (host:port); httptest's 192.0.2.1:1234 when empty.
	RemoteAddr string
}

// Expect sends a request, fails the test unless it answers want, and returns the JSON object
// it answered.
func (e *Env) Expect(t *testing.T, token, method, path string, body any, want int) map[string]any {
	t.Helper()
	res := e.Do(t, Req{Method: method, Path: path, Token: token, Body: body})
	if res.Code != want {
		t.Fatalf("%s %s: got %d, want %d: %s", method, path, res.Code, want, res.Body)
	}
	return res.Map(t)
}

// Race sends n requests at once, the i-th built by req(i), and returns their statuses in order.
func (e *Env) Race(t *testing.T, n int, req func(i int) Req) []int {
	var wg sync.WaitGroup
	codes := make([]int, n)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i] = e.Do(t, req(i)).Code
		}()
	}
	wg.Wait()
	return codes
}

// Do sends a request through the whole router and checks the response against the document.
func (e *Env) Do(t *testing.T, r Req) *Response {
	t.Helper()
	var body io.Reader
	switch b := r.Body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	case []byte:
		body = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		body = bytes.NewReader(j)
	}
	req := httptest.NewRequest(r.Method, r.Path, body)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.Token != "" {
		req.Header.Set("Authorization", "Bearer "+r.Token)
	}
	for k, v := range r.Header {
		req.Header.Set(k, v)
	}
	if r.RemoteAddr != "" {
		req.RemoteAddr = r.RemoteAddr
	}
	var reqBody []byte
	if body != nil {
		reqBody, _ = io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	rec := httptest.NewRecorder()
	start, before := time.Now(), heapAllocated()
	e.Echo.ServeHTTP(rec, req)
	res := &Response{Code: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes(), Elapsed: time.Since(start), Allocated: heapAllocated() - before}
	e.check(t, req, reqBody, res)
	return res
}

// heapAllocated is the bytes allocated on the heap since the process started; runtime/metrics
// reads it without stopping the world.
func heapAllocated() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// check validates a response against the OpenAPI document, and that every error is problem+json.
func (e *Env) check(t *testing.T, req *http.Request, reqBody []byte, res *Response) {
	t.Helper()
	if res.Header.Get("X-Request-Id") == "" {
		t.Errorf("%s %s: no X-Request-Id", req.Method, req.URL.Path)
	}
	if res.Code >= 400 && res.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("%s %s: %d answered with Content-Type %q, want application/problem+json", req.Method, req.URL.Path, res.Code, res.Header.Get("Content-Type"))
	}
	if !strings.HasPrefix(req.URL.Path, "/v1/") {
		return // operations endpoints are not part of the API document
	}
	req.Body = io.NopCloser(bytes.NewReader(reqBody))
	route, params, err := e.router.FindRoute(req)
	if err != nil {
		if res.Code != http.StatusNotFound && res.Code != http.StatusMethodNotAllowed && res.Code != http.StatusUnauthorized {
			t.Errorf("%s %s answered %d but the document has no such operation: %v", req.Method, req.URL.Path, res.Code, err)
		}
		return
	}
	if res.Code == http.StatusNotModified && route.Operation.Responses.Value("304") == nil {
		t.Errorf("%s %s answered 304, which the OpenAPI document does not describe", req.Method, req.URL.Path) // kin-openapi skips 304s
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 res.Code,
		Header:                 res.Header,
		Body:                   io.NopCloser(bytes.NewReader(res.Body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		t.Errorf("%s %s answered %d, which the OpenAPI document does not describe: %v\nbody: %s", req.Method, req.URL.Path, res.Code, err, res.Body)
	}
}

// Session is a signed-in user.
type Session struct {
	Access, Refresh string
	OrgID, UserID   string
	Email, Password string
}

// Signup creates an organization with its owner and returns the owner's session.
func (e *Env) Signup(t *testing.T, org string) Session {
	t.Helper()
	email := strings.ToLower(strings.ReplaceAll(org, " ", "")) + "-owner@example.com"
	res := e.Do(t, Req{Method: "POST", Path: "/v1/auth/signup", Body: map[string]string{
		"organization_name": org, "name": "Owner of " + org, "email": email, "password": "correct horse battery",
	}})
	if res.Code != http.StatusCreated {
		t.Fatalf("signup %s: %d %s", org, res.Code, res.Body)
	}
	s := e.session(t, res)
	s.Email, s.Password = email, "correct horse battery"
	return s
}

// AddUser creates a user with a role in the owner's organization and signs them in.
func (e *Env) AddUser(t *testing.T, owner Session, email, role string) Session {
	t.Helper()
	res := e.Do(t, Req{Method: "POST", Path: "/v1/users", Token: owner.Access, Body: map[string]string{
		"email": email, "name": role + " user", "password": "another long password", "role": role,
	}})
	if res.Code != http.StatusCreated {
		t.Fatalf("add user: %d %s", res.Code, res.Body)
	}
	return e.Login(t, email, "another long password")
}

// Login signs a user in.
func (e *Env) Login(t *testing.T, email, password string) Session {
	t.Helper()
	res := e.Do(t, Req{Method: "POST", Path: "/v1/auth/login", Body: map[string]string{"email": email, "password": password}})
	if res.Code != http.StatusOK {
		t.Fatalf("login %s: %d %s", email, res.Code, res.Body)
	}
	s := e.session(t, res)
	s.Email, s.Password = email, password
	return s
}

func (e *Env) session(t *testing.T, res *Response) Session {
	t.Helper()
	var tok struct{ AccessToken, RefreshToken string }
	var raw map[string]any
	res.Decode(t, &raw)
	tok.AccessToken, _ = raw["access_token"].(string)
	tok.RefreshToken, _ = raw["refresh_token"].(string)
	me := e.Do(t, Req{Method: "GET", Path: "/v1/me", Token: tok.AccessToken}).Map(t)
	user, _ := me["user"].(map[string]any)
	org, _ := me["organization"].(map[string]any)
	return Session{Access: tok.AccessToken, Refresh: tok.RefreshToken, OrgID: org["id"].(string), UserID: user["id"].(string)}
}
