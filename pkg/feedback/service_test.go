package feedback

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/rapportcrm/rapport/pkg/apperr"
	"github.com/rapportcrm/rapport/pkg/apperr/apperrtest"
	"github.com/rapportcrm/rapport/pkg/event"
)

// The organization the specs run in: Alice and Bob are customers, Gone was deleted; Agent is an
// active user, Former one who left, Stranger none of its users; each customer has a contact.
// Normal complaints are due within 2 hours (first response) and 10 hours (resolution), urgent
// ones within 1 and 8.
var (
	org           = uuid.MustParse("00000000-0000-7000-8000-0000000000a0")
	alice         = uuid.MustParse("00000000-0000-7000-8000-0000000000a1")
	bob           = uuid.MustParse("00000000-0000-7000-8000-0000000000b0")
	gone          = uuid.MustParse("00000000-0000-7000-8000-0000000000d0")
	agent         = uuid.MustParse("00000000-0000-7000-8000-0000000000e1")
	former        = uuid.MustParse("00000000-0000-7000-8000-0000000000e2")
	stranger      = uuid.MustParse("00000000-0000-7000-8000-0000000000e3")
	alicesContact = uuid.MustParse("00000000-0000-7000-8000-0000000000c1")
	bobsContact   = uuid.MustParse("00000000-0000-7000-8000-0000000000c2")
	clock         = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	orgSLAs       = []SLA{{"urgent", time.Hour, 8 * time.Hour}, {"high", 4 * time.Hour, 24 * time.Hour},
		{"normal", 2 * time.Hour, 10 * time.Hour}, {"low", 24 * time.Hour, 168 * time.Hour}}
)

func score(n int) *int { return &n }

func id(u uuid.UUID) *uuid.UUID { return &u }

// after is the time d after t.
func after(t time.Time, d time.Duration) *time.Time { t = t.Add(d); return &t }

// desk is the piece of feedback the fakes hold, and what the service wrote.
type desk struct {
	stored   Feedback
	inserted []Feedback
	updated  []Feedback
	events   []string
}

func (d *desk) service() *Service {
	store := &fakeStore{
		GetFn: func(_ context.Context, _, id uuid.UUID) (Feedback, error) {
			if id != d.stored.ID {
				return Feedback{}, ErrNotFound
			}
			return d.stored, nil
		},
		InsertFn: func(_ context.Context, f Feedback) error { d.inserted = append(d.inserted, f); return nil },
		UpdateFn: func(_ context.Context, f Feedback, prev int64) error {
			if prev != d.stored.Version {
				return ErrConcurrentWrite
			}
			d.updated = append(d.updated, f)
			return nil
		},
		SLAsFn: func(context.Context, uuid.UUID) ([]SLA, error) { return orgSLAs, nil },
		ContactOfFn: func(_ context.Context, _, contactID, customerID uuid.UUID) (bool, error) {
			return contactID == alicesContact && customerID == alice || contactID == bobsContact && customerID == bob, nil
		},
		RecordEventFn: func(_ context.Context, e event.Event) error {
			// The data is the feedback as the change left it; the tests compare what it says beside that.
			if e.Data["id"] != e.SubjectID.String() || e.Data["version"] == nil {
				return fmt.Errorf("%s: the data %v is not the feedback after the change", e.Type, e.Data)
			}
			extra := maps.Clone(e.Data)
			for k := range (Feedback{}).resource() {
				delete(extra, k)
			}
			d.events = append(d.events, fmt.Sprint(e.Type, " ", extra))
			return nil
		},
	}
	customers := &fakeCustomers{CheckLiveFn: func(_ context.Context, _, id uuid.UUID) error {
		if id == alice || id == bob {
			return nil
		}
		return apperr.New(apperr.KindNotFound, "customer not found")
	}}
	users := &fakeUsers{ActiveUserExistsFn: func(_ context.Context, _, id uuid.UUID) (bool, error) { return id == agent, nil }}
	return NewService(store, fakeTx{}, customers, users, func() time.Time { return clock })
}

var actor = event.Actor{OrgID: org, Kind: event.ActorUser, ID: agent}

// created is f as Create stores it: in the organization, version 1, created now.
func created(f Feedback) *Feedback {
	f.OrgID, f.Version, f.CreatedAt, f.UpdatedAt = org, 1, clock, clock
	return &f
}

type createCase struct {
	name   string
	in     Feedback
	err    *apperrtest.Want
	stored *Feedback // what is inserted (its new ID aside); nil: nothing
}

func TestCreate(t *testing.T) {
	tests := []createCase{
		{name: "a survey answer needs a score",
			in: Feedback{CustomerID: alice, Kind: KindNPS}, err: apperrtest.Invalid("score")},
		{name: "only surveys have a score",
			in: Feedback{CustomerID: alice, Kind: KindComplaint, Subject: "Late", Score: score(3)}, err: apperrtest.Invalid("score")},
		{name: "an unknown kind is the only error reported",
			in: Feedback{CustomerID: gone, Kind: "review", Score: score(99), Priority: "asap"}, err: apperrtest.Invalid("kind")},
		{name: "text is trimmed and the channel lower-cased",
			in:     Feedback{CustomerID: alice, Kind: KindCSAT, Score: score(4), Comment: "  fine ", Channel: " Email ", Survey: " Q1 "},
			stored: created(Feedback{CustomerID: alice, Kind: KindCSAT, Score: score(4), Comment: "fine", Channel: "email", Survey: "Q1"})},

		// Complaints.
		{name: "a complaint needs a subject, blanks not counting",
			in: Feedback{CustomerID: alice, Kind: KindComplaint, Subject: "   "}, err: apperrtest.Invalid("subject")},
		{name: "a complaint is normal unless said otherwise, starts open, and is due by the organization's SLA",
			in: Feedback{CustomerID: alice, Kind: KindComplaint, Subject: " Late "},
			stored: created(Feedback{CustomerID: alice, Kind: KindComplaint, Subject: "Late", Priority: "normal", Status: "open",
				FirstResponseDueAt: after(clock, 2*time.Hour), ResolutionDueAt: after(clock, 10*time.Hour)})},
		{name: "an urgent complaint is due by the urgent SLA",
			in: Feedback{CustomerID: alice, Kind: KindComplaint, Subject: "Broken", Priority: "urgent"},
			stored: created(Feedback{CustomerID: alice, Kind: KindComplaint, Subject: "Broken", Priority: "urgent", Status: "open",
				FirstResponseDueAt: after(clock, time.Hour), ResolutionDueAt: after(clock, 8*time.Hour)})},
		{name: "a complaint starts open, unanswered and unresolved, whatever it says",
			in: Feedback{CustomerID: alice, Kind: KindComplaint, Subject: "Late", Priority: "low", Status: "closed",
				FirstResponseAt: &clock, ResolvedAt: &clock},
			stored: created(Feedback{CustomerID: alice, Kind: KindComplaint, Subject: "Late", Priority: "low", Status: "open",
				FirstResponseDueAt: after(clock, 24*time.Hour), ResolutionDueAt: after(clock, 168*time.Hour)})},
		{name: "a complaint's priority is one of urgent, high, normal, low",
			in: Feedback{CustomerID: alice, Kind: KindComplaint, Subject: "Late", Priority: "critical"}, err: apperrtest.Invalid("priority")},
		{name: "only complaints have a subject, description, assignee and resolution",
			in:  Feedback{CustomerID: alice, Kind: KindCompliment, Subject: "s", Description: "d", AssigneeID: &agent, Resolution: "r"},
			err: apperrtest.Invalid("subject", "description", "assignee_id", "resolution")},
		{name: "the assignee must be an active user of the organization",
			in: Feedback{CustomerID: alice, Kind: KindComplaint, Subject: "Late", AssigneeID: &former}, err: apperrtest.Invalid("assignee_id")},

		// Suggestions, compliments.
		{name: "only suggestions have a response",
			in: Feedback{CustomerID: alice, Kind: KindComplaint, Subject: "Late", Response: "thanks"}, err: apperrtest.Invalid("response")},
		{name: "a suggestion starts new and has no due times",
			in:     Feedback{CustomerID: alice, Kind: KindSuggestion, Comment: "More colours", Response: " Noted "},
			stored: created(Feedback{CustomerID: alice, Kind: KindSuggestion, Comment: "More colours", Response: "Noted", Status: "new"})},
		{name: "a suggestion may start at any of its statuses",
			in:     Feedback{CustomerID: alice, Kind: KindSuggestion, Status: "planned"},
			stored: created(Feedback{CustomerID: alice, Kind: KindSuggestion, Status: "planned"})},
		{name: "a suggestion's status is one of its own",
			in: Feedback{CustomerID: alice, Kind: KindSuggestion, Status: "open"}, err: apperrtest.Invalid("status")},
		{name: "surveys and compliments have neither priority nor status",
			in:  Feedback{CustomerID: alice, Kind: KindCompliment, Priority: "high", Status: "new"},
			err: apperrtest.Invalid("priority", "status")},

		// Whom it names.
		{name: "the customer must be live: a deleted one is a field error",
			in: Feedback{CustomerID: gone, Kind: KindCompliment}, err: apperrtest.Invalid("customer_id")},
		{name: "the contact must be one of the customer's",
			in: Feedback{CustomerID: alice, Kind: KindCompliment, ContactID: &bobsContact}, err: apperrtest.Invalid("contact_id")},
		{name: "a contact of the customer is kept",
			in:     Feedback{CustomerID: alice, Kind: KindCompliment, ContactID: &alicesContact},
			stored: created(Feedback{CustomerID: alice, Kind: KindCompliment, ContactID: &alicesContact})},
		{name: "every broken rule is reported at once",
			in:  Feedback{CustomerID: gone, Kind: KindComplaint, Score: score(1), Priority: "asap", AssigneeID: &former, ContactID: &bobsContact},
			err: apperrtest.Invalid("score", "subject", "priority", "assignee_id", "customer_id", "contact_id")},
	}
	// Survey scores, at and just beyond each end of their scales.
	for _, s := range []struct {
		kind     string
		min, max int
	}{{KindNPS, 0, 10}, {KindCSAT, 1, 5}, {KindCES, 1, 7}} {
		for _, n := range []int{s.min - 1, s.min, s.max, s.max + 1} {
			in := Feedback{CustomerID: alice, Kind: s.kind, Score: score(n)}
			if n < s.min || n > s.max {
				tests = append(tests, createCase{name: fmt.Sprintf("%s score %d is outside %d to %d", s.kind, n, s.min, s.max),
					in: in, err: apperrtest.Invalid("score")})
			} else {
				tests = append(tests, createCase{name: fmt.Sprintf("%s score %d is on the scale", s.kind, n), in: in, stored: created(in)})
			}
		}
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := &desk{}
			got, err := d.service().Create(context.Background(), actor, tc.in)
			apperrtest.Check(t, err, tc.err)
			var inserted []Feedback
			if tc.stored != nil {
				want := *tc.stored
				want.ID = got.ID
				inserted = []Feedback{want}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("Create answered\n%+v\nwant what it stored", got)
				}
			}
			if !reflect.DeepEqual(d.inserted, inserted) {
				t.Errorf("inserted\n%+v\nwant\n%+v", d.inserted, inserted)
			}
		})
	}
}

// A path that names a missing customer answers not found, where a body's customer_id is a field error.
func TestCreateForMissingCustomer(t *testing.T) {
	_, err := (&desk{}).service().CreateForCustomer(context.Background(), actor, gone, Feedback{Kind: KindCompliment})
	apperrtest.Check(t, err, apperrtest.Kind(apperr.KindNotFound))
}

// Stored pieces the update and transition specs start from. The complaint was created two days
// ago under older SLAs and is assigned to Former, who has since left.
var (
	opened    = clock.Add(-48 * time.Hour)
	complaint = Feedback{ID: uuid.New(), OrgID: org, CustomerID: alice, ContactID: &alicesContact, Kind: KindComplaint,
		Subject: "Late", Priority: "normal", Status: "in_progress", AssigneeID: &former, FirstResponseAt: after(opened, time.Hour),
		FirstResponseDueAt: after(opened, 8*time.Hour), ResolutionDueAt: after(opened, 72*time.Hour), Version: 3, CreatedAt: opened, UpdatedAt: opened}
	suggestion = Feedback{ID: uuid.New(), OrgID: org, CustomerID: gone, Kind: KindSuggestion, Comment: "More colours",
		Status: "declined", Version: 3, CreatedAt: opened, UpdatedAt: opened}
	survey = Feedback{ID: uuid.New(), OrgID: org, CustomerID: alice, Kind: KindNPS, Score: score(9), Comment: "same",
		Version: 3, CreatedAt: opened, UpdatedAt: opened}
)

func version(v int64) *int64 { return &v }

func TestUpdate(t *testing.T) {
	tests := []struct {
		name    string
		stored  Feedback
		ifMatch *int64
		change  func(*Feedback)
		err     *apperrtest.Want
		// writes is what the update changes in the stored piece (besides its version and
		// updated_at); nil: nothing is written.
		writes func(*Feedback)
	}{
		{name: "the kind cannot change",
			stored: survey, change: func(f *Feedback) { f.Kind, f.Score = KindCSAT, score(3) }, err: apperrtest.Invalid("kind")},
		{name: "a complaint's status changes only through transitions",
			stored: complaint, change: func(f *Feedback) { f.Status = "resolved" }, err: apperrtest.Invalid("status")},
		{name: "a new priority moves the due times, counted from the complaint's creation",
			stored: complaint, change: func(f *Feedback) { f.Priority = "urgent" },
			writes: func(f *Feedback) {
				f.Priority, f.FirstResponseDueAt, f.ResolutionDueAt = "urgent", after(opened, time.Hour), after(opened, 8*time.Hour)
			}},
		{name: "the due times stay while the priority does, whatever the SLAs say now",
			stored: complaint, change: func(f *Feedback) { f.Subject = "Very late" },
			writes: func(f *Feedback) { f.Subject = "Very late" }},
		{name: "an assignee is checked only when it changes",
			stored: complaint, change: func(f *Feedback) { f.Description = "Two weeks" },
			writes: func(f *Feedback) { f.Description = "Two weeks" }},
		{name: "a new assignee must be active",
			stored: complaint, change: func(f *Feedback) { f.AssigneeID = &stranger }, err: apperrtest.Invalid("assignee_id")},
		{name: "the customer is checked only when it changes",
			stored: suggestion, change: func(f *Feedback) { f.Response = "Noted" },
			writes: func(f *Feedback) { f.Response = "Noted" }},
		{name: "a new customer must be live",
			stored: survey, change: func(f *Feedback) { f.CustomerID = gone }, err: apperrtest.Invalid("customer_id")},
		{name: "the contact is checked again when the customer changes",
			stored: complaint, change: func(f *Feedback) { f.CustomerID = bob }, err: apperrtest.Invalid("contact_id")},
		{name: "a suggestion's status moves freely among its statuses",
			stored: suggestion, change: func(f *Feedback) { f.Status = "new" }, writes: func(f *Feedback) { f.Status = "new" }},
		{name: "first response and resolution times are not the update's to set",
			stored: complaint, change: func(f *Feedback) { f.FirstResponseAt, f.ResolvedAt = nil, &clock }},
		{name: "nothing changed, nothing written",
			stored: survey, change: func(f *Feedback) { f.Comment = "  same " }},
		{name: "a stale If-Match is refused",
			stored: survey, ifMatch: version(2), change: func(f *Feedback) { f.Comment = "new" }, err: apperrtest.Is(ErrVersionConflict)},
		{name: "a current If-Match is accepted",
			stored: survey, ifMatch: version(3), change: func(f *Feedback) { f.Comment = "new" },
			writes: func(f *Feedback) { f.Comment = "new" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := &desk{stored: tc.stored}
			got, err := d.service().Update(context.Background(), actor, tc.stored.ID, tc.ifMatch, func(f Feedback) (Feedback, error) {
				tc.change(&f)
				return f, nil
			})
			apperrtest.Check(t, err, tc.err)
			wantWrites(t, d, got, err, tc.writes, "feedback.updated map[]")
		})
	}
}

// wantWrites checks that the service wrote the stored piece changed by writes (nil: nothing),
// with the next version, and recorded one event.
func wantWrites(t *testing.T, d *desk, got Feedback, err error, writes func(*Feedback), ev string) {
	t.Helper()
	var updated []Feedback
	var events []string
	if writes != nil {
		want := d.stored
		writes(&want)
		want.Version, want.UpdatedAt = d.stored.Version+1, clock
		updated, events = []Feedback{want}, []string{ev}
	}
	if !reflect.DeepEqual(d.updated, updated) || !reflect.DeepEqual(d.events, events) {
		t.Fatalf("wrote\n%+v\n%q\nwant\n%+v\n%q", d.updated, d.events, updated, events)
	}
	switch {
	case err != nil:
	case writes == nil && !reflect.DeepEqual(got, d.stored):
		t.Errorf("answered %+v, want the stored piece", got)
	case writes != nil && !reflect.DeepEqual(got, updated[0]):
		t.Errorf("answered %+v, want what was written", got)
	}
}

// The complaint workflow, written out: every other move is refused.
func TestTransitionWorkflow(t *testing.T) {
	allowed := map[[2]string]bool{
		{"open", "acknowledged"}: true, {"acknowledged", "in_progress"}: true, {"in_progress", "resolved"}: true,
		{"resolved", "closed"}: true, {"resolved", "reopened"}: true, {"reopened", "in_progress"}: true,
	}
	statuses := []string{"open", "acknowledged", "in_progress", "resolved", "closed", "reopened"}
	for _, from := range statuses {
		for _, to := range append(statuses, "unknown") {
			move := [2]string{from, to}
			name := fmt.Sprintf("%s to %s is refused", from, to)
			if allowed[move] {
				name = fmt.Sprintf("%s to %s is allowed", from, to)
			}
			t.Run(name, func(t *testing.T) {
				stored := complaint
				stored.Status, stored.Resolution = from, "Refunded"
				d := &desk{stored: stored}
				got, err := d.service().Transition(context.Background(), actor, stored.ID, nil, to, "", "")
				if !allowed[move] {
					apperrtest.Check(t, err, apperrtest.Invalid("to"))
					if len(d.updated) > 0 {
						t.Fatalf("wrote %+v", d.updated)
					}
					return
				}
				apperrtest.Check(t, err, nil)
				if got.Status != to || len(d.updated) != 1 || d.updated[0].Status != to {
					t.Fatalf("answered status %q, wrote %+v", got.Status, d.updated)
				}
			})
		}
	}
}

func TestTransition(t *testing.T) {
	earlier := after(opened, time.Hour)
	tests := []struct {
		name                 string
		stored               Feedback
		to, note, resolution string
		err                  *apperrtest.Want
		writes               func(*Feedback)
	}{
		{name: "the first move out of open is the first response",
			stored: with(complaint, "open", nil, ""), to: "acknowledged", note: " called back ",
			writes: func(f *Feedback) { f.Status, f.FirstResponseAt = "acknowledged", &clock }},
		{name: "later moves keep the first response time",
			stored: with(complaint, "acknowledged", earlier, ""), to: "in_progress",
			writes: func(f *Feedback) { f.Status = "in_progress" }},
		{name: "resolving needs a resolution",
			stored: with(complaint, "in_progress", earlier, ""), to: "resolved", resolution: "  ",
			err: apperrtest.Invalid("resolution")},
		{name: "resolving records the resolution and when",
			stored: with(complaint, "in_progress", earlier, ""), to: "resolved", resolution: " Refunded ",
			writes: func(f *Feedback) { f.Status, f.Resolution, f.ResolvedAt = "resolved", "Refunded", &clock }},
		{name: "a resolution written before is enough to resolve",
			stored: with(complaint, "in_progress", earlier, "Replaced"), to: "resolved",
			writes: func(f *Feedback) { f.Status, f.ResolvedAt = "resolved", &clock }},
		{name: "reopening clears when it was resolved and keeps the resolution",
			stored: resolved(with(complaint, "resolved", earlier, "Replaced")), to: "reopened",
			writes: func(f *Feedback) { f.Status, f.ResolvedAt = "reopened", nil }},
		{name: "only complaints have a workflow",
			stored: suggestion, to: "planned", err: apperrtest.Is(ErrNotComplaint)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := &desk{stored: tc.stored}
			got, err := d.service().Transition(context.Background(), actor, tc.stored.ID, nil, tc.to, tc.note, tc.resolution)
			apperrtest.Check(t, err, tc.err)
			ev := fmt.Sprintf("feedback.status_changed map[from:%s note:%s to:%s]", tc.stored.Status, strings.TrimSpace(tc.note), tc.to)
			wantWrites(t, d, got, err, tc.writes, ev)
		})
	}
}

// with is the complaint in a status, first answered at firstResponse, with a resolution.
func with(f Feedback, status string, firstResponse *time.Time, resolution string) Feedback {
	f.Status, f.FirstResponseAt, f.Resolution = status, firstResponse, resolution
	return f
}

func resolved(f Feedback) Feedback { f.ResolvedAt = after(opened, 2*time.Hour); return f }
