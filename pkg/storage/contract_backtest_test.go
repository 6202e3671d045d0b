package storage_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/rapportcrm/rapport/pkg/analytics"
	"github.com/rapportcrm/rapport/pkg/apperr"
	"github.com/rapportcrm/rapport/pkg/customer"
	"github.com/rapportcrm/rapport/pkg/page"
	"github.com/rapportcrm/rapport/pkg/purchase"
)

func TestBacktestStore(t *testing.T) {
	f := newFixture(t)
	s := f.db.AnalyticsStore()
	// The calibration ends at noon: the day it splits counts its morning in calibration.
	calEnd, holdEnd := asOf.Add(12*time.Hour), asOf.Add(60*day)
	dayOf := func(t time.Time) int { return int(t.Unix() / 86400) }
	run(t, []contract{
		{"PurchaseDays sums the counted purchases by day, split at the calibration end, and leaves out who first bought after it", func(t *testing.T) {
			org := f.organization(t, "EUR")
			split, late, once := f.customer(t, org), f.customer(t, org), f.customer(t, org)
			f.purchase(t, split, "10", calEnd.Add(-40*day))
			f.purchase(t, split, "5", calEnd.Add(-40*day+time.Hour)) // the same day
			f.purchase(t, split, "7", calEnd.Add(-time.Hour))
			f.purchase(t, split, "1", calEnd)                // at the calibration end: in it, as in a fit as of then
			f.purchase(t, split, "3", calEnd.Add(time.Hour)) // the same day, after the calibration end
			f.purchase(t, split, "20", calEnd.Add(10*day))
			f.purchase(t, split, "100", holdEnd.Add(time.Second)) // after the holdout
			f.purchase(t, late, "8", calEnd.Add(time.Second))
			f.purchase(t, late, "9", calEnd.Add(2*day))
			f.purchase(t, once, "4", calEnd.Add(-100*day))
			// Purchases no analysis counts, and another organization's.
			f.purchase(t, once, "1000", calEnd.Add(day), func(p *purchase.Purchase) { p.Amount.Currency = "USD" })
			f.purchase(t, once, "1000", calEnd.Add(day), func(p *purchase.Purchase) { p.Status = "refunded" })
			gone := f.customer(t, org)
			f.purchase(t, gone, "1000", calEnd.Add(-day))
			f.softDelete(t, gone)
			f.purchase(t, f.customer(t, f.other), "1000", calEnd.Add(-day))

			got, err := s.PurchaseDays(f.ctx, org, calEnd, holdEnd, "EUR")
			must(t, err)
			d := dayOf(calEnd)
			want := []analytics.PurchaseDays{
				{CustomerID: split.ID, Days: []int{d - 40, d, d, d + 10}, Values: []float64{15, 8, 3, 20}, Calibration: 2},
				{CustomerID: once.ID, Days: []int{d - 100}, Values: []float64{4}, Calibration: 1},
			}
			if want[0].CustomerID.String() > want[1].CustomerID.String() {
				want[0], want[1] = want[1], want[0]
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("purchase days:\n got %+v\nwant %+v", got, want)
			}
			// The calibration days are the history a fit as of the calibration end reads.
			histories, err := s.Histories(f.ctx, org, calEnd, "EUR")
			must(t, err)
			for _, h := range histories {
				for _, c := range got {
					if c.CustomerID != h.CustomerID {
						continue
					}
					total := 0.0
					for _, v := range c.Values[:c.Calibration] {
						total += v
					}
					if h.FirstDay != c.Days[0] || h.LastDay != c.Days[c.Calibration-1] || h.Days != c.Calibration || h.Total != total || h.FirstDayTotal != c.Values[0] {
						t.Errorf("history %+v, purchase days %+v", h, c)
					}
				}
			}
			wantEqual(t, "histories", len(histories), 2)
			none, err := s.PurchaseDays(f.ctx, f.organization(t, "EUR"), calEnd, holdEnd, "EUR")
			must(t, err)
			wantEqual(t, "customers of an organization without purchases", len(none), 0)
		}},
		{"ReplaceBacktestScores swaps the organization's rows, more than a chunk", func(t *testing.T) {
			org, id := f.organization(t, "EUR"), newID()
			p := analytics.BacktestParams{CalibrationEnd: calEnd, HoldoutEnd: holdEnd, AtRiskPAlive: 0.5}
			var scores []analytics.BacktestScore
			for i := range f.chunk + 2 {
				scores = append(scores, analytics.BacktestScore{CustomerID: newID(), RepeatPurchases: i, DaysSinceLastPurchase: 3 * i, PAlive: 0.25,
					PReturn: 0.125, PredictedPurchases: 1.5, BaselinePurchases: 2.25, ActualPurchases: i % 3, PredictedSpend: 30.5,
					BaselineSpend: 45.25, ActualSpend: 12.75})
			}
			must(t, s.ReplaceBacktestScores(f.ctx, f.other, newID(), p, scores[:1]))
			must(t, s.ReplaceBacktestScores(f.ctx, org, newID(), p, scores[:3]))
			must(t, s.ReplaceBacktestScores(f.ctx, org, id, p, scores))
			rows := backtestRows(t, f, org)
			wantEqual(t, "rows", len(rows), len(scores))
			for _, sc := range scores {
				if got := rows[sc.CustomerID]; !reflect.DeepEqual(got, backtestRow{id, calEnd, holdEnd, sc}) {
					t.Fatalf("row of %v:\n got %+v\nwant %+v", sc.CustomerID, got, backtestRow{id, calEnd, holdEnd, sc})
				}
			}
			must(t, s.ReplaceBacktestScores(f.ctx, org, id, p, nil))
			wantEqual(t, "rows after an empty backtest", len(backtestRows(t, f, org)), 0)
			wantEqual(t, "the other organization's rows", len(backtestRows(t, f, f.other)), 1)
		}},
		{"SaveBacktest stores a summary, again under its id; Backtests and Backtest read them in the organization only", func(t *testing.T) {
			org := f.organization(t, "EUR")
			var ids []uuid.UUID
			for i := range 3 {
				b := analytics.Backtest{ID: newID(), CreatedAt: f.now.Add(time.Duration(i) * time.Minute), CalibrationEnd: calEnd, HoldoutEnd: holdEnd,
					Currency: "EUR", Customers: 10 + i, Purchases: analytics.Accuracy{Actual: 5, Model: analytics.Forecast{Total: 4.5, MAE: 0.25}}}
				must(t, s.SaveBacktest(f.ctx, org, b))
				ids = append(ids, b.ID)
			}
			stranger := analytics.Backtest{ID: newID(), CreatedAt: f.now}
			must(t, s.SaveBacktest(f.ctx, f.other, stranger))
			again, err := s.Backtest(f.ctx, org, ids[1])
			must(t, err)
			again.Customers = 99 // the job ran again
			must(t, s.SaveBacktest(f.ctx, org, again))
			got, err := s.Backtest(f.ctx, org, ids[1])
			must(t, err)
			if !reflect.DeepEqual(got, again) {
				t.Fatalf("backtest:\n got %+v\nwant %+v", got, again)
			}
			list := func(p page.Request) (page.Result[analytics.Backtest], error) { return s.Backtests(f.ctx, org, p) }
			backtestID := func(b analytics.Backtest) uuid.UUID { return b.ID }
			wantOrders(t, list, backtestID, order{"created_at", true, []uuid.UUID{ids[2], ids[1], ids[0]}}, order{"created_at", false, ids})
			_, err = s.Backtest(f.ctx, org, stranger.ID)
			wantErr(t, "another organization's backtest", err, analytics.ErrBacktestNotFound)
		}},
		{"BacktestScores lists the rows of the organization's latest backtest by customer, and none of another", func(t *testing.T) {
			org, older, latest := f.organization(t, "EUR"), newID(), newID()
			p := analytics.BacktestParams{CalibrationEnd: calEnd, HoldoutEnd: holdEnd, AtRiskPAlive: 0.5}
			var scores []analytics.BacktestScore
			for i := range 5 {
				scores = append(scores, analytics.BacktestScore{CustomerID: newID(), RepeatPurchases: i, PAlive: 0.5, PReturn: 0.25,
					PredictedPurchases: 1.5, ActualPurchases: i % 2, PredictedSpend: 30.5, ActualSpend: 12.75})
			}
			slices.SortFunc(scores, func(a, b analytics.BacktestScore) int {
				return strings.Compare(a.CustomerID.String(), b.CustomerID.String())
			})
			must(t, s.ReplaceBacktestScores(f.ctx, org, older, p, scores[:2]))
			must(t, s.ReplaceBacktestScores(f.ctx, org, latest, p, scores))
			must(t, s.ReplaceBacktestScores(f.ctx, f.other, latest, p, scores[:1]))
			list := func(id uuid.UUID) func(page.Request) (page.Result[analytics.BacktestScore], error) {
				return func(p page.Request) (page.Result[analytics.BacktestScore], error) {
					return s.BacktestScores(f.ctx, org, id, p)
				}
			}
			customerID := func(c analytics.BacktestScore) uuid.UUID { return c.CustomerID }
			wantOrder(t, "rows by customer", walk(t, list(latest), "customer_id", false, 2, customerID), ids(scores, customerID)...)
			res, err := list(latest)(page.Request{Limit: 1, Sort: "customer_id", Desc: true})
			must(t, err)
			if !reflect.DeepEqual(res.Items, scores[4:]) {
				t.Fatalf("the last row:\n got %+v\nwant %+v", res.Items, scores[4:])
			}
			wantEqual(t, "rows of the older backtest", len(walk(t, list(older), "customer_id", false, 10, customerID)), 0)
		}},
		{"RunBacktest refuses an organization with too few repeat buyers, with the reason", func(t *testing.T) {
			org := f.organization(t, "EUR")
			c := f.customer(t, org, func(c *customer.Customer) { c.CreatedAt = calEnd.AddDate(-1, 0, 0) })
			f.purchase(t, c, "10", calEnd.Add(-50*day))
			f.purchase(t, c, "10", calEnd.Add(-20*day))
			f.purchase(t, c, "10", calEnd.Add(20*day))
			_, err := analytics.RunBacktest(f.ctx, s, org, newID(), "EUR", analytics.BacktestParams{CalibrationEnd: calEnd, HoldoutEnd: holdEnd, AtRiskPAlive: 0.5},
				func(float64) {})
			if apperr.KindOf(err) != apperr.KindInvalid || !strings.Contains(err.Error(), "too few customers with repeat purchases") {
				t.Fatalf("one repeat buyer: %v", err)
			}
			wantEqual(t, "rows written", len(backtestRows(t, f, org)), 0)
		}},
	})
}

type backtestRow struct {
	id                      uuid.UUID
	calibrationEnd, holdEnd time.Time
	score                   analytics.BacktestScore
}

// backtestRows reads the organization's backtest rows by customer.
func backtestRows(t *testing.T, f *fixture, org uuid.UUID) map[uuid.UUID]backtestRow {
	t.Helper()
	rows, err := f.db.SQL().QueryContext(f.ctx, `SELECT customer_id, backtest_id, calibration_end, holdout_end, repeat_purchases, days_since_last_purchase,
		p_alive, p_return, predicted_purchases, baseline_purchases, actual_purchases, predicted_spend, baseline_spend, actual_spend
		FROM clv_backtest_scores WHERE org_id = `+map[bool]string{true: "$1", false: "?"}[f.pg()], org.String())
	must(t, err)
	defer rows.Close()
	out := map[uuid.UUID]backtestRow{}
	for rows.Next() {
		var r backtestRow
		s := &r.score
		must(t, rows.Scan(&s.CustomerID, &r.id, &r.calibrationEnd, &r.holdEnd, &s.RepeatPurchases, &s.DaysSinceLastPurchase, &s.PAlive, &s.PReturn,
			&s.PredictedPurchases, &s.BaselinePurchases, &s.ActualPurchases, &s.PredictedSpend, &s.BaselineSpend, &s.ActualSpend))
		r.calibrationEnd, r.holdEnd = r.calibrationEnd.UTC(), r.holdEnd.UTC()
		out[s.CustomerID] = r
	}
	must(t, rows.Err())
	return out
}
