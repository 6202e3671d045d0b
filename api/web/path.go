package web

import (
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/rapportcrm/rapport/pkg/apperr"
)

// PathID reads the :id path parameter. A malformed id names nothing, so it answers notFound,
// exactly as an unknown id does.
func PathID(c echo.Context, notFound error) (uuid.UUID, error) {
	id, err := uuid.Parse(c.Param("id"))
	if err != nil {
		return uuid.Nil, notFound
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
