package feed

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/rapportcrm/rapport/pkg/event"
)

// fakeStore answers reads from a list of batches, one per call, then the last one again.
type fakeStore struct {
	batches []Batch
	reads   []Query
	start   Position
}

func (s *fakeStore) Read(_ context.Context, q Query) (Batch, error) {
	s.reads = append(s.reads, q)
	b := s.batches[min(len(s.reads), len(s.batches))-1]
	return b, nil
}

func (s *fakeStore) Start(context.Context, uuid.UUID, time.Time) (Position, error) {
	return s.start, nil
}

var (
	clock = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	org   = uuid.New()
)

func at(tx uint64) Position { return Position{Tx: tx, ID: uuid.Must(uuid.NewV7())} }

func entry(pos Position, occurred time.Time) Entry {
	return Entry{Event: event.Event{ID: pos.ID, OccurredAt: occurred}, Position: pos}
}

func service(s Store) *Service { return NewService(s, 0, func() time.Time { return clock }) }

func TestPageCursors(t *testing.T) {
	e1, e2 := at(5), at(7)
	tests := []struct {
		name  string
		after Position
		batch Batch
		want  Cursor
		more  bool
	}{
		{name: "with more to come, the next page starts after the last event, at its time",
			batch: Batch{Entries: []Entry{entry(e1, clock.Add(-time.Hour)), entry(e2, clock.Add(-time.Minute))}, More: true, End: Position{Tx: 9}},
			want:  Cursor{Position: e2, At: clock.Add(-time.Minute)}, more: true},
		{name: "at the end, the next page starts at the end, now: what was passed over is not looked at again",
			batch: Batch{Entries: []Entry{entry(e1, clock.Add(-time.Hour))}, End: Position{Tx: 9}},
			want:  Cursor{Position: Position{Tx: 9}, At: clock}},
		{name: "an end behind where the read started never moves the cursor back",
			after: Position{Tx: 12}, batch: Batch{End: Position{Tx: 9}},
			want: Cursor{Position: Position{Tx: 12}, At: clock}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := &fakeStore{batches: []Batch{tc.batch}}
			p, err := service(s).Page(context.Background(), org, Request{After: &Cursor{Position: tc.after, At: clock}, Limit: 2})
			if err != nil {
				t.Fatal(err)
			}
			if p.Next != tc.want || p.HasMore != tc.more || len(p.Events) != len(tc.batch.Entries) {
				t.Fatalf("next %+v, has_more %v, %d events; want %+v, %v", p.Next, p.HasMore, len(p.Events), tc.want, tc.more)
			}
			if q := s.reads[0]; q.OrgID != org || q.After != tc.after || q.Limit != 2 {
				t.Fatalf("read %+v", q)
			}
		})
	}
}

func TestPageStarts(t *testing.T) {
	s := &fakeStore{batches: []Batch{{End: Position{Tx: 40}}}, start: Position{Tx: 30}}
	p, err := service(s).Page(context.Background(), org, Request{Limit: 10})
	if err != nil || s.reads[0].After != s.start || p.Next.Position != (Position{Tx: 40}) {
		t.Fatalf("a fresh start read after %+v and answered %+v, %v", s.reads[0].After, p.Next, err)
	}
	s = &fakeStore{batches: []Batch{{End: Position{Tx: 40}}}}
	p, err = service(s).Page(context.Background(), org, Request{FromNow: true, Limit: 10, Types: []string{"customer.created"}})
	if err != nil || len(p.Events) != 0 || p.Next != (Cursor{Position: Position{Tx: 40}, At: clock}) || s.reads[0].Types == nil || len(s.reads[0].Types) != 0 {
		t.Fatalf("after=now answered %+v after reading %+v, %v", p, s.reads, err)
	}
}

func TestPageRetention(t *testing.T) {
	s := &fakeStore{batches: []Batch{{End: Position{Tx: 1}}}}
	for age, gone := range map[time.Duration]bool{Retention: false, Retention + Grace: false, Retention + Grace + time.Second: true} {
		_, err := service(s).Page(context.Background(), org, Request{After: &Cursor{At: clock.Add(-age)}, Limit: 1})
		if errors.Is(err, ErrExpired) != gone {
			t.Errorf("a cursor %s old: %v", age, err)
		}
	}
}

func TestPageWaits(t *testing.T) {
	e := at(8)
	s := &fakeStore{batches: []Batch{{End: Position{Tx: 5}}, {End: Position{Tx: 6}}, {Entries: []Entry{entry(e, clock)}, End: Position{Tx: 9}}}}
	p, err := service(s).Page(context.Background(), org, Request{After: &Cursor{Position: Position{Tx: 4}, At: clock}, Limit: 5, Wait: time.Minute})
	if err != nil || len(p.Events) != 1 || len(s.reads) != 3 {
		t.Fatalf("answered %d events after %d reads: %v", len(p.Events), len(s.reads), err)
	}
	if s.reads[1].After != (Position{Tx: 5}) || s.reads[2].After != (Position{Tx: 6}) {
		t.Fatalf("each read after the first starts at the end of the one before: %+v", s.reads)
	}

	// The request's deadline, less a second, ends the wait with an empty page.
	s = &fakeStore{batches: []Batch{{End: Position{Tx: 5}}}}
	ctx, cancel := context.WithTimeout(context.Background(), deadlineMargin+2*Poll)
	defer cancel()
	p, err = service(s).Page(ctx, org, Request{After: &Cursor{At: clock}, Limit: 5, Wait: time.Minute})
	if err != nil || len(p.Events) != 0 || len(s.reads) > 4 || p.Next.Position != (Position{Tx: 5}) {
		t.Fatalf("at the deadline: %+v after %d reads, %v", p, len(s.reads), err)
	}
}

func TestPageEndsQuietlyWhenTheClientLeaves(t *testing.T) {
	s := &fakeStore{batches: []Batch{{End: Position{Tx: 5}}}}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(2*Poll, cancel)
	p, err := service(s).Page(ctx, org, Request{After: &Cursor{At: clock}, Limit: 5, Wait: time.Minute})
	if err != nil || len(p.Events) != 0 || p.Next.Position != (Position{Tx: 5}) {
		t.Fatalf("a wait whose client left: %+v, %v", p, err)
	}
}
