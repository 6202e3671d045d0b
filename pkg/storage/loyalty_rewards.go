package storage

import (
	"context"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/rapportcrm/rapport/pkg/loyalty"
	"github.com/rapportcrm/rapport/pkg/page"
)

// RewardStore keeps the rewards catalogue and the redemptions.
type RewardStore struct{ conn }

var _ loyalty.RewardStore = (*RewardStore)(nil)

// RewardStore returns the store over db.
func (db *DB) RewardStore() *RewardStore { return &RewardStore{db.conn} }

type rewardRow struct {
	OrgID       uuid.UUID `gorm:"primaryKey"`
	ID          uuid.UUID `gorm:"primaryKey"`
	Name        string
	Description string
	CostPoints  int64
	Stock       *int64
	MinTier     string
	Active      bool
	Version     int64
	CreatedAt   time.Time
	UpdatedAt   time.Time `gorm:"autoUpdateTime:false"`
}

func (rewardRow) TableName() string { return "loyalty_rewards" }

func toRewardRow(r loyalty.Reward) rewardRow {
	return rewardRow{OrgID: r.OrgID, ID: r.ID, Name: r.Name, Description: r.Description, CostPoints: r.CostPoints, Stock: r.Stock,
		MinTier: r.MinTier, Active: r.Active, Version: r.Version, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

func (r rewardRow) toReward() loyalty.Reward {
	return loyalty.Reward{ID: r.ID, OrgID: r.OrgID, Name: r.Name, Description: r.Description, CostPoints: r.CostPoints, Stock: r.Stock,
		MinTier: r.MinTier, Active: r.Active, Version: r.Version, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

// InsertReward adds a reward.
func (s *RewardStore) InsertReward(ctx context.Context, r loyalty.Reward) error {
	row := toRewardRow(r)
	return translate(s.with(ctx).Create(&row).Error)
}

// UpdateReward writes a reward whose stored version is prev.
func (s *RewardStore) UpdateReward(ctx context.Context, r loyalty.Reward, prev int64) error {
	row := toRewardRow(r)
	res := s.with(ctx).Model(&rewardRow{}).Where("org_id = ? AND id = ? AND version = ?", r.OrgID, r.ID, prev).
		Select("*").Omit("org_id", "id", "created_at").Updates(&row)
	if res.Error != nil {
		return translate(res.Error)
	}
	if res.RowsAffected == 0 {
		return loyalty.ErrRewardConflict
	}
	return nil
}

// Reward returns a reward.
func (s *RewardStore) Reward(ctx context.Context, orgID, id uuid.UUID) (loyalty.Reward, error) {
	var r rewardRow
	if err := s.with(ctx).Where("org_id = ? AND id = ?", orgID, id).Take(&r).Error; err != nil {
		return loyalty.Reward{}, notFound(err, loyalty.ErrRewardNotFound)
	}
	return r.toReward(), nil
}

var rewardSortKeys = map[string]sortKey[rewardRow]{
	"created_at": {column: "created_at", isTime: true, value: func(r rewardRow) any { return r.CreatedAt }},
}

// Rewards lists the catalogue.
func (s *RewardStore) Rewards(ctx context.Context, orgID uuid.UUID, activeOnly bool, p page.Request) (page.Result[loyalty.Reward], error) {
	q := s.with(ctx).Model(&rewardRow{}).Where("org_id = ?", orgID)
	if activeOnly {
		q = q.Where("active")
	}
	return keysetPage(q, p, rewardSortKeys, func(r rewardRow) uuid.UUID { return r.ID }, gormScan[rewardRow](q), rewardRow.toReward)
}

// TakeStock takes n of a limited reward (n < 0 gives back) in one conditional UPDATE, so that
// racing redemptions never take more than there is.
func (s *RewardStore) TakeStock(ctx context.Context, orgID, rewardID uuid.UUID, n int64) error {
	res := s.with(ctx).Model(&rewardRow{}).Where("org_id = ? AND id = ? AND stock IS NOT NULL AND stock >= ?", orgID, rewardID, n).
		UpdateColumn("stock", gorm.Expr("stock - ?", n))
	if res.Error != nil {
		return translate(res.Error)
	}
	if res.RowsAffected == 1 {
		return nil
	}
	var limited int64
	err := s.with(ctx).Model(&rewardRow{}).Where("org_id = ? AND id = ? AND stock IS NOT NULL", orgID, rewardID).Count(&limited).Error
	if err != nil {
		return translate(err)
	}
	if limited > 0 {
		return loyalty.ErrOutOfStock
	}
	return nil
}

type redemptionRow struct {
	OrgID               uuid.UUID `gorm:"primaryKey"`
	ID                  uuid.UUID `gorm:"primaryKey"`
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

func (redemptionRow) TableName() string { return "loyalty_redemptions" }

func (r redemptionRow) toRedemption() loyalty.Redemption {
	return loyalty.Redemption{ID: r.ID, OrgID: r.OrgID, CustomerID: r.CustomerID, RewardID: r.RewardID, Code: r.Code, Points: r.Points,
		Status: r.Status, TransactionID: r.TransactionID, CancelTransactionID: r.CancelTransactionID, CreatedAt: r.CreatedAt.UTC(),
		CancelledAt: utcPtr(r.CancelledAt)}
}

// InsertRedemption stores a redemption.
func (s *RewardStore) InsertRedemption(ctx context.Context, r loyalty.Redemption) error {
	row := redemptionRow{OrgID: r.OrgID, ID: r.ID, CustomerID: r.CustomerID, RewardID: r.RewardID, Code: r.Code, Points: r.Points,
		Status: r.Status, TransactionID: r.TransactionID, CreatedAt: r.CreatedAt}
	return translate(s.with(ctx).Create(&row).Error)
}

// CancelRedemption marks an active redemption cancelled.
func (s *RewardStore) CancelRedemption(ctx context.Context, r loyalty.Redemption) (bool, error) {
	res := s.with(ctx).Model(&redemptionRow{}).Where("org_id = ? AND id = ? AND status = ?", r.OrgID, r.ID, loyalty.RedemptionActive).
		Updates(map[string]any{"status": r.Status, "cancel_transaction_id": r.CancelTransactionID, "cancelled_at": r.CancelledAt})
	return res.RowsAffected == 1, translate(res.Error)
}

// Redemption returns a customer's redemption.
func (s *RewardStore) Redemption(ctx context.Context, orgID, customerID, id uuid.UUID) (loyalty.Redemption, error) {
	var r redemptionRow
	if err := s.with(ctx).Where("org_id = ? AND customer_id = ? AND id = ?", orgID, customerID, id).Take(&r).Error; err != nil {
		return loyalty.Redemption{}, notFound(err, loyalty.ErrRedemptionNotFound)
	}
	return r.toRedemption(), nil
}

var redemptionSortKeys = map[string]sortKey[redemptionRow]{
	"created_at": {column: "created_at", isTime: true, value: func(r redemptionRow) any { return r.CreatedAt }},
}

// Redemptions lists a customer's redemptions.
func (s *RewardStore) Redemptions(ctx context.Context, orgID, customerID uuid.UUID, p page.Request) (page.Result[loyalty.Redemption], error) {
	q := s.with(ctx).Model(&redemptionRow{}).Where("org_id = ? AND customer_id = ?", orgID, customerID)
	return keysetPage(q, p, redemptionSortKeys, func(r redemptionRow) uuid.UUID { return r.ID }, gormScan[redemptionRow](q), redemptionRow.toRedemption)
}
