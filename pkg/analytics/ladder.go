package analytics

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/rapportcrm/rapport/pkg/apperr"
	"github.com/rapportcrm/rapport/pkg/event"
)

// LadderRule is a suggested promotion one rung up the loyalty ladder.
type LadderRule struct {
	Name, From, To, Description string
}

// LadderRules are the suggested promotions, applied in this order. Customers only move up.
var LadderRules = []LadderRule{
	{"first_purchase", "prospect", "customer", "a prospect with a purchase becomes a customer"},
	{"repeat_purchase", "customer", "client", "a customer who bought on two or more days becomes a client"},
	{"promoter", "client", "supporter", "a client whose latest NPS answer is 9 or 10 (a promoter) becomes a supporter"},
	{"referral", "supporter", "advocate", "a supporter who is still a promoter and referred a customer (referred_by_id) becomes an advocate"},
}

// StageMove is how many customers moved from one stage to another.
type StageMove struct {
	From  string `json:"from"`
	To    string `json:"to"`
	Count int    `json:"count"`
} // @name StageMove

// Ladder is the loyalty ladder: customers per stage now, and the moves of a period.
type Ladder struct {
	From   time.Time      `json:"from"`
	To     time.Time      `json:"to"`
	Stages map[string]int `json:"stages"`
	Moves  []StageMove    `json:"moves"`
} // @name LadderReport

// Change is one change the ladder or churn rules make to a customer.
type Change struct {
	CustomerID uuid.UUID `json:"customer_id"`
	Field      string    `json:"field" enums:"lifecycle_stage,status"`
	From       string    `json:"from"`
	To         string    `json:"to"`
	Rule       string    `json:"rule"`
} // @name RuleChange

var errPeriod = apperr.Invalid(apperr.FieldError{Field: "to", Message: "must be after from"})

// Ladder answers the stage counts as of asOf (nil: now) and the stage moves recorded in [from, to).
func (s *Service) Ladder(ctx context.Context, actor event.Actor, from, to time.Time, asOf *time.Time) (Ladder, error) {
	if !to.After(from) {
		return Ladder{}, errPeriod
	}
	counts, err := s.store.StageCounts(ctx, actor.OrgID, asOf)
	if err != nil {
		return Ladder{}, err
	}
	moves, err := s.store.StageMoves(ctx, actor.OrgID, from, to)
	if err != nil {
		return Ladder{}, err
	}
	return Ladder{From: from, To: to, Stages: counts, Moves: moves}, nil
}

// ApplyLadder promotes the customers that the rules name, as of asOf (with dry run, only lists
// them). It changes at most limit customers a call; the total says how many qualify.
func (s *Service) ApplyLadder(ctx context.Context, actor event.Actor, asOf *time.Time, limit int, dryRun bool) ([]Change, int, error) {
	at, err := s.asOf(asOf)
	if err != nil {
		return nil, 0, err
	}
	currency, err := s.store.OrgCurrency(ctx, actor.OrgID)
	if err != nil {
		return nil, 0, err
	}
	var changes []Change
	total := 0
	for _, rule := range LadderRules {
		ids, n, err := s.store.LadderCandidates(ctx, actor.OrgID, rule, at, currency, limit-len(changes))
		if err != nil {
			return nil, 0, err
		}
		total += n
		for _, id := range ids {
			changes = append(changes, Change{CustomerID: id, Field: "lifecycle_stage", From: rule.From, To: rule.To, Rule: rule.Name})
		}
	}
	changes, err = s.apply(ctx, actor, changes, dryRun)
	return changes, total, err
}

// apply makes the changes through the customer service, each with its events, and answers
// those made: a customer deleted since it was listed is left out. Each change commits on its own,
// so an error stops the run with the changes before it made.
func (s *Service) apply(ctx context.Context, actor event.Actor, changes []Change, dryRun bool) ([]Change, error) {
	if dryRun {
		return changes, nil
	}
	made := make([]Change, 0, len(changes))
	for _, c := range changes {
		stage, status := "", ""
		if c.Field == "status" {
			status = c.To
		} else {
			stage = c.To
		}
		err := s.customers.SetStageOrStatus(ctx, actor, c.CustomerID, stage, status)
		if apperr.KindOf(err) == apperr.KindNotFound {
			continue
		}
		if err != nil {
			return made, err
		}
		made = append(made, c)
	}
	return made, nil
}
