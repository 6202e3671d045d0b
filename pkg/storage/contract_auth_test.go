package storage_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/rapportcrm/rapport/pkg/auth"
	"github.com/rapportcrm/rapport/pkg/event"
	"github.com/rapportcrm/rapport/pkg/page"
)

func TestAuthStore(t *testing.T) {
	f := newFixture(t)
	s := f.db.AuthStore()
	user := func(t *testing.T, org uuid.UUID, role auth.Role, active bool, at time.Time) auth.User {
		t.Helper()
		id := newID()
		u := auth.User{ID: id, OrgID: org, Email: "User." + id.String() + "@Example.com", Name: "User", Role: role, Active: active,
			PasswordHash: "hash", CreatedAt: at, UpdatedAt: at}
		must(t, s.CreateUser(f.ctx, u))
		return u
	}
	owner := user(t, f.org, auth.RoleOwner, true, f.now)
	run(t, []contract{
		{"CreateOrganization and Organization keep every field", func(t *testing.T) {
			o := auth.Organization{ID: newID(), Name: "Acme", Currency: "CHF", CreatedAt: f.now, UpdatedAt: f.now}
			must(t, s.CreateOrganization(f.ctx, o))
			got, err := s.Organization(f.ctx, o.ID)
			must(t, err)
			wantEqual(t, "organization", got, o)
			if _, err := s.Organization(f.ctx, newID()); err == nil {
				t.Fatal("an unknown organization was found")
			}
		}},
		{"CreateUser, User and UserByEmail keep every field; emails are unique in any case, across organizations", func(t *testing.T) {
			u := user(t, f.org, auth.RoleAgent, true, f.now)
			got, err := s.User(f.ctx, f.org, u.ID)
			must(t, err)
			wantEqual(t, "user", got, u)
			got, err = s.UserByEmail(f.ctx, strings.ToLower(u.Email))
			must(t, err)
			wantEqual(t, "user by email", got, u)
			taken := u
			taken.ID, taken.OrgID, taken.Email = newID(), f.other, strings.ToUpper(u.Email)
			wantErr(t, "a taken email", s.CreateUser(f.ctx, taken), auth.ErrEmailTaken)
			wantErr(t, "another organization's user", getErr(s.User(f.ctx, f.other, u.ID)), auth.ErrUserNotFound)
			wantErr(t, "an unknown email", getErr(s.UserByEmail(f.ctx, "nobody@example.com")), auth.ErrUserNotFound)
		}},
		{"UpdateUser writes name, role, active and updated_at of the organization's user", func(t *testing.T) {
			u := user(t, f.org, auth.RoleAgent, true, f.now)
			u.Name, u.Role, u.Active, u.UpdatedAt = "Renamed", auth.RoleAdmin, false, f.now.Add(time.Hour)
			u.Email = "ignored@example.com" // not a changeable field
			must(t, s.UpdateUser(f.ctx, u))
			got, err := s.User(f.ctx, f.org, u.ID)
			must(t, err)
			if got.Name != "Renamed" || got.Role != auth.RoleAdmin || got.Active || !got.UpdatedAt.Equal(u.UpdatedAt) || got.Email == u.Email {
				t.Fatalf("updated user %+v", got)
			}
			u.OrgID = f.other
			wantErr(t, "another organization's user", s.UpdateUser(f.ctx, u), auth.ErrUserNotFound)
		}},
		{"Users pages the organization's users; CountActiveOwners and ActiveUserExists count active ones only", func(t *testing.T) {
			org := f.organization(t, "EUR")
			users := []auth.User{
				user(t, org, auth.RoleOwner, true, f.now.Add(-2*time.Hour)), user(t, org, auth.RoleOwner, false, f.now.Add(-time.Hour)),
				user(t, org, auth.RoleViewer, true, f.now),
			}
			user(t, f.other, auth.RoleOwner, true, f.now)
			list := func(p page.Request) (page.Result[auth.User], error) { return s.Users(f.ctx, org, p) }
			wantOrders(t, list, func(u auth.User) uuid.UUID { return u.ID }, order{"created_at", false, []uuid.UUID{users[0].ID, users[1].ID, users[2].ID}})
			n, err := s.CountActiveOwners(f.ctx, org)
			must(t, err)
			wantEqual(t, "active owners", n, 1)
			checks := []struct {
				name string
				org  uuid.UUID
				id   uuid.UUID
				want bool
			}{
				{"active", org, users[2].ID, true}, {"inactive", org, users[1].ID, false}, {"another organization's", f.other, users[0].ID, false},
			}
			for _, c := range checks {
				ok, err := s.ActiveUserExists(f.ctx, c.org, c.id)
				must(t, err)
				wantEqual(t, c.name, ok, c.want)
			}
		}},
		{"Refresh tokens are found by hash, used once, and revoked by token, family or user", func(t *testing.T) {
			other := user(t, f.org, auth.RoleAgent, true, f.now)
			family := newID()
			token := func(u auth.User, family uuid.UUID) auth.RefreshToken {
				tok := auth.RefreshToken{ID: newID(), OrgID: u.OrgID, UserID: u.ID, FamilyID: family, Hash: "hash-" + newID().String(),
					ExpiresAt: f.now.Add(time.Hour), CreatedAt: f.now}
				must(t, s.CreateRefreshToken(f.ctx, tok))
				return tok
			}
			a, b, c, d := token(owner, family), token(owner, family), token(owner, newID()), token(other, newID())
			got, err := s.RefreshTokenByHash(f.ctx, a.Hash)
			must(t, err)
			wantEqual(t, "token", got, a)
			wantErr(t, "an unknown hash", getErr(s.RefreshTokenByHash(f.ctx, "unknown")), auth.ErrInvalidToken)
			for _, want := range []bool{true, false} {
				used, err := s.MarkRefreshTokenUsed(f.ctx, a.ID, f.now)
				must(t, err)
				wantEqual(t, "marked used", used, want)
			}
			revoked := func(tok auth.RefreshToken) bool {
				got, err := s.RefreshTokenByHash(f.ctx, tok.Hash)
				must(t, err)
				return got.RevokedAt != nil
			}
			steps := []struct {
				by   auth.RevokeBy
				id   uuid.UUID
				want []bool // a, b, c, d revoked
			}{
				{auth.RevokeToken, c.ID, []bool{false, false, true, false}},
				{auth.RevokeFamily, family, []bool{true, true, true, false}},
				{auth.RevokeUser, other.ID, []bool{true, true, true, true}},
			}
			for _, st := range steps {
				must(t, s.RevokeRefreshTokens(f.ctx, st.by, st.id, f.now))
				got := []bool{revoked(a), revoked(b), revoked(c), revoked(d)}
				if !reflect.DeepEqual(got, st.want) {
					t.Fatalf("after revoking by %v: %v, want %v", st.by, got, st.want)
				}
			}
		}},
		{"API keys are found by prefix, listed per organization, touched and revoked once", func(t *testing.T) {
			org := f.organization(t, "EUR")
			key := func(org uuid.UUID, at time.Time) auth.APIKey {
				k := auth.APIKey{ID: newID(), OrgID: org, Name: "ci", Prefix: "rk_" + newID().String(), Hash: "hash", Scopes: []auth.Permission{auth.CustomersRead},
					CreatedBy: owner.ID, CreatedAt: at, ExpiresAt: ptr(at.Add(time.Hour))}
				must(t, s.CreateAPIKey(f.ctx, k))
				return k
			}
			a, b := key(org, f.now.Add(-time.Hour)), key(org, f.now)
			theirs := key(f.other, f.now)
			got, err := s.APIKeyByPrefix(f.ctx, a.Prefix)
			must(t, err)
			if !reflect.DeepEqual(got, a) {
				t.Fatalf("key:\n got %+v\nwant %+v", got, a)
			}
			wantErr(t, "an unknown prefix", getErr(s.APIKeyByPrefix(f.ctx, "rk_unknown")), auth.ErrAPIKeyNotFound)
			list := func(p page.Request) (page.Result[auth.APIKey], error) { return s.APIKeys(f.ctx, org, p) }
			wantOrders(t, list, func(k auth.APIKey) uuid.UUID { return k.ID }, order{"created_at", false, []uuid.UUID{a.ID, b.ID}})
			used := f.now.Add(time.Minute)
			must(t, s.TouchAPIKey(f.ctx, a.ID, used))
			got, err = s.APIKeyByPrefix(f.ctx, a.Prefix)
			must(t, err)
			if got.LastUsedAt == nil || !got.LastUsedAt.Equal(used) {
				t.Fatalf("last used at %v, want %v", got.LastUsedAt, used)
			}
			must(t, s.RevokeAPIKey(f.ctx, org, a.ID, f.now))
			wantErr(t, "revoked again", s.RevokeAPIKey(f.ctx, org, a.ID, f.now), auth.ErrAPIKeyNotFound)
			wantErr(t, "another organization's key", s.RevokeAPIKey(f.ctx, org, theirs.ID, f.now), auth.ErrAPIKeyNotFound)
			got, err = s.APIKeyByPrefix(f.ctx, a.Prefix)
			must(t, err)
			if got.RevokedAt == nil {
				t.Fatal("the revoked key has no revocation time")
			}
		}},
		{"RecordEvent appends to the change log", func(t *testing.T) {
			c := f.customer(t, f.org)
			e := event.New(event.Actor{OrgID: f.org, Kind: event.ActorUser, ID: owner.ID}, "customer.noted", "customer", c.ID)
			must(t, s.RecordEvent(f.ctx, e))
			wantSet(t, "events", f.eventsOf(t, c, "customer.noted"), e.ID)
		}},
	})
}
