// Package money is an exact amount in an ISO 4217 currency, checked against the currency's
// minor units. Amounts are decimals, never floats.
package money

import (
	"strings"

	"github.com/shopspring/decimal"
	"golang.org/x/text/currency"

	"github.com/rapportcrm/rapport/pkg/apperr"
)

// Money is an amount in a currency.
type Money struct {
	Amount   decimal.Decimal
	Currency string
}

// Normalize upper-cases the currency and reports what is wrong with m under field: an unknown
// currency, a negative amount, or more decimal places than the currency has.
func (m *Money) Normalize(field string, bad *apperr.Fields) {
	m.Currency = strings.ToUpper(strings.TrimSpace(m.Currency))
	unit, err := currency.ParseISO(m.Currency)
	if err != nil {
		bad.Add(field+".currency", "must be an ISO 4217 currency code")
		return
	}
	scale := scaleOf(unit)
	switch {
	case m.Amount.IsNegative():
		bad.Add(field+".amount", "must not be negative")
	case !m.Amount.Equal(m.Amount.Round(scale)):
		bad.Add(field+".amount", "must have at most %d decimal places for %s", scale, m.Currency)
	}
}

// String formats the amount with exactly the currency's decimal places, e.g. "19.90" for EUR.
func (m Money) String() string {
	scale := int32(2)
	if unit, err := currency.ParseISO(m.Currency); err == nil {
		scale = scaleOf(unit)
	}
	return m.Amount.StringFixed(scale)
}

func scaleOf(unit currency.Unit) int32 {
	scale, _ := currency.Standard.Rounding(unit)
	return int32(scale)
}
