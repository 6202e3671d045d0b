package storage

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/rapportcrm/rapport/pkg/idempotency"
)

// IdempotencyStore keeps Idempotency-Key records, so that retries are answered from any instance.
type IdempotencyStore struct{ conn }

var _ idempotency.Store = (*IdempotencyStore)(nil)

// IdempotencyStore returns the store over db.
func (db *DB) IdempotencyStore() *IdempotencyStore {
	return &IdempotencyStore{db.conn}
}

type idempotencyRow struct {
	OrgID           uuid.UUID `gorm:"primaryKey"`
	CredentialID    uuid.UUID `gorm:"primaryKey"`
	Key             string    `gorm:"primaryKey"`
	RequestHash     string
	Done            bool
	StatusCode      int
	ResponseHeaders jsonValue[map[string]string]
	ResponseBody    []byte
	CreatedAt       time.Time
	ExpiresAt       time.Time
}

func (idempotencyRow) TableName() string { return "idempotency_keys" }

func (r idempotencyRow) where(db *gorm.DB) *gorm.DB {
	return db.Where("org_id = ? AND credential_id = ? AND key = ?", r.OrgID, r.CredentialID, r.Key)
}

// Claim inserts r as in flight, replacing an expired record; a live one is returned instead.
func (s *IdempotencyStore) Claim(ctx context.Context, r idempotency.Record) (*idempotency.Record, error) {
	row := idempotencyRow{OrgID: r.OrgID, CredentialID: r.CredentialID, Key: r.Key, RequestHash: r.RequestHash,
		CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt}
	var existing *idempotency.Record
	err := s.InTx(ctx, func(ctx context.Context) error {
		tx := s.with(ctx)
		if err := row.where(tx).Where("expires_at <= ?", r.CreatedAt).Delete(&idempotencyRow{}).Error; err != nil {
			return err
		}
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
		if res.Error != nil || res.RowsAffected == 1 {
			return res.Error
		}
		var found idempotencyRow
		if err := row.where(tx).Take(&found).Error; err != nil {
			return err
		}
		existing = &idempotency.Record{
			OrgID: found.OrgID, CredentialID: found.CredentialID, Key: found.Key, RequestHash: found.RequestHash,
			Done: found.Done, StatusCode: found.StatusCode, Headers: found.ResponseHeaders.V, Body: found.ResponseBody,
			CreatedAt: found.CreatedAt.UTC(), ExpiresAt: found.ExpiresAt.UTC(),
		}
		return nil
	})
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, errors.New("idempotency record vanished during claim")
	}
	return existing, translate(err)
}

// Complete stores the response of a claimed record.
func (s *IdempotencyStore) Complete(ctx context.Context, r idempotency.Record) error {
	row := idempotencyRow{OrgID: r.OrgID, CredentialID: r.CredentialID, Key: r.Key}
	return translate(row.where(s.with(ctx).Model(&idempotencyRow{})).Updates(map[string]any{
		"done": true, "status_code": r.StatusCode, "response_headers": jsonValue[map[string]string]{V: r.Headers}, "response_body": r.Body,
	}).Error)
}

// Release deletes a claimed record.
func (s *IdempotencyStore) Release(ctx context.Context, r idempotency.Record) error {
	row := idempotencyRow{OrgID: r.OrgID, CredentialID: r.CredentialID, Key: r.Key}
	return translate(row.where(s.with(ctx)).Delete(&idempotencyRow{}).Error)
}

// Purge deletes records that expired before t.
func (s *IdempotencyStore) Purge(ctx context.Context, t time.Time) (int64, error) {
	res := s.with(ctx).Where("expires_at < ?", t).Delete(&idempotencyRow{})
	return res.RowsAffected, translate(res.Error)
}
