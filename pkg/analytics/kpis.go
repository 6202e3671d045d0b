package analytics

import (
	"context"
	"errors"
	"math"
	"time"

	"github.com/rapportcrm/rapport/pkg/event"
)

// SourceCost is what the customers acquired from one source cost.
type SourceCost struct {
	Customers int     // new customers of the period from the source
	WithCost  int     // of them, those with an acquisition cost in the organization's currency
	Cost      float64 // the sum of those costs
}

// PeriodFacts are the sums the KPIs are computed from.
type PeriodFacts struct {
	TotalCustomers   int // live customers created before the end of the period
	NewCustomers     int
	ActiveCustomers  int // bought in the period
	RepeatCustomers  int // bought two or more times in the period
	Orders           int
	Revenue          float64
	PrevActive       int // bought in the equally long period before
	Retained         int // bought in both
	Churned, WonBack int // status changes recorded in the period
	Sources          map[string]SourceCost
	AvgCLV           *float64 // mean CLV of the latest fit, if any
}

// KPIs are the organization's key figures over a period.
type KPIs struct {
	From, To                 time.Time
	Currency                 string
	Facts                    PeriodFacts
	RetentionRate, ChurnRate *float64
	RepeatPurchaseRate       *float64
	AverageOrderValue        *float64
	PurchaseFrequency        *float64
	CAC                      *float64
	CACBySource              map[string]*float64
	CLVToCAC                 *float64
}

// ratio is part/whole rounded to 4 decimals; nil when whole is 0.
func ratio(part, whole float64) *float64 {
	if whole == 0 {
		return nil
	}
	v := math.Round(part/whole*10000) / 10000
	return &v
}

// KPIs computes the figures of [from, to).
func (s *Service) KPIs(ctx context.Context, actor event.Actor, from, to time.Time) (KPIs, error) {
	if !to.After(from) {
		return KPIs{}, errPeriod
	}
	currency, err := s.store.OrgCurrency(ctx, actor.OrgID)
	if err != nil {
		return KPIs{}, err
	}
	f, err := s.store.PeriodFacts(ctx, actor.OrgID, from, to, currency)
	if err != nil {
		return KPIs{}, err
	}
	if fit, err := s.CLVFit(ctx, actor, nil); err == nil {
		f.AvgCLV = &fit.CLV.Mean
	} else if !errors.Is(err, ErrNoRun) {
		return KPIs{}, err
	}
	k := KPIs{From: from, To: to, Currency: currency, Facts: f, CACBySource: map[string]*float64{}}
	k.RetentionRate = ratio(float64(f.Retained), float64(f.PrevActive))
	k.ChurnRate = ratio(float64(f.PrevActive-f.Retained), float64(f.PrevActive))
	k.RepeatPurchaseRate = ratio(float64(f.RepeatCustomers), float64(f.ActiveCustomers))
	k.AverageOrderValue = ratio(f.Revenue, float64(f.Orders))
	k.PurchaseFrequency = ratio(float64(f.Orders), float64(f.ActiveCustomers))
	var cost float64
	var withCost int
	for src, c := range f.Sources {
		k.CACBySource[src] = ratio(c.Cost, float64(c.WithCost))
		cost += c.Cost
		withCost += c.WithCost
	}
	k.CAC = ratio(cost, float64(withCost))
	if k.CAC != nil && f.AvgCLV != nil && *k.CAC > 0 {
		k.CLVToCAC = ratio(*f.AvgCLV, *k.CAC)
	}
	return k, nil
}
