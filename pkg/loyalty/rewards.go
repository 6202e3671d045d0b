package loyalty

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/rapportcrm/rapport/pkg/apperr"
	"github.com/rapportcrm/rapport/pkg/event"
	"github.com/rapportcrm/rapport/pkg/page"
)

// Reward is an item of the catalogue that points buy.
type Reward struct {
	ID          uuid.UUID
	OrgID       uuid.UUID
	Name        string
	Description string
	CostPoints  int64
	// Stock is what is left; nil means unlimited.
	Stock *int64
	// MinTier keeps the reward for customers of that tier and above; "" for everyone.
	MinTier   string
	Active    bool
	Version   int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Redemption is a reward a customer took, with a code to hand over.
type Redemption struct {
	ID                  uuid.UUID
	OrgID               uuid.UUID
	CustomerID          uuid.UUID
	RewardID            uuid.UUID
	Code                string
	Points              int64
	Status              string
	TransactionID       uuid.UUID
	CancelTransactionID *uuid.UUID
	CreatedAt           time.Time
	CancelledAt         *time.Time
}

// Redemption statuses.
const (
	RedemptionActive    = "active"
	RedemptionCancelled = "cancelled"
)

// Errors of the catalogue.
var (
	ErrRewardNotFound     = apperr.New(apperr.KindNotFound, "reward not found")
	ErrRedemptionNotFound = apperr.New(apperr.KindNotFound, "redemption not found")
	ErrOutOfStock         = errors.New("the reward is out of stock")
	ErrRewardConflict     = apperr.New(apperr.KindConflict, "another request changed the reward at the same moment; retry")
)

// RewardStore keeps the catalogue and the redemptions.
type RewardStore interface {
	event.Recorder
	InsertReward(ctx context.Context, r Reward) error
	// UpdateReward writes r if its stored version is still prev, else ErrRewardConflict.
	UpdateReward(ctx context.Context, r Reward, prev int64) error
	Reward(ctx context.Context, orgID, id uuid.UUID) (Reward, error)
	Rewards(ctx context.Context, orgID uuid.UUID, activeOnly bool, p page.Request) (page.Result[Reward], error)
	// TakeStock takes one of a reward with a limited stock, or answers ErrOutOfStock; unlimited
	// rewards are left alone.
	TakeStock(ctx context.Context, orgID, rewardID uuid.UUID, n int64) error
	InsertRedemption(ctx context.Context, r Redemption) error
	// CancelRedemption marks an active redemption cancelled and reports whether this call did it.
	CancelRedemption(ctx context.Context, r Redemption) (bool, error)
	Redemption(ctx context.Context, orgID, customerID, id uuid.UUID) (Redemption, error)
	Redemptions(ctx context.Context, orgID, customerID uuid.UUID, p page.Request) (page.Result[Redemption], error)
}

// RewardInput is a reward's writable fields.
type RewardInput struct {
	Name, Description string
	CostPoints        int64
	Stock             *int64
	MinTier           string
	Active            bool
}

func checkReward(in RewardInput, program Program) error {
	var bad apperr.Fields
	if in.MinTier != "" && !slices.ContainsFunc(program.Tiers, func(t Tier) bool { return t.Name == in.MinTier }) {
		bad.Add("min_tier", "must be a tier of the program")
	}
	if strings.TrimSpace(in.Name) == "" {
		bad.Add("name", "is required")
	}
	if in.CostPoints <= 0 || in.CostPoints > MaxPoints {
		bad.Add("cost_points", "must be from 1 to %d", int64(MaxPoints))
	}
	if in.Stock != nil && *in.Stock < 0 {
		bad.Add("stock", "must not be negative")
	}
	return bad.Err()
}

// CreateReward adds a reward to the catalogue.
func (s *Service) CreateReward(ctx context.Context, actor event.Actor, in RewardInput) (Reward, error) {
	program, err := s.programs.Program(ctx, actor.OrgID)
	if err != nil {
		return Reward{}, err
	}
	if err := checkReward(in, program); err != nil {
		return Reward{}, err
	}
	now := s.now()
	r := Reward{ID: uuid.Must(uuid.NewV7()), OrgID: actor.OrgID, Name: strings.TrimSpace(in.Name), Description: strings.TrimSpace(in.Description),
		CostPoints: in.CostPoints, Stock: in.Stock, MinTier: in.MinTier, Active: in.Active, Version: 1, CreatedAt: now, UpdatedAt: now}
	err = s.tx.InTx(ctx, func(ctx context.Context) error {
		if err := s.rewards.InsertReward(ctx, r); err != nil {
			return err
		}
		ev := event.New(actor, "loyalty_reward.created", "loyalty_reward", r.ID)
		ev.Data = map[string]any{"name": r.Name, "cost_points": r.CostPoints}
		return s.rewards.RecordEvent(ctx, ev)
	})
	if err != nil {
		return Reward{}, fmt.Errorf("create reward: %w", err)
	}
	return r, nil
}

// UpdateReward replaces a reward's writable fields.
func (s *Service) UpdateReward(ctx context.Context, actor event.Actor, id uuid.UUID, in RewardInput) (Reward, error) {
	program, err := s.programs.Program(ctx, actor.OrgID)
	if err != nil {
		return Reward{}, err
	}
	if err := checkReward(in, program); err != nil {
		return Reward{}, err
	}
	var updated Reward
	err = s.tx.InTx(ctx, func(ctx context.Context) error {
		r, err := s.rewards.Reward(ctx, actor.OrgID, id)
		if err != nil {
			return err
		}
		prev := r.Version
		r.Name, r.Description, r.CostPoints, r.Stock, r.MinTier, r.Active = strings.TrimSpace(in.Name), strings.TrimSpace(in.Description), in.CostPoints, in.Stock, in.MinTier, in.Active
		r.Version, r.UpdatedAt = r.Version+1, s.now()
		if err := s.rewards.UpdateReward(ctx, r, prev); err != nil {
			return err
		}
		updated = r
		return s.rewards.RecordEvent(ctx, event.New(actor, "loyalty_reward.updated", "loyalty_reward", r.ID))
	})
	if err != nil {
		return Reward{}, fmt.Errorf("update reward: %w", err)
	}
	return updated, nil
}

// Reward returns a reward of the catalogue.
func (s *Service) Reward(ctx context.Context, orgID, id uuid.UUID) (Reward, error) {
	return s.rewards.Reward(ctx, orgID, id)
}

// Rewards lists the catalogue.
func (s *Service) Rewards(ctx context.Context, orgID uuid.UUID, activeOnly bool, p page.Request) (page.Result[Reward], error) {
	return s.rewards.Rewards(ctx, orgID, activeOnly, p)
}

// Redemptions lists a customer's redemptions.
func (s *Service) Redemptions(ctx context.Context, orgID, customerID uuid.UUID, p page.Request) (page.Result[Redemption], error) {
	if err := s.customers.CheckLive(ctx, orgID, customerID); err != nil {
		return page.Result[Redemption]{}, err
	}
	return s.rewards.Redemptions(ctx, orgID, customerID, p)
}

// codeAlphabet leaves out letters and digits that read alike (0/O, 1/I).
const codeAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

func newCode() string {
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = codeAlphabet[int(b[i])%len(codeAlphabet)]
	}
	return string(b[:5]) + "-" + string(b[5:])
}

// Redeem gives a customer a reward: it checks the reward is active, takes one from its stock,
// takes its cost from the balance and issues a code, all or nothing.
func (s *Service) Redeem(ctx context.Context, actor event.Actor, customerID, rewardID uuid.UUID) (Redemption, error) {
	var red Redemption
	err := s.tx.InTx(ctx, func(ctx context.Context) error {
		if err := s.customers.CheckLive(ctx, actor.OrgID, customerID); err != nil {
			return err
		}
		reward, err := s.rewards.Reward(ctx, actor.OrgID, rewardID)
		if errors.Is(err, ErrRewardNotFound) {
			return apperr.Invalid(apperr.FieldError{Field: "reward_id", Message: "no such reward in your organization"})
		}
		if err != nil {
			return err
		}
		if !reward.Active {
			return apperr.Invalid(apperr.FieldError{Field: "reward_id", Message: "the reward is not active"})
		}
		if reward.MinTier != "" {
			program, err := s.programs.Program(ctx, actor.OrgID)
			if err != nil {
				return err
			}
			st, err := s.standing(ctx, actor.OrgID, customerID, s.now())
			if err != nil {
				return err
			}
			if tierRank(program, st.Current.Name) < tierRank(program, reward.MinTier) {
				return apperr.Invalid(apperr.FieldError{Field: "reward_id", Message: "the reward is for " + reward.MinTier + " customers and above"})
			}
		}
		if err := s.rewards.TakeStock(ctx, actor.OrgID, rewardID, 1); errors.Is(err, ErrOutOfStock) {
			return apperr.Invalid(apperr.FieldError{Field: "reward_id", Message: "the reward is out of stock"})
		} else if err != nil {
			return err
		}
		t, _, err := s.Record(ctx, actor, customerID, Entry{Type: Redeem, Points: reward.CostPoints, Reason: "reward " + reward.Name})
		if err != nil {
			return err
		}
		red = Redemption{ID: uuid.Must(uuid.NewV7()), OrgID: actor.OrgID, CustomerID: customerID, RewardID: rewardID, Code: newCode(),
			Points: reward.CostPoints, Status: RedemptionActive, TransactionID: t.ID, CreatedAt: s.now()}
		if err := s.rewards.InsertRedemption(ctx, red); err != nil {
			return err
		}
		ev := event.New(actor, "loyalty.reward_redeemed", "loyalty_redemption", red.ID)
		ev.CustomerID = &customerID
		ev.Data = map[string]any{"reward_id": rewardID.String(), "reward": reward.Name, "points": reward.CostPoints}
		return s.rewards.RecordEvent(ctx, ev)
	})
	if err != nil {
		return Redemption{}, fmt.Errorf("redeem reward: %w", err)
	}
	return red, nil
}

// CancelRedemption gives back the points (reversing the redemption's transaction) and the stock.
func (s *Service) CancelRedemption(ctx context.Context, actor event.Actor, customerID, id uuid.UUID) (Redemption, error) {
	var red Redemption
	err := s.tx.InTx(ctx, func(ctx context.Context) error {
		r, err := s.rewards.Redemption(ctx, actor.OrgID, customerID, id)
		if err != nil {
			return err
		}
		if r.Status != RedemptionActive {
			return apperr.New(apperr.KindConflict, "the redemption is cancelled already")
		}
		t, _, err := s.Record(ctx, actor, customerID, Entry{Type: Reverse, ReversesID: &r.TransactionID})
		if err != nil {
			return err
		}
		now := s.now()
		r.Status, r.CancelTransactionID, r.CancelledAt = RedemptionCancelled, &t.ID, &now
		if ok, err := s.rewards.CancelRedemption(ctx, r); err != nil {
			return err
		} else if !ok {
			return apperr.New(apperr.KindConflict, "the redemption is cancelled already")
		}
		if err := s.rewards.TakeStock(ctx, actor.OrgID, r.RewardID, -1); err != nil {
			return err
		}
		ev := event.New(actor, "loyalty.redemption_cancelled", "loyalty_redemption", r.ID)
		ev.CustomerID = &customerID
		red = r
		return s.rewards.RecordEvent(ctx, ev)
	})
	if err != nil {
		return Redemption{}, fmt.Errorf("cancel redemption: %w", err)
	}
	return red, nil
}

// tierRank orders tiers: 0 below the first, then 1, 2, … up the program's list.
func tierRank(p Program, name string) int {
	return slices.IndexFunc(p.Tiers, func(t Tier) bool { return t.Name == name }) + 1
}
