// Package web holds what every resource's handlers share: problem+json errors and the one error
// handler, strict JSON binding with validation, ETags, and keyset paging parameters.
package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/rapportcrm/rapport/pkg/apperr"
)

// ProblemBase prefixes every problem type URI. It is a relative reference, as RFC 9457 (3.1.1)
// allows, resolved against the request's URL: the same problem is the same string whichever host
// name the API is reached by (no Host header is echoed), and on any of them it dereferences to the
// page that explains it (GET /problems/<slug>).
const ProblemBase = "/problems/"

// Problem is an RFC 9457 problem details object.
type Problem struct {
	// Identifies the problem type; relative to the API's host, where GET on it explains the type.
	Type      string       `json:"type" example:"/problems/validation"`
	Title     string       `json:"title" example:"Validation failed"`
	Status    int          `json:"status" example:"422"`
	Detail    string       `json:"detail" example:"2 fields are invalid"`
	Instance  string       `json:"instance" example:"/v1/customers"`
	RequestID string       `json:"request_id" example:"0193a4b2-7c1e-7d4f-9a51-3f6c2b8e1d20"`
	Errors    []FieldError `json:"errors,omitempty"`
	// The id of the record that a conflicting request collided with.
	ExistingID string `json:"existing_id,omitempty" format:"uuid"`
} // @name Problem

// FieldError names one offending field.
type FieldError struct {
	Field   string `json:"field" example:"email"`
	Message string `json:"message" example:"must be a valid email address"`
} // @name FieldError

// statusKinds maps the statuses Echo itself answers with to our kinds.
var statusKinds = map[int]apperr.Kind{
	http.StatusBadRequest:            apperr.KindBadRequest,
	http.StatusUnauthorized:          apperr.KindUnauthorized,
	http.StatusForbidden:             apperr.KindForbidden,
	http.StatusNotFound:              apperr.KindNotFound,
	http.StatusRequestEntityTooLarge: apperr.KindTooLarge,
	http.StatusTooManyRequests:       apperr.KindRateLimited,
	http.StatusServiceUnavailable:    apperr.KindUnavailable,
}

// ProblemFor describes err as a problem; internal errors say nothing of their cause.
func ProblemFor(err error, instance string) Problem {
	var he *echo.HTTPError
	if errors.As(err, &he) {
		return echoProblem(he, instance)
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		err = apperr.Wrap(apperr.KindUnavailable, err, "the request took too long and was abandoned")
	}
	var k ProblemType
	e, ok := apperr.As(err)
	if ok {
		k, ok = kinds[e.Kind]
		if pt, found := specific[e.Type]; found && pt.Status == k.Status {
			k = pt
		}
	}
	if !ok || e.Kind == apperr.KindInternal { // a kind without a problem type is a server fault too
		e, k = apperr.New(apperr.KindInternal, "an unexpected error occurred; it has been logged"), kinds[apperr.KindInternal]
	}
	p := k.problem(e.Message, instance)
	for _, f := range e.Fields {
		p.Errors = append(p.Errors, FieldError{Field: f.Field, Message: f.Message})
	}
	if id, ok := e.Extra["existing_id"].(string); ok {
		p.ExistingID = id
	}
	return p
}

// echoProblem describes Echo's own errors (unknown route, wrong method, body too large) and the
// transport's (no acceptable media type).
func echoProblem(he *echo.HTTPError, instance string) Problem {
	detail := http.StatusText(he.Code)
	if msg, ok := he.Message.(string); ok {
		detail = msg
	}
	kind, ok := statusKinds[he.Code]
	k := kinds[kind]
	switch {
	case he.Code == http.StatusMethodNotAllowed:
		k = methodNotAllowed
	case he.Code == http.StatusNotAcceptable:
		k = notAcceptable
	case he.Code == http.StatusUnsupportedMediaType:
		k = unsupportedMediaType
	case !ok || he.Code >= 500:
		k = kinds[apperr.KindInternal]
		detail = "an unexpected error occurred; it has been logged"
	}
	if he.Code == http.StatusNotFound {
		detail = "no such route: " + instance
	}
	if detail != "" {
		detail = strings.ToLower(detail[:1]) + detail[1:]
	}
	return k.problem(detail, instance)
}

// unavailableRetry is the Retry-After, in seconds, of a 503 that knows no better: long enough
// for a database failover or a restart, short enough not to stall a client.
const unavailableRetry = 5

// ErrorHandler is the one place where errors become responses. It logs only server faults.
func ErrorHandler(log *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		req := c.Request()
		p := ProblemFor(err, req.URL.Path)
		p.RequestID = c.Response().Header().Get(echo.HeaderXRequestID)
		h := c.Response().Header()
		if p.Status >= 500 {
			log.ErrorContext(req.Context(), "request failed", "request_id", p.RequestID, "method", req.Method, "path", req.URL.Path, "status", p.Status, "error", err)
		}
		if p.Status == http.StatusUnauthorized {
			h.Set(echo.HeaderWWWAuthenticate, `Bearer realm="rapport"`)
		}
		if e, ok := apperr.As(err); ok && e.RetryAfter > 0 {
			h.Set("Retry-After", strconv.Itoa(int(e.RetryAfter.Seconds()+0.999)))
		} else if p.Status == http.StatusServiceUnavailable {
			h.Set("Retry-After", strconv.Itoa(unavailableRetry))
		}
		if err := WriteProblem(c, p); err != nil {
			log.WarnContext(req.Context(), "write problem", "error", err)
		}
	}
}

// WriteProblem sends p as application/problem+json.
func WriteProblem(c echo.Context, p Problem) error {
	c.Response().Header().Set(echo.HeaderContentType, "application/problem+json")
	if c.Request().Method == http.MethodHead {
		return c.NoContent(p.Status)
	}
	return c.JSON(p.Status, p)
}

// BadRequest returns a 400 error about a parameter.
func BadRequest(field, format string, args ...any) error {
	e := apperr.New(apperr.KindBadRequest, "%s", fmt.Sprintf(format, args...))
	e.Fields = []apperr.FieldError{{Field: field, Message: e.Message}}
	return e
}
