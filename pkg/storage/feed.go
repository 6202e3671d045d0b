package storage

import (
	"context"
	"database/sql"
	"encoding/binary"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/rapportcrm/rapport/pkg/feed"
)

// FeedStore reads the change log in the feed's order, (txid, id): see pkg/feed and migration
// 00019. Its SQL is written out: the bound and the events must come from one statement's snapshot.
type FeedStore struct{ conn }

var _ feed.Store = (*FeedStore)(nil)

// FeedStore returns the store over db.
func (db *DB) FeedStore() *FeedStore {
	return &FeedStore{db.conn}
}

// sqliteTxid is the txid an insert gives events on SQLite: one past the greatest, read under the
// write lock that every writing statement and transaction holds (PostgreSQL's column defaults to
// the writing transaction's id).
const sqliteTxid = "(SELECT coalesce(max(txid), 0) + 1 FROM events)"

// feedBound is the txid below which every event is ready, in the snapshot of the statement it is
// part of. On PostgreSQL it is the snapshot's xmin: every transaction below it has finished, and
// none that starts later gets a lower id. On SQLite, whose writers commit in the order they take
// their counters, every event in the snapshot is ready: the bound is one past the greatest.
func (c conn) feedBound() string {
	if c.dialect == Postgres {
		return "pg_snapshot_xmin(pg_current_snapshot())"
	}
	return sqliteTxid
}

// Read answers up to q.Limit ready events after q.After and the end of what was ready, from one
// statement: the bound in a one-row subquery, the events joined to it (none: one row of NULLs).
func (s *FeedStore) Read(ctx context.Context, q feed.Query) (feed.Batch, error) {
	var conds []string
	var args []any
	if q.OrgID != uuid.Nil {
		conds, args = append(conds, "org_id = ?"), append(args, q.OrgID)
	}
	conds, args = append(conds, "(txid, id) > (?, ?)"), append(args, q.After.Tx, q.After.ID)
	switch {
	case q.Types == nil:
	case len(q.Types) == 0:
		conds = append(conds, "1 = 0")
	default:
		conds, args = append(conds, "type IN ?"), append(args, q.Types)
	}
	join := "LEFT JOIN (SELECT txid, " + eventColumns + " FROM events WHERE " + strings.Join(conds, " AND ")
	if s.dialect == Postgres {
		// LATERAL: a running transaction's events are visible once it commits, but not ready while
		// an older one still runs; the bound keeps them back.
		join = "LEFT JOIN LATERAL (SELECT txid, " + eventColumns + " FROM events WHERE " + strings.Join(conds, " AND ") + " AND txid < b.bound"
	}
	limit := 0
	if q.Limit > 0 {
		limit = q.Limit + 1 // one more, to learn whether more follow
	}
	args = append(args, limit)
	outer := "b.bound, e.txid, e." + strings.ReplaceAll(eventColumns, ", ", ", e.")
	rows, err := s.with(ctx).Raw("SELECT "+outer+" FROM (SELECT "+s.feedBound()+" AS bound) b "+join+
		" ORDER BY txid, id LIMIT ?) e ON true ORDER BY e.txid, e.id", args...).Rows()
	if err != nil {
		return feed.Batch{}, translate(err)
	}
	defer rows.Close()
	var b feed.Batch
	bytes := 0
	for rows.Next() {
		var bound uint64
		var r eventRow
		var tx sql.Null[uint64]
		var typ, subjectType, actorType sql.NullString
		var at sql.NullTime
		err := rows.Scan(&bound, &tx, &r.OrgID, &r.ID, &typ, &subjectType, &r.SubjectID, &r.CustomerID, &actorType, &r.ActorID,
			&r.Changes, &r.Data, &at)
		if err != nil {
			return feed.Batch{}, translate(err)
		}
		b.End = feed.Position{Tx: bound}
		if !tx.Valid {
			continue // no event: the bound's row alone
		}
		r.Type, r.SubjectType, r.ActorType, r.OccurredAt = typ.String, subjectType.String, actorType.String, at.Time
		if bytes += r.size(); len(b.Entries) > 0 && bytes > maxPageBytes {
			b.More = true // large events: the rest on the next page, whatever the limit
			break
		}
		b.Entries = append(b.Entries, feed.Entry{Position: feed.Position{Tx: tx.V, ID: r.ID}, Event: r.toEvent()})
	}
	if err := rows.Err(); err != nil {
		return feed.Batch{}, translate(err)
	}
	if q.Limit > 0 && len(b.Entries) > q.Limit {
		b.Entries, b.More = b.Entries[:q.Limit], true
	}
	return b, nil
}

// Start answers the position just before the first event the organization recorded at or after
// since, found through its UUIDv7 id (the primary key), or the current end when there is none.
// The position is that event's transaction's: an event recorded after since by a transaction
// that had its id before that one's is left out, which is only ever one straddling the moment.
func (s *FeedStore) Start(ctx context.Context, orgID uuid.UUID, since time.Time) (feed.Position, error) {
	var bound uint64
	var first sql.Null[uint64]
	err := s.with(ctx).Raw("SELECT b.bound, (SELECT txid FROM events WHERE org_id = ? AND id >= ? ORDER BY id LIMIT 1) FROM (SELECT "+
		s.feedBound()+" AS bound) b", orgID, uuidAt(since)).Row().Scan(&bound, &first)
	if err != nil {
		return feed.Position{}, translate(err)
	}
	if first.Valid && first.V < bound {
		return feed.Position{Tx: first.V}, nil
	}
	return feed.Position{Tx: bound}, nil
}

// uuidAt is the least UUIDv7 of the millisecond t falls in: UUIDv7s sort by their time.
func uuidAt(t time.Time) uuid.UUID {
	var id uuid.UUID
	var ms [8]byte
	binary.BigEndian.PutUint64(ms[:], uint64(t.UnixMilli()))
	copy(id[:6], ms[2:])
	return id
}
