package storage_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/rapportcrm/rapport/pkg/contact"
	"github.com/rapportcrm/rapport/pkg/customer"
	"github.com/rapportcrm/rapport/pkg/page"
)

// newContact is an unsaved phone call with a customer at a time.
func (f *fixture) newContact(c customer.Customer, at time.Time, edits ...func(*contact.Contact)) contact.Contact {
	ct := contact.Contact{ID: newID(), OrgID: c.OrgID, CustomerID: c.ID, Channel: "phone", Direction: "inbound", Subject: "Call",
		OccurredAt: at, Outcome: "resolved", Tags: []string{}, Version: 1, CreatedAt: f.now, UpdatedAt: f.now}
	for _, edit := range edits {
		edit(&ct)
	}
	return ct
}

// contact stores a contact through ContactStore.Insert.
func (f *fixture) contact(t *testing.T, c customer.Customer, at time.Time, edits ...func(*contact.Contact)) contact.Contact {
	t.Helper()
	ct := f.newContact(c, at, edits...)
	must(t, f.db.ContactStore().Insert(f.ctx, ct))
	return ct
}

// deleteContact marks a stored contact deleted.
func (f *fixture) deleteContact(t *testing.T, ct contact.Contact) contact.Contact {
	t.Helper()
	ct.DeletedAt, ct.Version = &f.now, ct.Version+1
	must(t, f.db.ContactStore().Update(f.ctx, ct, ct.Version-1))
	return ct
}

func TestContactStore(t *testing.T) {
	f := newFixture(t)
	s := f.db.ContactStore()
	c, twin := f.twins(t)
	run(t, []contract{
		{"Insert stores every field; a taken external ref is ErrExternalRef within the organization", func(t *testing.T) {
			agent, follow := newID(), f.now.Add(24*time.Hour)
			ct := f.newContact(c, f.now.Add(-time.Hour), func(ct *contact.Contact) {
				ct.Notes, ct.DurationSeconds, ct.AgentID, ct.FollowUpAt = "asked about the engine", ptr(90), &agent, &follow
				ct.Outcome, ct.Tags, ct.ExternalRef = "follow_up", []string{"sales"}, "call-1"
			})
			must(t, s.Insert(f.ctx, ct))
			got, err := s.Get(f.ctx, f.org, ct.ID)
			must(t, err)
			if !reflect.DeepEqual(got, ct) {
				t.Fatalf("contact:\n got %+v\nwant %+v", got, ct)
			}
			wantErr(t, "a taken external ref", s.Insert(f.ctx, f.newContact(c, f.now, func(d *contact.Contact) { d.ExternalRef = "call-1" })), contact.ErrExternalRef)
			f.contact(t, twin, f.now, func(d *contact.Contact) { d.ExternalRef = "call-1" })
		}},
		{"Update writes on the stored version only; a taken external ref is ErrExternalRef", func(t *testing.T) {
			f.contact(t, c, f.now, func(d *contact.Contact) { d.ExternalRef = "call-update-taken" })
			ct := f.contact(t, c, f.now)
			ct.Subject, ct.Version = "Follow-up call", 2
			must(t, s.Update(f.ctx, ct, 1))
			got, err := s.Get(f.ctx, f.org, ct.ID)
			must(t, err)
			wantEqual(t, "subject", got.Subject, "Follow-up call")
			wantErr(t, "a stale version", s.Update(f.ctx, ct, 1), contact.ErrConcurrentWrite)
			ct.ExternalRef, ct.Version = "call-update-taken", 3
			wantErr(t, "a taken external ref", s.Update(f.ctx, ct, 2), contact.ErrExternalRef)
			ct.OrgID = f.other
			wantErr(t, "another organization's contact", s.Update(f.ctx, ct, 2), contact.ErrConcurrentWrite)
		}},
		{"Get and ByExternalRef read the organization's live contacts", func(t *testing.T) {
			live := f.contact(t, c, f.now, func(d *contact.Contact) { d.ExternalRef = "call-live" })
			gone := f.deleteContact(t, f.contact(t, c, f.now, func(d *contact.Contact) { d.ExternalRef = "call-gone" }))
			got, err := s.ByExternalRef(f.ctx, f.org, "call-live")
			must(t, err)
			wantEqual(t, "by external ref", got.ID, live.ID)
			wantErr(t, "deleted", getErr(s.Get(f.ctx, f.org, gone.ID)), contact.ErrNotFound)
			wantErr(t, "deleted, by external ref", getErr(s.ByExternalRef(f.ctx, f.org, "call-gone")), contact.ErrNotFound)
			wantErr(t, "another organization's", getErr(s.Get(f.ctx, f.other, live.ID)), contact.ErrNotFound)
			wantErr(t, "another organization's, by external ref", getErr(s.ByExternalRef(f.ctx, f.other, "call-live")), contact.ErrNotFound)
		}},
		{"List filters, searches, sorts and pages the organization's live contacts", func(t *testing.T) {
			who := f.customer(t, f.org)
			agent, due := newID(), f.now.Add(time.Hour)
			a := f.contact(t, who, f.now.Add(-3*time.Hour), func(d *contact.Contact) { d.Channel, d.Notes = "email", "Invoice 100%_paid" })
			b := f.contact(t, who, f.now.Add(-2*time.Hour), func(d *contact.Contact) { d.Direction, d.AgentID, d.FollowUpAt = "outbound", &agent, &due })
			cc := f.contact(t, who, f.now.Add(-time.Hour), func(d *contact.Contact) { d.Outcome = "sale" })
			f.deleteContact(t, f.contact(t, who, f.now))
			f.contact(t, twin, f.now)
			from, dueBy := f.now.Add(-2*time.Hour), f.now.Add(2*time.Hour)
			wantFiltered(t, []filterCase[contact.Filter]{
				{"customer", contact.Filter{CustomerID: &who.ID}, []uuid.UUID{a.ID, b.ID, cc.ID}},
				{"channel", contact.Filter{CustomerID: &who.ID, Channel: "email"}, []uuid.UUID{a.ID}},
				{"direction", contact.Filter{CustomerID: &who.ID, Direction: "outbound"}, []uuid.UUID{b.ID}},
				{"outcome", contact.Filter{CustomerID: &who.ID, Outcome: "sale"}, []uuid.UUID{cc.ID}},
				{"agent", contact.Filter{AgentID: &agent}, []uuid.UUID{b.ID}},
				{"occurred after, inclusive", contact.Filter{CustomerID: &who.ID, OccurredAfter: &from}, []uuid.UUID{b.ID, cc.ID}},
				{"occurred before, exclusive", contact.Filter{CustomerID: &who.ID, OccurredBefore: &from}, []uuid.UUID{a.ID}},
				{"follow-up due", contact.Filter{CustomerID: &who.ID, FollowUpDue: &dueBy}, []uuid.UUID{b.ID}},
				{"q, literal % and _", contact.Filter{CustomerID: &who.ID, Q: "100%_PAID"}, []uuid.UUID{a.ID}},
			}, func(fl contact.Filter, p page.Request) (page.Result[contact.Contact], error) {
				return s.List(f.ctx, f.org, fl, p)
			}, "occurred_at", contactID)
			list := func(p page.Request) (page.Result[contact.Contact], error) {
				return s.List(f.ctx, f.org, contact.Filter{CustomerID: &who.ID}, p)
			}
			wantOrders(t, list, contactID, order{"occurred_at", true, []uuid.UUID{cc.ID, b.ID, a.ID}}, order{"created_at", false, []uuid.UUID{a.ID, b.ID, cc.ID}})
		}},
		{"RefreshCustomer recomputes the customer's contact figures from its live contacts", func(t *testing.T) {
			who := f.customer(t, f.org)
			f.contact(t, who, f.now.Add(-2*time.Hour))
			f.deleteContact(t, f.contact(t, who, f.now.Add(-time.Hour)))
			must(t, s.RefreshCustomer(f.ctx, f.org, who.ID))
			got := f.get(t, who)
			wantEqual(t, "contact count", got.ContactCount, 1)
			if got.LastContactedAt == nil || !got.LastContactedAt.Equal(f.now.Add(-2*time.Hour)) {
				t.Fatalf("last contacted at %v", got.LastContactedAt)
			}
		}},
		{"ChannelCounts counts the customer's live contacts per channel", func(t *testing.T) {
			who := f.customer(t, f.org)
			f.contact(t, who, f.now)
			f.contact(t, who, f.now)
			f.contact(t, who, f.now, func(d *contact.Contact) { d.Channel = "email" })
			f.deleteContact(t, f.contact(t, who, f.now, func(d *contact.Contact) { d.Channel = "sms" }))
			counts, err := s.ChannelCounts(f.ctx, f.org, who.ID)
			must(t, err)
			if !reflect.DeepEqual(counts, map[string]int{"phone": 2, "email": 1}) {
				t.Fatalf("counts %v", counts)
			}
		}},
	})
}
