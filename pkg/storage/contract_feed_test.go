package storage_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/rapportcrm/rapport/pkg/event"
	"github.com/rapportcrm/rapport/pkg/feed"
	"github.com/rapportcrm/rapport/pkg/storage/storagetest"
)

// note records n events of typ about a new subject of org, in one call (one transaction).
func (f *fixture) note(t *testing.T, org uuid.UUID, typ string, n int) []event.Event {
	t.Helper()
	events := make([]event.Event, n)
	subject := newID()
	for i := range events {
		events[i] = event.New(actor(org), typ, "customer", subject)
	}
	must(t, f.db.FeedStore().RecordEvents(f.ctx, events))
	return events
}

// readAll follows the feed of org (uuid.Nil: every organization) from after to its end, limit at
// a time, once it shows all that was committed, and answers the events' ids and where it stopped.
func (f *fixture) readAll(t *testing.T, org uuid.UUID, after feed.Position, types []string, limit int) ([]uuid.UUID, feed.Position) {
	t.Helper()
	storagetest.FeedSettled(t, f.db)
	return f.follow(t, org, after, types, limit)
}

// follow reads the feed as it is from after to its end.
func (f *fixture) follow(t *testing.T, org uuid.UUID, after feed.Position, types []string, limit int) ([]uuid.UUID, feed.Position) {
	t.Helper()
	var got []uuid.UUID
	for {
		b, err := f.db.FeedStore().Read(f.ctx, feed.Query{OrgID: org, After: after, Types: types, Limit: limit})
		must(t, err)
		for _, e := range b.Entries {
			if !after.Less(e.Position) {
				t.Fatalf("entry %v is not after %v", e.Position, after)
			}
			got, after = append(got, e.ID), e.Position
		}
		if !b.More {
			if b.End.Less(after) {
				t.Fatalf("the end %v is behind the last entry %v", b.End, after)
			}
			return got, b.End
		}
	}
}

func TestFeedStore(t *testing.T) {
	f := newFixture(t)
	s := f.db.FeedStore()
	_, start := f.readAll(t, f.org, feed.Position{}, nil, 10) // the organizations' own creation events
	run(t, []contract{
		{"Read answers the organization's events in the order they were written, a page at a time", func(t *testing.T) {
			var want []uuid.UUID
			for i := range 5 {
				want = append(want, ids(f.note(t, f.org, "customer.updated", 1+i%3), eventID)...)
				f.note(t, f.other, "customer.updated", 2) // never in org's feed
			}
			many := f.note(t, f.org, "contact.created", f.chunk+1) // more than a statement's chunk
			want = append(want, ids(many, eventID)...)
			for _, limit := range []int{1, 4, 200} {
				got, _ := f.readAll(t, f.org, start, nil, limit)
				wantOrder(t, fmt.Sprintf("limit %d", limit), got, want...)
			}
			got, _ := f.readAll(t, f.org, start, []string{"contact.created"}, 3)
			wantOrder(t, "contact.created only", got, ids(many, eventID)...)
			_, all := f.readAll(t, f.org, start, nil, 50)
			got, end := f.readAll(t, f.org, start, []string{}, 3)
			wantEqual(t, "no type", len(got), 0)
			if end.Less(all) {
				t.Fatalf("with no type to read, the end %v is behind the events' end %v", end, all)
			}
		}},
		{"Read ends a page of large events once it passes 1 MiB, and the next page goes on", func(t *testing.T) {
			_, end := f.readAll(t, f.org, start, nil, 200)
			c := f.customer(t, f.org)
			_, end = f.readAll(t, f.org, end, nil, 200) // past c's creation
			big := map[string]any{"text": strings.Repeat("x", 400<<10)}
			var want []uuid.UUID
			for range 3 {
				want = append(want, f.record(t, c, "customer.noted", f.now, big).ID)
			}
			storagetest.FeedSettled(t, f.db)
			b, err := s.Read(f.ctx, feed.Query{OrgID: f.org, After: end, Limit: 50})
			must(t, err)
			wantEqual(t, "events on the first page", len(b.Entries), 2)
			wantEqual(t, "more to read", b.More, true)
			got, _ := f.follow(t, f.org, end, nil, 50)
			wantOrder(t, "every event across the pages", got, want...)
		}},
		{"Read after the end answers what was written since, and nothing before it", func(t *testing.T) {
			_, end := f.readAll(t, f.org, start, nil, 200)
			b, err := s.Read(f.ctx, feed.Query{OrgID: f.org, After: end, Limit: 10})
			must(t, err)
			wantEqual(t, "events after the end", len(b.Entries), 0)
			if b.End.Less(end) {
				t.Fatalf("the end moved back: %v, then %v", end, b.End)
			}
			later := f.note(t, f.org, "feedback.created", 2)
			got, _ := f.readAll(t, f.org, end, nil, 1)
			wantOrder(t, "after the end", got, ids(later, eventID)...)
		}},
		{"Read with no organization follows every organization's events in one order", func(t *testing.T) {
			_, end := f.readAll(t, uuid.Nil, feed.Position{}, nil, 200)
			a, b, c := f.note(t, f.org, "customer.created", 1), f.note(t, f.other, "customer.created", 2), f.note(t, f.org, "customer.deleted", 1)
			got, _ := f.readAll(t, uuid.Nil, end, nil, 2)
			wantOrder(t, "across organizations", got, slices.Concat(ids(a, eventID), ids(b, eventID), ids(c, eventID))...)
		}},
		{"Start answers the position before the first event since a time, else the end", func(t *testing.T) {
			org := f.organization(t, "EUR")
			_, end := f.readAll(t, org, feed.Position{}, nil, 200)
			since := time.Now().Add(time.Millisecond)
			time.Sleep(2 * time.Millisecond)
			pos, err := s.Start(f.ctx, org, since)
			must(t, err)
			if pos.Less(end) {
				t.Fatalf("with nothing since, Start answered %v, before the end %v", pos, end)
			}
			later := f.note(t, org, "customer.created", 3)
			pos, err = s.Start(f.ctx, org, since)
			must(t, err)
			got, _ := f.readAll(t, org, pos, nil, 2)
			wantOrder(t, "from the start", got, ids(later, eventID)...)
		}},
		{"A transaction still open holds back the events committed after it, on PostgreSQL", func(t *testing.T) {
			if !f.pg() {
				t.Skip("SQLite's one writer commits in the order it writes")
			}
			_, end := f.readAll(t, f.org, start, nil, 200)
			written, release, done := make(chan []event.Event), make(chan struct{}), make(chan error)
			go func() { // tx1: writes, and stays open until released
				done <- f.db.InTx(f.ctx, func(ctx context.Context) error {
					events := []event.Event{event.New(actor(f.org), "customer.created", "customer", newID())}
					if err := s.RecordEvents(ctx, events); err != nil {
						return err
					}
					written <- events
					<-release
					return nil
				})
			}()
			first := <-written
			second := f.note(t, f.org, "customer.updated", 2) // tx2: writes and commits
			got, held := f.follow(t, f.org, end, nil, 200)
			wantEqual(t, "events shown while the first transaction is open", len(got), 0)
			close(release)
			must(t, <-done)
			got, _ = f.readAll(t, f.org, held, nil, 200)
			wantOrder(t, "once the first commits", got, slices.Concat(ids(first, eventID), ids(second, eventID))...)
		}},
	})
}

// TestFeedConcurrentWriters: 8 writers commit transactions of one to three events at random
// moments while a follower polls the feed; at the end the follower saw every event exactly once,
// each writer's in the order it committed them, and each position after the one before. Several
// rounds, each from where the last ended.
func TestFeedConcurrentWriters(t *testing.T) {
	f := newFixture(t)
	const writers, rounds = 8, 3
	perWriter := 40
	if !f.pg() {
		perWriter = 15
	}
	_, at := f.readAll(t, f.org, feed.Position{}, nil, 200)
	svc := feed.NewService(f.db.FeedStore(), 0, event.Now)
	cursor := &feed.Cursor{Position: at, At: event.Now()}
	for round := range rounds {
		var wg sync.WaitGroup
		written := make([][]uuid.UUID, writers)
		errs := make(chan error, writers)
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := rand.New(rand.NewPCG(uint64(round), uint64(w)))
				for range perWriter {
					events := make([]event.Event, 1+r.IntN(3))
					for i := range events {
						events[i] = event.New(actor(f.org), "customer.updated", "customer", newID())
					}
					err := f.db.InTx(f.ctx, func(ctx context.Context) error {
						if err := f.db.FeedStore().RecordEvents(ctx, events); err != nil {
							return err
						}
						time.Sleep(time.Duration(r.IntN(3000)) * time.Microsecond) // commit at a random moment
						return nil
					})
					if err != nil {
						errs <- err
						return
					}
					written[w] = append(written[w], ids(events, eventID)...)
				}
			}()
		}
		stop := make(chan struct{})
		go func() { wg.Wait(); close(stop) }()
		var seen []uuid.UUID
		follow := func() {
			p, err := svc.Page(f.ctx, f.org, feed.Request{After: cursor, Limit: 7})
			must(t, err)
			if !cursor.Position.Less(p.Next.Position) && len(p.Events) > 0 {
				t.Fatalf("the cursor did not move past the page: %v, then %v", cursor.Position, p.Next.Position)
			}
			seen = append(seen, ids(p.Events, eventID)...)
			cursor = &p.Next
		}
		for polling := true; polling; {
			select {
			case <-stop:
				polling = false
			default:
				follow()
			}
		}
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		storagetest.FeedSettled(t, f.db)
		for { // the rest, once every writer has committed
			before := len(seen)
			follow()
			if len(seen) == before {
				break
			}
		}
		index := make(map[uuid.UUID]int, len(seen))
		for i, id := range seen {
			if _, dup := index[id]; dup {
				t.Fatalf("round %d: event %s seen twice", round, id)
			}
			index[id] = i
		}
		total := 0
		for w, ids := range written {
			total += len(ids)
			for i, id := range ids {
				k, ok := index[id]
				if !ok {
					t.Fatalf("round %d: writer %d's event %d (%s) was never seen", round, w, i, id)
				}
				if i > 0 && k < index[ids[i-1]] {
					t.Fatalf("round %d: writer %d's event %d was seen before the one it committed earlier", round, w, i)
				}
			}
		}
		if len(seen) != total {
			t.Fatalf("round %d: saw %d events, %d were written", round, len(seen), total)
		}
		t.Logf("round %d: %d events from %d writers, seen once each, in order", round, total, writers)
	}
}
