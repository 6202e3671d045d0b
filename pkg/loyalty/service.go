package loyalty

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/rapportcrm/rapport/pkg/apperr"
	"github.com/rapportcrm/rapport/pkg/event"
	"github.com/rapportcrm/rapport/pkg/page"
)

// Service runs the program, the ledger and the rewards.
type Service struct {
	programs  ProgramStore
	ledger    LedgerStore
	rewards   RewardStore
	tx        Transactor
	customers Customers
	now       func() time.Time
}

// NewService returns the loyalty service; now is its clock (event.Now in production).
func NewService(programs ProgramStore, ledger LedgerStore, rewards RewardStore, tx Transactor, customers Customers, now func() time.Time) *Service {
	return &Service{programs: programs, ledger: ledger, rewards: rewards, tx: tx, customers: customers, now: now}
}

// Program returns the organization's program.
func (s *Service) Program(ctx context.Context, orgID uuid.UUID) (Program, error) {
	return s.programs.Program(ctx, orgID)
}

// SetProgram replaces the program; it applies to later transactions only.
func (s *Service) SetProgram(ctx context.Context, actor event.Actor, p Program) (Program, error) {
	var bad apperr.Fields
	if !p.PointsPerUnit.IsPositive() || p.PointsPerUnit.GreaterThan(decimal.NewFromInt(MaxPointsPerUnit)) {
		bad.Add("points_per_unit", "must be above 0 and at most %d", MaxPointsPerUnit)
	}
	if !slices.Contains(Roundings, p.Rounding) {
		bad.Add("rounding", "must be one of %s", strings.Join(Roundings, ", "))
	}
	if p.MinRedemption < 0 || p.MinRedemption > MaxPoints {
		bad.Add("min_redemption", "must be from 0 to %d", int64(MaxPoints))
	}
	if p.ExpiryMonths != nil && (*p.ExpiryMonths < 1 || *p.ExpiryMonths > 120) {
		bad.Add("expiry_months", "must be from 1 to 120, or null for points that never expire")
	}
	if p.TierWindowMonths < 1 || p.TierWindowMonths > 120 {
		bad.Add("tier_window_months", "must be from 1 to 120")
	}
	for i, t := range p.Tiers {
		field := fmt.Sprintf("tiers[%d]", i)
		if strings.TrimSpace(t.Name) == "" {
			bad.Add(field+".name", "is required")
		}
		if i > 0 && t.QualifyingPoints <= p.Tiers[i-1].QualifyingPoints {
			bad.Add(field+".qualifying_points", "must be above the previous tier's")
		}
		if t.QualifyingPoints < 0 || t.QualifyingPoints > MaxBalance {
			bad.Add(field+".qualifying_points", "must be from 0 to %d", int64(MaxBalance))
		}
		if !t.Multiplier.IsPositive() || t.Multiplier.GreaterThan(decimal.NewFromInt(MaxMultiplier)) {
			bad.Add(field+".multiplier", "must be above 0 and at most %d", MaxMultiplier)
		}
		for _, other := range p.Tiers[:i] {
			if other.Name == t.Name {
				bad.Add(field+".name", "is given twice")
			}
		}
	}
	if err := bad.Err(); err != nil {
		return Program{}, err
	}
	p.OrgID, p.UpdatedAt = actor.OrgID, s.now()
	err := s.tx.InTx(ctx, func(ctx context.Context) error {
		if err := s.programs.SaveProgram(ctx, p); err != nil {
			return err
		}
		ev := event.New(actor, "loyalty_program.updated", "organization", actor.OrgID)
		ev.Data = map[string]any{"active": p.Active, "points_per_unit": p.PointsPerUnit.String(), "rounding": p.Rounding, "min_redemption": p.MinRedemption}
		return s.programs.RecordEvent(ctx, ev)
	})
	if err != nil {
		return Program{}, fmt.Errorf("set loyalty program: %w", err)
	}
	return p, nil
}

// Standing returns a customer's account with the tier its qualifying points reach now.
func (s *Service) Standing(ctx context.Context, orgID, customerID uuid.UUID) (Standing, error) {
	if err := s.customers.CheckLive(ctx, orgID, customerID); err != nil {
		return Standing{}, err
	}
	now := s.now()
	standing, err := s.standing(ctx, orgID, customerID, now)
	if err != nil {
		return Standing{}, err
	}
	expiring, err := s.ledger.ExpiringBy(ctx, orgID, customerID, []time.Time{now.AddDate(0, 0, 30), now.AddDate(0, 0, 60), now.AddDate(0, 0, 90)})
	if err != nil {
		return Standing{}, err
	}
	standing.Expiring = [3]int64(expiring)
	return standing, nil
}

// standing is the account with its tier as of now (without the expiring figures).
func (s *Service) standing(ctx context.Context, orgID, customerID uuid.UUID, now time.Time) (Standing, error) {
	program, err := s.programs.Program(ctx, orgID)
	if err != nil {
		return Standing{}, err
	}
	account, err := s.ledger.Account(ctx, orgID, customerID)
	if err != nil {
		return Standing{}, err
	}
	q, err := s.ledger.QualifyingPoints(ctx, orgID, []uuid.UUID{customerID}, program.windowStart(now))
	if err != nil {
		return Standing{}, err
	}
	current, next := program.TierFor(q[customerID])
	return Standing{Account: account, QualifyingPoints: q[customerID], Current: current, Next: next}, nil
}

// Transactions lists a customer's ledger.
func (s *Service) Transactions(ctx context.Context, orgID, customerID uuid.UUID, p page.Request) (page.Result[Transaction], error) {
	if err := s.customers.CheckLive(ctx, orgID, customerID); err != nil {
		return page.Result[Transaction]{}, err
	}
	return s.ledger.Transactions(ctx, orgID, customerID, p)
}

// Record appends a transaction and moves the balance with it, atomically; the balance never goes
// below zero, however many requests race. An entry whose external_id was recorded before is not
// applied again: Record answers that transaction and created=false.
func (s *Service) Record(ctx context.Context, actor event.Actor, customerID uuid.UUID, e Entry) (Transaction, bool, error) {
	e.Reason, e.ExternalID = strings.TrimSpace(e.Reason), strings.TrimSpace(e.ExternalID)
	var bad apperr.Fields
	switch e.Type {
	case Earn, Redeem:
		if e.Points <= 0 {
			bad.Add("points", "must be positive")
		}
	case Adjust:
		if e.Points == 0 {
			bad.Add("points", "must not be zero")
		}
		if e.Reason == "" {
			bad.Add("reason", "is required for an adjustment")
		}
	case Reverse:
		if e.ReversesID == nil {
			bad.Add("reverses_id", "is required to reverse a transaction")
		}
	default:
		bad.Add("type", "must be one of %s", strings.Join(Types, ", "))
	}
	if e.Type == Earn && e.Reason == "" {
		bad.Add("reason", "is required for points earned by hand")
	}
	if e.Points > MaxPoints || e.Points < -MaxPoints {
		bad.Add("points", "must be at most %d in one transaction", int64(MaxPoints))
	}
	if err := bad.Err(); err != nil {
		return Transaction{}, false, err
	}
	var t Transaction
	created := false
	err := s.tx.InTx(ctx, func(ctx context.Context) error {
		if err := s.customers.CheckLive(ctx, actor.OrgID, customerID); err != nil {
			return err
		}
		if e.ExternalID != "" {
			if prior, err := s.ledger.ByExternalID(ctx, actor.OrgID, e.ExternalID); err == nil {
				t = prior
				return sameEntry(prior, customerID, e)
			} else if !errors.Is(err, ErrNotFound) {
				return err
			}
		}
		now := s.now()
		t = Transaction{ID: uuid.Must(uuid.NewV7()), OrgID: actor.OrgID, CustomerID: customerID, Type: e.Type, Points: e.Points,
			Reason: e.Reason, ExternalID: e.ExternalID, ReversesID: e.ReversesID, Actor: actor, CreatedAt: now}
		program, err := s.programs.Program(ctx, actor.OrgID)
		if err != nil {
			return err
		}
		var earned, redeemed int64
		switch e.Type {
		case Earn:
			earned = e.Points
		case Redeem:
			if e.Points < program.MinRedemption {
				return apperr.Invalid(apperr.FieldError{Field: "points", Message: fmt.Sprintf("must be at least the program's minimum redemption, %d", program.MinRedemption)})
			}
			t.Points, redeemed = -e.Points, e.Points
		case Reverse:
			orig, err := s.ledger.Transaction(ctx, actor.OrgID, *e.ReversesID)
			if errors.Is(err, ErrNotFound) || (err == nil && orig.CustomerID != customerID) {
				return apperr.Invalid(apperr.FieldError{Field: "reverses_id", Message: "must be a transaction of this customer"})
			}
			if err != nil {
				return err
			}
			if orig.Type == Reverse || orig.Type == Expire {
				return apperr.Invalid(apperr.FieldError{Field: "reverses_id", Message: "a reversal or an expiry cannot be reversed; adjust the balance instead"})
			}
			t.Points = -orig.Points
			switch orig.Type {
			case Earn:
				earned = -orig.Points
			case Redeem:
				redeemed = orig.Points // orig.Points is negative: the redeemed total drops
			}
		}
		balance, err := s.ledger.Apply(ctx, actor.OrgID, customerID, t.Points, earned, redeemed, now)
		if errors.Is(err, ErrInsufficient) {
			account, aerr := s.ledger.Account(ctx, actor.OrgID, customerID)
			if aerr != nil {
				return aerr
			}
			return apperr.Invalid(apperr.FieldError{Field: "points", Message: fmt.Sprintf("the balance is %d points; this would take it below zero", account.Balance)})
		}
		if errors.Is(err, ErrBalanceLimit) {
			return apperr.Invalid(apperr.FieldError{Field: "points", Message: fmt.Sprintf("this would take the balance above %d points", int64(MaxBalance))})
		}
		if err != nil {
			return err
		}
		// Stamped after Apply, which queues racing entries on the account: the ledger's order is the
		// order the balance moved in.
		t.ID, t.CreatedAt, t.BalanceAfter = uuid.Must(uuid.NewV7()), s.now(), balance
		if t.Points > 0 {
			t.Remaining, t.ExpiresAt = t.Points, program.lotExpiry(t.CreatedAt)
		} else if err := s.ledger.ConsumeLots(ctx, actor.OrgID, customerID, -t.Points, t.ReversesID); err != nil {
			return err
		}
		if err := s.ledger.Insert(ctx, t); err != nil {
			return err
		}
		if err := s.ledger.RecordEvent(ctx, transactionEvent(t)); err != nil {
			return err
		}
		created = true
		if t.Type == Redeem {
			return nil // redemptions leave qualifying points as they are
		}
		return s.retier(ctx, actor, customerID, t.CreatedAt)
	})
	if errors.Is(err, ErrDuplicate) { // a concurrent request recorded it first
		prior, perr := s.ledger.ByExternalID(ctx, actor.OrgID, e.ExternalID)
		return prior, false, perr
	}
	if err != nil {
		return Transaction{}, false, fmt.Errorf("record loyalty transaction: %w", err)
	}
	return t, created, nil
}

// ErrExternalIDUsed is answered for an entry whose external_id an earlier, different entry holds.
var ErrExternalIDUsed = apperr.New(apperr.KindConflict, "external_id is used by another transaction: another customer, type or number of points")

// sameEntry answers nil when the recorded transaction prior is what the entry e for the customer
// would record (a retry), else ErrExternalIDUsed naming it: a key never stands for two things.
func sameEntry(prior Transaction, customerID uuid.UUID, e Entry) error {
	points := e.Points
	if e.Type == Redeem {
		points = -points
	}
	same := prior.CustomerID == customerID && prior.Type == e.Type &&
		(e.Type == Reverse && prior.ReversesID != nil && e.ReversesID != nil && *prior.ReversesID == *e.ReversesID ||
			e.Type != Reverse && prior.Points == points)
	if !same {
		return ErrExternalIDUsed.With("existing_id", prior.ID.String())
	}
	return nil
}

// PointsFor is what an amount in the organization's currency earns under the program.
func PointsFor(p Program, amount decimal.Decimal) int64 {
	raw := amount.Mul(p.PointsPerUnit)
	switch p.Rounding {
	case "round":
		raw = raw.Round(0)
	case "ceil":
		raw = raw.Ceil()
	default:
		raw = raw.Floor()
	}
	if raw.GreaterThan(decimal.NewFromInt(MaxPoints)) { // before IntPart, which would wrap
		return MaxPoints
	}
	return raw.IntPart()
}

// PurchaseEarning is the ledger key of what a purchase earned.
func PurchaseEarning(purchaseID uuid.UUID) string { return "purchase:" + purchaseID.String() }

// EarnForPurchases awards the points of purchases in the organization's currency while the
// program is active, each with the multiplier of the tier the customer holds at that moment, so a
// purchase that lifts a customer to a higher tier makes their next purchases earn more. It works on
// the whole set at once: the accounts are created and locked (in customer order, so that
// concurrent batches queue instead of deadlocking), the qualifying points read (when the program
// has tiers), and the earn lines, accounts and events written in multi-row statements. Keyed by
// the purchase, a purchase never earns twice. Called inside the purchases' transaction (InTx),
// it commits or rolls back with them. It answers what each purchase earned, or why nothing: the
// program is inactive, the amount earns less than a point, or the balance is at MaxBalance. One
// purchase earns at most MaxPoints.
func (s *Service) EarnForPurchases(ctx context.Context, actor event.Actor, earnings []Earning) ([]Earned, error) {
	earned := make([]Earned, len(earnings))
	if len(earnings) == 0 {
		return earned, nil
	}
	program, err := s.programs.Program(ctx, actor.OrgID)
	if err != nil {
		return nil, err
	}
	if !program.Active {
		for i, e := range earnings {
			earned[i] = Earned{PurchaseID: e.PurchaseID, Reason: NoPointsProgramInactive}
		}
		return earned, nil
	}
	ids := make([]uuid.UUID, 0, len(earnings))
	for _, e := range earnings {
		ids = append(ids, e.CustomerID)
	}
	slices.SortFunc(ids, func(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) })
	ids = slices.Compact(ids)
	now := s.now()
	accounts, err := s.ledger.LockAccounts(ctx, actor.OrgID, ids, now)
	if err != nil {
		return nil, err
	}
	qualifying := map[uuid.UUID]int64{}
	if len(program.Tiers) > 0 {
		if qualifying, err = s.ledger.QualifyingPoints(ctx, actor.OrgID, ids, program.windowStart(now)); err != nil {
			return nil, err
		}
	}
	var lines []Transaction
	var events []event.Event
	moved := map[uuid.UUID]bool{}
	for i, e := range earnings {
		tier, _ := program.TierFor(qualifying[e.CustomerID])
		points := min(PointsFor(program, e.Amount.Mul(tier.multiplier())), MaxPoints)
		a := accounts[e.CustomerID]
		earned[i] = Earned{PurchaseID: e.PurchaseID, Points: points}
		switch {
		case points <= 0:
			earned[i] = Earned{PurchaseID: e.PurchaseID, Reason: NoPointsTooSmall}
			continue
		case a.Balance+points > MaxBalance:
			earned[i] = Earned{PurchaseID: e.PurchaseID, Reason: NoPointsBalanceLimit}
			continue
		}
		a.Balance, a.LifetimeEarned, a.UpdatedAt = a.Balance+points, a.LifetimeEarned+points, &now
		t := Transaction{ID: uuid.Must(uuid.NewV7()), OrgID: actor.OrgID, CustomerID: e.CustomerID, Type: Earn, Points: points,
			BalanceAfter: a.Balance, Reason: "purchase " + e.PurchaseID.String(), ExternalID: PurchaseEarning(e.PurchaseID),
			Actor: actor, CreatedAt: now, Remaining: points, ExpiresAt: program.lotExpiry(now)}
		lines, events = append(lines, t), append(events, transactionEvent(t))
		qualifying[e.CustomerID] += points
		if after, _ := program.TierFor(qualifying[e.CustomerID]); after.Name != a.Tier {
			events = append(events, tierEvent(actor, e.CustomerID, a.Tier, after.Name, qualifying[e.CustomerID]))
			a.Tier = after.Name
		}
		accounts[e.CustomerID], moved[e.CustomerID] = a, true
	}
	changed := make([]Account, 0, len(moved))
	for _, id := range ids {
		if moved[id] {
			changed = append(changed, accounts[id])
		}
	}
	if err := s.ledger.AppendEarnings(ctx, actor.OrgID, lines, changed); err != nil {
		return nil, err
	}
	return earned, s.ledger.RecordEvents(ctx, events)
}

// TakeBackForRefund removes the points a refund undoes: of what the purchase earned, the share
// refunded so far (rounded down) less the share refunded before, so that partial refunds add up
// to the whole. Points already spent cannot be taken back below a zero balance: the take-back
// stops there, and its reason says by how much it fell short.
func (s *Service) TakeBackForRefund(ctx context.Context, actor event.Actor, customerID, purchaseID uuid.UUID, amount, refundedBefore, refundedAfter decimal.Decimal) error {
	earned, err := s.ledger.ByExternalID(ctx, actor.OrgID, PurchaseEarning(purchaseID))
	if errors.Is(err, ErrNotFound) || amount.IsZero() {
		return nil
	}
	if err != nil {
		return err
	}
	share := func(refunded decimal.Decimal) int64 {
		return decimal.NewFromInt(earned.Points).Mul(refunded).Div(amount).Floor().IntPart()
	}
	due := share(refundedAfter) - share(refundedBefore)
	if due <= 0 {
		return nil
	}
	account, err := s.ledger.Account(ctx, actor.OrgID, customerID)
	if err != nil {
		return err
	}
	take, reason := min(due, account.Balance), "refund of purchase "+purchaseID.String()
	if take < due {
		reason += fmt.Sprintf(" (%d points were spent already)", due-take)
	}
	if take == 0 {
		return nil
	}
	_, _, err = s.Record(ctx, actor, customerID, Entry{Type: Adjust, Points: -take, Reason: reason,
		ExternalID: fmt.Sprintf("purchase-refund:%s:%s", purchaseID, refundedAfter.String())})
	return err
}

// retier records a change of the customer's tier (an event on the timeline) after a transaction
// moved their qualifying points.
func (s *Service) retier(ctx context.Context, actor event.Actor, customerID uuid.UUID, now time.Time) error {
	st, err := s.standing(ctx, actor.OrgID, customerID, now)
	if err != nil || st.Current.Name == st.Tier {
		return err
	}
	if err := s.ledger.SetTier(ctx, actor.OrgID, customerID, st.Current.Name); err != nil {
		return err
	}
	return s.ledger.RecordEvent(ctx, tierEvent(actor, customerID, st.Tier, st.Current.Name, st.QualifyingPoints))
}

// transactionEvent is the timeline's record of a ledger line.
func transactionEvent(t Transaction) event.Event {
	ev := event.New(t.Actor, "loyalty."+t.Type, "loyalty_transaction", t.ID)
	ev.CustomerID = &t.CustomerID
	ev.Data = map[string]any{"points": t.Points, "balance_after": t.BalanceAfter, "reason": t.Reason}
	return ev
}

// tierEvent is the timeline's record of a tier change.
func tierEvent(actor event.Actor, customerID uuid.UUID, from, to string, qualifying int64) event.Event {
	ev := event.New(actor, "loyalty.tier_changed", "customer", customerID)
	ev.Data = map[string]any{"from": from, "to": to, "qualifying_points": qualifying}
	return ev
}

// Simulate tells what a purchase of amount (in the organization's currency) would earn the
// customer now: the points with their tier's multiplier, and the tier they would reach.
func (s *Service) Simulate(ctx context.Context, orgID, customerID uuid.UUID, amount decimal.Decimal) (Simulation, error) {
	if err := s.customers.CheckLive(ctx, orgID, customerID); err != nil {
		return Simulation{}, err
	}
	program, err := s.programs.Program(ctx, orgID)
	if err != nil {
		return Simulation{}, err
	}
	st, err := s.standing(ctx, orgID, customerID, s.now())
	if err != nil {
		return Simulation{}, err
	}
	sim := Simulation{Multiplier: st.Current.multiplier(), TierBefore: st.Current.Name, TierAfter: st.Current.Name, Active: program.Active}
	if program.Active {
		sim.Points = PointsFor(program, amount.Mul(sim.Multiplier))
		after, _ := program.TierFor(st.QualifyingPoints + sim.Points)
		sim.TierAfter = after.Name
	}
	return sim, nil
}

// Expire expires the points of the organization's lots that expired by asOf (now when zero; never
// later than now): one expire line per customer, for what their expired lots had left. Running it
// again for the same asOf does nothing.
func (s *Service) Expire(ctx context.Context, actor event.Actor, asOf time.Time) (ExpireReport, error) {
	if asOf.IsZero() {
		asOf = s.now()
	}
	if asOf.After(s.now()) {
		return ExpireReport{}, apperr.Invalid(apperr.FieldError{Field: "as_of", Message: "must not be in the future: points expire when their time has come"})
	}
	var report ExpireReport
	err := s.tx.InTx(ctx, func(ctx context.Context) error {
		expired, err := s.ledger.ExpiredLots(ctx, actor.OrgID, asOf)
		if err != nil {
			return err
		}
		ids := make([]uuid.UUID, 0, len(expired))
		for id := range expired {
			ids = append(ids, id)
		}
		slices.SortFunc(ids, func(a, b uuid.UUID) int { return strings.Compare(a.String(), b.String()) })
		for _, customerID := range ids {
			points := expired[customerID]
			now := s.now()
			balance, err := s.ledger.Apply(ctx, actor.OrgID, customerID, -points, 0, 0, now)
			if err != nil {
				return fmt.Errorf("expire %d points of %s: %w", points, customerID, err)
			}
			t := Transaction{ID: uuid.Must(uuid.NewV7()), OrgID: actor.OrgID, CustomerID: customerID, Type: Expire, Points: -points,
				BalanceAfter: balance, Reason: "points earned until " + asOf.UTC().Format(time.DateOnly) + " expired", Actor: actor, CreatedAt: now}
			if err := s.ledger.Insert(ctx, t); err != nil {
				return err
			}
			if err := s.ledger.RecordEvent(ctx, transactionEvent(t)); err != nil {
				return err
			}
			report.Customers, report.Points = report.Customers+1, report.Points+points
		}
		return nil
	})
	if err != nil {
		return ExpireReport{}, fmt.Errorf("expire points: %w", err)
	}
	return report, nil
}

// ExpireDue expires what is due in every organization, as the system; the scheduled run.
func (s *Service) ExpireDue(ctx context.Context) (ExpireReport, error) {
	now := s.now()
	orgs, err := s.ledger.OrgsWithExpiredLots(ctx, now)
	if err != nil {
		return ExpireReport{}, err
	}
	var total ExpireReport
	for _, org := range orgs {
		r, err := s.Expire(ctx, event.Actor{OrgID: org, Kind: event.ActorSystem}, now)
		if err != nil {
			return total, err
		}
		total.Customers, total.Points = total.Customers+r.Customers, total.Points+r.Points
	}
	return total, nil
}

// RetierDue re-checks the tiers of customers whose earnings left their program's window in the
// last day, so that a downgrade that comes only from time passing is recorded (the scheduled
// run, hourly: the day's overlap makes a missed run harmless).
func (s *Service) RetierDue(ctx context.Context) (int, error) {
	programs, err := s.programs.TieredPrograms(ctx)
	if err != nil {
		return 0, err
	}
	now, moved := s.now(), 0
	for _, p := range programs {
		edge := now.AddDate(0, -p.TierWindowMonths, 0)
		customers, err := s.ledger.EarnedBetween(ctx, p.OrgID, edge.Add(-24*time.Hour), edge)
		if err != nil {
			return moved, err
		}
		actor := event.Actor{OrgID: p.OrgID, Kind: event.ActorSystem}
		for _, c := range customers {
			err := s.tx.InTx(ctx, func(ctx context.Context) error { return s.retier(ctx, actor, c, now) })
			if err != nil {
				return moved, err
			}
			moved++
		}
	}
	return moved, nil
}
