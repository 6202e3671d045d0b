package feedback

import (
	"context"
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

// Service records feedback and runs the complaint workflow.
type Service struct {
	store     Store
	tx        Transactor
	customers Customers
	users     Users
	now       func() time.Time
}

// NewService returns the feedback service; now is the clock (event.Now in production).
func NewService(store Store, tx Transactor, customers Customers, users Users, now func() time.Time) *Service {
	return &Service{store: store, tx: tx, customers: customers, users: users, now: now}
}

// Get returns a piece of feedback.
func (s *Service) Get(ctx context.Context, orgID, id uuid.UUID) (Feedback, error) {
	return s.store.Get(ctx, orgID, id)
}

// List returns a page of feedback; with a customer in the filter, that customer must exist.
func (s *Service) List(ctx context.Context, orgID uuid.UUID, f Filter, p page.Request) (page.Result[Feedback], error) {
	if f.CustomerID != nil {
		if err := s.customers.CheckLive(ctx, orgID, *f.CustomerID); err != nil {
			return page.Result[Feedback]{}, err
		}
	}
	return s.store.List(ctx, orgID, f, p)
}

// Now is the service's clock, for callers that compute SLA states.
func (s *Service) Now() time.Time { return s.now() }

// Check reports every rule that f, as new feedback, breaks, and writes nothing: a request whose
// shape was refused runs it, so that one answer names every bad field.
func (s *Service) Check(ctx context.Context, actor event.Actor, f Feedback) error {
	f.OrgID = actor.OrgID
	return s.check(ctx, &f, nil)
}

// check normalizes f and reports every field that breaks a rule of its kind.
func (s *Service) check(ctx context.Context, f *Feedback, prev *Feedback) error {
	var bad apperr.Fields
	f.Comment, f.Subject, f.Description = strings.TrimSpace(f.Comment), strings.TrimSpace(f.Subject), strings.TrimSpace(f.Description)
	f.Resolution, f.Response = strings.TrimSpace(f.Resolution), strings.TrimSpace(f.Response)
	f.Channel, f.Survey = strings.ToLower(strings.TrimSpace(f.Channel)), strings.TrimSpace(f.Survey)
	if prev != nil && f.Kind != prev.Kind {
		bad.Add("kind", "cannot change; record a new piece of feedback instead")
	}
	if !slices.Contains(Kinds, f.Kind) {
		bad.Add("kind", "must be one of %s", strings.Join(Kinds, ", "))
		return bad.Err()
	}
	scale, survey := Scales[f.Kind]
	switch {
	case survey && f.Score == nil:
		bad.Add("score", "is required for %s, from %d to %d", f.Kind, scale[0], scale[1])
	case survey && (*f.Score < scale[0] || *f.Score > scale[1]):
		bad.Add("score", "must be from %d to %d for %s", scale[0], scale[1], f.Kind)
	case !survey && f.Score != nil:
		bad.Add("score", "only surveys (nps, csat, ces) have a score")
	}
	complaint := f.Kind == KindComplaint
	for _, field := range []struct {
		name string
		set  bool
	}{{"subject", f.Subject != ""}, {"description", f.Description != ""}, {"assignee_id", f.AssigneeID != nil}, {"resolution", f.Resolution != ""}} {
		if field.set && !complaint {
			bad.Add(field.name, "only complaints have a %s", field.name)
		}
	}
	if f.Response != "" && f.Kind != KindSuggestion {
		bad.Add("response", "only suggestions have a response")
	}
	switch f.Kind {
	case KindComplaint:
		if f.Subject == "" {
			bad.Add("subject", "is required for a complaint")
		}
		if f.Priority == "" {
			f.Priority = "normal"
		}
		if !slices.Contains(Priorities, f.Priority) {
			bad.Add("priority", "must be one of %s", strings.Join(Priorities, ", "))
		}
		if prev == nil {
			f.Status = "open"
		} else if f.Status != prev.Status {
			bad.Add("status", "changes through POST /v1/feedback/{id}/transitions; allowed next: %s", strings.Join(Next(prev.Status), ", "))
		}
	case KindSuggestion:
		if f.Status == "" {
			f.Status = "new"
		}
		if !slices.Contains(SuggestionStatuses, f.Status) {
			bad.Add("status", "must be one of %s", strings.Join(SuggestionStatuses, ", "))
		}
	default:
		if f.Priority != "" {
			bad.Add("priority", "only complaints have a priority")
		}
		if f.Status != "" {
			bad.Add("status", "only complaints and suggestions have a status")
		}
	}
	if f.AssigneeID != nil && (prev == nil || prev.AssigneeID == nil || *prev.AssigneeID != *f.AssigneeID) {
		if ok, err := s.users.ActiveUserExists(ctx, f.OrgID, *f.AssigneeID); err != nil {
			return err
		} else if !ok {
			bad.Add("assignee_id", "must be an active user of your organization")
		}
	}
	if prev == nil || prev.CustomerID != f.CustomerID {
		if err := s.customers.CheckLive(ctx, f.OrgID, f.CustomerID); apperr.KindOf(err) == apperr.KindNotFound {
			bad.Add("customer_id", "must be a customer of your organization that is not deleted")
		} else if err != nil {
			return err
		}
	}
	if f.ContactID != nil && (prev == nil || prev.ContactID == nil || *prev.ContactID != *f.ContactID || prev.CustomerID != f.CustomerID) {
		if ok, err := s.store.ContactOf(ctx, f.OrgID, *f.ContactID, f.CustomerID); err != nil {
			return err
		} else if !ok {
			bad.Add("contact_id", "must be a contact with the same customer")
		}
	}
	return bad.Err()
}

// setDue sets a complaint's due times from its creation and the SLA of its priority.
func setDue(f *Feedback, slas []SLA) {
	if f.Kind != KindComplaint {
		return
	}
	for _, sla := range slas {
		if sla.Priority == f.Priority {
			first, resolve := f.CreatedAt.Add(sla.FirstResponse), f.CreatedAt.Add(sla.Resolution)
			f.FirstResponseDueAt, f.ResolutionDueAt = &first, &resolve
		}
	}
}

func (s *Service) event(actor event.Actor, typ string, f Feedback) event.Event {
	ev := event.New(actor, typ, "feedback", f.ID)
	ev.CustomerID = &f.CustomerID
	return ev
}

// Create records feedback. A complaint starts open, with due times from its priority's SLA.
func (s *Service) Create(ctx context.Context, actor event.Actor, f Feedback) (Feedback, error) {
	now := s.now()
	f.ID, f.OrgID, f.Version, f.CreatedAt, f.UpdatedAt, f.DeletedAt = uuid.Must(uuid.NewV7()), actor.OrgID, 1, now, now, nil
	f.FirstResponseAt, f.ResolvedAt = nil, nil
	err := s.tx.InTx(ctx, func(ctx context.Context) error {
		if err := s.check(ctx, &f, nil); err != nil {
			return err
		}
		slas, err := s.store.SLAs(ctx, f.OrgID)
		if err != nil {
			return err
		}
		setDue(&f, slas)
		if err := s.store.Insert(ctx, f); err != nil {
			return err
		}
		ev := s.event(actor, "feedback.created", f)
		ev.Changes, ev.Data = event.Diff(nil, f.snapshot()), f.resource()
		return s.store.RecordEvent(ctx, ev)
	})
	if err != nil {
		return Feedback{}, fmt.Errorf("create feedback: %w", err)
	}
	return f, nil
}

// CreateForCustomer records feedback from the customer a path names: a missing customer is not found.
func (s *Service) CreateForCustomer(ctx context.Context, actor event.Actor, customerID uuid.UUID, f Feedback) (Feedback, error) {
	if err := s.customers.CheckLive(ctx, actor.OrgID, customerID); err != nil {
		return Feedback{}, err
	}
	f.CustomerID = customerID
	return s.Create(ctx, actor, f)
}

func (s *Service) current(ctx context.Context, orgID, id uuid.UUID, ifMatch *int64) (Feedback, error) {
	f, err := s.store.Get(ctx, orgID, id)
	if err == nil && ifMatch != nil && f.Version != *ifMatch {
		return Feedback{}, ErrVersionConflict
	}
	return f, err
}

// write stores next over cur with an event of the given type, unless nothing changed. The event's
// data is next as the API answers it, with what extra says of the change.
func (s *Service) write(ctx context.Context, actor event.Actor, typ string, cur, next Feedback, extra map[string]any) (Feedback, error) {
	changes := event.Diff(cur.snapshot(), next.snapshot())
	if len(changes) == 0 {
		return cur, nil
	}
	next.Version, next.UpdatedAt = cur.Version+1, s.now()
	if err := s.store.Update(ctx, next, cur.Version); err != nil {
		return Feedback{}, err
	}
	ev := s.event(actor, typ, next)
	ev.Changes, ev.Data = changes, next.resource()
	maps.Copy(ev.Data, extra)
	return next, s.store.RecordEvent(ctx, ev)
}

// Update applies a mutation. A complaint's status moves only through Transition; a new
// priority moves its due times.
func (s *Service) Update(ctx context.Context, actor event.Actor, id uuid.UUID, ifMatch *int64, mutate func(Feedback) (Feedback, error)) (Feedback, error) {
	var updated Feedback
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
		next.FirstResponseAt, next.ResolvedAt = cur.FirstResponseAt, cur.ResolvedAt
		if err := s.check(ctx, &next, &cur); err != nil {
			return err
		}
		if next.Priority != cur.Priority {
			slas, err := s.store.SLAs(ctx, next.OrgID)
			if err != nil {
				return err
			}
			setDue(&next, slas)
		}
		updated, err = s.write(ctx, actor, "feedback.updated", cur, next, nil)
		return err
	})
	if err != nil {
		return Feedback{}, fmt.Errorf("update feedback: %w", err)
	}
	return updated, nil
}

// Delete removes feedback (softly: its timeline entries stay).
func (s *Service) Delete(ctx context.Context, actor event.Actor, id uuid.UUID, ifMatch *int64) error {
	err := s.tx.InTx(ctx, func(ctx context.Context) error {
		f, err := s.current(ctx, actor.OrgID, id, ifMatch)
		if err != nil {
			return err
		}
		now := s.now()
		prev := f.Version
		f.DeletedAt, f.Version, f.UpdatedAt = &now, f.Version+1, now
		if err := s.store.Update(ctx, f, prev); err != nil {
			return err
		}
		ev := s.event(actor, "feedback.deleted", f)
		ev.Data = map[string]any{"id": f.ID.String(), "customer_id": f.CustomerID.String(), "version": f.Version, "deleted_at": f.DeletedAt}
		return s.store.RecordEvent(ctx, ev)
	})
	if err != nil {
		return fmt.Errorf("delete feedback: %w", err)
	}
	return nil
}

// Transition moves a complaint along its workflow. The first move out of open is the first
// response; resolved needs a resolution and sets resolved_at; reopened clears it.
func (s *Service) Transition(ctx context.Context, actor event.Actor, id uuid.UUID, ifMatch *int64, to, note, resolution string) (Feedback, error) {
	var moved Feedback
	err := s.tx.InTx(ctx, func(ctx context.Context) error {
		cur, err := s.current(ctx, actor.OrgID, id, ifMatch)
		if err != nil {
			return err
		}
		if cur.Kind != KindComplaint {
			return ErrNotComplaint
		}
		allowed := Next(cur.Status)
		if !slices.Contains(allowed, to) {
			msg := "a closed complaint cannot move"
			if len(allowed) > 0 {
				msg = fmt.Sprintf("cannot move from %s to %s; allowed next: %s", cur.Status, to, strings.Join(allowed, ", "))
			}
			return apperr.Invalid(apperr.FieldError{Field: "to", Message: msg})
		}
		next, now := cur, s.now()
		next.Status = to
		if cur.FirstResponseAt == nil {
			next.FirstResponseAt = &now
		}
		switch to {
		case "resolved":
			if resolution = strings.TrimSpace(resolution); resolution != "" {
				next.Resolution = resolution
			}
			if next.Resolution == "" {
				return apperr.Invalid(apperr.FieldError{Field: "resolution", Message: "is required to resolve a complaint"})
			}
			next.ResolvedAt = &now
		case "reopened":
			next.ResolvedAt = nil
		}
		moved, err = s.write(ctx, actor, "feedback.status_changed", cur, next,
			map[string]any{"from": cur.Status, "to": to, "note": strings.TrimSpace(note)})
		return err
	})
	if err != nil {
		return Feedback{}, fmt.Errorf("move complaint: %w", err)
	}
	return moved, nil
}

// Transitions lists a complaint's moves, oldest first.
func (s *Service) Transitions(ctx context.Context, orgID, id uuid.UUID) ([]Transition, error) {
	if _, err := s.store.Get(ctx, orgID, id); err != nil {
		return nil, err
	}
	return s.store.Transitions(ctx, orgID, id)
}

// SLAs returns the organization's complaint service levels.
func (s *Service) SLAs(ctx context.Context, orgID uuid.UUID) ([]SLA, error) {
	return s.store.SLAs(ctx, orgID)
}

// SetSLAs replaces the service levels; priorities left out return to their defaults. They apply
// to complaints created, or changed in priority, from now on.
func (s *Service) SetSLAs(ctx context.Context, actor event.Actor, slas []SLA) ([]SLA, error) {
	var bad apperr.Fields
	byPriority := map[string]SLA{}
	for _, d := range DefaultSLAs {
		byPriority[d.Priority] = d
	}
	seen := map[string]bool{}
	for i, sla := range slas {
		field := fmt.Sprintf("targets[%d]", i)
		switch {
		case !slices.Contains(Priorities, sla.Priority):
			bad.Add(field+".priority", "must be one of %s", strings.Join(Priorities, ", "))
		case seen[sla.Priority]:
			bad.Add(field+".priority", "is given twice")
		}
		if sla.FirstResponse <= 0 || sla.Resolution <= 0 {
			bad.Add(field, "targets must be positive")
		} else if sla.FirstResponse > sla.Resolution {
			bad.Add(field+".first_response_minutes", "must not exceed resolution_minutes")
		}
		seen[sla.Priority] = true
		byPriority[sla.Priority] = sla
	}
	if err := bad.Err(); err != nil {
		return nil, err
	}
	all := make([]SLA, len(Priorities))
	for i, p := range Priorities {
		all[i] = byPriority[p]
	}
	err := s.tx.InTx(ctx, func(ctx context.Context) error {
		if err := s.store.SetSLAs(ctx, actor.OrgID, all); err != nil {
			return err
		}
		ev := event.New(actor, "feedback_sla.updated", "organization", actor.OrgID)
		ev.Data = map[string]any{"targets": slaData(all)}
		return s.store.RecordEvent(ctx, ev)
	})
	if err != nil {
		return nil, fmt.Errorf("set SLAs: %w", err)
	}
	return all, nil
}

func slaData(slas []SLA) []map[string]any {
	out := make([]map[string]any, len(slas))
	for i, s := range slas {
		out[i] = map[string]any{"priority": s.Priority, "first_response_minutes": s.FirstResponse.Minutes(), "resolution_minutes": s.Resolution.Minutes()}
	}
	return out
}

// resource is the feedback as the API answers it, less what it computes when it answers (the
// service-level states, the next statuses): what the events of a change carry in Data.
func (f Feedback) resource() map[string]any {
	m := f.snapshot()
	m["id"], m["version"], m["created_at"], m["updated_at"] = f.ID.String(), f.Version, f.CreatedAt, f.UpdatedAt
	return m
}

// snapshot is the feedback's state as plain values, for change records.
func (f Feedback) snapshot() map[string]any {
	str := func(id *uuid.UUID) any {
		if id == nil {
			return nil
		}
		return id.String()
	}
	at := func(t *time.Time) any {
		if t == nil {
			return nil
		}
		return t.Format(time.RFC3339Nano)
	}
	var score any
	if f.Score != nil {
		score = *f.Score
	}
	return map[string]any{
		"customer_id": f.CustomerID.String(), "kind": f.Kind, "score": score, "comment": f.Comment, "channel": f.Channel,
		"survey": f.Survey, "contact_id": str(f.ContactID), "subject": f.Subject, "description": f.Description,
		"priority": f.Priority, "assignee_id": str(f.AssigneeID), "resolution": f.Resolution, "response": f.Response,
		"status": f.Status, "first_response_at": at(f.FirstResponseAt), "resolved_at": at(f.ResolvedAt),
	}
}
