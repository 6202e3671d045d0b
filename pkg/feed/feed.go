// Package feed hands out the change log (pkg/event) in one total order that a follower can trust:
// one that has read up to a position has seen every event before it, and no event will ever be
// placed behind it. The events feed (GET /v1/events) serves it per organization; a webhook
// dispatcher follows the same order across all organizations (Store.Read with no organization).
//
// The order is (Position.Tx, Position.ID). Tx is the writing transaction's id on PostgreSQL, and
// a counter taken under the single writer's lock on SQLite; ID is the event's UUIDv7. Transactions
// commit out of order, so the store hands out only the events below a bound under which every
// writing transaction has finished (PostgreSQL: the xmin of the reading statement's snapshot); a
// transaction that stays open holds the feed back at its own position until it ends.
//
// It is a package of its own, not part of pkg/event: pkg/event is the vocabulary every domain
// records with, while the feed is a reader with a store, a retention rule and long polling.
package feed

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/rapportcrm/rapport/pkg/apperr"
	"github.com/rapportcrm/rapport/pkg/event"
)

// Position is a place in the order: after the events at or below it.
type Position struct {
	Tx uint64
	ID uuid.UUID
}

// Less reports whether p comes before q.
func (p Position) Less(q Position) bool {
	if p.Tx != q.Tx {
		return p.Tx < q.Tx
	}
	return string(p.ID[:]) < string(q.ID[:])
}

// Entry is an event at its position.
type Entry struct {
	event.Event
	Position Position
}

// Query asks for the events after a position.
type Query struct {
	// OrgID is the organization; uuid.Nil reads every organization's events in the one order.
	OrgID uuid.UUID
	After Position
	// Types keeps these event types; nil keeps every type, an empty list none.
	Types []string
	Limit int
}

// Batch is what one read found.
type Batch struct {
	// Entries are up to Limit events after the query's position, in order.
	Entries []Entry
	// More tells whether more events are ready after the last entry.
	More bool
	// End is the position below which every event was ready when the batch was read: a follower
	// that has read every entry (More false) may move there without passing over anything.
	End Position
}

// Store reads the change log in the feed's order. Its reads must not run inside a writing
// transaction: on PostgreSQL the bound would then stop at that transaction's own id.
type Store interface {
	// Read answers the ready events after q.After, in order, all read from one snapshot.
	Read(ctx context.Context, q Query) (Batch, error)
	// Start answers the position just before the first event the organization recorded at or
	// after since (by its UUIDv7 id), or the current end when there is none.
	Start(ctx context.Context, orgID uuid.UUID, since time.Time) (Position, error)
}

// Cursor is where a follower stands: a position, and the time of the event at it (the read's
// time when the position is the end of the feed). The time is what the retention is checked on.
type Cursor struct {
	Position
	At time.Time
}

// Defaults.
const (
	// Retention is how long the feed keeps events available by default (RAPPORT_FEED_RETENTION).
	Retention = 30 * 24 * time.Hour
	// Grace lets a cursor pass the retention by this much, so that a follower that starts at the
	// oldest end (where the retention starts) has time to move on before its cursor expires.
	Grace = time.Hour
	// MaxWait bounds a long poll.
	MaxWait = time.Minute
	// Poll is how often a long poll reads the store while nothing is ready. Between reads it holds
	// no connection (PgBouncer in transaction mode allows no LISTEN).
	Poll = 250 * time.Millisecond
	// deadlineMargin is left of the request's deadline for the last read and the answer.
	deadlineMargin = time.Second
)

// ErrExpired answers a cursor older than the retention.
var ErrExpired = apperr.New(apperr.KindGone, "the cursor points at an event older than the feed's retention; "+
	"resynchronise from the lists, then follow the feed from after=now")

// Request asks for one page of an organization's feed.
type Request struct {
	// After is the cursor of the previous page; nil starts at the oldest retained event.
	After *Cursor
	// FromNow answers an empty page at the current end, for a follower starting fresh.
	FromNow bool
	// Types keeps these event types; nil keeps every type, an empty list none.
	Types []string
	Limit int
	// Wait, when nothing is ready, waits up to this long for an event to arrive.
	Wait time.Duration
	// Idle, when set, runs each pause between the reads of a wait (the server lets another
	// request work meanwhile).
	Idle func(pause func())
}

// Page is one page of the feed. Next is never empty: a follower keeps polling with it.
type Page struct {
	Events  []event.Event
	Next    Cursor
	HasMore bool
}

// Service serves the feed.
type Service struct {
	store     Store
	retention time.Duration
	now       func() time.Time
}

// NewService returns the feed over store; retention is Retention when zero, now the clock.
func NewService(store Store, retention time.Duration, now func() time.Time) *Service {
	if retention <= 0 {
		retention = Retention
	}
	return &Service{store: store, retention: retention, now: now}
}

// Retention is how long the feed keeps events available.
func (s *Service) Retention() time.Duration { return s.retention }

// Page reads the organization's events after req.After. When none is ready and req.Wait is set,
// it reads again every Poll until one is, the wait is over, or the request's deadline (less a
// second) comes.
func (s *Service) Page(ctx context.Context, orgID uuid.UUID, req Request) (Page, error) {
	now := s.now()
	var after Position
	switch {
	case req.FromNow:
		b, err := s.store.Read(ctx, Query{OrgID: orgID, Types: []string{}})
		if err != nil {
			return Page{}, err
		}
		return Page{Events: []event.Event{}, Next: Cursor{Position: b.End, At: now}}, nil
	case req.After != nil:
		if req.After.At.Before(now.Add(-s.retention - Grace)) {
			return Page{}, ErrExpired
		}
		after = req.After.Position
	default:
		var err error
		if after, err = s.store.Start(ctx, orgID, now.Add(-s.retention)); err != nil {
			return Page{}, err
		}
	}
	until := time.Now().Add(min(req.Wait, MaxWait))
	if d, ok := ctx.Deadline(); ok && d.Add(-deadlineMargin).Before(until) {
		until = d.Add(-deadlineMargin)
	}
	for {
		b, err := s.store.Read(ctx, Query{OrgID: orgID, After: after, Types: req.Types, Limit: req.Limit})
		if err != nil {
			return Page{}, err
		}
		p := page(b, after, s.now())
		left := time.Until(until)
		if len(p.Events) > 0 || left <= 0 {
			return p, nil
		}
		after = p.Next.Position // the next read starts at the end: nothing before it is left to find
		if !pause(ctx, min(Poll, left), req.Idle) {
			return p, nil // the client left: nothing arrived while it waited, which is no error
		}
	}
}

// pause waits d through idle, if any; false if ctx ended first.
func pause(ctx context.Context, d time.Duration, idle func(func())) (elapsed bool) {
	if idle == nil {
		idle = func(wait func()) { wait() }
	}
	idle(func() {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
		case <-t.C:
			elapsed = true
		}
	})
	return elapsed
}

// page turns a batch read after a position into a page: with more to come, the next cursor is
// the last event's; else the batch's end (never behind where the read started).
func page(b Batch, after Position, now time.Time) Page {
	p := Page{Events: make([]event.Event, len(b.Entries)), HasMore: b.More}
	for i, e := range b.Entries {
		p.Events[i] = e.Event
	}
	switch {
	case b.More && len(b.Entries) > 0:
		last := b.Entries[len(b.Entries)-1]
		p.Next = Cursor{Position: last.Position, At: last.OccurredAt}
	case b.End.Less(after):
		p.Next = Cursor{Position: after, At: now}
	default:
		p.Next = Cursor{Position: b.End, At: now}
	}
	return p
}
