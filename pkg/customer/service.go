package customer

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/rapportcrm/rapport/pkg/apperr"
	"github.com/rapportcrm/rapport/pkg/event"
	"github.com/rapportcrm/rapport/pkg/page"
)

// MaxBatch is the most customers one batch may carry.
const MaxBatch = 1000

// Service applies the customer rules and records an event for every change.
type Service struct {
	store         Store
	tx            Transactor
	users         Users
	defaultRegion string
}

// NewService returns the customer service. defaultRegion (ISO 3166-1) reads national phone numbers.
func NewService(store Store, tx Transactor, users Users, defaultRegion string) *Service {
	return &Service{store: store, tx: tx, users: users, defaultRegion: defaultRegion}
}

// Get returns a live customer of the organization.
func (s *Service) Get(ctx context.Context, orgID, id uuid.UUID) (Customer, error) {
	return s.store.Get(ctx, orgID, id)
}

// CheckLive answers ErrNotFound unless the customer is live in the organization: the check of
// every record that names a customer.
func (s *Service) CheckLive(ctx context.Context, orgID, id uuid.UUID) error {
	live, err := s.store.Live(ctx, orgID, []uuid.UUID{id})
	if err == nil && !live[id] {
		return ErrNotFound
	}
	return err
}

// Live answers which of the ids are live customers of the organization.
func (s *Service) Live(ctx context.Context, orgID uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]bool, error) {
	return s.store.Live(ctx, orgID, ids)
}

// List returns a page of the organization's live customers.
func (s *Service) List(ctx context.Context, orgID uuid.UUID, f Filter, p page.Request) (page.Result[Customer], error) {
	return s.store.List(ctx, orgID, f, p)
}

// New returns a customer with the defaults of a new record; callers fill in the rest.
func New() Customer {
	return Customer{LifecycleStage: StageProspect, Status: StatusActive, Tags: []string{}, Interests: []string{}, CustomFields: map[string]any{}}
}

// Create validates and stores a new customer.
func (s *Service) Create(ctx context.Context, actor event.Actor, c Customer) (Customer, error) {
	created, err := s.create(ctx, actor, c)
	if err != nil {
		return Customer{}, fmt.Errorf("create customer: %w", err)
	}
	return created, nil
}

func (s *Service) create(ctx context.Context, actor event.Actor, c Customer) (Customer, error) {
	c, ev, err := s.prepare(ctx, actor, c)
	if err != nil {
		return Customer{}, err
	}
	if err := s.store.Insert(ctx, c, ev); err != nil {
		return Customer{}, s.explainDuplicate(ctx, c, err)
	}
	return c, nil
}

// prepare makes c a new customer, checked, with the event of its creation.
func (s *Service) prepare(ctx context.Context, actor event.Actor, c Customer) (Customer, event.Event, error) {
	now := event.Now()
	c.ID, c.OrgID, c.Version, c.CreatedAt, c.UpdatedAt, c.DeletedAt, c.MergedIntoID =
		uuid.Must(uuid.NewV7()), actor.OrgID, 1, now, now, nil, nil
	if err := s.check(ctx, &c, nil, now); err != nil {
		return Customer{}, event.Event{}, err
	}
	ev := event.New(actor, "customer.created", "customer", c.ID)
	ev.Changes, ev.Data = event.Diff(nil, c.snapshot()), c.resource()
	return c, ev, nil
}

// check normalizes c and checks its owner; prev is the stored customer when c replaces it.
// Uniqueness is left to the caller: an insert learns of a duplicate from the database.
func (s *Service) check(ctx context.Context, c *Customer, prev *Customer, now time.Time) error {
	bad := normalize(c, s.defaultRegion)
	if c.OwnerID != nil && (prev == nil || prev.OwnerID == nil || *prev.OwnerID != *c.OwnerID) {
		ok, err := s.users.ActiveUserExists(ctx, c.OrgID, *c.OwnerID)
		if err != nil {
			return err
		}
		if !ok {
			bad.Add("owner_id", "must be an active user of your organization")
		}
	}
	if r := c.ReferredByID; r != nil && (prev == nil || prev.ReferredByID == nil || *prev.ReferredByID != *r) {
		if *r == c.ID {
			bad.Add("referred_by_id", "must be another customer")
		} else if _, err := s.store.Get(ctx, c.OrgID, *r); errors.Is(err, ErrNotFound) {
			bad.Add("referred_by_id", "must be a customer of your organization")
		} else if err != nil {
			return err
		}
	}
	if err := bad.Err(); err != nil {
		return err
	}
	switch {
	case !c.MarketingConsent:
		c.MarketingConsentAt = nil
	case prev == nil || !prev.MarketingConsent:
		c.MarketingConsentAt = &now
	default:
		c.MarketingConsentAt = prev.MarketingConsentAt
	}
	return nil
}

// Check reports every rule that c, as a new customer, breaks, and writes nothing: a request whose
// shape was refused runs it, so that one answer names every bad field.
func (s *Service) Check(ctx context.Context, actor event.Actor, c Customer) error {
	c.OrgID = actor.OrgID
	return s.check(ctx, &c, nil, event.Now())
}

// CheckChange is Check for the stored customer cur becoming next.
func (s *Service) CheckChange(ctx context.Context, cur, next Customer) error {
	next.ID, next.OrgID = cur.ID, cur.OrgID
	return s.check(ctx, &next, &cur, event.Now())
}

// ensureUnique answers a conflict naming the existing customer when another live customer of
// the organization has c's email or external_id.
func (s *Service) ensureUnique(ctx context.Context, c Customer) error {
	if c.ExternalID != "" {
		if other, err := s.store.ByExternalID(ctx, c.OrgID, c.ExternalID); err == nil && other.ID != c.ID {
			return ErrExternalIDTaken.With("existing_id", other.ID.String())
		} else if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
	}
	if c.Email != "" {
		if other, err := s.store.ByEmail(ctx, c.OrgID, c.Email); err == nil && other.ID != c.ID {
			return ErrEmailTaken.With("existing_id", other.ID.String())
		} else if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
	}
	return nil
}

// explainDuplicate turns a unique-key error into a conflict that names the existing customer.
func (s *Service) explainDuplicate(ctx context.Context, c Customer, err error) error {
	if errors.Is(err, ErrDuplicate) || errors.Is(err, ErrEmailTaken) || errors.Is(err, ErrExternalIDTaken) {
		if uerr := s.ensureUnique(ctx, c); uerr != nil {
			return uerr
		}
	}
	return err
}

// Mutation turns the stored customer into the wanted one; it may fail with a validation error.
type Mutation func(Customer) (Customer, error)

// Update applies a mutation to a live customer. With ifMatch, the stored version must equal it.
// A write that races another is retried on the fresh record (and checked against ifMatch again).
func (s *Service) Update(ctx context.Context, actor event.Actor, id uuid.UUID, ifMatch *int64, mutate Mutation) (Customer, error) {
	for attempt := 0; ; attempt++ {
		var updated Customer
		err := s.tx.InTx(ctx, func(ctx context.Context) error {
			cur, err := s.current(ctx, actor.OrgID, id, ifMatch)
			if err != nil {
				return err
			}
			next, err := mutate(cur)
			if err != nil {
				return err
			}
			updated, _, err = s.update(ctx, actor, cur, next)
			return err
		})
		if errors.Is(err, ErrConcurrentWrite) && attempt < 3 {
			continue
		}
		if err != nil {
			return Customer{}, fmt.Errorf("update customer: %w", err)
		}
		return updated, nil
	}
}

// current reads a live customer and checks it against If-Match, when given.
func (s *Service) current(ctx context.Context, orgID, id uuid.UUID, ifMatch *int64) (Customer, error) {
	c, err := s.store.Get(ctx, orgID, id)
	if err == nil && ifMatch != nil && c.Version != *ifMatch {
		return Customer{}, ErrVersionConflict
	}
	return c, err
}

// update writes next over cur when anything changed and reports whether it did.
func (s *Service) update(ctx context.Context, actor event.Actor, cur, next Customer) (Customer, bool, error) {
	now := event.Now()
	next.ID, next.OrgID, next.CreatedAt, next.DeletedAt, next.MergedIntoID = cur.ID, cur.OrgID, cur.CreatedAt, cur.DeletedAt, cur.MergedIntoID
	if err := s.check(ctx, &next, &cur, now); err != nil {
		return Customer{}, false, err
	}
	changes := event.Diff(cur.snapshot(), next.snapshot())
	if len(changes) == 0 {
		return cur, false, nil
	}
	if err := s.ensureUnique(ctx, next); err != nil {
		return Customer{}, false, err
	}
	next.Version, next.UpdatedAt = cur.Version+1, now
	if err := s.store.Update(ctx, next, cur.Version); err != nil {
		return Customer{}, false, s.explainDuplicate(ctx, next, err)
	}
	ev := event.New(actor, "customer.updated", "customer", next.ID)
	ev.Changes, ev.Data = changes, next.resource()
	if err := s.store.RecordEvent(ctx, ev); err != nil {
		return Customer{}, false, err
	}
	for field, typ := range map[string]string{"lifecycle_stage": "customer.lifecycle_stage_changed", "status": "customer.status_changed"} {
		if ch, ok := changes[field]; ok {
			ev := event.New(actor, typ, "customer", next.ID)
			ev.Data = next.resource()
			ev.Data["from"], ev.Data["to"] = ch.Old, ch.New
			if err := s.store.RecordEvent(ctx, ev); err != nil {
				return Customer{}, false, err
			}
		}
	}
	return next, true, nil
}

// Delete soft-deletes a live customer: it leaves lists and answers not found until restored.
func (s *Service) Delete(ctx context.Context, actor event.Actor, id uuid.UUID, ifMatch *int64) error {
	err := s.tx.InTx(ctx, func(ctx context.Context) error {
		c, err := s.current(ctx, actor.OrgID, id, ifMatch)
		if err != nil {
			return err
		}
		return s.softDelete(ctx, actor, c, nil)
	})
	if err != nil {
		return fmt.Errorf("delete customer: %w", err)
	}
	return nil
}

func (s *Service) softDelete(ctx context.Context, actor event.Actor, c Customer, mergedInto *uuid.UUID) error {
	now := event.Now()
	prev := c.Version
	c.DeletedAt, c.MergedIntoID, c.Version, c.UpdatedAt = &now, mergedInto, c.Version+1, now
	if err := s.store.Update(ctx, c, prev); err != nil {
		return err
	}
	ev := event.New(actor, "customer.deleted", "customer", c.ID)
	ev.Data = c.tombstone()
	return s.store.RecordEvent(ctx, ev)
}

// Restore brings back a soft-deleted customer, unless its email or external_id is now taken.
func (s *Service) Restore(ctx context.Context, actor event.Actor, id uuid.UUID) (Customer, error) {
	var restored Customer
	err := s.tx.InTx(ctx, func(ctx context.Context) error {
		c, err := s.store.GetDeleted(ctx, actor.OrgID, id)
		if errors.Is(err, ErrNotFound) {
			if _, lerr := s.store.Get(ctx, actor.OrgID, id); lerr == nil {
				return ErrNotDeleted
			}
		}
		if err != nil {
			return err
		}
		if err := s.ensureUnique(ctx, c); err != nil {
			return err
		}
		prev := c.Version
		c.DeletedAt, c.MergedIntoID, c.Version, c.UpdatedAt = nil, nil, c.Version+1, event.Now()
		if err := s.store.Update(ctx, c, prev); err != nil {
			return s.explainDuplicate(ctx, c, err)
		}
		restored = c
		ev := event.New(actor, "customer.restored", "customer", c.ID)
		ev.Data = c.resource()
		return s.store.RecordEvent(ctx, ev)
	})
	if err != nil {
		return Customer{}, fmt.Errorf("restore customer: %w", err)
	}
	return restored, nil
}

// ErrMergeSelf is answered when a customer would be merged into itself.
var ErrMergeSelf = apperr.Invalid(apperr.FieldError{Field: "duplicate_id", Message: "must differ from the customer merged into"})

// Merge folds a duplicate into the survivor: the survivor keeps its own values and gains the
// duplicate's where it has none, the union of tags and interests, and the custom fields it lacks.
// The duplicate is deleted and remembers whom it was merged into.
func (s *Service) Merge(ctx context.Context, actor event.Actor, survivorID, duplicateID uuid.UUID) (Customer, error) {
	if survivorID == duplicateID {
		return Customer{}, ErrMergeSelf
	}
	var merged Customer
	err := s.tx.InTx(ctx, func(ctx context.Context) error {
		survivor, err := s.store.Get(ctx, actor.OrgID, survivorID)
		if err != nil {
			return err
		}
		dup, err := s.store.Get(ctx, actor.OrgID, duplicateID)
		if errors.Is(err, ErrNotFound) {
			return apperr.Invalid(apperr.FieldError{Field: "duplicate_id", Message: "no such customer in your organization"})
		}
		if err != nil {
			return err
		}
		// The duplicate goes first, so that its email and external_id are free for the survivor.
		if err := s.softDelete(ctx, actor, dup, &survivor.ID); err != nil {
			return err
		}
		if err := s.store.MoveRecords(ctx, actor.OrgID, dup.ID, survivor.ID); err != nil {
			return err
		}
		next, _, err := s.update(ctx, actor, survivor, combine(survivor, dup))
		if err != nil {
			return err
		}
		ev := event.New(actor, "customer.merged", "customer", survivor.ID)
		ev.Data = next.resource()
		ev.Data["duplicate_id"] = dup.ID.String()
		if err := s.store.RecordEvent(ctx, ev); err != nil {
			return err
		}
		merged, err = s.store.Get(ctx, actor.OrgID, next.ID) // with the contact figures the move changed
		return err
	})
	if err != nil {
		return Customer{}, fmt.Errorf("merge customers: %w", err)
	}
	return merged, nil
}

// combine fills the survivor's gaps from the duplicate.
func combine(survivor, dup Customer) Customer {
	c := survivor
	for _, f := range []struct{ dst, src *string }{
		{&c.ExternalID, &dup.ExternalID}, {&c.FirstName, &dup.FirstName}, {&c.LastName, &dup.LastName},
		{&c.Email, &dup.Email}, {&c.Phone, &dup.Phone}, {&c.Company, &dup.Company}, {&c.JobTitle, &dup.JobTitle},
		{&c.Source, &dup.Source}, {&c.PreferredChannel, &dup.PreferredChannel},
	} {
		if *f.dst == "" {
			*f.dst = *f.src
		}
	}
	if c.Address == nil {
		c.Address = dup.Address
	}
	if c.Birthday == nil {
		c.Birthday = dup.Birthday
	}
	if c.OwnerID == nil {
		c.OwnerID = dup.OwnerID
	}
	if c.ReferredByID != nil && *c.ReferredByID == dup.ID {
		c.ReferredByID = nil // referred by itself, once merged
	}
	if c.AcquisitionCost == nil {
		c.AcquisitionCost = dup.AcquisitionCost
	}
	if slices.Index(Stages, dup.LifecycleStage) > slices.Index(Stages, c.LifecycleStage) {
		c.LifecycleStage = dup.LifecycleStage
	}
	c.MarketingConsent = c.MarketingConsent || dup.MarketingConsent
	c.Tags = append(slices.Clone(c.Tags), dup.Tags...)
	c.Interests = append(slices.Clone(c.Interests), dup.Interests...)
	c.CustomFields = maps.Clone(c.CustomFields)
	if c.CustomFields == nil {
		c.CustomFields = map[string]any{}
	}
	for k, v := range dup.CustomFields {
		if _, ok := c.CustomFields[k]; !ok {
			c.CustomFields[k] = v
		}
	}
	return c
}

// BatchItem is one customer of a batch, matched to a stored one by ExternalID, else Email.
// Build makes the customer to write from the match, or from nothing when there is none.
type BatchItem struct {
	ExternalID string
	Email      string
	Build      func(existing *Customer) (Customer, error)
}

// Batch outcomes.
const (
	BatchCreated   = "created"
	BatchUpdated   = "updated"
	BatchUnchanged = "unchanged"
	BatchError     = "error"
)

// BatchResult is the outcome of one item.
type BatchResult struct {
	Status string
	ID     uuid.UUID
	Err    error
}

// ErrBatchFailed is answered by an atomic batch in which some item failed; nothing was written.
var ErrBatchFailed = apperr.New(apperr.KindInvalid, "the batch is atomic and some items failed; nothing was written")

// Batch creates or updates each item. Non-atomic, every item stands alone; atomic, one failing
// item rolls back all and Batch answers ErrBatchFailed with the results saying which failed.
// Matches are read for the whole batch in one query; new customers are inserted together in
// multi-row statements; a matched customer is updated in a savepoint of its own.
func (s *Service) Batch(ctx context.Context, actor event.Actor, items []BatchItem, atomic bool) ([]BatchResult, error) {
	results := make([]BatchResult, len(items))
	err := s.tx.InTx(ctx, func(ctx context.Context) error {
		index, err := s.batchIndex(ctx, actor.OrgID, items)
		if err != nil {
			return err
		}
		b := &batch{svc: s, actor: actor, index: index, results: results}
		for i, item := range items {
			if err := b.item(ctx, i, item); err != nil {
				return err
			}
		}
		if err := b.flush(ctx); err != nil {
			return err
		}
		if atomic && b.failed {
			return ErrBatchFailed
		}
		return nil
	})
	if errors.Is(err, ErrBatchFailed) {
		return results, err
	}
	if err != nil {
		return nil, fmt.Errorf("customer batch: %w", err)
	}
	return results, nil
}

// batch is one batch in progress: its results, and the new customers not yet inserted.
type batch struct {
	svc     *Service
	actor   event.Actor
	index   *batchIndex
	results []BatchResult
	pending []pendingCustomer
	failed  bool
}

type pendingCustomer struct {
	item     int
	customer Customer
	created  event.Event
}

// fail records an item's error; server faults end the batch instead.
func (b *batch) fail(i int, err error) error {
	if k := apperr.KindOf(err); k == apperr.KindInternal || k == apperr.KindUnavailable {
		return err
	}
	b.results[i] = BatchResult{Status: BatchError, Err: err}
	b.failed = true
	return nil
}

func (b *batch) item(ctx context.Context, i int, item BatchItem) error {
	existing, err := b.index.match(item)
	if err != nil {
		return b.fail(i, err)
	}
	next, err := item.Build(existing)
	if err != nil {
		return b.fail(i, err)
	}
	if existing == nil {
		c, ev, err := b.svc.prepare(ctx, b.actor, next)
		if err != nil {
			return b.fail(i, err)
		}
		b.pending = append(b.pending, pendingCustomer{item: i, customer: c, created: ev})
		b.index.learn(c)
		b.results[i] = BatchResult{Status: BatchCreated, ID: c.ID}
		return nil
	}
	if err := b.flush(ctx); err != nil { // the match may be one of them
		return err
	}
	var c Customer
	var changed bool
	err = b.svc.tx.InTx(ctx, func(ctx context.Context) error { // a savepoint: a failed update leaves the transaction usable
		c, changed, err = b.svc.update(ctx, b.actor, *existing, next)
		return err
	})
	if err != nil {
		return b.fail(i, err)
	}
	b.index.forget(*existing)
	b.index.learn(c)
	b.results[i] = BatchResult{Status: BatchUnchanged, ID: c.ID}
	if changed {
		b.results[i].Status = BatchUpdated
	}
	return nil
}

// flush inserts the pending customers; one whose email or external_id turns out taken fails.
func (b *batch) flush(ctx context.Context) error {
	if len(b.pending) == 0 {
		return nil
	}
	customers, events := make([]Customer, len(b.pending)), make([]event.Event, len(b.pending))
	for j, p := range b.pending {
		customers[j], events[j] = p.customer, p.created
	}
	inserted, err := b.svc.store.InsertMany(ctx, customers, events)
	if err != nil {
		return err
	}
	for _, p := range b.pending {
		if !inserted[p.customer.ID] {
			b.index.forget(p.customer)
			if err := b.fail(p.item, b.svc.explainDuplicate(ctx, p.customer, ErrDuplicate)); err != nil {
				return err
			}
		}
	}
	b.pending = b.pending[:0]
	return nil
}

// batchIndex holds the live customers a batch may match, by external_id and by email; it learns
// the customers the batch itself creates and changes, so later items match them too.
type batchIndex struct {
	byExternalID, byEmail map[string]Customer
}

func (s *Service) batchIndex(ctx context.Context, orgID uuid.UUID, items []BatchItem) (*batchIndex, error) {
	var externalIDs, emails []string
	for _, item := range items {
		if item.ExternalID != "" {
			externalIDs = append(externalIDs, item.ExternalID)
		}
		if item.Email != "" {
			emails = append(emails, strings.ToLower(item.Email))
		}
	}
	ix := &batchIndex{byExternalID: map[string]Customer{}, byEmail: map[string]Customer{}}
	found, err := s.store.Matching(ctx, orgID, externalIDs, emails)
	for _, c := range found {
		ix.learn(c)
	}
	return ix, err
}

func (ix *batchIndex) learn(c Customer) {
	if c.ExternalID != "" {
		ix.byExternalID[c.ExternalID] = c
	}
	if c.Email != "" {
		ix.byEmail[strings.ToLower(c.Email)] = c
	}
}

func (ix *batchIndex) forget(c Customer) {
	delete(ix.byExternalID, c.ExternalID)
	delete(ix.byEmail, strings.ToLower(c.Email))
}

// match finds an item's customer. An item with an external_id matches the customer with that
// external_id; when none has it, it falls back to the customer with its email, but only if that
// customer has no external_id of its own: one with another external_id is someone else's record
// of a different person (or a typo), and the item fails naming it rather than overwriting it. An
// item without an external_id matches by email. A match never changes a customer's external_id.
func (ix *batchIndex) match(item BatchItem) (*Customer, error) {
	if c, ok := ix.byExternalID[item.ExternalID]; ok && item.ExternalID != "" {
		return &c, nil
	}
	c, ok := ix.byEmail[strings.ToLower(item.Email)]
	switch {
	case !ok || item.Email == "":
		return nil, nil
	case item.ExternalID != "" && c.ExternalID != "":
		return nil, ErrEmailOfAnother.With("existing_id", c.ID.String())
	}
	return &c, nil
}

// snapshot is the customer's writable state as plain values, for change records.
func (c Customer) snapshot() map[string]any {
	m := map[string]any{
		"external_id": c.ExternalID, "first_name": c.FirstName, "last_name": c.LastName, "email": c.Email,
		"phone": c.Phone, "company": c.Company, "job_title": c.JobTitle, "tags": c.Tags, "custom_fields": c.CustomFields,
		"lifecycle_stage": string(c.LifecycleStage), "status": string(c.Status), "source": c.Source,
		"marketing_consent": c.MarketingConsent, "preferred_channel": c.PreferredChannel, "interests": c.Interests,
		"address": nil, "birthday": nil, "owner_id": nil, "acquisition_cost": nil, "referred_by_id": nil,
	}
	if a := c.Address; a != nil {
		m["address"] = map[string]any{"line1": a.Line1, "line2": a.Line2, "city": a.City, "region": a.Region, "postal_code": a.PostalCode, "country": a.Country}
	}
	if c.Birthday != nil {
		m["birthday"] = c.Birthday.Format(time.DateOnly)
	}
	if c.OwnerID != nil {
		m["owner_id"] = c.OwnerID.String()
	}
	if c.ReferredByID != nil {
		m["referred_by_id"] = c.ReferredByID.String()
	}
	if c.AcquisitionCost != nil {
		m["acquisition_cost"] = map[string]any{"amount": c.AcquisitionCost.String(), "currency": c.AcquisitionCost.Currency}
	}
	return m
}

// resource is the customer as the API answers it, less what other records and the analytics keep
// (the contact and purchase figures, the scores): what the events of a change carry in Data, so
// that a follower of the feed can keep a copy without reading the customer back.
func (c Customer) resource() map[string]any {
	m := c.snapshot()
	for _, k := range []string{"external_id", "email", "phone"} {
		if m[k] == "" {
			m[k] = nil
		}
	}
	if a, ok := m["address"].(map[string]any); ok {
		for k, v := range a {
			if v == "" {
				delete(a, k)
			}
		}
	}
	m["id"], m["marketing_consent_at"], m["version"], m["created_at"], m["updated_at"] = c.ID.String(), nil, c.Version, c.CreatedAt, c.UpdatedAt
	if c.MarketingConsentAt != nil {
		m["marketing_consent_at"] = *c.MarketingConsentAt
	}
	return m
}

// tombstone is what a customer's deletion carries: enough for a follower to find its copy (by id,
// external_id or email) and remove it, or re-point it to the customer it was merged into.
func (c Customer) tombstone() map[string]any {
	r := c.resource()
	m := map[string]any{"id": r["id"], "external_id": r["external_id"], "email": r["email"], "version": c.Version,
		"updated_at": c.UpdatedAt, "deleted_at": c.DeletedAt, "merged_into_id": nil}
	if c.MergedIntoID != nil {
		m["merged_into_id"] = c.MergedIntoID.String()
	}
	return m
}

// Resources answers the live customers among ids as the events of a change carry them, for the
// events another domain records of the customers it changed.
func (s *Service) Resources(ctx context.Context, orgID uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]map[string]any, error) {
	cs, err := s.store.GetMany(ctx, orgID, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[uuid.UUID]map[string]any, len(cs))
	for _, c := range cs {
		out[c.ID] = c.resource()
	}
	return out, nil
}

// SetStageOrStatus moves a customer to another lifecycle stage or status (whichever is not
// empty), as the analytics rules decide; the update records its events.
func (s *Service) SetStageOrStatus(ctx context.Context, actor event.Actor, id uuid.UUID, stage, status string) error {
	_, err := s.Update(ctx, actor, id, nil, func(c Customer) (Customer, error) {
		if stage != "" {
			c.LifecycleStage = LifecycleStage(stage)
		}
		if status != "" {
			c.Status = Status(status)
		}
		return c, nil
	})
	return err
}
