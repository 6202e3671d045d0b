package mid

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/rapportcrm/rapport/api/web"
	"github.com/rapportcrm/rapport/pkg/event"
	"github.com/rapportcrm/rapport/pkg/idempotency"
)

// maxIdempotencyKey bounds the header's length.
const maxIdempotencyKey = 255

// replayedHeaders are the response headers a replay repeats beside the body.
var replayedHeaders = []string{echo.HeaderContentType, echo.HeaderLocation, "ETag"}

// Idempotency makes a POST with an Idempotency-Key safe to retry: the first response (status,
// body and the headers above) is stored per caller and key, and a retry with the same request is
// answered from it; the same key with another request is 422, and while the first is running, 409.
// Server faults (5xx) and refusals to come back later (429) are not kept, so that a retry runs again.
func Idempotency(store idempotency.Store) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			key := c.Request().Header.Get("Idempotency-Key")
			if c.Request().Method != http.MethodPost || key == "" {
				return next(c)
			}
			if len(key) > maxIdempotencyKey {
				return web.BadRequest("Idempotency-Key", "must be at most %d characters", maxIdempotencyKey)
			}
			if !web.Printable(key) {
				return web.BadRequest("Idempotency-Key", "must be UTF-8 text without NUL characters")
			}
			body, err := io.ReadAll(c.Request().Body)
			if err != nil {
				return err
			}
			c.Request().Body = io.NopCloser(bytes.NewReader(body))
			sum := sha256.New()
			sum.Write([]byte(c.Request().Method + " " + c.Request().URL.RequestURI() + "\n"))
			sum.Write(body)
			p := Principal(c)
			now := event.Now()
			rec := idempotency.Record{OrgID: p.OrgID, CredentialID: p.ID(), Key: key, RequestHash: hex.EncodeToString(sum.Sum(nil)),
				CreatedAt: now, ExpiresAt: now.Add(idempotency.TTL)}
			ctx := c.Request().Context()
			existing, err := store.Claim(ctx, rec)
			if err != nil {
				return err
			}
			if existing != nil {
				return replay(c, rec, existing)
			}
			defer func() {
				if r := recover(); r != nil {
					_ = store.Release(context.WithoutCancel(ctx), rec)
					panic(r)
				}
			}()
			rw := &recorder{ResponseWriter: c.Response().Writer}
			c.Response().Writer = rw
			if err := next(c); err != nil {
				c.Error(err)
			}
			status := c.Response().Status
			if status >= 500 || status == http.StatusTooManyRequests {
				return store.Release(ctx, rec)
			}
			rec.Done, rec.StatusCode, rec.Body, rec.Headers = true, status, rw.body.Bytes(), map[string]string{}
			for _, h := range replayedHeaders {
				if v := c.Response().Header().Get(h); v != "" {
					rec.Headers[h] = v
				}
			}
			// The client has its answer; storing it must not hang on the request's deadline.
			storeCtx, cancel := contextWithoutCancel(c, 5*time.Second)
			defer cancel()
			return store.Complete(storeCtx, rec)
		}
	}
}

func replay(c echo.Context, rec idempotency.Record, existing *idempotency.Record) error {
	switch {
	case existing.RequestHash != rec.RequestHash:
		return idempotency.ErrMismatch
	case !existing.Done:
		return idempotency.ErrInFlight
	}
	for h, v := range existing.Headers {
		c.Response().Header().Set(h, v)
	}
	c.Response().Header().Set("Idempotent-Replayed", "true")
	c.Response().WriteHeader(existing.StatusCode)
	_, err := c.Response().Write(existing.Body)
	return err
}

// recorder keeps a copy of the response body as it is written.
type recorder struct {
	http.ResponseWriter
	body bytes.Buffer
}

func (r *recorder) Write(b []byte) (int, error) {
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}
