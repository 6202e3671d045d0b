// Package auth owns organizations, their users and roles, API keys, and the credentials that
// prove who a caller is: passwords, access tokens (JWT) and rotating refresh tokens.
package auth

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/rapportcrm/rapport/pkg/apperr"
	"github.com/rapportcrm/rapport/pkg/event"
	"github.com/rapportcrm/rapport/pkg/page"
)

// Role is a user's level of access within an organization.
type Role string

const (
	RoleOwner  Role = "owner"
	RoleAdmin  Role = "admin"
	RoleAgent  Role = "agent"
	RoleViewer Role = "viewer"
)

// Roles lists every role, most powerful first.
var Roles = []Role{RoleOwner, RoleAdmin, RoleAgent, RoleViewer}

// rank orders roles: a higher rank may do all that a lower one may.
func (r Role) rank() int { return len(Roles) - slices.Index(Roles, r) }

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// Permission is what a route requires: a role grants a set of them, an API key holds some as scopes.
type Permission string

const (
	CustomersRead    Permission = "customers:read"
	CustomersWrite   Permission = "customers:write"
	CustomersAdmin   Permission = "customers:admin"
	ContactsRead     Permission = "contacts:read"
	ContactsWrite    Permission = "contacts:write"
	FeedbackRead     Permission = "feedback:read"
	FeedbackWrite    Permission = "feedback:write"
	FeedbackAdmin    Permission = "feedback:admin"
	PurchasesRead    Permission = "purchases:read"
	PurchasesWrite   Permission = "purchases:write"
	LoyaltyRead      Permission = "loyalty:read"
	LoyaltyWrite     Permission = "loyalty:write"
	LoyaltyAdmin     Permission = "loyalty:admin"
	AnalyticsRead    Permission = "analytics:read"
	AnalyticsAdmin   Permission = "analytics:admin"
	UsersRead        Permission = "users:read"
	UsersWrite       Permission = "users:write"
	APIKeysWrite     Permission = "api_keys:write"
	OrganizationRead Permission = "organization:read"
	// EventsRead follows the events feed; each event shows only if the caller may read its family.
	EventsRead Permission = "events:read"
)

// minimumRole is the least role that holds each permission.
var minimumRole = map[Permission]Role{
	CustomersRead:    RoleViewer,
	ContactsRead:     RoleViewer,
	FeedbackRead:     RoleViewer,
	PurchasesRead:    RoleViewer,
	LoyaltyRead:      RoleViewer,
	AnalyticsRead:    RoleViewer,
	UsersRead:        RoleViewer,
	OrganizationRead: RoleViewer,
	EventsRead:       RoleViewer,
	CustomersWrite:   RoleAgent,
	ContactsWrite:    RoleAgent,
	FeedbackWrite:    RoleAgent,
	PurchasesWrite:   RoleAgent,
	LoyaltyWrite:     RoleAgent,
	LoyaltyAdmin:     RoleAdmin,
	AnalyticsAdmin:   RoleAdmin,
	FeedbackAdmin:    RoleAdmin,
	CustomersAdmin:   RoleAdmin,
	UsersWrite:       RoleAdmin,
	APIKeysWrite:     RoleAdmin,
}

// Scopes lists the permissions an API key may hold. Managing users and keys is left to people.
var Scopes = []Permission{CustomersRead, CustomersWrite, CustomersAdmin, ContactsRead, ContactsWrite, FeedbackRead,
	FeedbackWrite, FeedbackAdmin, PurchasesRead, PurchasesWrite, LoyaltyRead, LoyaltyWrite, LoyaltyAdmin, AnalyticsRead,
	AnalyticsAdmin, UsersRead, OrganizationRead, EventsRead}

// eventReaders is the permission that reading each family of events takes: the same as reading
// the records they describe.
var eventReaders = map[string]Permission{
	"customer": CustomersRead, "contact": ContactsRead, "feedback": FeedbackRead, "feedback_sla": FeedbackRead, "purchase": PurchasesRead,
	"loyalty": LoyaltyRead, "loyalty_program": LoyaltyRead, "loyalty_reward": LoyaltyRead,
	"user": UsersRead, "api_key": UsersRead, "organization": OrganizationRead,
}

// CanReadEvent reports whether the caller may see events of the type: a timeline or a feed shows
// contact notes, complaint texts and ledger lines only to those who may read them directly.
func (p Principal) CanReadEvent(typ string) bool {
	family, _, _ := strings.Cut(typ, ".")
	perm, ok := eventReaders[family]
	return ok && p.Can(perm)
}

// ReadableEvents keeps the event types (every type, when none are asked for) that the caller may
// read: customers:read alone shows profile changes, not contact notes, complaint texts or ledger
// lines.
func (p Principal) ReadableEvents(types []string) []string {
	if len(types) == 0 {
		types = event.Types
	}
	kept := []string{}
	for _, t := range types {
		if p.CanReadEvent(t) {
			kept = append(kept, t)
		}
	}
	return kept
}

// Allows reports whether the role holds the permission.
func (r Role) Allows(p Permission) bool {
	min, ok := minimumRole[p]
	return ok && r.rank() >= min.rank()
}

// Organization is a tenant: every other record belongs to exactly one.
type Organization struct {
	ID   uuid.UUID
	Name string
	// Currency (ISO 4217) is the default of purchases and the one customers' totals are kept in.
	Currency  string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// User is a person who signs in to an organization.
type User struct {
	ID           uuid.UUID
	OrgID        uuid.UUID
	Email        string
	Name         string
	Role         Role
	Active       bool
	PasswordHash string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

func (u User) snapshot() map[string]any {
	return map[string]any{"email": u.Email, "name": u.Name, "role": string(u.Role), "active": u.Active}
}

// RefreshToken is a stored, hashed refresh token. Tokens of one login form a family: rotating
// one issues the next, and presenting a rotated one again revokes the whole family.
type RefreshToken struct {
	ID        uuid.UUID
	OrgID     uuid.UUID
	UserID    uuid.UUID
	FamilyID  uuid.UUID
	Hash      string
	ExpiresAt time.Time
	UsedAt    *time.Time
	RevokedAt *time.Time
	CreatedAt time.Time
}

// APIKey is an integration's credential. Only the hash of its secret is kept.
type APIKey struct {
	ID         uuid.UUID
	OrgID      uuid.UUID
	Name       string
	Prefix     string
	Hash       string
	Scopes     []Permission
	CreatedBy  uuid.UUID
	CreatedAt  time.Time
	ExpiresAt  *time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// Principal is the authenticated caller of a request: a user, or an API key (with the user who
// created it, whose role caps what the key may do).
type Principal struct {
	Kind   string // event.ActorUser or event.ActorAPIKey
	OrgID  uuid.UUID
	User   *User
	APIKey *APIKey
	// Creator is the active user who created the API key.
	Creator *User
}

// ID is the user's or the key's id.
func (p Principal) ID() uuid.UUID {
	if p.APIKey != nil {
		return p.APIKey.ID
	}
	return p.User.ID
}

// Can reports whether the caller holds a permission. A key holds what its scopes say (a write
// scope implies the read one) and its creator's current role allows: demoting the creator narrows
// the key at once.
func (p Principal) Can(perm Permission) bool {
	if p.APIKey == nil {
		return p.User.Role.Allows(perm)
	}
	if p.Creator == nil || !p.Creator.Role.Allows(perm) {
		return false
	}
	if slices.Contains(p.APIKey.Scopes, perm) {
		return true
	}
	if res, ok := strings.CutSuffix(string(perm), ":read"); ok {
		return slices.Contains(p.APIKey.Scopes, Permission(res+":write"))
	}
	return false
}

// Actor is the caller as recorded in events.
func (p Principal) Actor() event.Actor {
	return event.Actor{OrgID: p.OrgID, Kind: p.Kind, ID: p.ID()}
}

// Errors.
var (
	ErrInvalidCredentials = apperr.New(apperr.KindUnauthorized, "invalid email or password")
	ErrInvalidToken       = apperr.New(apperr.KindUnauthorized, "invalid or expired token")
	ErrKeyCreatorInactive = apperr.New(apperr.KindUnauthorized, "the user who created this API key is deactivated; an admin must create a new key")
	ErrTokenExpired       = apperr.New(apperr.KindUnauthorized, "the access token has expired; get a new one with POST /v1/auth/refresh").Typed("token-expired")
	ErrSignupClosed       = apperr.New(apperr.KindForbidden, "signup is disabled on this server")
	ErrForbidden          = apperr.New(apperr.KindForbidden, "your role or API key scopes do not allow this")
	ErrUserNotFound       = apperr.New(apperr.KindNotFound, "user not found")
	ErrAPIKeyNotFound     = apperr.New(apperr.KindNotFound, "API key not found")
	ErrEmailTaken         = apperr.New(apperr.KindConflict, "a user with this email already exists")
	ErrLastOwner          = apperr.New(apperr.KindConflict, "an organization must keep at least one active owner")
	ErrTooManyAttempts    = apperr.New(apperr.KindRateLimited, "too many failed sign-in attempts")
)

// Store is what the auth service needs from storage.
type Store interface {
	event.Recorder
	CreateOrganization(ctx context.Context, org Organization) error
	Organization(ctx context.Context, id uuid.UUID) (Organization, error)

	CreateUser(ctx context.Context, u User) error
	UpdateUser(ctx context.Context, u User) error
	User(ctx context.Context, orgID, id uuid.UUID) (User, error)
	UserByEmail(ctx context.Context, email string) (User, error)
	Users(ctx context.Context, orgID uuid.UUID, p page.Request) (page.Result[User], error)
	CountActiveOwners(ctx context.Context, orgID uuid.UUID) (int, error)

	CreateRefreshToken(ctx context.Context, t RefreshToken) error
	RefreshTokenByHash(ctx context.Context, hash string) (RefreshToken, error)
	// MarkRefreshTokenUsed marks an unused token used and reports whether this call did it.
	MarkRefreshTokenUsed(ctx context.Context, id uuid.UUID, at time.Time) (bool, error)
	RevokeRefreshTokens(ctx context.Context, by RevokeBy, id uuid.UUID, at time.Time) error

	CreateAPIKey(ctx context.Context, k APIKey) error
	APIKeyByPrefix(ctx context.Context, prefix string) (APIKey, error)
	APIKeys(ctx context.Context, orgID uuid.UUID, p page.Request) (page.Result[APIKey], error)
	RevokeAPIKey(ctx context.Context, orgID, id uuid.UUID, at time.Time) error
	TouchAPIKey(ctx context.Context, id uuid.UUID, at time.Time) error
}

// Transactor runs fn in one transaction: the store calls made with the context it gets commit
// together or not at all.
type Transactor interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}

// RevokeBy selects which refresh tokens RevokeRefreshTokens revokes.
type RevokeBy int

const (
	RevokeToken RevokeBy = iota
	RevokeFamily
	RevokeUser
)

// Permissions lists what the caller may do, in a stable order.
func (p Principal) Permissions() []Permission {
	all := make([]Permission, 0, len(minimumRole))
	for perm := range minimumRole {
		if p.Can(perm) {
			all = append(all, perm)
		}
	}
	slices.Sort(all)
	return all
}
