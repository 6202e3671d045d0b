package storage_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/rapportcrm/rapport/pkg/analytics"
	"github.com/rapportcrm/rapport/pkg/customer"
	"github.com/rapportcrm/rapport/pkg/feedback"
	"github.com/rapportcrm/rapport/pkg/money"
	"github.com/rapportcrm/rapport/pkg/page"
	"github.com/rapportcrm/rapport/pkg/purchase"
)

// asOf is the end of the analysed history: midnight UTC, so that days since it are whole.
var asOf = time.Date(2025, 6, 30, 0, 0, 0, 0, time.UTC)

const day = 24 * time.Hour

// buyers seeds an organization in which customer i (1 to 5) bought i times for 10 EUR, last
// (6-i) days before asOf and every 30 days before that, so that each score of customer i is i.
// Beside them: purchases that no analysis counts. It answers the customers and their counted purchases.
func (f *fixture) buyers(t *testing.T) (uuid.UUID, []customer.Customer, []purchase.Purchase) {
	t.Helper()
	org := f.organization(t, "EUR")
	oldCustomer := func(c *customer.Customer) { c.CreatedAt = asOf.AddDate(-1, 0, 0) }
	var cs []customer.Customer
	var counted []purchase.Purchase
	for i := 1; i <= 5; i++ {
		c := f.customer(t, org, oldCustomer)
		for j := range i {
			counted = append(counted, f.purchase(t, c, "10", asOf.Add(-time.Duration(6-i)*day-time.Duration(30*j)*day)))
		}
		cs = append(cs, c)
	}
	uncounted := []func(*purchase.Purchase){
		func(p *purchase.Purchase) { p.Amount.Currency = "USD" },
		func(p *purchase.Purchase) { p.Status = "refunded" },
		func(p *purchase.Purchase) { p.OccurredAt = asOf.Add(time.Second) },
	}
	for _, edit := range uncounted {
		f.purchase(t, cs[0], "1000", asOf.Add(-day), edit)
	}
	gone := f.customer(t, org, oldCustomer)
	f.purchase(t, gone, "1000", asOf.Add(-day))
	f.softDelete(t, gone)
	return org, cs, counted
}

// month is a time's month as the analyses count them: year*12 + month - 1.
func month(t time.Time) int { return t.Year()*12 + int(t.Month()) - 1 }

func TestAnalyticsStore(t *testing.T) {
	f := newFixture(t)
	s := f.db.AnalyticsStore()
	org, cs, counted := f.buyers(t)
	run(t, []contract{
		{"OrgCurrency answers the organization's currency", func(t *testing.T) {
			cur, err := s.OrgCurrency(f.ctx, f.organization(t, "JPY"))
			must(t, err)
			wantEqual(t, "currency", cur, "JPY")
		}},
		{"ScoreSegments scores every counted buyer and answers the segments, cut-offs and concentration", func(t *testing.T) {
			seg, err := s.ScoreSegments(f.ctx, org, asOf, "EUR")
			must(t, err)
			wantEqual(t, "customers", seg.Customers, 5)
			wantEqual(t, "revenue", seg.Revenue.String(), "150")
			inSegments := 0
			for _, sf := range seg.Segments {
				inSegments += sf.Customers
			}
			wantEqual(t, "customers in the segments", inSegments, 5)
			wantEqual(t, "segments", len(seg.Segments), len(analytics.SegmentNames))
			ranges := func(value func(score int) float64) []analytics.ScoreRange {
				out := make([]analytics.ScoreRange, 5)
				for i := range out {
					out[i] = analytics.ScoreRange{Score: i + 1, Min: value(i + 1), Max: value(i + 1)}
				}
				return out
			}
			want := analytics.Cutoffs{
				Recency:   ranges(func(score int) float64 { return float64(6 - score) }),
				Frequency: ranges(func(score int) float64 { return float64(score) }),
				Monetary:  ranges(func(score int) float64 { return float64(10 * score) }),
			}
			if !reflect.DeepEqual(seg.Cutoffs, want) {
				t.Fatalf("cut-offs:\n got %+v\nwant %+v", seg.Cutoffs, want)
			}
			p := seg.Pareto
			if p.Customers != 5 || p.Revenue.String() != "150" || p.KeyAccounts != 1 || p.Gini != 0.2667 || p.TopShare != 0.3333 ||
				!p.WindowStartAt.Equal(asOf.AddDate(-1, 0, 0)) || len(p.Lorenz) != 101 {
				t.Fatalf("pareto %+v", p)
			}
			for k, share := range map[int]float64{0: 0, 20: 0.0667, 40: 0.2, 60: 0.4, 80: 0.6667, 100: 1} {
				wantEqual(t, "Lorenz point", p.Lorenz[k], analytics.LorenzPoint{Percentile: k, RevenueShare: share})
			}
			for i, c := range cs {
				score := i + 1
				got := f.get(t, c)
				if r := got.RFM; r == nil || r.Recency != score || r.FrequencyScore != score || r.MonetaryScore != score || r.Frequency != score ||
					r.Monetary != float64(10*score) || r.Revenue12M != float64(10*score) || r.Segment != analytics.Segment(score, score) ||
					r.KeyAccount != (score == 5) || !r.AsOf.Equal(asOf) {
					t.Fatalf("customer %d's scores: %+v", score, got.RFM)
				}
			}
			res, err := f.db.CustomerStore().List(f.ctx, org, customer.Filter{RFMSegment: analytics.Segment(5, 5)}, page.Request{Limit: 10, Sort: "created_at"})
			must(t, err)
			wantSet(t, "customers of the top segment", ids(res.Items, customerID), cs[4].ID)
			again, err := s.ScoreSegments(f.ctx, org, asOf, "EUR")
			must(t, err)
			wantEqual(t, "customers scored again", again.Customers, 5)
		}},
		{"Histories sums each customer's counted purchases by day", func(t *testing.T) {
			got, err := s.Histories(f.ctx, org, asOf, "EUR")
			must(t, err)
			byID := map[uuid.UUID]analytics.CustomerHistory{}
			for _, h := range got {
				byID[h.CustomerID] = h
			}
			wantEqual(t, "customers", len(got), 5)
			asOfDay := int(asOf.Unix() / 86400)
			for i, c := range cs {
				n := i + 1
				last := asOfDay - (6 - n)
				want := analytics.CustomerHistory{CustomerID: c.ID, FirstDay: last - 30*(n-1), LastDay: last, Days: n, Total: float64(10 * n),
					FirstDayTotal: 10, LastPurchaseAt: time.Unix(int64(last)*86400, 0).UTC()}
				if !reflect.DeepEqual(byID[c.ID], want) {
					t.Fatalf("history of customer %d:\n got %+v\nwant %+v", n, byID[c.ID], want)
				}
			}
			one := f.organization(t, "EUR")
			c := f.customer(t, one)
			f.purchase(t, c, "2", asOf.Add(-48*time.Hour+time.Hour))
			f.purchase(t, c, "3", asOf.Add(-48*time.Hour+2*time.Hour))
			f.purchase(t, c, "4", asOf.Add(-time.Hour))
			got, err = s.Histories(f.ctx, one, asOf, "EUR")
			must(t, err)
			if len(got) != 1 || got[0].Days != 2 || got[0].Total != 9 || got[0].FirstDayTotal != 5 || got[0].LastDay != asOfDay-1 {
				t.Fatalf("a customer with two purchases on one day: %+v", got)
			}
		}},
		{"Retention counts the buyers per month, those who bought again the next month, and the cohorts", func(t *testing.T) {
			first := month(asOf) - 3
			months := map[uuid.UUID]map[int]bool{}
			for _, p := range counted {
				if months[p.CustomerID] == nil {
					months[p.CustomerID] = map[int]bool{}
				}
				months[p.CustomerID][month(p.OccurredAt)] = true
			}
			active, retained, cells := map[int]int{}, map[int]int{}, map[analytics.CohortCell]int{}
			for _, ms := range months {
				cohort := month(asOf)
				for m := range ms {
					cohort = min(cohort, m)
				}
				for m := range ms {
					if m >= first {
						active[m]++
					}
					if m >= first && ms[m+1] {
						retained[m]++
					}
					if cohort >= first {
						cells[analytics.CohortCell{Cohort: cohort, Month: m}]++
					}
				}
			}
			gotActive, gotCells, err := s.Retention(f.ctx, org, first, asOf, "EUR")
			must(t, err)
			for _, m := range gotActive {
				if m.Active != active[m.Month] || m.RetainedNext != retained[m.Month] {
					t.Fatalf("month %d: %+v, want %d active, %d retained", m.Month, m, active[m.Month], retained[m.Month])
				}
				delete(active, m.Month)
			}
			if len(active) != 0 {
				t.Fatalf("months missing: %v", active)
			}
			gotMap := map[analytics.CohortCell]int{}
			for _, c := range gotCells {
				gotMap[analytics.CohortCell{Cohort: c.Cohort, Month: c.Month}] = c.Customers
			}
			if !reflect.DeepEqual(gotMap, cells) || len(cells) == 0 {
				t.Fatalf("cohorts:\n got %v\nwant %v", gotMap, cells)
			}
		}},
		{"ReplaceCLVScores swaps the scores, more than a chunk; WinBack and ChurnCandidates read the live scored customers", func(t *testing.T) {
			org := f.organization(t, "EUR")
			lapsed, recent, safe, churned := f.customer(t, org), f.customer(t, org), f.customer(t, org), f.customer(t, org, func(c *customer.Customer) {
				c.Status = customer.StatusChurned
			})
			gone := f.customer(t, org)
			score := func(c customer.Customer, pAlive, revenue float64, last time.Time) analytics.CLVScore {
				return analytics.CLVScore{CustomerID: c.ID, RepeatPurchases: 3, TenureWeeks: 52.5, PAlive: pAlive, ExpectedPurchases90: 0.25,
					ExpectedPurchases365: 1.5, ExpectedOrderValue: 42.5, CLV: 63.75, Revenue: revenue, LastPurchaseAt: last, Quadrant: "at_risk"}
			}
			scores := []analytics.CLVScore{
				score(lapsed, 0.2, 100, asOf.Add(-90*day)), score(recent, 0.1, 50, asOf.Add(-60*day)), score(safe, 0.7, 500, asOf),
				score(churned, 0.05, 500, asOf), score(gone, 0.05, 500, asOf),
			}
			for range f.chunk + 1 {
				scores = append(scores, score(customer.Customer{ID: newID()}, 0.01, 1000, asOf)) // no customer: never read
			}
			must(t, s.ReplaceCLVScores(f.ctx, org, asOf, scores))
			f.softDelete(t, gone)
			winBack := []struct {
				name          string
				risk, revenue float64
				limit, total  int
				want          []uuid.UUID
			}{
				{"revenue at least 60", 0.5, 60, 10, 2, []uuid.UUID{churned.ID, lapsed.ID}},
				{"the most recently lapsed first", 0.75, 0, 10, 3, []uuid.UUID{churned.ID, recent.ID, lapsed.ID}},
				{"limited", 0.75, 0, 1, 3, []uuid.UUID{churned.ID}},
			}
			stored := map[uuid.UUID]analytics.CLVScore{}
			for _, sc := range scores {
				stored[sc.CustomerID] = sc
			}
			for _, w := range winBack {
				got, total, err := s.WinBack(f.ctx, org, w.risk, w.revenue, w.limit)
				must(t, err)
				wantEqual(t, w.name+": total", total, w.total)
				wantOrder(t, w.name, ids(got, func(c analytics.CLVScore) uuid.UUID { return c.CustomerID }), w.want...)
				for _, sc := range got {
					if !reflect.DeepEqual(sc, stored[sc.CustomerID]) {
						t.Fatalf("a win-back score:\n got %+v\nwant %+v", sc, stored[sc.CustomerID])
					}
				}
			}
			candidates := []struct {
				limit, total int
				want         []uuid.UUID
			}{{10, 2, []uuid.UUID{recent.ID, lapsed.ID}}, {1, 2, []uuid.UUID{recent.ID}}, {0, 2, nil}}
			for _, c := range candidates {
				ids, total, err := s.ChurnCandidates(f.ctx, org, 0.75, c.limit)
				must(t, err)
				wantEqual(t, "churn candidates", total, c.total)
				wantOrder(t, "churn candidates", ids, c.want...)
			}
			must(t, s.ReplaceCLVScores(f.ctx, org, asOf, scores[2:3]))
			got, total, err := s.WinBack(f.ctx, org, 0, 0, 10)
			must(t, err)
			if total != 1 || got[0].CustomerID != safe.ID {
				t.Fatalf("after replacing the scores: %d, %+v", total, got)
			}
		}},
		{"SaveRun replaces a run of the same kind and date; LatestRun answers it or the latest", func(t *testing.T) {
			org := f.organization(t, "EUR")
			at := func(r analytics.Run) *time.Time { return &r.AsOf }
			first := analytics.Run{OrgID: org, Kind: analytics.KindCLV, AsOf: asOf, JobID: newID(), Summary: json.RawMessage(`{"fit":1}`), CreatedAt: f.now}
			second := analytics.Run{OrgID: org, Kind: analytics.KindCLV, AsOf: asOf.Add(-day), JobID: newID(), Summary: json.RawMessage(`{"fit":2}`), CreatedAt: f.now.Add(time.Minute)}
			redo := first
			redo.JobID, redo.Summary, redo.CreatedAt = newID(), json.RawMessage(`{"fit":3}`), f.now.Add(2*time.Minute)
			for _, r := range []analytics.Run{first, second, redo} {
				must(t, s.SaveRun(f.ctx, r))
			}
			reads := []struct {
				name string
				kind string
				org  uuid.UUID
				asOf *time.Time
				want *analytics.Run
			}{
				{"the latest", analytics.KindCLV, org, nil, &redo},
				{"as of a date", analytics.KindCLV, org, at(second), &second},
				{"the replaced run's date", analytics.KindCLV, org, at(first), &redo},
				{"another kind", analytics.KindSegmentation, org, nil, nil},
				{"another organization", analytics.KindCLV, f.other, nil, nil},
			}
			for _, r := range reads {
				got, err := s.LatestRun(f.ctx, r.org, r.kind, r.asOf)
				if r.want == nil {
					wantErr(t, r.name, err, analytics.ErrNoRun)
					continue
				}
				must(t, err)
				sameJSON(t, r.name, got.Summary, r.want.Summary)
				got.Summary = r.want.Summary
				if !reflect.DeepEqual(got, *r.want) {
					t.Fatalf("%s:\n got %+v\nwant %+v", r.name, got, *r.want)
				}
			}
		}},
		{"StageCounts counts live customers per stage, now or as of a past time; StageMoves counts the moves", func(t *testing.T) {
			org := f.organization(t, "EUR")
			t0, t1, t2 := asOf.Add(-10*day), asOf.Add(-5*day), asOf.Add(-2*day)
			createdAt := func(at time.Time, stage customer.LifecycleStage) func(*customer.Customer) {
				return func(c *customer.Customer) { c.CreatedAt, c.LifecycleStage = at, stage }
			}
			promoted := f.customer(t, org, createdAt(t0, customer.StageClient))
			f.record(t, promoted, "customer.lifecycle_stage_changed", t1, map[string]any{"from": "prospect", "to": "customer"})
			f.record(t, promoted, "customer.lifecycle_stage_changed", t2, map[string]any{"from": "customer", "to": "client"})
			f.customer(t, org, createdAt(t0, customer.StageProspect))
			f.customer(t, org, createdAt(t2, customer.StageCustomer))
			f.softDelete(t, f.customer(t, org, createdAt(t0, customer.StageClient)))
			f.record(t, f.customer(t, f.other, createdAt(t0, customer.StageClient)), "customer.lifecycle_stage_changed", t2,
				map[string]any{"from": "customer", "to": "client"})
			counts := []struct {
				name string
				asOf *time.Time
				want map[string]int
			}{
				{"now", nil, map[string]int{"client": 1, "prospect": 1, "customer": 1}},
				{"before both moves", ptr(t0.Add(time.Hour)), map[string]int{"prospect": 2}},
				{"between the moves", ptr(t1.Add(time.Hour)), map[string]int{"customer": 1, "prospect": 1}},
			}
			for _, c := range counts {
				got, err := s.StageCounts(f.ctx, org, c.asOf)
				must(t, err)
				if !reflect.DeepEqual(got, c.want) {
					t.Fatalf("%s: %v, want %v", c.name, got, c.want)
				}
			}
			moves, err := s.StageMoves(f.ctx, org, t0, t2)
			must(t, err)
			if !reflect.DeepEqual(moves, []analytics.StageMove{{From: "prospect", To: "customer", Count: 1}}) {
				t.Fatalf("moves in [t0, t2): %+v", moves)
			}
			moves, err = s.StageMoves(f.ctx, org, t2.Add(time.Hour), asOf)
			must(t, err)
			wantEqual(t, "moves of an empty period", len(moves), 0)
		}},
		{"LadderCandidates answers the live customers on a rule's rung that meet its condition", func(t *testing.T) {
			org := f.organization(t, "EUR")
			n := 0
			on := func(stage customer.LifecycleStage) customer.Customer {
				n++
				return f.customer(t, org, func(c *customer.Customer) { c.LifecycleStage, c.CreatedAt = stage, asOf.Add(-time.Duration(100-n)*day) })
			}
			nps := func(c customer.Customer, score int, at time.Time) {
				f.feedback(t, c, feedback.KindNPS, scored(score, "web", "", at))
			}
			bought, never, usd := on(customer.StageProspect), on(customer.StageProspect), on(customer.StageProspect)
			f.purchase(t, bought, "1", asOf.Add(-day))
			f.purchase(t, usd, "1", asOf.Add(-day), func(p *purchase.Purchase) { p.Amount.Currency = "USD" })
			f.purchase(t, never, "1", asOf.Add(day)) // after asOf
			oneDay, twoDays := on(customer.StageCustomer), on(customer.StageCustomer)
			f.purchase(t, oneDay, "1", asOf.Add(-day))
			f.purchase(t, oneDay, "1", asOf.Add(-day+time.Hour))
			f.purchase(t, twoDays, "1", asOf.Add(-3*day))
			f.purchase(t, twoDays, "1", asOf.Add(-day))
			promoter, lapsed := on(customer.StageClient), on(customer.StageClient)
			nps(promoter, 5, asOf.Add(-3*day))
			nps(promoter, 10, asOf.Add(-day))
			nps(lapsed, 10, asOf.Add(-3*day))
			nps(lapsed, 6, asOf.Add(-day))
			referrer, loner := on(customer.StageSupporter), on(customer.StageSupporter)
			nps(referrer, 9, asOf.Add(-day))
			nps(loner, 9, asOf.Add(-day))
			f.customer(t, org, func(c *customer.Customer) { c.ReferredByID, c.CreatedAt = &referrer.ID, asOf.Add(-day) })
			f.customer(t, org, func(c *customer.Customer) { c.ReferredByID, c.CreatedAt = &loner.ID, asOf.Add(day) }) // after asOf
			want := map[string][]uuid.UUID{
				"first_purchase": {bought.ID}, "repeat_purchase": {twoDays.ID}, "promoter": {promoter.ID}, "referral": {referrer.ID},
			}
			for _, rule := range analytics.LadderRules {
				got, total, err := s.LadderCandidates(f.ctx, org, rule, asOf, "EUR", 10)
				must(t, err)
				wantEqual(t, rule.Name+": total", total, len(want[rule.Name]))
				wantOrder(t, rule.Name, got, want[rule.Name]...)
				got, total, err = s.LadderCandidates(f.ctx, org, rule, asOf, "EUR", 0)
				must(t, err)
				if len(got) != 0 || total != len(want[rule.Name]) {
					t.Fatalf("%s with no room: %v, %d", rule.Name, got, total)
				}
			}
			if _, _, err := s.LadderCandidates(f.ctx, org, analytics.LadderRule{Name: "no_such_rule"}, asOf, "EUR", 10); err == nil {
				t.Fatal("an unknown rule was applied")
			}
		}},
		{"PeriodFacts sums the period's customers, sources, purchases, retention and status changes", func(t *testing.T) {
			from, to := asOf.Add(-30*day), asOf
			prevFrom := from.Add(-to.Sub(from))
			source := func(src string, at time.Time, cost *money.Money) func(*customer.Customer) {
				return func(c *customer.Customer) { c.Source, c.CreatedAt, c.AcquisitionCost = src, at, cost }
			}
			f.customer(t, org, source("ads", from, &money.Money{Amount: decimal.RequireFromString("5.5"), Currency: "EUR"}))
			f.customer(t, org, source("ads", from.Add(day), &money.Money{Amount: decimal.RequireFromString("7"), Currency: "USD"}))
			f.customer(t, org, source("web", from.Add(day), nil))
			f.customer(t, org, source("web", to, nil)) // after the period
			churnedEvent := map[string]any{"from": "active", "to": "churned"}
			f.record(t, cs[0], "customer.status_changed", from.Add(day), churnedEvent)
			f.record(t, cs[1], "customer.status_changed", from.Add(day), map[string]any{"from": "churned", "to": "won_back"})
			f.record(t, cs[2], "customer.status_changed", prevFrom, churnedEvent)
			want := analytics.PeriodFacts{TotalCustomers: 8, NewCustomers: 3, Churned: 1, WonBack: 1, Sources: map[string]analytics.SourceCost{
				"ads": {Customers: 2, WithCost: 1, Cost: 5.5}, "web": {Customers: 1}}}
			cur, prev, orders := map[uuid.UUID]int{}, map[uuid.UUID]bool{}, 0
			for _, p := range counted {
				switch {
				case !p.OccurredAt.Before(from) && p.OccurredAt.Before(to):
					cur[p.CustomerID]++
					orders++
					want.Revenue += 10
				case !p.OccurredAt.Before(prevFrom) && p.OccurredAt.Before(from):
					prev[p.CustomerID] = true
				}
			}
			want.ActiveCustomers, want.Orders, want.PrevActive = len(cur), orders, len(prev)
			for id, n := range cur {
				if n >= 2 {
					want.RepeatCustomers++
				}
				if prev[id] {
					want.Retained++
				}
			}
			got, err := s.PeriodFacts(f.ctx, org, from, to, "EUR")
			must(t, err)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("period facts:\n got %+v\nwant %+v", got, want)
			}
		}},
	})
}
