package auth

import (
	"context"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/text/currency"

	"github.com/rapportcrm/rapport/pkg/apperr"
	"github.com/rapportcrm/rapport/pkg/event"
	"github.com/rapportcrm/rapport/pkg/page"
	"github.com/rapportcrm/rapport/pkg/ratelimit"
)

// Config holds the auth service's settings.
type Config struct {
	Tokens     TokenConfig
	SignupOpen bool
	BcryptCost int
	// LoginAttempts failed sign-ins are allowed per account and per IP, refilled one per LoginRefill.
	LoginAttempts int
	LoginRefill   time.Duration
	// CacheTTL is how long an authenticated user or API key is reused without a lookup; changes
	// made through this instance apply at once, through another at once with Invalidations and
	// within the TTL without (or while they are lost). Zero: no cache.
	CacheTTL time.Duration
	// Limits makes the sign-in throttles: ratelimit.Local (each instance counts alone) when nil.
	Limits ratelimit.Factory
	// Invalidations carry changes of users and API keys between instances; nil: none.
	Invalidations Invalidations
}

// Invalidation names a user or an API key whose cached copy every instance must drop.
type Invalidation struct {
	UserID   uuid.UUID // the user's role, active flag or name changed
	APIKeyID uuid.UUID // the key was revoked
}

// Invalidations carry invalidations between instances (Redis pub/sub, in pkg/redisx). Both ways
// are best effort: what is lost while the carrier is down, CacheTTL makes up for.
type Invalidations interface {
	// Publish tells every instance.
	Publish(ctx context.Context, inv Invalidation)
	// Subscribe calls forget with each invalidation that any instance publishes, and forgetAll
	// whenever it may have missed some (each time it subscribes again after losing the carrier).
	Subscribe(forget func(Invalidation), forgetAll func())
}

// Service signs callers up and in, and manages users and API keys.
type Service struct {
	store     Store
	tx        Transactor
	cfg       Config
	byAccount ratelimit.Limiter
	byIP      ratelimit.Limiter
	dummyHash []byte
	users     *ttlCache[uuid.UUID, User]
	keys      *ttlCache[string, APIKey]
	verified  *ttlCache[string, verifiedToken]
}

// maxVerifiedTTL bounds how long a verified access token is remembered, whatever its lifetime.
const maxVerifiedTTL = time.Hour

// NewService returns the auth service.
func NewService(store Store, tx Transactor, cfg Config) *Service {
	if cfg.BcryptCost == 0 {
		cfg.BcryptCost = bcrypt.DefaultCost
	}
	if cfg.Limits == nil {
		cfg.Limits = ratelimit.Local
	}
	perSecond := 1 / cfg.LoginRefill.Seconds()
	dummy, _ := bcrypt.GenerateFromPassword([]byte("timing-equaliser"), cfg.BcryptCost)
	s := &Service{
		store:     store,
		tx:        tx,
		cfg:       cfg,
		byAccount: cfg.Limits("login-account", perSecond, cfg.LoginAttempts),
		byIP:      cfg.Limits("login-ip", perSecond, cfg.LoginAttempts*5),
		dummyHash: dummy,
		users:     newTTLCache[uuid.UUID, User](cfg.CacheTTL),
		keys:      newTTLCache[string, APIKey](cfg.CacheTTL),
		verified:  newTTLCache[string, verifiedToken](maxVerifiedTTL),
	}
	if cfg.Invalidations != nil {
		cfg.Invalidations.Subscribe(s.forget, s.forgetAll)
	}
	return s
}

// invalidate drops a cached user or key here and tells the other instances to.
func (s *Service) invalidate(ctx context.Context, inv Invalidation) {
	s.forget(inv)
	if s.cfg.Invalidations != nil {
		s.cfg.Invalidations.Publish(ctx, inv)
	}
}

func (s *Service) forget(inv Invalidation) {
	if inv.UserID != uuid.Nil {
		s.users.forget(inv.UserID)
	}
	if inv.APIKeyID != uuid.Nil {
		s.keys.forgetWhere(func(k APIKey) bool { return k.ID == inv.APIKeyID }) // cached by prefix
	}
}

func (s *Service) forgetAll() {
	s.users.clear()
	s.keys.clear()
}

// NormalizeEmail is how user emails are stored and compared.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

func (s *Service) hashPassword(password string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(password), s.cfg.BcryptCost)
	if errors.Is(err, bcrypt.ErrPasswordTooLong) {
		return "", apperr.Invalid(apperr.FieldError{Field: "password", Message: "must be at most 72 bytes"})
	}
	return string(h), err
}

// SignupInput is a new organization and its first owner.
type SignupInput struct {
	OrganizationName, Name, Email, Password string
	// Currency is the organization's ISO 4217 currency; EUR when empty.
	Currency string
}

// Signup creates an organization with its owner and signs the owner in.
func (s *Service) Signup(ctx context.Context, in SignupInput) (Tokens, error) {
	if !s.cfg.SignupOpen {
		return Tokens{}, ErrSignupClosed
	}
	hash, err := s.hashPassword(in.Password)
	if err != nil {
		return Tokens{}, err
	}
	cur := strings.ToUpper(strings.TrimSpace(in.Currency))
	if cur == "" {
		cur = "EUR"
	}
	if _, err := currency.ParseISO(cur); err != nil {
		return Tokens{}, apperr.Invalid(apperr.FieldError{Field: "currency", Message: "must be an ISO 4217 currency code"})
	}
	now := event.Now()
	org := Organization{ID: uuid.Must(uuid.NewV7()), Name: strings.TrimSpace(in.OrganizationName), Currency: cur, CreatedAt: now, UpdatedAt: now}
	owner := User{
		ID: uuid.Must(uuid.NewV7()), OrgID: org.ID, Email: NormalizeEmail(in.Email), Name: strings.TrimSpace(in.Name),
		Role: RoleOwner, Active: true, PasswordHash: hash, CreatedAt: now, UpdatedAt: now,
	}
	var tokens Tokens
	err = s.tx.InTx(ctx, func(ctx context.Context) error {
		if err := s.store.CreateOrganization(ctx, org); err != nil {
			return err
		}
		if err := s.store.CreateUser(ctx, owner); err != nil {
			return err
		}
		actor := event.Actor{OrgID: org.ID, Kind: event.ActorUser, ID: owner.ID}
		ev := event.New(actor, "organization.created", "organization", org.ID)
		ev.Data = map[string]any{"name": org.Name}
		if err := s.store.RecordEvent(ctx, ev); err != nil {
			return err
		}
		ev = event.New(actor, "user.created", "user", owner.ID)
		ev.Changes = event.Diff(nil, owner.snapshot())
		if err := s.store.RecordEvent(ctx, ev); err != nil {
			return err
		}
		tokens, err = s.issue(ctx, owner, uuid.Must(uuid.NewV7()), now)
		return err
	})
	if err != nil {
		return Tokens{}, fmt.Errorf("signup: %w", err)
	}
	return tokens, nil
}

// Login checks an email and password. Failed attempts are throttled per account and per client IP.
func (s *Service) Login(ctx context.Context, email, password, ip string) (Tokens, error) {
	email = NormalizeEmail(email)
	for _, d := range []ratelimit.Decision{s.byAccount.Check(ctx, email), s.byIP.Check(ctx, ip)} {
		if !d.Allowed {
			e := *ErrTooManyAttempts
			e.RetryAfter = d.RetryAfter
			return Tokens{}, &e
		}
	}
	u, err := s.store.UserByEmail(ctx, email)
	switch {
	case errors.Is(err, ErrUserNotFound):
		_ = bcrypt.CompareHashAndPassword(s.dummyHash, []byte(password)) // same time as a known account
	case err != nil:
		return Tokens{}, fmt.Errorf("login: %w", err)
	}
	if err != nil || !u.Active || bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) != nil {
		s.byAccount.Take(ctx, email)
		s.byIP.Take(ctx, ip)
		return Tokens{}, ErrInvalidCredentials
	}
	return s.issue(ctx, u, uuid.Must(uuid.NewV7()), event.Now())
}

// issue signs an access token and stores a new refresh token of the given family.
func (s *Service) issue(ctx context.Context, u User, family uuid.UUID, now time.Time) (Tokens, error) {
	access, err := s.cfg.Tokens.signAccess(u, now)
	if err != nil {
		return Tokens{}, fmt.Errorf("sign access token: %w", err)
	}
	refresh := randomToken("rt_", 32)
	rt := RefreshToken{
		ID: uuid.Must(uuid.NewV7()), OrgID: u.OrgID, UserID: u.ID, FamilyID: family, Hash: hashToken(refresh),
		ExpiresAt: now.Add(s.cfg.Tokens.RefreshTTL), CreatedAt: now,
	}
	if err := s.store.CreateRefreshToken(ctx, rt); err != nil {
		return Tokens{}, err
	}
	return Tokens{AccessToken: access, RefreshToken: refresh, ExpiresIn: s.cfg.Tokens.AccessTTL}, nil
}

// Refresh exchanges a refresh token for a new pair. The old token stops working; presenting it
// again means it leaked, so its whole family (every token since that login) is revoked.
func (s *Service) Refresh(ctx context.Context, refresh string) (Tokens, error) {
	now := event.Now()
	var tokens Tokens
	var reused bool
	var family uuid.UUID
	err := s.tx.InTx(ctx, func(ctx context.Context) error {
		rt, u, err := s.liveRefreshToken(ctx, refresh, now)
		if err != nil {
			return err
		}
		marked, err := s.store.MarkRefreshTokenUsed(ctx, rt.ID, now)
		if err != nil {
			return err
		}
		if !marked {
			reused, family = true, rt.FamilyID
			return ErrInvalidToken
		}
		tokens, err = s.issue(ctx, u, rt.FamilyID, now)
		return err
	})
	if reused {
		// Outside the transaction above, which rolls back: the revocation must stick.
		if rerr := s.store.RevokeRefreshTokens(ctx, RevokeFamily, family, now); rerr != nil {
			return Tokens{}, fmt.Errorf("revoke reused token family: %w", rerr)
		}
	}
	if err != nil {
		return Tokens{}, fmt.Errorf("refresh: %w", err)
	}
	return tokens, nil
}

// liveRefreshToken finds an unrevoked, unexpired refresh token of an active user. A token that was
// already used is returned too: the caller decides that reuse revokes the family.
func (s *Service) liveRefreshToken(ctx context.Context, refresh string, now time.Time) (RefreshToken, User, error) {
	rt, err := s.store.RefreshTokenByHash(ctx, hashToken(refresh))
	if err != nil {
		return RefreshToken{}, User{}, err
	}
	if rt.RevokedAt != nil || now.After(rt.ExpiresAt) {
		return RefreshToken{}, User{}, ErrInvalidToken
	}
	u, err := s.store.User(ctx, rt.OrgID, rt.UserID)
	if errors.Is(err, ErrUserNotFound) || (err == nil && !u.Active) {
		return RefreshToken{}, User{}, ErrInvalidToken
	}
	return rt, u, err
}

// Logout revokes a refresh token. An unknown or already revoked token is not an error.
func (s *Service) Logout(ctx context.Context, refresh string) error {
	rt, err := s.store.RefreshTokenByHash(ctx, hashToken(refresh))
	if errors.Is(err, ErrInvalidToken) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("logout: %w", err)
	}
	return s.store.RevokeRefreshTokens(ctx, RevokeToken, rt.ID, event.Now())
}

// APIKeyPrefix starts every API key, so that a bearer credential is told apart from a JWT.
const APIKeyPrefix = "rpk_"

// Authenticate turns a bearer credential (an access token or an API key) into a principal.
func (s *Service) Authenticate(ctx context.Context, credential string) (Principal, error) {
	if strings.HasPrefix(credential, APIKeyPrefix) {
		return s.authenticateKey(ctx, credential)
	}
	v, err := s.verify(credential)
	if errors.Is(err, jwt.ErrTokenExpired) { // checked after the signature: the token is ours
		return Principal{}, ErrTokenExpired
	}
	if err != nil {
		return Principal{}, ErrInvalidToken
	}
	u, err := s.activeUser(ctx, v.orgID, v.userID)
	if err != nil {
		return Principal{}, err
	}
	return Principal{Kind: event.ActorUser, OrgID: u.OrgID, User: &u}, nil
}

// verify verifies an access token once: a token cannot change, so what it says is remembered
// until it expires, and the same token on the next request costs a map lookup instead of an
// HMAC and a JSON decoding (about a tenth of a GET's CPU). Whether its user is still active is
// checked on every request all the same.
func (s *Service) verify(token string) (verifiedToken, error) {
	if v, ok := s.verified.get(token); ok {
		return v, nil
	}
	v, err := s.cfg.Tokens.parseAccess(token)
	if err == nil {
		s.verified.putUntil(token, v, v.expires)
	}
	return v, err
}

// activeUser reads an active user through the cache; a missing or deactivated one is
// ErrInvalidToken.
func (s *Service) activeUser(ctx context.Context, orgID, userID uuid.UUID) (User, error) {
	u, ok := s.users.get(userID)
	if !ok || u.OrgID != orgID {
		var err error
		u, err = s.store.User(ctx, orgID, userID)
		if errors.Is(err, ErrUserNotFound) {
			return User{}, ErrInvalidToken
		}
		if err != nil {
			return User{}, fmt.Errorf("authenticate: %w", err)
		}
		s.users.put(userID, u)
	}
	if !u.Active {
		return User{}, ErrInvalidToken
	}
	return u, nil
}

// apiKeyTouchEvery limits last-used bookkeeping to one write a minute per key.
const apiKeyTouchEvery = time.Minute

func (s *Service) authenticateKey(ctx context.Context, key string) (Principal, error) {
	prefix, _, ok := strings.Cut(strings.TrimPrefix(key, APIKeyPrefix), "_")
	if !ok {
		return Principal{}, ErrInvalidToken
	}
	k, ok := s.keys.get(prefix)
	if !ok {
		var err error
		k, err = s.store.APIKeyByPrefix(ctx, prefix)
		if errors.Is(err, ErrAPIKeyNotFound) {
			return Principal{}, ErrInvalidToken
		}
		if err != nil {
			return Principal{}, fmt.Errorf("authenticate key: %w", err)
		}
		s.keys.put(prefix, k)
	}
	now := event.Now()
	if subtle.ConstantTimeCompare([]byte(k.Hash), []byte(hashToken(key))) != 1 ||
		k.RevokedAt != nil || (k.ExpiresAt != nil && now.After(*k.ExpiresAt)) {
		return Principal{}, ErrInvalidToken
	}
	if k.LastUsedAt == nil || now.Sub(*k.LastUsedAt) > apiKeyTouchEvery {
		if err := s.store.TouchAPIKey(ctx, k.ID, now); err != nil {
			return Principal{}, fmt.Errorf("touch key: %w", err)
		}
		k.LastUsedAt = &now
		s.keys.put(prefix, k)
	}
	creator, err := s.activeUser(ctx, k.OrgID, k.CreatedBy)
	if errors.Is(err, ErrInvalidToken) {
		return Principal{}, ErrKeyCreatorInactive
	}
	if err != nil {
		return Principal{}, err
	}
	return Principal{Kind: event.ActorAPIKey, OrgID: k.OrgID, APIKey: &k, Creator: &creator}, nil
}

// Require answers ErrForbidden unless the caller holds the permission.
func Require(p Principal, perm Permission) error {
	if !p.Can(perm) {
		return ErrForbidden
	}
	return nil
}

// Organization returns the caller's organization.
func (s *Service) Organization(ctx context.Context, p Principal) (Organization, error) {
	return s.store.Organization(ctx, p.OrgID)
}

// Users lists the organization's users.
func (s *Service) Users(ctx context.Context, p Principal, req page.Request) (page.Result[User], error) {
	return s.store.Users(ctx, p.OrgID, req)
}

// User returns one user of the caller's organization.
func (s *Service) User(ctx context.Context, p Principal, id uuid.UUID) (User, error) {
	return s.store.User(ctx, p.OrgID, id)
}

// NewUser is a user an admin adds.
type NewUser struct {
	Email, Name, Password string
	Role                  Role
}

// grantable checks that the caller may give a role: only owners make owners.
func grantable(p Principal, r Role) error {
	if r == RoleOwner && (p.User == nil || p.User.Role != RoleOwner) {
		return apperr.New(apperr.KindForbidden, "only an owner can grant the owner role")
	}
	return nil
}

// CreateUser adds a user to the caller's organization.
func (s *Service) CreateUser(ctx context.Context, p Principal, in NewUser) (User, error) {
	if err := grantable(p, in.Role); err != nil {
		return User{}, err
	}
	hash, err := s.hashPassword(in.Password)
	if err != nil {
		return User{}, err
	}
	now := event.Now()
	u := User{
		ID: uuid.Must(uuid.NewV7()), OrgID: p.OrgID, Email: NormalizeEmail(in.Email), Name: strings.TrimSpace(in.Name),
		Role: in.Role, Active: true, PasswordHash: hash, CreatedAt: now, UpdatedAt: now,
	}
	err = s.tx.InTx(ctx, func(ctx context.Context) error {
		if err := s.store.CreateUser(ctx, u); err != nil {
			return err
		}
		ev := event.New(p.Actor(), "user.created", "user", u.ID)
		ev.Changes = event.Diff(nil, u.snapshot())
		return s.store.RecordEvent(ctx, ev)
	})
	if err != nil {
		return User{}, fmt.Errorf("create user: %w", err)
	}
	return u, nil
}

// UserChanges are the fields of a user an admin may change; nil leaves a field as it is.
type UserChanges struct {
	Name   *string
	Role   *Role
	Active *bool
}

// UpdateUser changes a user's name, role or active flag. Deactivating a user ends their sessions.
func (s *Service) UpdateUser(ctx context.Context, p Principal, id uuid.UUID, ch UserChanges) (User, error) {
	var updated User
	err := s.tx.InTx(ctx, func(ctx context.Context) error {
		u, err := s.store.User(ctx, p.OrgID, id)
		if err != nil {
			return err
		}
		before := u.snapshot()
		if (ch.Role != nil || ch.Active != nil) && p.User != nil && p.User.ID == u.ID {
			return apperr.New(apperr.KindForbidden, "you cannot change your own role or deactivate yourself")
		}
		if u.Role == RoleOwner {
			if err := grantable(p, RoleOwner); err != nil {
				return apperr.New(apperr.KindForbidden, "only an owner can change another owner")
			}
		}
		if ch.Name != nil {
			u.Name = strings.TrimSpace(*ch.Name)
		}
		if ch.Role != nil {
			if err := grantable(p, *ch.Role); err != nil {
				return err
			}
			u.Role = *ch.Role
		}
		if ch.Active != nil {
			u.Active = *ch.Active
		}
		changes := event.Diff(before, u.snapshot())
		if len(changes) == 0 {
			updated = u
			return nil
		}
		u.UpdatedAt = event.Now()
		if err := s.store.UpdateUser(ctx, u); err != nil {
			return err
		}
		if n, err := s.store.CountActiveOwners(ctx, p.OrgID); err != nil {
			return err
		} else if n == 0 {
			return ErrLastOwner
		}
		if !u.Active {
			if err := s.store.RevokeRefreshTokens(ctx, RevokeUser, u.ID, u.UpdatedAt); err != nil {
				return err
			}
		}
		ev := event.New(p.Actor(), "user.updated", "user", u.ID)
		ev.Changes = changes
		updated = u
		return s.store.RecordEvent(ctx, ev)
	})
	if err != nil {
		return User{}, fmt.Errorf("update user: %w", err)
	}
	s.invalidate(ctx, Invalidation{UserID: id})
	return updated, nil
}

// NewAPIKey is a key an admin creates.
type NewAPIKey struct {
	Name      string
	Scopes    []Permission
	ExpiresAt *time.Time
}

// CreateAPIKey creates a key and returns it with its secret, which is never shown again.
func (s *Service) CreateAPIKey(ctx context.Context, p Principal, in NewAPIKey) (APIKey, string, error) {
	var bad apperr.Fields
	for i, sc := range in.Scopes {
		if !slices.Contains(Scopes, sc) {
			bad.Add(fmt.Sprintf("scopes[%d]", i), "unknown scope %q", sc)
		} else if !p.Can(sc) {
			bad.Add(fmt.Sprintf("scopes[%d]", i), "you cannot grant %q: your role does not hold it", sc)
		}
	}
	now := event.Now()
	if in.ExpiresAt != nil && !in.ExpiresAt.After(now) {
		bad.Add("expires_at", "must be in the future")
	}
	if err := bad.Err(); err != nil {
		return APIKey{}, "", err
	}
	prefix := hex.EncodeToString(randomBytes(6))
	secret := APIKeyPrefix + prefix + "_" + randomToken("", 32)
	slices.Sort(in.Scopes)
	k := APIKey{
		ID: uuid.Must(uuid.NewV7()), OrgID: p.OrgID, Name: strings.TrimSpace(in.Name), Prefix: prefix,
		Hash: hashToken(secret), Scopes: slices.Compact(in.Scopes), CreatedBy: p.ID(), CreatedAt: now, ExpiresAt: in.ExpiresAt,
	}
	err := s.tx.InTx(ctx, func(ctx context.Context) error {
		if err := s.store.CreateAPIKey(ctx, k); err != nil {
			return err
		}
		ev := event.New(p.Actor(), "api_key.created", "api_key", k.ID)
		ev.Data = map[string]any{"name": k.Name, "prefix": k.Prefix, "scopes": k.Scopes}
		return s.store.RecordEvent(ctx, ev)
	})
	if err != nil {
		return APIKey{}, "", fmt.Errorf("create api key: %w", err)
	}
	return k, secret, nil
}

// APIKeys lists the organization's keys, revoked ones included.
func (s *Service) APIKeys(ctx context.Context, p Principal, req page.Request) (page.Result[APIKey], error) {
	return s.store.APIKeys(ctx, p.OrgID, req)
}

// RevokeAPIKey stops a key from working.
func (s *Service) RevokeAPIKey(ctx context.Context, p Principal, id uuid.UUID) error {
	err := s.tx.InTx(ctx, func(ctx context.Context) error {
		if err := s.store.RevokeAPIKey(ctx, p.OrgID, id, event.Now()); err != nil {
			return err
		}
		return s.store.RecordEvent(ctx, event.New(p.Actor(), "api_key.revoked", "api_key", id))
	})
	if err != nil {
		return err
	}
	s.invalidate(ctx, Invalidation{APIKeyID: id})
	return nil
}
