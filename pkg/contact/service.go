package contact

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/rapportcrm/rapport/pkg/apperr"
	"github.com/rapportcrm/rapport/pkg/event"
	"github.com/rapportcrm/rapport/pkg/page"
)

// Service records the contact history and keeps the customer's contact figures right.
type Service struct {
	store     Store
	tx        Transactor
	customers Customers
	users     Users
}

// NewService returns the contact service.
func NewService(store Store, tx Transactor, customers Customers, users Users) *Service {
	return &Service{store: store, tx: tx, customers: customers, users: users}
}

// Get returns a contact.
func (s *Service) Get(ctx context.Context, orgID, id uuid.UUID) (Contact, error) {
	return s.store.Get(ctx, orgID, id)
}

// List returns a page of contacts. With a customer in the filter, that customer must exist.
func (s *Service) List(ctx context.Context, orgID uuid.UUID, f Filter, p page.Request) (page.Result[Contact], error) {
	if f.CustomerID != nil {
		if err := s.customers.CheckLive(ctx, orgID, *f.CustomerID); err != nil {
			return page.Result[Contact]{}, err
		}
	}
	return s.store.List(ctx, orgID, f, p)
}

// ChannelCounts counts a customer's contacts per channel.
func (s *Service) ChannelCounts(ctx context.Context, orgID, customerID uuid.UUID) (map[string]int, error) {
	return s.store.ChannelCounts(ctx, orgID, customerID)
}

// Check reports every rule that c, as a new contact, breaks, and writes nothing: a request whose
// shape was refused runs it, so that one answer names every bad field.
func (s *Service) Check(ctx context.Context, actor event.Actor, c Contact) error {
	c.OrgID = actor.OrgID
	return s.check(ctx, &c, nil, event.Now())
}

// check normalizes c and reports every field that breaks a rule.
func (s *Service) check(ctx context.Context, c *Contact, prev *Contact, now time.Time) error {
	var bad apperr.Fields
	c.Subject, c.Notes, c.ExternalRef = strings.TrimSpace(c.Subject), strings.TrimSpace(c.Notes), strings.TrimSpace(c.ExternalRef)
	for field, v := range map[string]struct {
		value   string
		allowed []string
	}{"channel": {c.Channel, Channels}, "direction": {c.Direction, Directions}, "outcome": {c.Outcome, Outcomes}} {
		if !slices.Contains(v.allowed, v.value) {
			bad.Add(field, "must be one of %s", strings.Join(v.allowed, ", "))
		}
	}
	if c.OccurredAt.After(now.Add(ClockSkew)) {
		bad.Add("occurred_at", "must not be in the future")
	}
	if c.DurationSeconds != nil && (*c.DurationSeconds < 0 || *c.DurationSeconds > MaxDuration) {
		bad.Add("duration_seconds", "must be from 0 to %d (a week)", MaxDuration)
	}
	tags := make([]string, 0, len(c.Tags))
	for i, t := range c.Tags {
		t = strings.ToLower(strings.TrimSpace(t))
		if t == "" {
			bad.Add(fmt.Sprintf("tags[%d]", i), "must not be empty")
		} else if !slices.Contains(tags, t) {
			tags = append(tags, t)
		}
	}
	c.Tags = tags
	if c.AgentID != nil && (prev == nil || prev.AgentID == nil || *prev.AgentID != *c.AgentID) {
		if ok, err := s.users.ActiveUserExists(ctx, c.OrgID, *c.AgentID); err != nil {
			return err
		} else if !ok {
			bad.Add("agent_id", "must be an active user of your organization")
		}
	}
	if prev == nil || prev.CustomerID != c.CustomerID {
		if err := s.customers.CheckLive(ctx, c.OrgID, c.CustomerID); apperr.KindOf(err) == apperr.KindNotFound {
			bad.Add("customer_id", "must be a customer of your organization that is not deleted")
		} else if err != nil {
			return err
		}
	}
	return bad.Err()
}

// ensureUnique answers a conflict naming the contact that holds c's external_ref.
func (s *Service) ensureUnique(ctx context.Context, c Contact) error {
	if c.ExternalRef == "" {
		return nil
	}
	other, err := s.store.ByExternalRef(ctx, c.OrgID, c.ExternalRef)
	if err == nil && other.ID != c.ID {
		return ErrExternalRef.With("existing_id", other.ID.String())
	}
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	return nil
}

// Create records a contact. The agent defaults to the calling user.
func (s *Service) Create(ctx context.Context, actor event.Actor, c Contact) (Contact, error) {
	now := event.Now()
	c.ID, c.OrgID, c.Version, c.CreatedAt, c.UpdatedAt, c.DeletedAt = uuid.Must(uuid.NewV7()), actor.OrgID, 1, now, now, nil
	if c.OccurredAt.IsZero() {
		c.OccurredAt = now
	}
	if c.AgentID == nil && actor.Kind == event.ActorUser {
		c.AgentID = &actor.ID
	}
	err := s.tx.InTx(ctx, func(ctx context.Context) error {
		if err := s.check(ctx, &c, nil, now); err != nil {
			return err
		}
		if err := s.ensureUnique(ctx, c); err != nil {
			return err
		}
		if err := s.store.Insert(ctx, c); err != nil {
			return err
		}
		if err := s.store.RefreshCustomer(ctx, c.OrgID, c.CustomerID); err != nil {
			return err
		}
		ev := s.event(actor, "contact.created", c)
		ev.Changes, ev.Data = event.Diff(nil, c.snapshot()), c.resource()
		return s.store.RecordEvent(ctx, ev)
	})
	if err != nil {
		return Contact{}, fmt.Errorf("create contact: %w", err)
	}
	return c, nil
}

// CreateForCustomer records a contact with the customer a path names: a customer that does not
// exist there is not found, where a customer_id in a body is an invalid field.
func (s *Service) CreateForCustomer(ctx context.Context, actor event.Actor, customerID uuid.UUID, c Contact) (Contact, error) {
	if err := s.customers.CheckLive(ctx, actor.OrgID, customerID); err != nil {
		return Contact{}, err
	}
	c.CustomerID = customerID
	return s.Create(ctx, actor, c)
}

func (s *Service) event(actor event.Actor, typ string, c Contact) event.Event {
	ev := event.New(actor, typ, "contact", c.ID)
	ev.CustomerID = &c.CustomerID
	return ev
}

// Update applies a mutation to a contact; a contact moved to another customer leaves the first
// one's figures and timeline.
func (s *Service) Update(ctx context.Context, actor event.Actor, id uuid.UUID, ifMatch *int64, mutate func(Contact) (Contact, error)) (Contact, error) {
	var updated Contact
	err := s.tx.InTx(ctx, func(ctx context.Context) error {
		cur, err := s.current(ctx, actor.OrgID, id, ifMatch)
		if err != nil {
			return err
		}
		next, err := mutate(cur)
		if err != nil {
			return err
		}
		next.ID, next.OrgID, next.CreatedAt, next.DeletedAt = cur.ID, cur.OrgID, cur.CreatedAt, nil
		if err := s.check(ctx, &next, &cur, event.Now()); err != nil {
			return err
		}
		changes := event.Diff(cur.snapshot(), next.snapshot())
		if len(changes) == 0 {
			updated = cur
			return nil
		}
		if err := s.ensureUnique(ctx, next); err != nil {
			return err
		}
		next.Version, next.UpdatedAt = cur.Version+1, event.Now()
		if err := s.store.Update(ctx, next, cur.Version); err != nil {
			return err
		}
		if err := s.refresh(ctx, cur, next); err != nil {
			return err
		}
		ev := s.event(actor, "contact.updated", next)
		ev.Changes, ev.Data = changes, next.resource()
		updated = next
		return s.store.RecordEvent(ctx, ev)
	})
	if err != nil {
		return Contact{}, fmt.Errorf("update contact: %w", err)
	}
	return updated, nil
}

// refresh recomputes the figures of the customers a change touched.
func (s *Service) refresh(ctx context.Context, before, after Contact) error {
	if err := s.store.RefreshCustomer(ctx, after.OrgID, after.CustomerID); err != nil {
		return err
	}
	if before.CustomerID != after.CustomerID {
		return s.store.RefreshCustomer(ctx, before.OrgID, before.CustomerID)
	}
	return nil
}

func (s *Service) current(ctx context.Context, orgID, id uuid.UUID, ifMatch *int64) (Contact, error) {
	c, err := s.store.Get(ctx, orgID, id)
	if err == nil && ifMatch != nil && c.Version != *ifMatch {
		return Contact{}, ErrVersionConflict
	}
	return c, err
}

// Delete removes a contact from the history (softly: the timeline keeps that it was deleted).
func (s *Service) Delete(ctx context.Context, actor event.Actor, id uuid.UUID, ifMatch *int64) error {
	err := s.tx.InTx(ctx, func(ctx context.Context) error {
		c, err := s.current(ctx, actor.OrgID, id, ifMatch)
		if err != nil {
			return err
		}
		now := event.Now()
		prev := c.Version
		c.DeletedAt, c.Version, c.UpdatedAt = &now, c.Version+1, now
		if err := s.store.Update(ctx, c, prev); err != nil {
			return err
		}
		if err := s.store.RefreshCustomer(ctx, c.OrgID, c.CustomerID); err != nil {
			return err
		}
		ev := s.event(actor, "contact.deleted", c)
		ev.Data = map[string]any{"id": c.ID.String(), "customer_id": c.CustomerID.String(), "external_ref": c.resource()["external_ref"],
			"version": c.Version, "deleted_at": c.DeletedAt}
		return s.store.RecordEvent(ctx, ev)
	})
	if err != nil {
		return fmt.Errorf("delete contact: %w", err)
	}
	return nil
}

// resource is the contact as the API answers it: what the events of a change carry in Data.
func (c Contact) resource() map[string]any {
	m := c.snapshot()
	if c.ExternalRef == "" {
		m["external_ref"] = nil
	}
	m["id"], m["version"], m["created_at"], m["updated_at"] = c.ID.String(), c.Version, c.CreatedAt, c.UpdatedAt
	return m
}

// snapshot is the contact's writable state as plain values, for change records.
func (c Contact) snapshot() map[string]any {
	m := map[string]any{
		"customer_id": c.CustomerID.String(), "channel": c.Channel, "direction": c.Direction, "subject": c.Subject,
		"notes": c.Notes, "occurred_at": c.OccurredAt.Format(time.RFC3339Nano), "outcome": c.Outcome, "tags": c.Tags,
		"external_ref": c.ExternalRef, "duration_seconds": nil, "agent_id": nil, "follow_up_at": nil,
	}
	if c.DurationSeconds != nil {
		m["duration_seconds"] = *c.DurationSeconds
	}
	if c.AgentID != nil {
		m["agent_id"] = c.AgentID.String()
	}
	if c.FollowUpAt != nil {
		m["follow_up_at"] = c.FollowUpAt.Format(time.RFC3339Nano)
	}
	return m
}
