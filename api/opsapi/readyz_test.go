package opsapi

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
)

type hungDB struct{ deadline time.Time }

func (h *hungDB) Ping(ctx context.Context) error {
	h.deadline, _ = ctx.Deadline()
	<-ctx.Done()
	return ctx.Err()
}

// TestReadyzHasItsOwnDeadline: a hung database fails /readyz within readyTimeout, not after the
// request's 30 s deadline, so that a load balancer takes the instance out in time.
func TestReadyzHasItsOwnDeadline(t *testing.T) {
	db := &hungDB{}
	e := echo.New()
	req := httptest.NewRequest("GET", "/readyz", nil)
	ctx, cancel := context.WithTimeout(req.Context(), 30*time.Second)
	defer cancel()
	c := e.NewContext(req.WithContext(ctx), httptest.NewRecorder())
	if err := readyz(db)(c); err == nil {
		t.Fatal("a hung database was reported ready")
	}
	if left := time.Until(db.deadline); db.deadline.IsZero() || left > readyTimeout {
		t.Fatalf("the ping's deadline was %v away, want at most %v", left, readyTimeout)
	}
}
