package storage

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/rapportcrm/rapport/pkg/event"
	"github.com/rapportcrm/rapport/pkg/loyalty"
	"github.com/rapportcrm/rapport/pkg/page"
)

// LoyaltyStore keeps the loyalty programs and the points ledger.
type LoyaltyStore struct{ ContactStore }

var _ loyalty.Store = (*LoyaltyStore)(nil)

// LoyaltyStore returns the store over db.
func (db *DB) LoyaltyStore() *LoyaltyStore {
	return &LoyaltyStore{ContactStore{conn{db: db.gorm, dialect: db.dialect}}}
}

// Tx runs fn in a transaction.
func (s *LoyaltyStore) Tx(ctx context.Context, fn func(loyalty.Store) error) error {
	return inTx(ctx, s.conn, func(c conn) loyalty.Store { return &LoyaltyStore{ContactStore{c}} }, fn)
}

type programRow struct {
	OrgID         uuid.UUID `gorm:"primaryKey"`
	Active        bool
	PointsPerUnit decimal.Decimal
	Rounding      string
	MinRedemption int64
	UpdatedAt     time.Time
}

func (programRow) TableName() string { return "loyalty_programs" }

// Program returns the organization's program, or the default one.
func (s *LoyaltyStore) Program(ctx context.Context, orgID uuid.UUID) (loyalty.Program, error) {
	var r programRow
	err := s.with(ctx).Where("org_id = ?", orgID).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return loyalty.DefaultProgram(orgID), nil
	}
	if err != nil {
		return loyalty.Program{}, translate(err)
	}
	return loyalty.Program{OrgID: r.OrgID, Active: r.Active, PointsPerUnit: r.PointsPerUnit, Rounding: r.Rounding,
		MinRedemption: r.MinRedemption, UpdatedAt: r.UpdatedAt.UTC()}, nil
}

// SaveProgram stores the program.
func (s *LoyaltyStore) SaveProgram(ctx context.Context, p loyalty.Program) error {
	r := programRow{OrgID: p.OrgID, Active: p.Active, PointsPerUnit: p.PointsPerUnit, Rounding: p.Rounding, MinRedemption: p.MinRedemption, UpdatedAt: p.UpdatedAt}
	return translate(s.with(ctx).Clauses(clause.OnConflict{UpdateAll: true}).Create(&r).Error)
}

type accountRow struct {
	OrgID            uuid.UUID `gorm:"primaryKey"`
	CustomerID       uuid.UUID `gorm:"primaryKey"`
	Balance          int64
	LifetimeEarned   int64
	LifetimeRedeemed int64
	UpdatedAt        time.Time
}

func (accountRow) TableName() string { return "loyalty_accounts" }

// Account returns a customer's account, empty when it has none yet.
func (s *LoyaltyStore) Account(ctx context.Context, orgID, customerID uuid.UUID) (loyalty.Account, error) {
	var r accountRow
	err := s.with(ctx).Where("org_id = ? AND customer_id = ?", orgID, customerID).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return loyalty.Account{CustomerID: customerID}, nil
	}
	if err != nil {
		return loyalty.Account{}, translate(err)
	}
	at := r.UpdatedAt.UTC()
	return loyalty.Account{CustomerID: customerID, Balance: r.Balance, LifetimeEarned: r.LifetimeEarned, LifetimeRedeemed: r.LifetimeRedeemed, UpdatedAt: &at}, nil
}

// Apply moves an account's balance in one conditional UPDATE: the row lock (PostgreSQL) or the
// write lock (SQLite) makes racing requests queue, and the condition refuses a negative balance.
func (s *LoyaltyStore) Apply(ctx context.Context, orgID, customerID uuid.UUID, delta, earned, redeemed int64, at time.Time) (int64, error) {
	create := accountRow{OrgID: orgID, CustomerID: customerID, UpdatedAt: at}
	if err := s.with(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&create).Error; err != nil {
		return 0, translate(err)
	}
	var balance int64
	err := s.with(ctx).Raw(`UPDATE loyalty_accounts SET balance = balance + ?, lifetime_earned = lifetime_earned + ?,
		lifetime_redeemed = lifetime_redeemed + ?, updated_at = ?
		WHERE org_id = ? AND customer_id = ? AND balance + ? >= 0 RETURNING balance`,
		delta, earned, redeemed, at, orgID, customerID, delta).Row().Scan(&balance)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, loyalty.ErrInsufficient
	}
	return balance, translate(err)
}

type ledgerRow struct {
	OrgID        uuid.UUID `gorm:"primaryKey"`
	ID           uuid.UUID `gorm:"primaryKey"`
	CustomerID   uuid.UUID
	Type         string
	Points       int64
	BalanceAfter int64
	Reason       string
	ExternalID   *string
	ReversesID   *uuid.UUID
	ActorType    string
	ActorID      uuid.UUID
	CreatedAt    time.Time
}

func (ledgerRow) TableName() string { return "loyalty_transactions" }

func (r ledgerRow) toTransaction() loyalty.Transaction {
	return loyalty.Transaction{ID: r.ID, OrgID: r.OrgID, CustomerID: r.CustomerID, Type: r.Type, Points: r.Points,
		BalanceAfter: r.BalanceAfter, Reason: r.Reason, ExternalID: deref(r.ExternalID), ReversesID: r.ReversesID,
		Actor: event.Actor{OrgID: r.OrgID, Kind: r.ActorType, ID: r.ActorID}, CreatedAt: r.CreatedAt.UTC()}
}

// Insert appends a transaction.
func (s *LoyaltyStore) Insert(ctx context.Context, t loyalty.Transaction) error {
	row := ledgerRow{OrgID: t.OrgID, ID: t.ID, CustomerID: t.CustomerID, Type: t.Type, Points: t.Points, BalanceAfter: t.BalanceAfter,
		Reason: t.Reason, ExternalID: nullable(t.ExternalID), ReversesID: t.ReversesID, ActorType: t.Actor.Kind, ActorID: t.Actor.ID, CreatedAt: t.CreatedAt}
	err := s.with(ctx).Create(&row).Error
	if name, ok := uniqueViolation(err); ok {
		if strings.Contains(name, "reverses") {
			return loyalty.ErrAlreadyReversed
		}
		return loyalty.ErrDuplicate
	}
	return translate(err)
}

func (s *LoyaltyStore) take(q *gorm.DB) (loyalty.Transaction, error) {
	var r ledgerRow
	if err := q.Take(&r).Error; err != nil {
		return loyalty.Transaction{}, notFound(err, loyalty.ErrNotFound)
	}
	return r.toTransaction(), nil
}

// Transaction returns a ledger line.
func (s *LoyaltyStore) Transaction(ctx context.Context, orgID, id uuid.UUID) (loyalty.Transaction, error) {
	return s.take(s.with(ctx).Where("org_id = ? AND id = ?", orgID, id))
}

// ByExternalID finds a ledger line by the integrator's id.
func (s *LoyaltyStore) ByExternalID(ctx context.Context, orgID uuid.UUID, externalID string) (loyalty.Transaction, error) {
	return s.take(s.with(ctx).Where("org_id = ? AND external_id IS NOT NULL AND external_id = ?", orgID, externalID))
}

var ledgerSortKeys = map[string]sortKey[ledgerRow]{
	"created_at": {column: "created_at", isTime: true, value: func(r ledgerRow) any { return r.CreatedAt }},
}

// Transactions lists a customer's ledger.
func (s *LoyaltyStore) Transactions(ctx context.Context, orgID, customerID uuid.UUID, p page.Request) (page.Result[loyalty.Transaction], error) {
	q := s.with(ctx).Model(&ledgerRow{}).Where("org_id = ? AND customer_id = ?", orgID, customerID)
	return keysetPage(q, p, ledgerSortKeys, func(r ledgerRow) uuid.UUID { return r.ID }, gormScan[ledgerRow](q), ledgerRow.toTransaction)
}
