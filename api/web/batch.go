package web

import (
	"encoding/json"
	"fmt"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/rapportcrm/rapport/pkg/apperr"
)

// BatchRequest is the body of every batch endpoint: items of the collection's input type.
type BatchRequest struct {
	// Each item is the collection's input object.
	Items []json.RawMessage `json:"items" validate:"required,min=1" swaggertype:"array,object"`
	// All or nothing: one bad item fails the batch with 422 and nothing is written.
	Atomic bool `json:"atomic,omitempty"`
} // @name BatchRequest

// BatchResult is the outcome of one item, in the order sent.
type BatchResult struct {
	Index  int      `json:"index"`
	Status string   `json:"status" enums:"created,updated,unchanged,error"`
	ID     *string  `json:"id,omitempty" format:"uuid"`
	Error  *Problem `json:"error,omitempty"`
} // @name BatchResult

// BatchResponse lists one result per item.
type BatchResponse struct {
	Results []BatchResult `json:"results"`
} // @name BatchResponse

// ItemOutcome is what a domain batch reports of one item: a status and an id, or an error.
type ItemOutcome struct {
	Status string
	ID     uuid.UUID
	Err    error
}

// BindBatch reads a batch body and refuses more than max items with 413.
func BindBatch(c echo.Context, max int) (BatchRequest, error) {
	var req BatchRequest
	if err := Bind(c, &req); err != nil {
		return req, err
	}
	if len(req.Items) > max {
		return req, apperr.New(apperr.KindTooLarge, "a batch takes at most %d items; split it", max)
	}
	return req, nil
}

// BatchAnswer renders the outcomes: 200 with one result per item, or, when the batch was atomic
// and failed, a 422 problem naming every failed item's fields as items[i].field.
func BatchAnswer(c echo.Context, outcomes []ItemOutcome, atomicFailed bool) error {
	return BatchAnswerWith(c, outcomes, atomicFailed, func(_ int, r BatchResult) BatchResult { return r })
}

// BatchAnswerWith is BatchAnswer for a collection whose results say more than BatchResult: result
// makes each item's from the common part.
func BatchAnswerWith[R any](c echo.Context, outcomes []ItemOutcome, atomicFailed bool, result func(i int, r BatchResult) R) error {
	if atomicFailed {
		return atomicFailure(outcomes)
	}
	results := make([]R, len(outcomes))
	for i, o := range outcomes {
		r := BatchResult{Index: i, Status: o.Status}
		if o.Err != nil {
			p := ProblemFor(o.Err, c.Request().URL.Path)
			p.RequestID = c.Response().Header().Get(echo.HeaderXRequestID)
			r.Error = &p
		} else {
			id := o.ID.String()
			r.ID = &id
		}
		results[i] = result(i, r)
	}
	return c.JSON(200, struct {
		Results []R `json:"results"`
	}{results})
}

func atomicFailure(outcomes []ItemOutcome) error {
	var bad apperr.Fields
	failed := 0
	for i, o := range outcomes {
		if o.Err == nil {
			continue
		}
		failed++
		prefix := fmt.Sprintf("items[%d]", i)
		e, ok := apperr.As(o.Err)
		if !ok || len(e.Fields) == 0 {
			bad.Add(prefix, "%s", ProblemFor(o.Err, "").Detail)
			continue
		}
		for _, f := range e.Fields {
			bad.Add(prefix+"."+f.Field, "%s", f.Message)
		}
	}
	e := apperr.Invalid(bad...)
	e.Message = fmt.Sprintf("the batch is atomic and %d items failed; nothing was written", failed)
	return e
}
