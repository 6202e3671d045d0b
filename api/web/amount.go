package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
)

// Amount is a money amount as a request sends it: a decimal string ("19.90"), with the currency
// beside it or the organization's, or a Money object ({"amount": "19.90", "currency": "EUR"})
// exactly as answers carry it, so that a client can send back what it read. Validation tags on an
// Amount apply to the decimal.
type Amount struct {
	Value string
	// Currency is the object's currency; empty for the string form.
	Currency string
}

// UnmarshalJSON reads either form.
func (a *Amount) UnmarshalJSON(b []byte) error {
	if bytes.HasPrefix(bytes.TrimSpace(b), []byte("{")) {
		var m struct {
			Amount   string `json:"amount"`
			Currency string `json:"currency"`
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&m); err != nil {
			return errors.New("must be a decimal string or an object {amount, currency}")
		}
		a.Value, a.Currency = m.Amount, m.Currency
		return nil
	}
	return json.Unmarshal(b, &a.Value)
}

// MarshalJSON writes the string form (a merge patch's document is made of it).
func (a Amount) MarshalJSON() ([]byte, error) { return json.Marshal(a.Value) }

// CurrencyWith returns the currency of a request that names it in a field beside the amount, in the
// amount's object, or both (then they must agree; field names the field for the error).
func (a Amount) CurrencyWith(beside, field string) (string, error) {
	switch {
	case a.Currency == "":
		return beside, nil
	case beside == "" || strings.EqualFold(beside, a.Currency):
		return a.Currency, nil
	}
	return "", BadRequest(field, "the amount says %s and %s says %s: give the currency once", a.Currency, field, beside)
}

// amountValue lets validation tags on an Amount check its decimal.
func amountValue(v reflect.Value) any { return v.Interface().(Amount).Value }
