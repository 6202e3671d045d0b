package mid_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rapportcrm/rapport/api/mid"
	"github.com/rapportcrm/rapport/api/web"
)

// inFlightServer serves GET /work?id=, which holds its slot until release[id] closes, and
// /idle?id=, which waits for release[id] through mid.Idle; started[id] closes when the handler runs.
type inFlightServer struct {
	e                 *echo.Echo
	reg               *prometheus.Registry
	started, released map[string]chan struct{}
}

func newInFlightServer(t *testing.T, c mid.Capacity, ids ...string) *inFlightServer {
	s := &inFlightServer{e: echo.New(), reg: prometheus.NewRegistry(), started: map[string]chan struct{}{}, released: map[string]chan struct{}{}}
	for _, id := range ids {
		s.started[id], s.released[id] = make(chan struct{}), make(chan struct{})
	}
	s.e.HTTPErrorHandler = web.ErrorHandler(slog.New(slog.DiscardHandler))
	capped := mid.InFlight(c, s.reg)
	s.e.GET("/work", func(c echo.Context) error {
		id := c.QueryParam("id")
		close(s.started[id])
		<-s.released[id]
		return c.NoContent(http.StatusNoContent)
	}, capped)
	s.e.GET("/idle", func(c echo.Context) error {
		id := c.QueryParam("id")
		close(s.started[id])
		mid.Idle(c)(func() { <-s.released[id] })
		return c.NoContent(http.StatusNoContent)
	}, capped)
	return s
}

// send serves a request in the background; its answer arrives on the channel.
func (s *inFlightServer) send(path string) <-chan *httptest.ResponseRecorder {
	out := make(chan *httptest.ResponseRecorder, 1)
	go func() {
		rec := httptest.NewRecorder()
		s.e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		out <- rec
	}()
	return out
}

func (s *inFlightServer) gauge(t *testing.T, name string) float64 {
	t.Helper()
	families, err := s.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == name {
			return f.GetMetric()[0].GetGauge().GetValue() + f.GetMetric()[0].GetCounter().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
	}
}

func wantStatus(t *testing.T, what string, res <-chan *httptest.ResponseRecorder, code int) {
	t.Helper()
	select {
	case rec := <-res:
		if rec.Code != code {
			t.Fatalf("%s: %d, want %d: %s", what, rec.Code, code, rec.Body)
		}
		if code == http.StatusServiceUnavailable && rec.Header().Get("Retry-After") == "" {
			t.Fatalf("%s: a 503 without Retry-After", what)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: no answer", what)
	}
}

// One request works, one waits its turn, a third is refused at once; the waiting one goes on when
// the first ends, and a wait longer than the limit is refused too.
func TestInFlightQueuesThenRefuses(t *testing.T) {
	s := newInFlightServer(t, mid.Capacity{Limit: 1, Queue: 1, Wait: time.Hour}, "a", "b", "c")
	a := s.send("/work?id=a")
	<-s.started["a"]
	b := s.send("/work?id=b")
	waitFor(t, "b is queued", func() bool { return s.gauge(t, "rapport_http_requests_queued") == 1 })
	wantStatus(t, "a third request, with the queue full", s.send("/work?id=c"), http.StatusServiceUnavailable)
	if n := s.gauge(t, "rapport_http_overload_refusals_total"); n != 1 {
		t.Fatalf("%v refusals counted, want 1", n)
	}
	select {
	case <-s.started["b"]:
		t.Fatal("the queued request ran beside the one in flight")
	case <-time.After(20 * time.Millisecond):
	}
	close(s.released["a"])
	wantStatus(t, "a", a, http.StatusNoContent)
	<-s.started["b"]
	close(s.released["b"])
	wantStatus(t, "b, after its turn", b, http.StatusNoContent)
	if n := s.gauge(t, "rapport_http_requests_in_flight"); n != 0 {
		t.Fatalf("%v requests in flight after all ended", n)
	}

	slow := newInFlightServer(t, mid.Capacity{Limit: 1, Queue: 5, Wait: 30 * time.Millisecond}, "a", "b")
	a = slow.send("/work?id=a")
	<-slow.started["a"]
	wantStatus(t, "a request that waited longer than the limit", slow.send("/work?id=b"), http.StatusServiceUnavailable)
	close(slow.released["a"])
	wantStatus(t, "a", a, http.StatusNoContent)
}

// A long poll's pause frees its slot: another request works meanwhile, and the poll takes a slot
// again before it reads.
func TestInFlightIdleFreesTheSlot(t *testing.T) {
	s := newInFlightServer(t, mid.Capacity{Limit: 1, Queue: 1, Wait: time.Hour}, "poll", "work")
	poll := s.send("/idle?id=poll")
	<-s.started["poll"]
	waitFor(t, "the poll pauses", func() bool { return s.gauge(t, "rapport_http_requests_in_flight") == 0 })
	work := s.send("/work?id=work")
	<-s.started["work"] // not queued behind the pausing poll
	close(s.released["poll"])
	select {
	case <-poll:
		t.Fatal("the poll ended before it had a slot again")
	case <-time.After(20 * time.Millisecond):
	}
	close(s.released["work"])
	wantStatus(t, "work", work, http.StatusNoContent)
	wantStatus(t, "poll", poll, http.StatusNoContent)
}
