package web

import (
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/rapportcrm/rapport/pkg/apperr"
)

// PathID reads the :id path parameter.
func PathID(c echo.Context) (uuid.UUID, error) { return PathUUID(c, "id") }

// PathUUID reads a path parameter that is an id. A malformed one answers 400 naming the
// parameter; a well-formed id that names nothing is the handler's 404.
func PathUUID(c echo.Context, name string) (uuid.UUID, error) {
	id, err := uuid.Parse(c.Param(name))
	if err != nil {
		return uuid.Nil, BadRequest(name, "must be a UUID, such as 01938f0e-5c7a-7b3e-9d2f-4a6b8c0e1f23")
	}
	return id, nil
}

// SameCustomer refuses a body's customer_id that names another customer than the route's.
func SameCustomer(bodyCustomerID string, pathID uuid.UUID) error {
	if bodyCustomerID != "" && bodyCustomerID != pathID.String() {
		return apperr.Invalid(apperr.FieldError{Field: "customer_id", Message: "must be absent or equal the customer in the path"})
	}
	return nil
}

// ParseID reads an id a request body gave, which its validate tag checks: a malformed one reads
// as uuid.Nil (never a panic), so that a converter may run on a body whose shape was refused.
func ParseID(s string) uuid.UUID {
	id, _ := uuid.Parse(s)
	return id
}

// OptionalID is ParseID for an id that may be absent: empty, or malformed, is nil.
func OptionalID(s string) *uuid.UUID {
	id, err := uuid.Parse(s)
	if err != nil {
		return nil
	}
	return &id
}
