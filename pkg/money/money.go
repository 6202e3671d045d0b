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

// Limits of an amount: at most MaxDigits digits before the decimal point, which every column that
// keeps money (numeric(18, 4) and wider) and every sum of a customer's purchases can hold.
const MaxDigits = 14

// Normalize upper-cases the currency and reports what is wrong with m under the names the
// request gave its amount and currency: an unknown currency, a negative or too large amount, or
// more decimal places than the currency has.
func (m *Money) Normalize(amountField, currencyField string, bad *apperr.Fields) {
	m.Currency = strings.ToUpper(strings.TrimSpace(m.Currency))
	if _, err := currency.ParseISO(m.Currency); err != nil {
		bad.Add(currencyField, "must be an ISO 4217 currency code")
		return
	}
	scale := Scale(m.Currency)
	switch {
	case m.Amount.IsNegative():
		bad.Add(amountField, "must not be negative")
	case m.Amount.Truncate(0).NumDigits() > MaxDigits:
		bad.Add(amountField, "must be less than %s", decimal.New(1, MaxDigits))
	case !m.Amount.Equal(m.Amount.Round(scale)):
		bad.Add(amountField, "must have at most %d decimal places for %s", scale, m.Currency)
	}
}

// String formats the amount with exactly the currency's decimal places, e.g. "19.90" for EUR.
func (m Money) String() string { return m.Amount.StringFixed(Scale(m.Currency)) }

// Scale is how many decimal places amounts in the currency have (2 for an unknown one).
func Scale(code string) int32 {
	unit, err := currency.ParseISO(code)
	if err != nil {
		return 2
	}
	scale, _ := currency.Standard.Rounding(unit)
	return int32(scale)
}
