package storage

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/rapportcrm/rapport/pkg/loyalty"
)

// LoyaltyProgramStore keeps the organizations' loyalty programs.
type LoyaltyProgramStore struct{ conn }

var _ loyalty.ProgramStore = (*LoyaltyProgramStore)(nil)

// LoyaltyProgramStore returns the store over db.
func (db *DB) LoyaltyProgramStore() *LoyaltyProgramStore { return &LoyaltyProgramStore{db.conn} }

type programRow struct {
	OrgID            uuid.UUID `gorm:"primaryKey"`
	Active           bool
	PointsPerUnit    decimal.Decimal
	Rounding         string
	MinRedemption    int64
	Tiers            jsonValue[[]tierJSON]
	TierWindowMonths int
	ExpiryMonths     *int
	UpdatedAt        time.Time `gorm:"autoUpdateTime:false"`
}

type tierJSON struct {
	Name             string          `json:"name"`
	QualifyingPoints int64           `json:"qualifying_points"`
	Multiplier       decimal.Decimal `json:"multiplier"`
	Benefits         string          `json:"benefits"`
}

func (programRow) TableName() string { return "loyalty_programs" }

// Program returns the organization's program, or the default one.
func (s *LoyaltyProgramStore) Program(ctx context.Context, orgID uuid.UUID) (loyalty.Program, error) {
	var r programRow
	err := s.with(ctx).Where("org_id = ?", orgID).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return loyalty.DefaultProgram(orgID), nil
	}
	if err != nil {
		return loyalty.Program{}, translate(err)
	}
	p := loyalty.Program{OrgID: r.OrgID, Active: r.Active, PointsPerUnit: r.PointsPerUnit, Rounding: r.Rounding,
		MinRedemption: r.MinRedemption, TierWindowMonths: r.TierWindowMonths, ExpiryMonths: r.ExpiryMonths, Tiers: []loyalty.Tier{}, UpdatedAt: r.UpdatedAt.UTC()}
	for _, t := range r.Tiers.V {
		p.Tiers = append(p.Tiers, loyalty.Tier{Name: t.Name, QualifyingPoints: t.QualifyingPoints, Multiplier: t.Multiplier, Benefits: t.Benefits})
	}
	return p, nil
}

// SaveProgram stores the program.
func (s *LoyaltyProgramStore) SaveProgram(ctx context.Context, p loyalty.Program) error {
	r := programRow{OrgID: p.OrgID, Active: p.Active, PointsPerUnit: p.PointsPerUnit, Rounding: p.Rounding, MinRedemption: p.MinRedemption,
		TierWindowMonths: p.TierWindowMonths, ExpiryMonths: p.ExpiryMonths, Tiers: jsonValue[[]tierJSON]{V: []tierJSON{}}, UpdatedAt: p.UpdatedAt}
	for _, t := range p.Tiers {
		r.Tiers.V = append(r.Tiers.V, tierJSON{Name: t.Name, QualifyingPoints: t.QualifyingPoints, Multiplier: t.Multiplier, Benefits: t.Benefits})
	}
	return translate(s.with(ctx).Clauses(clause.OnConflict{UpdateAll: true}).Create(&r).Error)
}

// TieredPrograms returns the programs that have tiers.
func (s *LoyaltyProgramStore) TieredPrograms(ctx context.Context) ([]loyalty.Program, error) {
	var orgs []uuid.UUID
	if err := s.with(ctx).Model(&programRow{}).Where("tiers <> '[]'").Pluck("org_id", &orgs).Error; err != nil {
		return nil, translate(err)
	}
	out := make([]loyalty.Program, 0, len(orgs))
	for _, org := range orgs {
		p, err := s.Program(ctx, org)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}
