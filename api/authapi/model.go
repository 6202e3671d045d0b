package authapi

import (
	"time"

	"github.com/rapportcrm/rapport/pkg/auth"
)

// SignupRequest creates an organization and its owner.
type SignupRequest struct {
	OrganizationName string `json:"organization_name" validate:"required,max=200" example:"Acme Ltd"`
	Name             string `json:"name" validate:"required,max=200" example:"Ada Owner"`
	Email            string `json:"email" validate:"required,email,max=254" example:"ada@acme.example"`
	Password         string `json:"password" validate:"required,min=10,max=72" example:"correct horse battery"`
	// The organization's ISO 4217 currency: the default of purchases, and the one customers' totals
	// are kept in. Default EUR.
	Currency string `json:"currency,omitempty" validate:"omitempty,len=3" example:"EUR"`
} // @name SignupRequest

// LoginRequest signs a user in.
type LoginRequest struct {
	Email    string `json:"email" validate:"required,max=254" example:"ada@acme.example"`
	Password string `json:"password" validate:"required,max=72" example:"correct horse battery"`
} // @name LoginRequest

// RefreshRequest carries a refresh token.
type RefreshRequest struct {
	RefreshToken string `json:"refresh_token" validate:"required,max=4096"`
} // @name RefreshRequest

// TokenResponse is a new access and refresh token pair.
type TokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type" enums:"Bearer"`
	// Seconds until the access token expires.
	ExpiresIn int `json:"expires_in" example:"900"`
} // @name TokenResponse

func toTokenResponse(t auth.Tokens) TokenResponse {
	return TokenResponse{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, TokenType: "Bearer", ExpiresIn: int(t.ExpiresIn.Seconds())}
}

// Organization is the caller's organization.
type Organization struct {
	ID        string    `json:"id" format:"uuid"`
	Name      string    `json:"name"`
	Currency  string    `json:"currency" example:"EUR"`
	CreatedAt time.Time `json:"created_at"`
} // @name Organization

// User is a user of the organization.
type User struct {
	ID        string    `json:"id" format:"uuid"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	Role      string    `json:"role" enums:"owner,admin,agent,viewer"`
	Active    bool      `json:"active"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
} // @name User

func toUser(u auth.User) User {
	return User{ID: u.ID.String(), Email: u.Email, Name: u.Name, Role: string(u.Role), Active: u.Active, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt}
}

// CreateUserRequest adds a user to the organization.
type CreateUserRequest struct {
	Email    string `json:"email" validate:"required,email,max=254" example:"grace@acme.example"`
	Name     string `json:"name" validate:"required,max=200" example:"Grace Agent"`
	Password string `json:"password" validate:"required,min=10,max=72" example:"another long password"`
	Role     string `json:"role" validate:"required,oneof=owner admin agent viewer" enums:"owner,admin,agent,viewer" example:"agent"`
} // @name CreateUserRequest

// UpdateUserRequest changes a user; absent fields stay as they are.
type UpdateUserRequest struct {
	Name   *string `json:"name,omitempty" validate:"omitempty,min=1,max=200"`
	Role   *string `json:"role,omitempty" validate:"omitempty,oneof=owner admin agent viewer" enums:"owner,admin,agent,viewer"`
	Active *bool   `json:"active,omitempty"`
} // @name UpdateUserRequest

// APIKey is an integration's credential, without its secret.
type APIKey struct {
	ID         string     `json:"id" format:"uuid"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix" example:"3f9a1c0d2b7e"`
	Scopes     []string   `json:"scopes" example:"customers:read"`
	CreatedBy  string     `json:"created_by" format:"uuid"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at" extensions:"x-nullable"`
	LastUsedAt *time.Time `json:"last_used_at" extensions:"x-nullable"`
	RevokedAt  *time.Time `json:"revoked_at" extensions:"x-nullable"`
} // @name APIKey

func toAPIKey(k auth.APIKey) APIKey {
	scopes := make([]string, len(k.Scopes))
	for i, s := range k.Scopes {
		scopes[i] = string(s)
	}
	return APIKey{ID: k.ID.String(), Name: k.Name, Prefix: k.Prefix, Scopes: scopes, CreatedBy: k.CreatedBy.String(),
		CreatedAt: k.CreatedAt, ExpiresAt: k.ExpiresAt, LastUsedAt: k.LastUsedAt, RevokedAt: k.RevokedAt}
}

// CreateAPIKeyRequest creates an API key.
type CreateAPIKeyRequest struct {
	Name string `json:"name" validate:"required,max=200" example:"Shop sync"`
	// Any of customers:read, customers:write, customers:admin, contacts:read, contacts:write,
	// feedback:read, feedback:write, feedback:admin, purchases:read, purchases:write,
	// loyalty:read, loyalty:write, loyalty:admin, analytics:read, analytics:admin, users:read, organization:read,
	// events:read (the feed shows the events of the families the key may read).
	// A write scope includes the matching read scope.
	Scopes    []string   `json:"scopes" validate:"required,min=1,max=20" example:"customers:write"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
} // @name CreateAPIKeyRequest

// CreatedAPIKey is a new key with its secret, shown this once.
type CreatedAPIKey struct {
	APIKey
	// Send as Authorization: Bearer <secret>. It cannot be shown again.
	Secret string `json:"secret" example:"rpk_3f9a1c0d2b7e_..."`
} // @name CreatedAPIKey

// Me is the caller: a user or an API key, its organization and what it may do.
type Me struct {
	Kind         string       `json:"kind" enums:"user,api_key"`
	User         *User        `json:"user,omitempty"`
	APIKey       *APIKey      `json:"api_key,omitempty"`
	Role         string       `json:"role,omitempty" enums:"owner,admin,agent,viewer"`
	Permissions  []string     `json:"permissions"`
	Organization Organization `json:"organization"`
} // @name Me
