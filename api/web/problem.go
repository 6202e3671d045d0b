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

// ProblemBase prefixes every problem type URI.
const ProblemBase = "https://crm.example/problems/"

// Problem is an RFC 9457 problem details object.
type Problem struct {
	Type      string       `json:"type" example:"https://crm.example/problems/validation"`
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

type problemKind struct {
	status int
	slug   string
	title  string
}

var kinds = map[apperr.Kind]problemKind{
	apperr.KindInternal:           {http.StatusInternalServerError, "internal", "Internal server error"},
	apperr.KindBadRequest:         {http.StatusBadRequest, "bad-request", "Bad request"},
	apperr.KindInvalid:            {http.StatusUnprocessableEntity, "validation", "Validation failed"},
	apperr.KindUnauthorized:       {http.StatusUnauthorized, "unauthorized", "Unauthorized"},
	apperr.KindForbidden:          {http.StatusForbidden, "forbidden", "Forbidden"},
	apperr.KindNotFound:           {http.StatusNotFound, "not-found", "Not found"},
	apperr.KindConflict:           {http.StatusConflict, "conflict", "Conflict"},
	apperr.KindPreconditionFailed: {http.StatusPreconditionFailed, "precondition-failed", "Precondition failed"},
	apperr.KindTooLarge:           {http.StatusRequestEntityTooLarge, "too-large", "Request too large"},
	apperr.KindRateLimited:        {http.StatusTooManyRequests, "rate-limited", "Too many requests"},
	apperr.KindUnavailable:        {http.StatusServiceUnavailable, "unavailable", "Service unavailable"},
}

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
	e, ok := apperr.As(err)
	if !ok {
		e = apperr.New(apperr.KindInternal, "an unexpected error occurred; it has been logged")
	} else if e.Kind == apperr.KindInternal {
		e = apperr.New(apperr.KindInternal, "an unexpected error occurred; it has been logged")
	}
	k := kinds[e.Kind]
	p := Problem{Type: ProblemBase + k.slug, Title: k.title, Status: k.status, Detail: e.Message, Instance: instance}
	for _, f := range e.Fields {
		p.Errors = append(p.Errors, FieldError{Field: f.Field, Message: f.Message})
	}
	if id, ok := e.Extra["existing_id"].(string); ok {
		p.ExistingID = id
	}
	return p
}

// echoProblem describes Echo's own errors: unknown route, wrong method, body too large.
func echoProblem(he *echo.HTTPError, instance string) Problem {
	detail := http.StatusText(he.Code)
	if msg, ok := he.Message.(string); ok {
		detail = msg
	}
	k, ok := kinds[statusKinds[he.Code]]
	switch {
	case he.Code == http.StatusMethodNotAllowed:
		k = problemKind{he.Code, "method-not-allowed", "Method not allowed"}
	case he.Code == http.StatusUnsupportedMediaType:
		k = problemKind{he.Code, "unsupported-media-type", "Unsupported media type"}
	case !ok || he.Code >= 500:
		k = kinds[apperr.KindInternal]
		detail = "an unexpected error occurred; it has been logged"
	}
	if he.Code == http.StatusNotFound {
		detail = "no such route: " + instance
	}
	return Problem{Type: ProblemBase + k.slug, Title: k.title, Status: k.status, Detail: strings.ToLower(detail[:1]) + detail[1:], Instance: instance}
}

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
