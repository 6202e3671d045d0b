package storage_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/rapportcrm/rapport/pkg/contact"
	"github.com/rapportcrm/rapport/pkg/customer"
	"github.com/rapportcrm/rapport/pkg/event"
	"github.com/rapportcrm/rapport/pkg/idempotency"
	"github.com/rapportcrm/rapport/pkg/job"
	"github.com/rapportcrm/rapport/pkg/page"
	"github.com/rapportcrm/rapport/pkg/storage"
)

func TestTimelineStore(t *testing.T) {
	f := newFixture(t)
	s := f.db.TimelineStore()
	run(t, []contract{
		{"Timeline reads the customer's and its merged duplicates' events, newest first, by type, in the organization only", func(t *testing.T) {
			survivor, duplicate, stranger := f.customer(t, f.org), f.customer(t, f.org), f.customer(t, f.org)
			duplicate.MergedIntoID = &survivor.ID
			f.softDelete(t, duplicate)
			twin := f.customer(t, f.other, func(c *customer.Customer) { c.ID = survivor.ID })
			noted := event.New(actor(f.org), "customer.noted", "customer", survivor.ID)
			noted.Changes = map[string]event.Change{"name": {Old: "Ada", New: "Augusta"}, "owner": {Old: nil, New: "u1"}}
			noted.Data, noted.OccurredAt = map[string]any{"n": 1.5, "tags": []any{"a"}}, f.now.Add(time.Hour)
			must(t, f.db.CustomerStore().RecordEvent(f.ctx, noted))
			older := f.record(t, duplicate, "customer.noted", f.now.Add(-time.Hour), nil)
			f.record(t, stranger, "customer.noted", f.now, nil)
			f.record(t, twin, "customer.noted", f.now, nil)
			created := f.eventsOf(t, survivor, "customer.created") // the survivor's and the duplicate's
			wantEqual(t, "creation events", len(created), 2)
			list := func(types []string) func(page.Request) (page.Result[event.Event], error) {
				return func(p page.Request) (page.Result[event.Event], error) {
					return s.Timeline(f.ctx, f.org, survivor.ID, types, p)
				}
			}
			all := walk(t, list(nil), "occurred_at", true, 2, eventID)
			wantSet(t, "every event", all, append([]uuid.UUID{noted.ID, older.ID}, created...)...)
			wantEqual(t, "newest", all[0], noted.ID)
			wantOrders(t, list([]string{"customer.noted"}), eventID, order{"occurred_at", true, []uuid.UUID{noted.ID, older.ID}})
			res, err := s.Timeline(f.ctx, f.org, survivor.ID, []string{"customer.noted"}, page.Request{Limit: 1, Sort: "occurred_at", Desc: true})
			must(t, err)
			got := res.Items[0]
			var changes map[string]map[string]any
			var data map[string]any
			must(t, json.Unmarshal(got.Stored.Changes, &changes))
			must(t, json.Unmarshal(got.Stored.Data, &data))
			if want := (map[string]map[string]any{"name": {"old": "Ada", "new": "Augusta"}, "owner": {"old": nil, "new": "u1"}}); !reflect.DeepEqual(changes, want) {
				t.Fatalf("changes as stored: %v, want %v", changes, want)
			}
			if !reflect.DeepEqual(data, noted.Data) {
				t.Fatalf("data as stored: %v, want %v", data, noted.Data)
			}
			got.Stored, noted.Changes, noted.Data = nil, nil, nil
			if !reflect.DeepEqual(got, noted) {
				t.Fatalf("event:\n got %+v\nwant %+v", got, noted)
			}
		}},
		{"Timeline ends a page of large events once it passes 1 MiB, with a cursor to the rest", func(t *testing.T) {
			c := f.customer(t, f.org)
			big := map[string]any{"text": strings.Repeat("x", 400<<10)}
			var want []uuid.UUID
			for i := range 3 {
				want = append(want, f.record(t, c, "customer.noted", f.now.Add(time.Duration(i)*time.Second), big).ID)
			}
			first, err := s.Timeline(f.ctx, f.org, c.ID, []string{"customer.noted"}, page.Request{Limit: 50, Sort: "occurred_at"})
			must(t, err)
			wantEqual(t, "events on the first page", len(first.Items), 2)
			if first.Next == nil {
				t.Fatal("a page cut short by size has no cursor")
			}
			rest, err := s.Timeline(f.ctx, f.org, c.ID, []string{"customer.noted"}, page.Request{Limit: 50, Sort: "occurred_at", After: first.Next})
			must(t, err)
			if rest.Next != nil {
				t.Fatal("the last page has a cursor")
			}
			wantOrder(t, "every event across the pages", ids(append(first.Items, rest.Items...), eventID), want...)
		}},
	})
}

func TestIdempotencyStore(t *testing.T) {
	f := newFixture(t)
	s := f.db.IdempotencyStore()
	record := func(org uuid.UUID, key string, at time.Time) idempotency.Record {
		return idempotency.Record{OrgID: org, CredentialID: f.org, Key: key, RequestHash: "hash-" + key, CreatedAt: at, ExpiresAt: at.Add(idempotency.TTL)}
	}
	claim := func(t *testing.T, r idempotency.Record) *idempotency.Record {
		t.Helper()
		existing, err := s.Claim(f.ctx, r)
		must(t, err)
		return existing
	}
	run(t, []contract{
		{"Claim takes a new key, answers the record of a live one, and its response once Complete stored it", func(t *testing.T) {
			r := record(f.org, "k1", f.now)
			if got := claim(t, r); got != nil {
				t.Fatalf("a new key answered %+v", got)
			}
			inFlight := claim(t, record(f.org, "k1", f.now.Add(time.Second)))
			want := r
			if inFlight == nil || !reflect.DeepEqual(*inFlight, want) {
				t.Fatalf("in flight:\n got %+v\nwant %+v", inFlight, want)
			}
			r.StatusCode, r.Headers, r.Body = 201, map[string]string{"Location": "/v1/x"}, []byte(`{"id":1}`)
			must(t, s.Complete(f.ctx, r))
			done := claim(t, record(f.org, "k1", f.now.Add(time.Second)))
			want.Done, want.StatusCode, want.Headers, want.Body = true, 201, r.Headers, r.Body
			if done == nil || !reflect.DeepEqual(*done, want) {
				t.Fatalf("done:\n got %+v\nwant %+v", done, want)
			}
			for _, other := range []idempotency.Record{record(f.other, "k1", f.now), {OrgID: f.org, CredentialID: f.other, Key: "k1", CreatedAt: f.now, ExpiresAt: f.now.Add(time.Hour)}} {
				if got := claim(t, other); got != nil {
					t.Fatalf("a key of another organization or credential answered %+v", got)
				}
			}
		}},
		{"Release frees a claimed key; Claim replaces an expired record", func(t *testing.T) {
			r := record(f.org, "k2", f.now)
			claim(t, r)
			must(t, s.Release(f.ctx, r))
			if got := claim(t, r); got != nil {
				t.Fatalf("a released key answered %+v", got)
			}
			later := record(f.org, "k2", r.ExpiresAt)
			if got := claim(t, later); got != nil {
				t.Fatalf("an expired record answered %+v", got)
			}
			if got := claim(t, record(f.org, "k2", r.ExpiresAt.Add(time.Second))); got == nil || !got.CreatedAt.Equal(later.CreatedAt) {
				t.Fatalf("the record that replaced the expired one: %+v", got)
			}
		}},
		{"Purge deletes the records that expired before a time", func(t *testing.T) {
			org := f.organization(t, "EUR")
			old, fresh := record(org, "old", f.now.Add(-48*time.Hour)), record(org, "fresh", f.now)
			claim(t, old)
			claim(t, fresh)
			n, err := s.Purge(f.ctx, f.now.Add(-time.Hour))
			must(t, err)
			if n < 1 {
				t.Fatalf("purged %d", n)
			}
			if got := claim(t, old); got != nil {
				t.Fatalf("a purged record answered %+v", got)
			}
			if got := claim(t, fresh); got == nil {
				t.Fatal("a live record was purged")
			}
		}},
	})
}

// riverArgs is a River job for the job store's contracts: a record whose River job is unfinished is
// not lost.
type riverArgs struct{}

func (riverArgs) Kind() string { return "contract" }

func TestJobStore(t *testing.T) {
	f := newFixture(t)
	s := f.db.JobStore()
	insert := func(t *testing.T, org uuid.UUID, status job.Status, edits ...func(*job.Job)) job.Job {
		t.Helper()
		j := job.Job{ID: newID(), OrgID: org, Type: "contract", Status: status, Params: json.RawMessage(`{"n":1}`), Key: newID().String(),
			CreatedBy: &f.org, CreatedAt: f.now}
		for _, edit := range edits {
			edit(&j)
		}
		must(t, s.InsertJob(f.ctx, j))
		return j
	}
	run(t, []contract{
		{"InsertJob and GetJob keep every field, in the organization only", func(t *testing.T) {
			j := insert(t, f.org, job.StatusQueued, func(j *job.Job) { j.RiverJobID = 42 })
			got, err := s.GetJob(f.ctx, f.org, j.ID)
			must(t, err)
			sameJSON(t, "params", got.Params, j.Params)
			got.Params = j.Params
			if !reflect.DeepEqual(got, j) {
				t.Fatalf("job:\n got %+v\nwant %+v", got, j)
			}
			wantErr(t, "another organization's", getErr(s.GetJob(f.ctx, f.other, j.ID)), job.ErrNotFound)
		}},
		{"ActiveJobs answers the organization's queued and running jobs; one key is active once", func(t *testing.T) {
			org := f.organization(t, "EUR")
			queued, running := insert(t, org, job.StatusQueued), insert(t, org, job.StatusRunning)
			insert(t, org, job.StatusSucceeded, func(j *job.Job) { j.Key = queued.Key })
			insert(t, f.other, job.StatusQueued)
			var active []job.Job
			must(t, f.db.InTx(f.ctx, func(ctx context.Context) error {
				var err error
				active, err = s.ActiveJobs(ctx, org)
				return err
			}))
			ids := map[uuid.UUID]bool{}
			for _, a := range active {
				ids[a.ID] = true
			}
			if len(active) != 2 || !ids[queued.ID] || !ids[running.ID] {
				t.Fatalf("active jobs %+v", active)
			}
			dup := job.Job{ID: newID(), OrgID: org, Type: queued.Type, Status: job.StatusQueued, Key: queued.Key, CreatedAt: f.now}
			if err := s.InsertJob(f.ctx, dup); err == nil {
				t.Fatal("a second unfinished job with the same key was stored")
			}
		}},
		{"StartJob starts an unfinished job as an attempt; UpdateJob records the current attempt's state only", func(t *testing.T) {
			j := insert(t, f.org, job.StatusQueued)
			at := f.now.Add(time.Minute)
			c, ok, err := s.StartJob(f.ctx, f.org, j.ID, 2, at)
			must(t, err)
			if !ok || c.Status != job.StatusRunning || c.Attempts != 2 || c.StartedAt == nil || !c.StartedAt.Equal(at) {
				t.Fatalf("started %+v, %v", c, ok)
			}
			stale := c
			stale.Attempts, stale.Progress = 1, 0.9
			must(t, s.UpdateJob(f.ctx, stale))
			c.Progress = 0.5
			must(t, s.UpdateJob(f.ctx, c))
			got, err := s.GetJob(f.ctx, f.org, j.ID)
			must(t, err)
			if got.Status != job.StatusRunning || got.Progress != 0.5 {
				t.Fatalf("after a stale attempt's update: %+v", got)
			}
			finished := f.now.Add(2 * time.Minute)
			c.Status, c.Progress, c.Result, c.FinishedAt = job.StatusSucceeded, 1, json.RawMessage(`{"ok":true}`), &finished
			must(t, s.UpdateJob(f.ctx, c))
			got, err = s.GetJob(f.ctx, f.org, j.ID)
			must(t, err)
			if got.Status != job.StatusSucceeded || got.Progress != 1 || string(got.Result) == "" || got.FinishedAt == nil || !got.FinishedAt.Equal(finished) {
				t.Fatalf("finished job %+v", got)
			}
			if _, ok, err := s.StartJob(f.ctx, f.org, j.ID, 3, at); ok || err != nil {
				t.Fatalf("started a finished job: %v", err)
			}
			c.Status, c.FinishedAt = job.StatusFailed, nil
			must(t, s.UpdateJob(f.ctx, c))
			if got, _ := s.GetJob(f.ctx, f.org, j.ID); got.Status != job.StatusSucceeded {
				t.Fatalf("an update changed a finished job: %+v", got)
			}
		}},
		{"PurgeJobs deletes the jobs that finished before a time", func(t *testing.T) {
			waiting := insert(t, f.org, job.StatusQueued)
			done := insert(t, f.org, job.StatusQueued)
			c, _, err := s.StartJob(f.ctx, f.org, done.ID, 1, f.now)
			must(t, err)
			c.Status, c.FinishedAt = job.StatusSucceeded, &f.now
			must(t, s.UpdateJob(f.ctx, c))
			n, err := s.PurgeJobs(f.ctx, f.now.Add(time.Hour))
			must(t, err)
			if n < 1 {
				t.Fatalf("purged %d finished jobs", n)
			}
			wantErr(t, "the purged job", getErr(s.GetJob(f.ctx, f.org, done.ID)), job.ErrNotFound)
			_, err = s.GetJob(f.ctx, f.org, waiting.ID)
			must(t, err)
		}},
		{"FailLostJobs fails the unfinished jobs without an unfinished River job", func(t *testing.T) {
			client, err := river.NewClient(f.db.RiverDriver(), &river.Config{})
			must(t, err)
			res, err := client.Insert(f.ctx, riverArgs{}, nil)
			must(t, err)
			org := f.organization(t, "EUR")
			kept := insert(t, org, job.StatusQueued, func(j *job.Job) { j.RiverJobID = res.Job.ID })
			lost := insert(t, org, job.StatusRunning, func(j *job.Job) { j.RiverJobID = res.Job.ID + 1000 })
			_, err = s.FailLostJobs(f.ctx, f.now)
			must(t, err)
			if got, _ := s.GetJob(f.ctx, org, kept.ID); got.Status != job.StatusQueued {
				t.Fatalf("a job with a waiting River job: %+v", got)
			}
			if got, _ := s.GetJob(f.ctx, org, lost.ID); got.Status != job.StatusFailed || got.Error == "" || got.FinishedAt == nil {
				t.Fatalf("a job without its River job: %+v", got)
			}
		}},
	})
}

// errRollback makes InTx roll back.
var errRollback = errors.New("roll back")

func TestDB(t *testing.T) {
	f := newFixture(t)
	customers, contacts := f.db.CustomerStore(), f.db.ContactStore()
	stored := func(t *testing.T, c customer.Customer) bool {
		t.Helper()
		_, err := customers.Get(f.ctx, c.OrgID, c.ID)
		if err != nil && !errors.Is(err, customer.ErrNotFound) {
			t.Fatal(err)
		}
		return err == nil
	}
	insert := func(ctx context.Context, c customer.Customer) error { return customers.Insert(ctx, c, created(c)) }
	run(t, []contract{
		{"InTx commits what fn wrote when it returns nil, and rolls it back when it fails", func(t *testing.T) {
			kept, dropped := f.newCustomer(f.org), f.newCustomer(f.org)
			must(t, f.db.InTx(f.ctx, func(ctx context.Context) error { return insert(ctx, kept) }))
			err := f.db.InTx(f.ctx, func(ctx context.Context) error {
				must(t, insert(ctx, dropped))
				if !stored(t, kept) {
					t.Fatal("a read outside the transaction does not see committed rows")
				}
				return errRollback
			})
			wantErr(t, "the failed transaction", err, errRollback)
			wantEqual(t, "committed", stored(t, kept), true)
			wantEqual(t, "rolled back", stored(t, dropped), false)
		}},
		{"InTx nests as a savepoint: a failed inner call, even a failed statement, leaves the outer transaction usable", func(t *testing.T) {
			owner := f.customer(t, f.org)
			f.contact(t, owner, f.now, func(c *contact.Contact) { c.ExternalRef = "nested-taken" })
			outer, inner, after := f.newCustomer(f.org), f.newCustomer(f.org), f.newCustomer(f.org)
			must(t, f.db.InTx(f.ctx, func(ctx context.Context) error {
				must(t, insert(ctx, outer))
				err := f.db.InTx(ctx, func(ctx context.Context) error {
					must(t, insert(ctx, inner))
					return contacts.Insert(ctx, f.newContact(owner, f.now, func(c *contact.Contact) { c.ExternalRef = "nested-taken" }))
				})
				wantErr(t, "the inner transaction", err, contact.ErrExternalRef)
				return insert(ctx, after)
			}))
			wantEqual(t, "the outer write", stored(t, outer), true)
			wantEqual(t, "the inner write", stored(t, inner), false)
			wantEqual(t, "the write after the failed inner transaction", stored(t, after), true)
		}},
		{"SQLTx is InTx's transaction, so that River's inserts on it commit and roll back with it; nil outside", func(t *testing.T) {
			if f.db.SQLTx(f.ctx) != nil {
				t.Fatal("a transaction outside InTx")
			}
			client, err := river.NewClient(f.db.RiverDriver(), &river.Config{})
			must(t, err)
			var dropped int64
			err = f.db.InTx(f.ctx, func(ctx context.Context) error {
				res, err := client.InsertTx(ctx, f.db.SQLTx(ctx), riverArgs{}, nil)
				must(t, err)
				dropped = res.Job.ID
				return f.db.InTx(ctx, func(ctx context.Context) error { // a savepoint: the same transaction
					if f.db.SQLTx(ctx) == nil {
						t.Fatal("no transaction inside a nested InTx")
					}
					return errRollback
				})
			})
			wantErr(t, "the rolled back transaction", err, errRollback)
			if _, err := client.JobGet(f.ctx, dropped); !errors.Is(err, river.ErrNotFound) {
				t.Fatalf("the River job of a rolled back transaction: %v", err)
			}
		}},
		{"Setting stores generate's value once; every later or concurrent call reads it back", func(t *testing.T) {
			key := "contract-" + newID().String()
			var wg sync.WaitGroup
			values, creations := make([]string, 4), make([]bool, 4)
			for i := range values {
				wg.Go(func() {
					v, created, err := f.db.Setting(f.ctx, key, func() string { return newID().String() })
					if err != nil {
						t.Error(err)
					}
					values[i], creations[i] = v, created
				})
			}
			wg.Wait()
			n := 0
			for i, v := range values {
				if v != values[0] {
					t.Fatalf("instances disagree: %v", values)
				}
				if creations[i] {
					n++
				}
			}
			wantEqual(t, "creators", n, 1)
			v, created, err := f.db.Setting(f.ctx, key, func() string { return "other" })
			must(t, err)
			if v != values[0] || created {
				t.Fatalf("a later call: %q created=%v, want %q", v, created, values[0])
			}
		}},
		{"Dialect, Ping and MigrationStatus describe the database; ours and River's migrations are applied", func(t *testing.T) {
			for url, want := range map[string]string{
				"postgres://u@h/db": storage.Postgres, "postgresql://u@h/db": storage.Postgres, "sqlite:/tmp/x.db": storage.SQLite,
				"file:x.db": storage.SQLite, "/var/lib/rapport.db": storage.SQLite,
			} {
				wantEqual(t, url, storage.Dialect(url), want)
			}
			must(t, f.db.Ping(f.ctx))
			status, err := f.db.MigrationStatus(f.ctx)
			must(t, err)
			river := 0
			for _, m := range status {
				if !m.Applied {
					t.Fatalf("migration %d (%s) is not applied", m.Version, m.Source)
				}
				if strings.HasPrefix(m.Source, "river ") {
					river++
				}
			}
			if river == 0 || river == len(status) {
				t.Fatalf("%d of %d migrations are River's", river, len(status))
			}
		}},
	})
}
