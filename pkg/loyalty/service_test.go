package loyalty

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/rapportcrm/rapport/pkg/apperr"
	"github.com/rapportcrm/rapport/pkg/apperr/apperrtest"
	"github.com/rapportcrm/rapport/pkg/event"
)

// The ledger the specs start from: Alice has 200 points and no tier; the program's minimum
// redemption is 100, earned points last 12 months, and 500 qualifying points make Silver.
var (
	org   = uuid.MustParse("00000000-0000-7000-8000-0000000000a0")
	alice = uuid.MustParse("00000000-0000-7000-8000-0000000000a1")
	bob   = uuid.MustParse("00000000-0000-7000-8000-0000000000b0")
	gone  = uuid.MustParse("00000000-0000-7000-8000-0000000000d0") // deleted
	clock = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

	earned100   = line(alice, Earn, 100, nil)
	redeemed150 = line(alice, Redeem, -150, nil)
	earned80    = line(alice, Earn, 80, nil)
	reversal    = line(alice, Reverse, -80, &earned80.ID) // earned80 is reversed already
	bobs        = line(bob, Earn, 40, nil)
	unknown     = uuid.New()
	replayed    = Transaction{ID: uuid.New(), OrgID: org, CustomerID: alice, Type: Earn, Points: 10, ExternalID: "pos-1"}
	racing      = Transaction{ID: uuid.New(), OrgID: org, CustomerID: alice, Type: Earn, Points: 20, ExternalID: "pos-9"}
)

func line(customer uuid.UUID, typ string, points int64, reverses *uuid.UUID) Transaction {
	return Transaction{ID: uuid.New(), OrgID: org, CustomerID: customer, Type: typ, Points: points, ReversesID: reverses}
}

// ledger is the state the fakes answer from, and what the service asked them to write.
type ledger struct {
	program    Program
	balance    int64
	tier       string
	qualifying int64 // Alice's qualifying points once the line is in
	// racer, when set, is a line with the entry's external_id that a concurrent request inserts
	// between Record's look-up and its insert.
	racer *Transaction
	wrote wrote
}

// wrote is what Record asked the ledger to write.
type wrote struct {
	Applied  []move
	Consumed []take
	Lines    []written
	Tiers    []string
	Events   []string
}

type move struct{ Delta, Earned, Redeemed int64 }

type take struct {
	Points int64
	Prefer *uuid.UUID
}

type written struct {
	Type                            string
	Points, BalanceAfter, Remaining int64
	Expires                         string // date the lot expires, "" if never
	Reverses                        *uuid.UUID
}

func startingLedger() *ledger {
	expiry := 12
	return &ledger{balance: 200, program: Program{OrgID: org, Active: true, PointsPerUnit: decimal.NewFromInt(1),
		Rounding: "floor", MinRedemption: 100, ExpiryMonths: &expiry, TierWindowMonths: 12,
		Tiers: []Tier{{Name: "Silver", QualifyingPoints: 500, Multiplier: decimal.NewFromInt(1)}}}}
}

func (l *ledger) service() *Service {
	lines := map[uuid.UUID]Transaction{}
	for _, t := range []Transaction{earned100, redeemed150, earned80, reversal, bobs} {
		lines[t.ID] = t
	}
	recorded := map[string]Transaction{replayed.ExternalID: replayed}
	ledger := &fakeLedger{
		AccountFn: func(_ context.Context, _, customerID uuid.UUID) (Account, error) {
			return Account{CustomerID: customerID, Balance: l.balance, Tier: l.tier}, nil
		},
		ApplyFn: func(_ context.Context, _, _ uuid.UUID, delta, earned, redeemed int64, _ time.Time) (int64, error) {
			if l.balance+delta < 0 {
				return 0, ErrInsufficient
			}
			l.balance += delta
			l.wrote.Applied = append(l.wrote.Applied, move{delta, earned, redeemed})
			return l.balance, nil
		},
		ConsumeLotsFn: func(_ context.Context, _, _ uuid.UUID, points int64, prefer *uuid.UUID) error {
			l.wrote.Consumed = append(l.wrote.Consumed, take{points, prefer})
			return nil
		},
		TransactionFn: func(_ context.Context, _, id uuid.UUID) (Transaction, error) {
			if t, ok := lines[id]; ok {
				return t, nil
			}
			return Transaction{}, ErrNotFound
		},
		ByExternalIDFn: func(_ context.Context, _ uuid.UUID, externalID string) (Transaction, error) {
			if t, ok := recorded[externalID]; ok {
				return t, nil
			}
			return Transaction{}, ErrNotFound
		},
		InsertFn: func(_ context.Context, t Transaction) error {
			if l.racer != nil {
				recorded[l.racer.ExternalID] = *l.racer
				return ErrDuplicate
			}
			if t.ReversesID != nil && *t.ReversesID == *reversal.ReversesID {
				return ErrAlreadyReversed
			}
			var expires string
			if t.ExpiresAt != nil {
				expires = t.ExpiresAt.Format(time.DateOnly)
			}
			l.wrote.Lines = append(l.wrote.Lines, written{t.Type, t.Points, t.BalanceAfter, t.Remaining, expires, t.ReversesID})
			return nil
		},
		QualifyingPointsFn: func(context.Context, uuid.UUID, []uuid.UUID, time.Time) (map[uuid.UUID]int64, error) {
			return map[uuid.UUID]int64{alice: l.qualifying}, nil
		},
		SetTierFn: func(_ context.Context, _, _ uuid.UUID, tier string) error {
			l.wrote.Tiers = append(l.wrote.Tiers, tier)
			return nil
		},
		RecordEventFn: func(_ context.Context, e event.Event) error {
			l.wrote.Events = append(l.wrote.Events, e.Type)
			return nil
		},
	}
	programs := &fakePrograms{ProgramFn: func(context.Context, uuid.UUID) (Program, error) { return l.program, nil }}
	customers := &fakeCustomers{CheckLiveFn: func(_ context.Context, _, id uuid.UUID) error {
		if id == alice || id == bob {
			return nil
		}
		return apperr.New(apperr.KindNotFound, "customer not found")
	}}
	return NewService(programs, ledger, nil, fakeTx{}, customers, func() time.Time { return clock })
}

func TestRecord(t *testing.T) {
	const nextYear = "2027-03-01"
	tests := []struct {
		name     string
		given    func(*ledger)
		customer uuid.UUID // Alice unless set
		entry    Entry
		err      *apperrtest.Want
		// answered is the prior line Record answers instead of writing one (created=false).
		answered *Transaction
		wrote    wrote
	}{
		// What an entry must say before the ledger is read.
		{name: "an earn needs positive points and a reason",
			entry: Entry{Type: Earn, Points: 0, Reason: "  "}, err: apperrtest.Invalid("points", "reason")},
		{name: "a redemption needs positive points",
			entry: Entry{Type: Redeem, Points: -100}, err: apperrtest.Invalid("points")},
		{name: "an adjustment needs non-zero points and a reason",
			entry: Entry{Type: Adjust, Points: 0}, err: apperrtest.Invalid("points", "reason")},
		{name: "a reversal names the line it reverses",
			entry: Entry{Type: Reverse, Points: 100, Reason: "oops"}, err: apperrtest.Invalid("reverses_id")},
		{name: "clients cannot post expiries",
			entry: Entry{Type: Expire, Points: 10, Reason: "x"}, err: apperrtest.Invalid("type")},
		{name: "the customer must be live",
			customer: gone, entry: Entry{Type: Earn, Points: 10, Reason: "gift"}, err: apperrtest.Kind(apperr.KindNotFound)},

		// Earning.
		{name: "an earn adds a lot that expires after the program's months, and counts as earned",
			entry: Entry{Type: Earn, Points: 100, Reason: "gift"},
			wrote: wrote{Applied: []move{{Delta: 100, Earned: 100}}, Lines: []written{{Earn, 100, 300, 100, nextYear, nil}},
				Events: []string{"loyalty.earn"}}},
		{name: "points of a program without expiry never expire",
			given: func(l *ledger) { l.program.ExpiryMonths = nil },
			entry: Entry{Type: Earn, Points: 100, Reason: "gift"},
			wrote: wrote{Applied: []move{{Delta: 100, Earned: 100}}, Lines: []written{{Earn, 100, 300, 100, "", nil}},
				Events: []string{"loyalty.earn"}}},
		{name: "an earn that lifts the qualifying points to a tier records the new tier",
			given: func(l *ledger) { l.qualifying = 500 },
			entry: Entry{Type: Earn, Points: 100, Reason: "gift"},
			wrote: wrote{Applied: []move{{Delta: 100, Earned: 100}}, Lines: []written{{Earn, 100, 300, 100, nextYear, nil}},
				Tiers: []string{"Silver"}, Events: []string{"loyalty.earn", "loyalty.tier_changed"}}},

		// Redeeming.
		{name: "a redemption below the program's minimum is refused",
			entry: Entry{Type: Redeem, Points: 99}, err: apperrtest.Invalid("points")},
		{name: "a redemption of the minimum takes the points from the lots and counts as redeemed",
			entry: Entry{Type: Redeem, Points: 100},
			wrote: wrote{Applied: []move{{Delta: -100, Redeemed: 100}}, Consumed: []take{{Points: 100}},
				Lines: []written{{Redeem, -100, 100, 0, "", nil}}, Events: []string{"loyalty.redeem"}}},
		{name: "a redemption beyond the balance is a field error and writes nothing",
			entry: Entry{Type: Redeem, Points: 201}, err: apperrtest.Invalid("points")},
		{name: "a redemption leaves the tier alone, even one the qualifying points no longer reach",
			given: func(l *ledger) { l.tier = "Silver" },
			entry: Entry{Type: Redeem, Points: 100},
			wrote: wrote{Applied: []move{{Delta: -100, Redeemed: 100}}, Consumed: []take{{Points: 100}},
				Lines: []written{{Redeem, -100, 100, 0, "", nil}}, Events: []string{"loyalty.redeem"}}},

		// Adjusting.
		{name: "a positive adjustment is a lot but not earned points",
			entry: Entry{Type: Adjust, Points: 30, Reason: "goodwill"},
			wrote: wrote{Applied: []move{{Delta: 30}}, Lines: []written{{Adjust, 30, 230, 30, nextYear, nil}},
				Events: []string{"loyalty.adjust"}}},
		{name: "a negative adjustment takes from the lots, has no minimum, and is not redeemed points",
			entry: Entry{Type: Adjust, Points: -30, Reason: "correction"},
			wrote: wrote{Applied: []move{{Delta: -30}}, Consumed: []take{{Points: 30}},
				Lines: []written{{Adjust, -30, 170, 0, "", nil}}, Events: []string{"loyalty.adjust"}}},
		{name: "a negative adjustment beyond the balance is a field error",
			entry: Entry{Type: Adjust, Points: -201, Reason: "correction"}, err: apperrtest.Invalid("points")},
		{name: "an adjustment after which the tier is out of reach records the fall",
			given: func(l *ledger) { l.tier = "Silver"; l.qualifying = 499 },
			entry: Entry{Type: Adjust, Points: -30, Reason: "correction"},
			wrote: wrote{Applied: []move{{Delta: -30}}, Consumed: []take{{Points: 30}},
				Lines: []written{{Adjust, -30, 170, 0, "", nil}}, Tiers: []string{""},
				Events: []string{"loyalty.adjust", "loyalty.tier_changed"}}},

		// Reversing.
		{name: "reversing an earn takes its points back from that lot first and un-earns them, whatever points the entry says",
			entry: Entry{Type: Reverse, Points: 5, ReversesID: &earned100.ID},
			wrote: wrote{Applied: []move{{Delta: -100, Earned: -100}}, Consumed: []take{{Points: 100, Prefer: &earned100.ID}},
				Lines: []written{{Reverse, -100, 100, 0, "", &earned100.ID}}, Events: []string{"loyalty.reverse"}}},
		{name: "reversing a redemption gives the points back as a new lot and un-redeems them",
			entry: Entry{Type: Reverse, ReversesID: &redeemed150.ID},
			wrote: wrote{Applied: []move{{Delta: 150, Redeemed: -150}}, Lines: []written{{Reverse, 150, 350, 150, nextYear, &redeemed150.ID}},
				Events: []string{"loyalty.reverse"}}},
		{name: "reversing an earn whose points were spent is a field error",
			given: func(l *ledger) { l.balance = 50 },
			entry: Entry{Type: Reverse, ReversesID: &earned100.ID}, err: apperrtest.Invalid("points")},
		{name: "a line of another customer cannot be reversed",
			entry: Entry{Type: Reverse, ReversesID: &bobs.ID}, err: apperrtest.Invalid("reverses_id")},
		{name: "an unknown line cannot be reversed",
			entry: Entry{Type: Reverse, ReversesID: &unknown}, err: apperrtest.Invalid("reverses_id")},
		{name: "a reversal cannot be reversed",
			entry: Entry{Type: Reverse, ReversesID: &reversal.ID}, err: apperrtest.Invalid("reverses_id")},
		{name: "a line is reversed once: the ledger's refusal is a conflict (the transaction rolls back what it applied)",
			entry: Entry{Type: Reverse, ReversesID: &earned80.ID}, err: apperrtest.Is(ErrAlreadyReversed),
			wrote: wrote{Applied: []move{{Delta: -80, Earned: -80}}, Consumed: []take{{Points: 80, Prefer: &earned80.ID}}}},

		// Replays.
		{name: "an external_id recorded before answers that line and writes nothing",
			entry:    Entry{Type: Earn, Points: 10, Reason: "gift", ExternalID: " pos-1 "},
			answered: &replayed},
		{name: "an external_id recorded before for another entry is a conflict, not that line",
			entry: Entry{Type: Redeem, Points: 150, ExternalID: "pos-1"}, err: apperrtest.Is(ErrExternalIDUsed)},
		{name: "an external_id recorded before for another customer is a conflict",
			customer: bob, entry: Entry{Type: Earn, Points: 10, Reason: "gift", ExternalID: "pos-1"}, err: apperrtest.Is(ErrExternalIDUsed)},
		{name: "more points than one transaction may move are refused",
			entry: Entry{Type: Earn, Points: MaxPoints + 1, Reason: "x"}, err: apperrtest.Invalid("points")},
		{name: "an external_id a concurrent request recorded first answers that request's line (what this one applied rolls back)",
			given:    func(l *ledger) { l.racer = &racing },
			entry:    Entry{Type: Earn, Points: 20, Reason: "gift", ExternalID: "pos-9"},
			answered: &racing,
			wrote:    wrote{Applied: []move{{Delta: 20, Earned: 20}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := startingLedger()
			if tc.given != nil {
				tc.given(l)
			}
			customer := tc.customer
			if customer == uuid.Nil {
				customer = alice
			}
			actor := event.Actor{OrgID: org, Kind: event.ActorUser, ID: uuid.New()}
			got, created, err := l.service().Record(context.Background(), actor, customer, tc.entry)
			apperrtest.Check(t, err, tc.err)
			if !reflect.DeepEqual(l.wrote, tc.wrote) {
				t.Errorf("wrote\n%+v\nwant\n%+v", l.wrote, tc.wrote)
			}
			switch {
			case err != nil:
			case tc.answered != nil:
				if created || got.ID != tc.answered.ID {
					t.Errorf("answered %+v, created=%v; want the prior line %+v, created=false", got, created, *tc.answered)
				}
			case !created || got.CustomerID != customer || got.Points != l.wrote.Lines[0].Points || !got.CreatedAt.Equal(clock):
				t.Errorf("answered %+v, created=%v; want the line written, created=true", got, created)
			}
		})
	}
}

// A store failure other than the ones Record handles reaches the caller as an internal error, not
// as a field error.
func TestRecordStoreFailureIsInternal(t *testing.T) {
	l := startingLedger()
	s := l.service()
	boom := errors.New("connection reset")
	s.ledger.(*fakeLedger).ConsumeLotsFn = func(context.Context, uuid.UUID, uuid.UUID, int64, *uuid.UUID) error { return boom }
	_, created, err := s.Record(context.Background(), event.Actor{OrgID: org}, alice, Entry{Type: Redeem, Points: 100})
	if !errors.Is(err, boom) || created || apperr.KindOf(err) != apperr.KindInternal {
		t.Fatalf("Record = created %v, %v; want the store's error, internal", created, err)
	}
}
