// Package mid holds the HTTP middleware: authentication and permissions, observation (logs and
// metrics), rate limits, idempotency keys and request deadlines.
package mid

import (
	"context"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/rapportcrm/rapport/pkg/apperr"
	"github.com/rapportcrm/rapport/pkg/auth"
	"github.com/rapportcrm/rapport/pkg/ratelimit"
)

const principalKey = "rapport.principal"

var errNoCredentials = apperr.New(apperr.KindUnauthorized, "this request needs Authorization: Bearer <access token or API key>")

// Authenticator turns a bearer credential into a principal.
type Authenticator interface {
	Authenticate(ctx context.Context, credential string) (auth.Principal, error)
}

// Authenticate requires a valid bearer credential and remembers the caller. Each credential that
// fails spends a token of its client address's failure bucket; an address whose bucket is empty is
// answered 429 before its next credential is even looked up, so a flood of bad credentials costs
// the database nothing.
func Authenticate(a Authenticator, failures ratelimit.Limiter) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			ctx, key := c.Request().Context(), "ip:"+c.RealIP()
			if d := failures.Check(ctx, key); !d.Allowed {
				return rateLimited(c, d)
			}
			scheme, credential, ok := strings.Cut(c.Request().Header.Get(echo.HeaderAuthorization), " ")
			if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(credential) == "" {
				failures.Take(ctx, key)
				return errNoCredentials
			}
			p, err := a.Authenticate(ctx, strings.TrimSpace(credential))
			if err != nil {
				if apperr.KindOf(err) == apperr.KindUnauthorized {
					failures.Take(ctx, key)
				}
				return err
			}
			c.Set(principalKey, p)
			return next(c)
		}
	}
}

// Principal is the authenticated caller; only routes behind Authenticate call it.
func Principal(c echo.Context) auth.Principal {
	p, _ := c.Get(principalKey).(auth.Principal)
	return p
}

// Require answers 403 unless the caller holds the permission.
func Require(perm auth.Permission) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if err := auth.Require(Principal(c), perm); err != nil {
				return err
			}
			return next(c)
		}
	}
}
