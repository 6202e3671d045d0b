package storage

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/rapportcrm/rapport/pkg/auth"
	"github.com/rapportcrm/rapport/pkg/customer"
	"github.com/rapportcrm/rapport/pkg/page"
)

// AuthStore keeps organizations, users, refresh tokens and API keys.
type AuthStore struct{ conn }

var (
	_ auth.Store     = (*AuthStore)(nil)
	_ customer.Users = (*AuthStore)(nil)
)

// AuthStore returns the store over db.
func (db *DB) AuthStore() *AuthStore { return &AuthStore{db.conn} }

type organizationRow struct {
	ID        uuid.UUID `gorm:"primaryKey"`
	Name      string
	Currency  string
	CreatedAt time.Time
	UpdatedAt time.Time `gorm:"autoUpdateTime:false"`
}

func (organizationRow) TableName() string { return "organizations" }

// CreateOrganization stores a new organization.
func (s *AuthStore) CreateOrganization(ctx context.Context, o auth.Organization) error {
	row := organizationRow{ID: o.ID, Name: o.Name, Currency: o.Currency, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt}
	return translate(s.with(ctx).Create(&row).Error)
}

// Organization returns an organization.
func (s *AuthStore) Organization(ctx context.Context, id uuid.UUID) (auth.Organization, error) {
	var row organizationRow
	if err := s.with(ctx).Where("id = ?", id).Take(&row).Error; err != nil {
		return auth.Organization{}, notFound(err, errors.New("organization not found"))
	}
	return auth.Organization{ID: row.ID, Name: row.Name, Currency: row.Currency, CreatedAt: row.CreatedAt.UTC(), UpdatedAt: row.UpdatedAt.UTC()}, nil
}

type userRow struct {
	OrgID        uuid.UUID `gorm:"primaryKey"`
	ID           uuid.UUID `gorm:"primaryKey"`
	Email        string
	Name         string
	Role         string
	Active       bool
	PasswordHash string
	CreatedAt    time.Time
	UpdatedAt    time.Time `gorm:"autoUpdateTime:false"`
}

func (userRow) TableName() string { return "users" }

func toUserRow(u auth.User) userRow {
	return userRow{OrgID: u.OrgID, ID: u.ID, Email: u.Email, Name: u.Name, Role: string(u.Role), Active: u.Active,
		PasswordHash: u.PasswordHash, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt}
}

func (r userRow) toUser() auth.User {
	return auth.User{OrgID: r.OrgID, ID: r.ID, Email: r.Email, Name: r.Name, Role: auth.Role(r.Role), Active: r.Active,
		PasswordHash: r.PasswordHash, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

func userWriteErr(err error) error {
	if _, ok := uniqueViolation(err); ok {
		return auth.ErrEmailTaken
	}
	return translate(err)
}

// CreateUser stores a new user.
func (s *AuthStore) CreateUser(ctx context.Context, u auth.User) error {
	row := toUserRow(u)
	return userWriteErr(s.with(ctx).Create(&row).Error)
}

// UpdateUser writes a user's changeable fields.
func (s *AuthStore) UpdateUser(ctx context.Context, u auth.User) error {
	res := s.with(ctx).Model(&userRow{}).Where("org_id = ? AND id = ?", u.OrgID, u.ID).
		Updates(map[string]any{"name": u.Name, "role": string(u.Role), "active": u.Active, "updated_at": u.UpdatedAt})
	if res.Error != nil {
		return userWriteErr(res.Error)
	}
	if res.RowsAffected == 0 {
		return auth.ErrUserNotFound
	}
	return nil
}

// User returns a user of an organization.
func (s *AuthStore) User(ctx context.Context, orgID, id uuid.UUID) (auth.User, error) {
	var row userRow
	if err := s.with(ctx).Where("org_id = ? AND id = ?", orgID, id).Take(&row).Error; err != nil {
		return auth.User{}, notFound(err, auth.ErrUserNotFound)
	}
	return row.toUser(), nil
}

// UserByEmail finds a user of any organization by email.
func (s *AuthStore) UserByEmail(ctx context.Context, email string) (auth.User, error) {
	var row userRow
	if err := s.with(ctx).Where("lower(email) = ?", strings.ToLower(email)).Take(&row).Error; err != nil {
		return auth.User{}, notFound(err, auth.ErrUserNotFound)
	}
	return row.toUser(), nil
}

var createdAtKey = map[string]sortKey[userRow]{"created_at": {column: "created_at", isTime: true, value: func(r userRow) any { return r.CreatedAt }}}

// Users lists an organization's users.
func (s *AuthStore) Users(ctx context.Context, orgID uuid.UUID, p page.Request) (page.Result[auth.User], error) {
	q := s.with(ctx).Model(&userRow{}).Where("org_id = ?", orgID)
	return keysetPage(q, p, createdAtKey, func(r userRow) uuid.UUID { return r.ID }, gormScan[userRow](q), userRow.toUser)
}

// CountActiveOwners counts an organization's active owners.
func (s *AuthStore) CountActiveOwners(ctx context.Context, orgID uuid.UUID) (int, error) {
	var n int64
	err := s.with(ctx).Model(&userRow{}).Where("org_id = ? AND role = ? AND active", orgID, string(auth.RoleOwner)).Count(&n).Error
	return int(n), translate(err)
}

// ActiveUserExists tells whether id is an active user of the organization.
func (s *AuthStore) ActiveUserExists(ctx context.Context, orgID, id uuid.UUID) (bool, error) {
	var n int64
	err := s.with(ctx).Model(&userRow{}).Where("org_id = ? AND id = ? AND active", orgID, id).Count(&n).Error
	return n > 0, translate(err)
}

type refreshTokenRow struct {
	OrgID     uuid.UUID `gorm:"primaryKey"`
	ID        uuid.UUID `gorm:"primaryKey"`
	UserID    uuid.UUID
	FamilyID  uuid.UUID
	TokenHash string
	ExpiresAt time.Time
	UsedAt    *time.Time
	RevokedAt *time.Time
	CreatedAt time.Time
}

func (refreshTokenRow) TableName() string { return "refresh_tokens" }

// CreateRefreshToken stores a refresh token's hash.
func (s *AuthStore) CreateRefreshToken(ctx context.Context, t auth.RefreshToken) error {
	row := refreshTokenRow{OrgID: t.OrgID, ID: t.ID, UserID: t.UserID, FamilyID: t.FamilyID, TokenHash: t.Hash,
		ExpiresAt: t.ExpiresAt, CreatedAt: t.CreatedAt}
	return translate(s.with(ctx).Create(&row).Error)
}

// RefreshTokenByHash finds a refresh token; an unknown one is auth.ErrInvalidToken.
func (s *AuthStore) RefreshTokenByHash(ctx context.Context, hash string) (auth.RefreshToken, error) {
	var r refreshTokenRow
	if err := s.with(ctx).Where("token_hash = ?", hash).Take(&r).Error; err != nil {
		return auth.RefreshToken{}, notFound(err, auth.ErrInvalidToken)
	}
	return auth.RefreshToken{ID: r.ID, OrgID: r.OrgID, UserID: r.UserID, FamilyID: r.FamilyID, Hash: r.TokenHash,
		ExpiresAt: r.ExpiresAt.UTC(), UsedAt: r.UsedAt, RevokedAt: r.RevokedAt, CreatedAt: r.CreatedAt.UTC()}, nil
}

// MarkRefreshTokenUsed marks a token used unless it already was; the update is the arbiter
// when two refreshes race.
func (s *AuthStore) MarkRefreshTokenUsed(ctx context.Context, id uuid.UUID, at time.Time) (bool, error) {
	res := s.with(ctx).Model(&refreshTokenRow{}).Where("id = ? AND used_at IS NULL", id).Update("used_at", at)
	return res.RowsAffected == 1, translate(res.Error)
}

// RevokeRefreshTokens revokes one token, a family, or all of a user's tokens.
func (s *AuthStore) RevokeRefreshTokens(ctx context.Context, by auth.RevokeBy, id uuid.UUID, at time.Time) error {
	column := map[auth.RevokeBy]string{auth.RevokeToken: "id", auth.RevokeFamily: "family_id", auth.RevokeUser: "user_id"}[by]
	err := s.with(ctx).Model(&refreshTokenRow{}).Where(column+" = ? AND revoked_at IS NULL", id).Update("revoked_at", at).Error
	return translate(err)
}

type apiKeyRow struct {
	OrgID      uuid.UUID `gorm:"primaryKey"`
	ID         uuid.UUID `gorm:"primaryKey"`
	Name       string
	Prefix     string
	KeyHash    string
	Scopes     jsonValue[[]auth.Permission]
	CreatedBy  uuid.UUID
	CreatedAt  time.Time
	ExpiresAt  *time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

func (apiKeyRow) TableName() string { return "api_keys" }

func (r apiKeyRow) toAPIKey() auth.APIKey {
	return auth.APIKey{ID: r.ID, OrgID: r.OrgID, Name: r.Name, Prefix: r.Prefix, Hash: r.KeyHash, Scopes: r.Scopes.V,
		CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt.UTC(), ExpiresAt: utcPtr(r.ExpiresAt), LastUsedAt: utcPtr(r.LastUsedAt), RevokedAt: utcPtr(r.RevokedAt)}
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// CreateAPIKey stores a key's hash.
func (s *AuthStore) CreateAPIKey(ctx context.Context, k auth.APIKey) error {
	row := apiKeyRow{OrgID: k.OrgID, ID: k.ID, Name: k.Name, Prefix: k.Prefix, KeyHash: k.Hash,
		Scopes: jsonValue[[]auth.Permission]{V: k.Scopes}, CreatedBy: k.CreatedBy, CreatedAt: k.CreatedAt, ExpiresAt: k.ExpiresAt}
	return translate(s.with(ctx).Create(&row).Error)
}

// APIKeyByPrefix finds a key by its public prefix.
func (s *AuthStore) APIKeyByPrefix(ctx context.Context, prefix string) (auth.APIKey, error) {
	var row apiKeyRow
	if err := s.with(ctx).Where("prefix = ?", prefix).Take(&row).Error; err != nil {
		return auth.APIKey{}, notFound(err, auth.ErrAPIKeyNotFound)
	}
	return row.toAPIKey(), nil
}

var apiKeyCreatedAtKey = map[string]sortKey[apiKeyRow]{"created_at": {column: "created_at", isTime: true, value: func(r apiKeyRow) any { return r.CreatedAt }}}

// APIKeys lists an organization's keys.
func (s *AuthStore) APIKeys(ctx context.Context, orgID uuid.UUID, p page.Request) (page.Result[auth.APIKey], error) {
	q := s.with(ctx).Model(&apiKeyRow{}).Where("org_id = ?", orgID)
	return keysetPage(q, p, apiKeyCreatedAtKey, func(r apiKeyRow) uuid.UUID { return r.ID }, gormScan[apiKeyRow](q), apiKeyRow.toAPIKey)
}

// RevokeAPIKey revokes a live key of the organization.
func (s *AuthStore) RevokeAPIKey(ctx context.Context, orgID, id uuid.UUID, at time.Time) error {
	res := s.with(ctx).Model(&apiKeyRow{}).Where("org_id = ? AND id = ? AND revoked_at IS NULL", orgID, id).Update("revoked_at", at)
	if res.Error != nil {
		return translate(res.Error)
	}
	if res.RowsAffected == 0 {
		return auth.ErrAPIKeyNotFound
	}
	return nil
}

// TouchAPIKey records when a key was last used.
func (s *AuthStore) TouchAPIKey(ctx context.Context, id uuid.UUID, at time.Time) error {
	return translate(s.with(ctx).Model(&apiKeyRow{}).Where("id = ?", id).Update("last_used_at", at).Error)
}

// errSettingRace is not expected: a setting that lost an insert race is then read.
var errSettingRace = errors.New("setting vanished after insert")

type settingRow struct {
	Key       string `gorm:"primaryKey"`
	Value     string
	CreatedAt time.Time
}

func (settingRow) TableName() string { return "settings" }

// Setting returns the value stored under key, storing generate()'s value first if there is none.
// Instances that start together agree: the first insert wins and every one reads it back.
func (db *DB) Setting(ctx context.Context, key string, generate func() string) (value string, created bool, err error) {
	g := db.with(ctx)
	row := settingRow{Key: key, Value: generate(), CreatedAt: time.Now().UTC()}
	res := g.Exec("INSERT INTO settings (key, value, created_at) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING", row.Key, row.Value, row.CreatedAt)
	if res.Error != nil {
		return "", false, fmt.Errorf("store setting %s: %w", key, translate(res.Error))
	}
	var stored settingRow
	if err := g.Where("key = ?", key).Take(&stored).Error; err != nil {
		return "", false, fmt.Errorf("read setting %s: %w", key, notFound(err, errSettingRace))
	}
	return stored.Value, res.RowsAffected == 1, nil
}

// orgCurrency returns the organization's currency.
func (c conn) orgCurrency(ctx context.Context, orgID uuid.UUID) (string, error) {
	var cur string
	err := c.with(ctx).Model(&organizationRow{}).Where("id = ?", orgID).Pluck("currency", &cur).Error
	return cur, translate(err)
}
