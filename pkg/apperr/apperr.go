// Package apperr defines the kinds of error the domain reports and the field errors of a failed
// validation. The HTTP layer maps each kind to a status code in one place.
package apperr

import (
	"errors"
	"fmt"
	"time"
)

// Kind classifies an error by what the caller can do about it.
type Kind int

const (
	KindInternal Kind = iota
	KindBadRequest
	KindInvalid
	KindUnauthorized
	KindForbidden
	KindNotFound
	KindConflict
	KindPreconditionFailed
	KindTooLarge
	KindRateLimited
	KindUnavailable
	// KindGone: what the request names existed, but is kept no longer (a feed cursor past the
	// retention).
	KindGone
)

// FieldError names one offending input field (a dotted path such as "address.country").
type FieldError struct {
	Field   string
	Message string
}

// Error is an error with a kind, a message safe to show to a client, and optional details.
type Error struct {
	Kind    Kind
	Message string
	Fields  []FieldError
	// Extra holds additional members of the problem details, such as the id of an existing record.
	Extra map[string]any
	// RetryAfter tells a throttled client when to come back.
	RetryAfter time.Duration
	// Type names a more specific problem than the kind's (token-expired among the unauthorized),
	// for clients that act on it; empty for the kind's own.
	Type  string
	cause error
}

func (e *Error) Error() string {
	if e.cause != nil {
		return e.Message + ": " + e.cause.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.cause }

// Is lets errors.Is match sentinels by identity only; kinds are compared with KindOf.
func (e *Error) Is(target error) bool { return e == target }

// New returns an error of the given kind with a client-safe message.
func New(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an error of the given kind whose cause is err (logged, never shown to clients).
func Wrap(kind Kind, err error, message string) *Error {
	return &Error{Kind: kind, Message: message, cause: err}
}

// Invalid returns a validation error listing every offending field.
func Invalid(fields ...FieldError) *Error {
	msg := "1 field is invalid"
	if len(fields) != 1 {
		msg = fmt.Sprintf("%d fields are invalid", len(fields))
	}
	return &Error{Kind: KindInvalid, Message: msg, Fields: fields}
}

// With returns a copy of e with an extra problem member; sentinels stay unchanged.
func (e *Error) With(key string, value any) *Error {
	c := *e
	c.Extra = make(map[string]any, len(e.Extra)+1)
	for k, v := range e.Extra {
		c.Extra[k] = v
	}
	c.Extra[key] = value
	c.cause = e
	return &c
}

// Typed returns a copy of e with a specific problem type; sentinels stay unchanged.
func (e *Error) Typed(slug string) *Error {
	c := *e
	c.Type = slug
	return &c
}

// As returns the *Error in err's chain, if any.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// KindOf returns the kind of the first *Error in err's chain, or KindInternal.
func KindOf(err error) Kind {
	if e, ok := As(err); ok {
		return e.Kind
	}
	return KindInternal
}

// Fields collects field errors; its Err is nil while none were added.
type Fields []FieldError

// Add records that field is invalid.
func (f *Fields) Add(field, format string, args ...any) {
	*f = append(*f, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// Err returns the validation error, or nil when no field was added.
func (f Fields) Err() error {
	if len(f) == 0 {
		return nil
	}
	return Invalid(f...)
}
