package storage

import (
	"context"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/rapportcrm/rapport/pkg/analytics"
	"github.com/rapportcrm/rapport/pkg/page"
)

var _ analytics.BacktestStore = (*AnalyticsStore)(nil)

// PurchaseDays sums each customer's counted purchases to holdoutEnd by UTC day, the days after
// calibrationEnd apart, in one pass in customer and day order; a window leaves out the customers
// whose first purchase is after calibrationEnd. The days share two arrays, so that a million
// customers cost two allocations, not two million.
func (s *AnalyticsStore) PurchaseDays(ctx context.Context, orgID uuid.UUID, calibrationEnd, holdoutEnd time.Time, currency string) ([]analytics.PurchaseDays, error) {
	q := `SELECT customer_id, d, later, v FROM (
			SELECT customer_id, d, later, v, min(later) OVER (PARTITION BY customer_id) AS first_later
			FROM (SELECT p.customer_id, ` + s.day("p.occurred_at") + ` AS d, CASE WHEN p.occurred_at > ? THEN 1 ELSE 0 END AS later,
					sum(` + s.net() + `) AS v` + counted + `
				GROUP BY 1, 2, 3) days) x
		WHERE first_later = 0
		ORDER BY customer_id, d, later`
	var out []analytics.PurchaseDays
	err := s.heavy(ctx, func(tx *gorm.DB) error {
		rows, err := tx.Raw(q, calibrationEnd.UTC(), orgID, currency, holdoutEnd.UTC()).Rows()
		if err != nil {
			return err
		}
		var days []int
		var values []float64
		var starts []int // where each customer's days start
		err = eachRow(rows, func() error {
			var id uuid.UUID
			var d, later int
			var v float64
			if err := rows.Scan(&id, &d, &later, &v); err != nil {
				return err
			}
			if len(out) == 0 || out[len(out)-1].CustomerID != id {
				out = append(out, analytics.PurchaseDays{CustomerID: id})
				starts = append(starts, len(days))
			}
			if later == 0 {
				out[len(out)-1].Calibration++
			}
			days, values = append(days, d), append(values, v)
			return nil
		})
		for i := range out {
			end := len(days)
			if i+1 < len(out) {
				end = starts[i+1]
			}
			out[i].Days, out[i].Values = days[starts[i]:end:end], values[starts[i]:end:end]
		}
		return err
	})
	return out, translate(err)
}

const backtestColumns = `org_id, customer_id, backtest_id, calibration_end, holdout_end, repeat_purchases, days_since_last_purchase,
	p_alive, p_return, predicted_purchases, baseline_purchases, actual_purchases, predicted_spend, baseline_spend, actual_spend`

// ReplaceBacktestScores swaps the organization's backtest rows for the backtest's, in one
// transaction: on PostgreSQL with COPY, on SQLite in multi-row statements.
func (s *AnalyticsStore) ReplaceBacktestScores(ctx context.Context, orgID, id uuid.UUID, p analytics.BacktestParams, scores []analytics.BacktestScore) error {
	cal, hold := p.CalibrationEnd.UTC(), p.HoldoutEnd.UTC()
	return s.replaceScores(ctx, "clv_backtest_scores", backtestColumns, orgID, len(scores), func(i int) []any {
		c := scores[i]
		return []any{orgID, c.CustomerID, id, cal, hold, c.RepeatPurchases, c.DaysSinceLastPurchase, c.PAlive, c.PReturn,
			c.PredictedPurchases, c.BaselinePurchases, c.ActualPurchases, c.PredictedSpend, c.BaselineSpend, c.ActualSpend}
	})
}

type backtestRow struct {
	OrgID     uuid.UUID
	ID        uuid.UUID
	Summary   jsonValue[analytics.Backtest]
	CreatedAt time.Time
}

func (backtestRow) TableName() string { return "clv_backtests" }

var backtestSortKeys = map[string]sortKey[backtestRow]{
	"created_at": {column: "created_at", isTime: true, value: func(r backtestRow) any { return r.CreatedAt }},
}

// SaveBacktest stores a backtest's summary, replacing the one of the same id (a job run again).
func (s *AnalyticsStore) SaveBacktest(ctx context.Context, orgID uuid.UUID, b analytics.Backtest) error {
	row := backtestRow{OrgID: orgID, ID: b.ID, Summary: jsonValue[analytics.Backtest]{V: b}, CreatedAt: b.CreatedAt.UTC()}
	conflict := clause.OnConflict{Columns: []clause.Column{{Name: "org_id"}, {Name: "id"}}, DoUpdates: clause.AssignmentColumns([]string{"summary", "created_at"})}
	return translate(s.with(ctx).Clauses(conflict).Create(&row).Error)
}

// Backtests lists the organization's backtests.
func (s *AnalyticsStore) Backtests(ctx context.Context, orgID uuid.UUID, p page.Request) (page.Result[analytics.Backtest], error) {
	q := s.with(ctx).Model(&backtestRow{}).Where("org_id = ?", orgID)
	return keysetPage(q, p, backtestSortKeys, func(r backtestRow) uuid.UUID { return r.ID }, gormScan[backtestRow](q),
		func(r backtestRow) analytics.Backtest { return r.Summary.V })
}

// Backtest answers one of the organization's backtests.
func (s *AnalyticsStore) Backtest(ctx context.Context, orgID, id uuid.UUID) (analytics.Backtest, error) {
	var row backtestRow
	if err := s.with(ctx).Where("org_id = ? AND id = ?", orgID, id).Take(&row).Error; err != nil {
		return analytics.Backtest{}, notFound(err, analytics.ErrBacktestNotFound)
	}
	return row.Summary.V, nil
}

type backtestScoreRow struct {
	ID                    uuid.UUID // the customer's, as keyset pages need
	RepeatPurchases       int
	DaysSinceLastPurchase int
	PAlive                float64
	PReturn               float64
	PredictedPurchases    float64
	BaselinePurchases     float64
	ActualPurchases       int
	PredictedSpend        float64
	BaselineSpend         float64
	ActualSpend           float64
}

func (r backtestScoreRow) toScore() analytics.BacktestScore {
	return analytics.BacktestScore{CustomerID: r.ID, RepeatPurchases: r.RepeatPurchases, DaysSinceLastPurchase: r.DaysSinceLastPurchase,
		PAlive: r.PAlive, PReturn: r.PReturn, PredictedPurchases: r.PredictedPurchases, BaselinePurchases: r.BaselinePurchases,
		ActualPurchases: r.ActualPurchases, PredictedSpend: r.PredictedSpend, BaselineSpend: r.BaselineSpend, ActualSpend: r.ActualSpend}
}

var backtestScoreSortKeys = map[string]sortKey[backtestScoreRow]{
	"customer_id": {column: "id", value: func(r backtestScoreRow) any { return r.ID }},
}

// BacktestScores lists the per-customer rows of the backtest id, which are there only while it
// is the organization's latest.
func (s *AnalyticsStore) BacktestScores(ctx context.Context, orgID, id uuid.UUID, p page.Request) (page.Result[analytics.BacktestScore], error) {
	q := s.with(ctx).Table("(SELECT customer_id AS id, * FROM clv_backtest_scores WHERE org_id = ? AND backtest_id = ?) AS b", orgID, id)
	return keysetPage(q, p, backtestScoreSortKeys, func(r backtestScoreRow) uuid.UUID { return r.ID }, gormScan[backtestScoreRow](q),
		backtestScoreRow.toScore)
}
