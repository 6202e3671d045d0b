package storage_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/rapportcrm/rapport/pkg/customer"
	"github.com/rapportcrm/rapport/pkg/loyalty"
	"github.com/rapportcrm/rapport/pkg/page"
)

func TestLoyaltyProgramStore(t *testing.T) {
	f := newFixture(t)
	s := f.db.LoyaltyProgramStore()
	tiered := loyalty.Program{OrgID: f.org, Active: true, PointsPerUnit: decimal.RequireFromString("1.5"), Rounding: "round", MinRedemption: 100,
		Tiers:            []loyalty.Tier{{Name: "silver", QualifyingPoints: 500, Multiplier: decimal.RequireFromString("1.25"), Benefits: "free shipping"}},
		TierWindowMonths: 6, ExpiryMonths: ptr(24), UpdatedAt: f.now}
	program := func(t *testing.T, org uuid.UUID) loyalty.Program {
		t.Helper()
		p, err := s.Program(f.ctx, org)
		must(t, err)
		return p
	}
	same := func(t *testing.T, got, want loyalty.Program) {
		t.Helper()
		if !got.PointsPerUnit.Equal(want.PointsPerUnit) || len(got.Tiers) != len(want.Tiers) {
			t.Fatalf("program:\n got %+v\nwant %+v", got, want)
		}
		for i := range got.Tiers {
			if !got.Tiers[i].Multiplier.Equal(want.Tiers[i].Multiplier) {
				t.Fatalf("tier %d: multiplier %v, want %v", i, got.Tiers[i].Multiplier, want.Tiers[i].Multiplier)
			}
			got.Tiers[i].Multiplier = want.Tiers[i].Multiplier
		}
		got.PointsPerUnit = want.PointsPerUnit
		got.UpdatedAt = want.UpdatedAt // a known bug on re-saves, pinned by TestUpdateKeepsUpdatedAt
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("program:\n got %+v\nwant %+v", got, want)
		}
	}
	run(t, []contract{
		{"Program answers DefaultProgram until one is saved", func(t *testing.T) {
			same(t, program(t, f.other), loyalty.DefaultProgram(f.other))
		}},
		{"SaveProgram stores the program and saving again replaces it", func(t *testing.T) {
			must(t, s.SaveProgram(f.ctx, tiered))
			same(t, program(t, f.org), tiered)
			flat := loyalty.DefaultProgram(f.org)
			flat.Active, flat.UpdatedAt = true, f.now.Add(time.Minute)
			must(t, s.SaveProgram(f.ctx, flat))
			same(t, program(t, f.org), flat)
			must(t, s.SaveProgram(f.ctx, tiered))
			same(t, program(t, f.other), loyalty.DefaultProgram(f.other))
		}},
		{"TieredPrograms returns the programs that have tiers", func(t *testing.T) {
			must(t, s.SaveProgram(f.ctx, tiered))
			flat := loyalty.DefaultProgram(f.other)
			flat.UpdatedAt = f.now
			must(t, s.SaveProgram(f.ctx, flat))
			got, err := s.TieredPrograms(f.ctx)
			must(t, err)
			if len(got) != 1 {
				t.Fatalf("tiered programs %+v, want the one of %v", got, f.org)
			}
			same(t, got[0], tiered)
		}},
	})
}

// lot is an unsaved ledger line that adds points, created at a time and expiring at another.
func lot(c customer.Customer, points int64, created time.Time, expires *time.Time) loyalty.Transaction {
	return loyalty.Transaction{ID: newID(), OrgID: c.OrgID, CustomerID: c.ID, Type: loyalty.Earn, Points: points, BalanceAfter: points,
		Actor: actor(c.OrgID), CreatedAt: created, Remaining: points, ExpiresAt: expires}
}

// line is an unsaved ledger line of a type.
func line(c customer.Customer, typ string, points int64, created time.Time) loyalty.Transaction {
	t := lot(c, points, created, nil)
	t.Type, t.Remaining = typ, 0
	return t
}

func TestLedgerStore(t *testing.T) {
	f := newFixture(t)
	s := f.db.LedgerStore()
	c, twin := f.twins(t)
	insert := func(t *testing.T, lines ...loyalty.Transaction) {
		t.Helper()
		for _, l := range lines {
			must(t, s.Insert(f.ctx, l))
		}
	}
	remaining := func(t *testing.T, lines ...loyalty.Transaction) []int64 {
		t.Helper()
		out := make([]int64, len(lines))
		for i, l := range lines {
			got, err := s.Transaction(f.ctx, l.OrgID, l.ID)
			must(t, err)
			out[i] = got.Remaining
		}
		return out
	}
	run(t, []contract{
		{"Account is empty until Apply creates it; Apply refuses a negative balance and changes nothing", func(t *testing.T) {
			who := f.customer(t, f.org)
			acc, err := s.Account(f.ctx, f.org, who.ID)
			must(t, err)
			if !reflect.DeepEqual(acc, loyalty.Account{CustomerID: who.ID}) {
				t.Fatalf("no account yet: %+v", acc)
			}
			balance, err := s.Apply(f.ctx, f.org, who.ID, 100, 100, 0, f.now)
			must(t, err)
			wantEqual(t, "balance", balance, int64(100))
			balance, err = s.Apply(f.ctx, f.org, who.ID, -30, 0, 30, f.now.Add(time.Minute))
			must(t, err)
			wantEqual(t, "balance after redeeming", balance, int64(70))
			_, err = s.Apply(f.ctx, f.org, who.ID, -71, 0, 71, f.now.Add(2*time.Minute))
			wantErr(t, "more than the balance", err, loyalty.ErrInsufficient)
			must(t, s.SetTier(f.ctx, f.org, who.ID, "silver"))
			acc, err = s.Account(f.ctx, f.org, who.ID)
			must(t, err)
			at := f.now.Add(time.Minute)
			want := loyalty.Account{CustomerID: who.ID, Balance: 70, LifetimeEarned: 100, LifetimeRedeemed: 30, Tier: "silver", UpdatedAt: &at}
			if !reflect.DeepEqual(acc, want) {
				t.Fatalf("account:\n got %+v\nwant %+v", acc, want)
			}
			acc, err = s.Account(f.ctx, f.other, who.ID)
			must(t, err)
			wantEqual(t, "another organization's balance", acc.Balance, int64(0))
		}},
		{"Insert keeps every field; ErrDuplicate for a taken external id, ErrAlreadyReversed for a second reversal", func(t *testing.T) {
			expires := f.now.Add(24 * time.Hour)
			earn := lot(c, 50, f.now, &expires)
			earn.Reason, earn.ExternalID = "welcome", "ledger-1"
			insert(t, earn)
			got, err := s.Transaction(f.ctx, f.org, earn.ID)
			must(t, err)
			if !reflect.DeepEqual(got, earn) {
				t.Fatalf("transaction:\n got %+v\nwant %+v", got, earn)
			}
			got, err = s.ByExternalID(f.ctx, f.org, "ledger-1")
			must(t, err)
			wantEqual(t, "by external id", got.ID, earn.ID)
			dup := line(c, loyalty.Adjust, 5, f.now)
			dup.ExternalID = "ledger-1"
			wantErr(t, "a taken external id", s.Insert(f.ctx, dup), loyalty.ErrDuplicate)
			reverse := line(c, loyalty.Reverse, -50, f.now)
			reverse.ReversesID = &earn.ID
			insert(t, reverse)
			again := reverse
			again.ID = newID()
			wantErr(t, "a second reversal", s.Insert(f.ctx, again), loyalty.ErrAlreadyReversed)
			wantErr(t, "another organization's", getErr(s.Transaction(f.ctx, f.other, earn.ID)), loyalty.ErrNotFound)
			wantErr(t, "another organization's, by external id", getErr(s.ByExternalID(f.ctx, f.other, "ledger-1")), loyalty.ErrNotFound)
			theirs := line(twin, loyalty.Adjust, 1, f.now)
			theirs.ExternalID = "ledger-1"
			insert(t, theirs)
		}},
		{"Transactions pages a customer's ledger", func(t *testing.T) {
			who := f.customer(t, f.org)
			lines := []loyalty.Transaction{lot(who, 1, f.now.Add(-2*time.Hour), nil), lot(who, 2, f.now.Add(-time.Hour), nil), lot(who, 3, f.now, nil)}
			insert(t, lines...)
			insert(t, lot(c, 4, f.now, nil))
			list := func(p page.Request) (page.Result[loyalty.Transaction], error) {
				return s.Transactions(f.ctx, f.org, who.ID, p)
			}
			wantOrders(t, list, func(l loyalty.Transaction) uuid.UUID { return l.ID }, order{"created_at", true, []uuid.UUID{lines[2].ID, lines[1].ID, lines[0].ID}})
		}},
		{"QualifyingPoints sums unreversed earnings less refunds since a time, past 500 customers", func(t *testing.T) {
			who, other, quiet := f.customer(t, f.org), f.customer(t, f.org), f.customer(t, f.org)
			since := f.now.Add(-24 * time.Hour)
			reversed := lot(who, 40, f.now, nil)
			refund := line(who, loyalty.Adjust, -15, f.now)
			refund.ExternalID = "purchase-refund:" + newID().String()
			undo := line(who, loyalty.Reverse, -40, f.now)
			undo.ReversesID = &reversed.ID
			insert(t, lot(who, 100, f.now, nil), lot(who, 1000, since.Add(-time.Second), nil), reversed, undo, refund,
				line(who, loyalty.Adjust, 7, f.now), line(who, loyalty.Redeem, -20, f.now), lot(other, 5, since, nil), lot(twin, 9, f.now, nil))
			asked := []uuid.UUID{who.ID, quiet.ID}
			for range 500 {
				asked = append(asked, newID())
			}
			got, err := s.QualifyingPoints(f.ctx, f.org, append(asked, other.ID), since)
			must(t, err)
			if !reflect.DeepEqual(got, map[uuid.UUID]int64{who.ID: 85, other.ID: 5}) {
				t.Fatalf("qualifying points %v, want %v: 85 and %v: 5", got, who.ID, other.ID)
			}
		}},
		{"LockAccounts creates the missing accounts, one or more than a chunk and past 500, and keeps the existing ones", func(t *testing.T) {
			existing := f.customer(t, f.org)
			_, err := s.Apply(f.ctx, f.org, existing.ID, 10, 10, 0, f.now)
			must(t, err)
			for _, n := range []int{1, max(f.chunk, 500) + 1} {
				cs := f.customers(t, f.org, n)
				asked := append(ids(cs, customerID), existing.ID)
				var got map[uuid.UUID]loyalty.Account
				must(t, f.db.InTx(f.ctx, func(ctx context.Context) error {
					got, err = s.LockAccounts(ctx, f.org, asked, f.now)
					return err
				}))
				wantEqual(t, "accounts", len(got), n+1)
				wantEqual(t, "the existing account's balance", got[existing.ID].Balance, int64(10))
				wantEqual(t, "a new account's balance", got[cs[n-1].ID].Balance, int64(0))
				acc, err := s.Account(f.ctx, f.org, cs[0].ID)
				must(t, err)
				if acc.UpdatedAt == nil {
					t.Fatal("LockAccounts created no account")
				}
			}
		}},
		{"LockAccounts holds the accounts until the transaction ends", func(t *testing.T) {
			who := f.customer(t, f.org)
			locked, release := make(chan struct{}), make(chan struct{})
			done := make(chan error, 1)
			go func() {
				done <- f.db.InTx(f.ctx, func(ctx context.Context) error {
					if _, err := s.LockAccounts(ctx, f.org, []uuid.UUID{who.ID}, f.now); err != nil {
						close(locked)
						return err
					}
					close(locked)
					<-release
					return nil
				})
			}()
			<-locked
			applied := make(chan error, 1)
			go func() {
				_, err := s.Apply(f.ctx, f.org, who.ID, 5, 5, 0, f.now)
				applied <- err
			}()
			select {
			case err := <-applied:
				close(release)
				t.Fatalf("Apply ran while the account was locked: %v", err)
			case <-time.After(200 * time.Millisecond):
			}
			close(release)
			must(t, <-done)
			must(t, <-applied)
		}},
		{"AppendEarnings inserts one line, or more than a chunk, and overwrites balance, lifetime earned and tier only", func(t *testing.T) {
			at := f.now.Add(time.Hour)
			for _, size := range []struct{ lines, accounts int }{{1, 1}, {f.chunk + 1, 3}} {
				cs := f.customers(t, f.org, size.accounts)
				accounts := make([]loyalty.Account, len(cs))
				for i, c := range cs {
					_, err := s.Apply(f.ctx, f.org, c.ID, 20, 20, 0, f.now)
					must(t, err)
					_, err = s.Apply(f.ctx, f.org, c.ID, -5, 0, 5, f.now)
					must(t, err)
					accounts[i] = loyalty.Account{CustomerID: c.ID, Balance: 25, LifetimeEarned: 30, LifetimeRedeemed: 999, Tier: "gold", UpdatedAt: &at}
				}
				lines := make([]loyalty.Transaction, size.lines)
				for i := range lines {
					lines[i] = lot(cs[i%len(cs)], 10, at, nil)
					lines[i].ExternalID = "earn-" + lines[i].ID.String()
				}
				must(t, s.AppendEarnings(f.ctx, f.org, lines, accounts))
				for _, c := range cs {
					acc, err := s.Account(f.ctx, f.org, c.ID)
					must(t, err)
					want := loyalty.Account{CustomerID: c.ID, Balance: 25, LifetimeEarned: 30, LifetimeRedeemed: 5, Tier: "gold", UpdatedAt: &at}
					if !reflect.DeepEqual(acc, want) {
						t.Fatalf("account:\n got %+v\nwant %+v", acc, want)
					}
				}
				for _, l := range []loyalty.Transaction{lines[0], lines[len(lines)-1]} {
					got, err := s.Transaction(f.ctx, f.org, l.ID)
					must(t, err)
					wantEqual(t, "earned line", got.Points, int64(10))
				}
				dup := lot(cs[0], 1, at, nil)
				dup.ExternalID = lines[0].ExternalID
				batch := []loyalty.Transaction{dup}
				if len(cs) > 1 {
					batch = append(batch, lot(cs[1], 1, at, nil))
				}
				wantErr(t, "a taken external id", s.AppendEarnings(f.ctx, f.org, batch, accounts[:1]), loyalty.ErrDuplicate)
			}
			must(t, s.AppendEarnings(f.ctx, f.org, nil, nil))
		}},
		{"ConsumeLots takes the preferred lot, then the soonest expiring, never-expiring last, oldest first", func(t *testing.T) {
			who := f.customer(t, f.org)
			soon, later := f.now.Add(24*time.Hour), f.now.Add(48*time.Hour)
			never := lot(who, 10, f.now.Add(-3*time.Hour), nil)
			laterLot := lot(who, 10, f.now.Add(-2*time.Hour), &later)
			soonNew := lot(who, 10, f.now.Add(-time.Hour), &soon)
			soonOld := lot(who, 10, f.now.Add(-2*time.Hour), &soon)
			preferred := lot(who, 10, f.now, nil)
			insert(t, never, laterLot, soonNew, soonOld, preferred)
			lots := []loyalty.Transaction{preferred, soonOld, soonNew, laterLot, never}
			steps := []struct {
				points int64
				prefer *uuid.UUID
				want   []int64
			}{
				{14, &preferred.ID, []int64{0, 6, 10, 10, 10}},
				{10, nil, []int64{0, 0, 6, 10, 10}},
				{16, nil, []int64{0, 0, 0, 0, 10}},
				{25, nil, []int64{0, 0, 0, 0, 0}}, // more than there is: takes what there is
			}
			for i, st := range steps {
				must(t, s.ConsumeLots(f.ctx, f.org, who.ID, st.points, st.prefer))
				if got := remaining(t, lots...); !reflect.DeepEqual(got, st.want) {
					t.Fatalf("step %d: remaining %v, want %v", i, got, st.want)
				}
			}
		}},
		{"ExpiringBy sums the customer's points in lots that expire by each time", func(t *testing.T) {
			who := f.customer(t, f.org)
			in1, in2 := f.now.Add(24*time.Hour), f.now.Add(48*time.Hour)
			insert(t, lot(who, 3, f.now, &in1), lot(who, 4, f.now, &in2), lot(who, 100, f.now, nil), lot(twin, 50, f.now, &in1))
			got, err := s.ExpiringBy(f.ctx, f.org, who.ID, []time.Time{f.now, in1, in2})
			must(t, err)
			if !reflect.DeepEqual(got, []int64{0, 3, 7}) {
				t.Fatalf("expiring %v", got)
			}
		}},
		{"ExpiredLots empties the lots expired by a time; OrgsWithExpiredLots names their organizations", func(t *testing.T) {
			org := f.organization(t, "EUR")
			a, b := f.customer(t, org), f.customer(t, org)
			past, future := f.now.Add(-time.Hour), f.now.Add(time.Hour)
			expired := []loyalty.Transaction{lot(a, 3, f.now.Add(-48*time.Hour), &past), lot(a, 4, f.now.Add(-48*time.Hour), &past), lot(b, 5, f.now.Add(-48*time.Hour), &f.now)}
			kept := []loyalty.Transaction{lot(a, 6, f.now, &future), lot(b, 7, f.now, nil)}
			insert(t, append(expired, kept...)...)
			orgs, err := s.OrgsWithExpiredLots(f.ctx, f.now)
			must(t, err)
			if !containsID(orgs, org) || containsID(orgs, f.other) {
				t.Fatalf("organizations with expired lots %v: want %v among them, and not %v", orgs, org, f.other)
			}
			got, err := s.ExpiredLots(f.ctx, org, f.now)
			must(t, err)
			if !reflect.DeepEqual(got, map[uuid.UUID]int64{a.ID: 7, b.ID: 5}) {
				t.Fatalf("expired %v", got)
			}
			if r := remaining(t, expired...); !reflect.DeepEqual(r, []int64{0, 0, 0}) {
				t.Fatalf("expired lots keep %v", r)
			}
			if r := remaining(t, kept...); r[0] != 6 || r[1] != 7 {
				t.Fatalf("lots not yet expired were emptied: %v", r)
			}
			got, err = s.ExpiredLots(f.ctx, org, f.now)
			must(t, err)
			wantEqual(t, "expired again", len(got), 0)
			orgs, err = s.OrgsWithExpiredLots(f.ctx, f.now)
			must(t, err)
			if containsID(orgs, org) {
				t.Fatal("an organization whose lots expired already is listed again")
			}
		}},
		{"EarnedBetween lists the customers with earnings in [from, to)", func(t *testing.T) {
			org := f.organization(t, "EUR")
			inside, boundary, adjusted := f.customer(t, org), f.customer(t, org), f.customer(t, org)
			from, to := f.now.Add(-time.Hour), f.now
			insert(t, lot(inside, 1, from, nil), lot(inside, 1, from.Add(time.Minute), nil), lot(boundary, 1, to, nil), line(adjusted, loyalty.Adjust, 1, from))
			got, err := s.EarnedBetween(f.ctx, org, from, to)
			must(t, err)
			wantSet(t, "earned", got, inside.ID)
		}},
	})
}

func containsID(ids []uuid.UUID, id uuid.UUID) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

func TestRewardStore(t *testing.T) {
	f := newFixture(t)
	s := f.db.RewardStore()
	c := f.customer(t, f.org)
	reward := func(t *testing.T, org uuid.UUID, stock *int64, active bool, at time.Time) loyalty.Reward {
		t.Helper()
		r := loyalty.Reward{ID: newID(), OrgID: org, Name: "Mug", Description: "a mug", CostPoints: 100, Stock: stock, MinTier: "silver",
			Active: active, Version: 1, CreatedAt: at, UpdatedAt: at}
		must(t, s.InsertReward(f.ctx, r))
		return r
	}
	stock := func(t *testing.T, r loyalty.Reward) *int64 {
		t.Helper()
		got, err := s.Reward(f.ctx, r.OrgID, r.ID)
		must(t, err)
		return got.Stock
	}
	run(t, []contract{
		{"InsertReward and Reward keep every field; UpdateReward writes on the stored version only", func(t *testing.T) {
			r := reward(t, f.org, ptr(int64(3)), true, f.now)
			got, err := s.Reward(f.ctx, f.org, r.ID)
			must(t, err)
			if !reflect.DeepEqual(got, r) {
				t.Fatalf("reward:\n got %+v\nwant %+v", got, r)
			}
			r.Name, r.Stock, r.Version = "Big mug", nil, 2
			must(t, s.UpdateReward(f.ctx, r, 1))
			got, err = s.Reward(f.ctx, f.org, r.ID)
			must(t, err)
			wantEqual(t, "name", got.Name, "Big mug")
			if got.Stock != nil {
				t.Fatalf("stock %v, want unlimited", *got.Stock)
			}
			wantErr(t, "a stale version", s.UpdateReward(f.ctx, r, 1), loyalty.ErrRewardConflict)
			wantErr(t, "another organization's", getErr(s.Reward(f.ctx, f.other, r.ID)), loyalty.ErrRewardNotFound)
			r.OrgID = f.other
			wantErr(t, "another organization's, updated", s.UpdateReward(f.ctx, r, 2), loyalty.ErrRewardConflict)
		}},
		{"Rewards pages the catalogue, active ones only when asked", func(t *testing.T) {
			org := f.organization(t, "EUR")
			a, b, cc := reward(t, org, nil, true, f.now.Add(-2*time.Hour)), reward(t, org, nil, false, f.now.Add(-time.Hour)), reward(t, org, nil, true, f.now)
			reward(t, f.other, nil, true, f.now)
			for _, activeOnly := range []bool{false, true} {
				list := func(p page.Request) (page.Result[loyalty.Reward], error) { return s.Rewards(f.ctx, org, activeOnly, p) }
				want := []uuid.UUID{a.ID, b.ID, cc.ID}
				if activeOnly {
					want = []uuid.UUID{a.ID, cc.ID}
				}
				wantOrders(t, list, func(r loyalty.Reward) uuid.UUID { return r.ID }, order{"created_at", false, want})
			}
		}},
		{"TakeStock takes from a limited stock, never below zero, gives back, and leaves unlimited rewards alone", func(t *testing.T) {
			limited, unlimited := reward(t, f.org, ptr(int64(3)), true, f.now), reward(t, f.org, nil, true, f.now)
			steps := []struct {
				name string
				n    int64
				err  error
				want int64
			}{
				{"take two", 2, nil, 1},
				{"take two more", 2, loyalty.ErrOutOfStock, 1},
				{"take the last", 1, nil, 0},
				{"take from none", 1, loyalty.ErrOutOfStock, 0},
				{"give two back", -2, nil, 2},
			}
			for _, st := range steps {
				wantErr(t, st.name, s.TakeStock(f.ctx, f.org, limited.ID, st.n), st.err)
				wantEqual(t, st.name, *stock(t, limited), st.want)
			}
			must(t, s.TakeStock(f.ctx, f.org, unlimited.ID, 5))
			if stock(t, unlimited) != nil {
				t.Fatal("TakeStock limited an unlimited reward")
			}
			// A reward the organization does not have is not limited there: nothing to take.
			wantErr(t, "another organization's reward", s.TakeStock(f.ctx, f.other, limited.ID, 1), nil)
			wantEqual(t, "after another organization took from it", *stock(t, limited), int64(2))
		}},
		{"Redemptions are stored, read per customer, paged and cancelled once", func(t *testing.T) {
			r := reward(t, f.org, nil, true, f.now)
			who := f.customer(t, f.org)
			reds := make([]loyalty.Redemption, 3)
			for i := range reds {
				reds[i] = loyalty.Redemption{ID: newID(), OrgID: f.org, CustomerID: who.ID, RewardID: r.ID, Code: "CODE-" + newID().String(),
					Points: 100, Status: loyalty.RedemptionActive, TransactionID: newID(), CreatedAt: f.now.Add(time.Duration(i) * time.Minute)}
				must(t, s.InsertRedemption(f.ctx, reds[i]))
			}
			got, err := s.Redemption(f.ctx, f.org, who.ID, reds[0].ID)
			must(t, err)
			if !reflect.DeepEqual(got, reds[0]) {
				t.Fatalf("redemption:\n got %+v\nwant %+v", got, reds[0])
			}
			wantErr(t, "another customer's", getErr(s.Redemption(f.ctx, f.org, c.ID, reds[0].ID)), loyalty.ErrRedemptionNotFound)
			wantErr(t, "another organization's", getErr(s.Redemption(f.ctx, f.other, who.ID, reds[0].ID)), loyalty.ErrRedemptionNotFound)
			list := func(p page.Request) (page.Result[loyalty.Redemption], error) {
				return s.Redemptions(f.ctx, f.org, who.ID, p)
			}
			wantOrders(t, list, func(r loyalty.Redemption) uuid.UUID { return r.ID }, order{"created_at", true, []uuid.UUID{reds[2].ID, reds[1].ID, reds[0].ID}})
			cancel := reds[0]
			undo, at := newID(), f.now.Add(time.Hour)
			cancel.Status, cancel.CancelTransactionID, cancel.CancelledAt = loyalty.RedemptionCancelled, &undo, &at
			for _, call := range []struct {
				name string
				want bool
			}{{"the first cancellation", true}, {"a second cancellation", false}} {
				did, err := s.CancelRedemption(f.ctx, cancel)
				must(t, err)
				wantEqual(t, call.name, did, call.want)
			}
			got, err = s.Redemption(f.ctx, f.org, who.ID, cancel.ID)
			must(t, err)
			if !reflect.DeepEqual(got, cancel) {
				t.Fatalf("cancelled redemption:\n got %+v\nwant %+v", got, cancel)
			}
		}},
	})
}
