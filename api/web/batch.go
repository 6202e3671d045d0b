package web

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/go-json-experiment/json/jsontext"
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

// batchEnvelope is a batch body before its items are counted: they stay one raw value.
type batchEnvelope struct {
	Items  jsontext.Value `json:"items"`
	Atomic bool           `json:"atomic,omitempty"`
}

// BindBatch reads a batch body and refuses more than max items with 413. The items are counted
// before any is decoded: two million empty items (5 MB) decoded at once took 268 MB.
func BindBatch(c echo.Context, max int) (BatchRequest, error) {
	var env batchEnvelope
	if err := Bind(c, &env); err != nil {
		return BatchRequest{}, err
	}
	items, err := splitItems(env.Items, max)
	return BatchRequest{Items: items, Atomic: env.Atomic}, err
}

// splitItems hands out the values of a JSON array, one to max of them.
func splitItems(v jsontext.Value, max int) ([]json.RawMessage, error) {
	if len(v) == 0 {
		return nil, apperr.Invalid(apperr.FieldError{Field: "items", Message: "is required"})
	}
	dec := jsontext.NewDecoder(bytes.NewReader(v))
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '[' {
		return nil, BadRequest("items", "must be an array of 1 to %d items", max)
	}
	var items []json.RawMessage
	for dec.PeekKind() != ']' {
		if len(items) == max {
			return nil, apperr.New(apperr.KindTooLarge, "a batch takes at most %d items; split it", max)
		}
		item, err := dec.ReadValue()
		if err != nil {
			return nil, decodeError(err)
		}
		items = append(items, json.RawMessage(item.Clone()))
	}
	if len(items) == 0 {
		return nil, apperr.Invalid(apperr.FieldError{Field: "items", Message: "must have at least 1 entries"})
	}
	return items, nil
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
