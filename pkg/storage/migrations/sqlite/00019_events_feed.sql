-- +goose Up
-- The events feed's order (see the PostgreSQL migration). SQLite has one writer at a time, and
-- every write transaction here takes the lock at BEGIN (IMMEDIATE), so commits happen in the
-- order writes do. Each statement that inserts events gives them max(txid) + 1, read under that
-- lock: a counter kept in the write transaction, increasing in commit order, the same column as on
-- PostgreSQL. Not the rowid: a table without an INTEGER PRIMARY KEY may have its rowids
-- renumbered by VACUUM, and a cursor handed out must stay valid.
ALTER TABLE events ADD COLUMN txid INTEGER NOT NULL DEFAULT 0;
DROP TRIGGER events_no_update;
UPDATE events SET txid = rowid;
CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
-- SQLite's defaults cannot read the table: an insert that does not give txid is refused, rather
-- than put before every event a follower has passed.
CREATE TRIGGER events_need_txid BEFORE INSERT ON events WHEN NEW.txid = 0
    BEGIN SELECT RAISE(ABORT, 'an event needs its txid'); END;
CREATE INDEX events_feed_idx ON events (org_id, txid, id);
CREATE INDEX events_order_idx ON events (txid, id);

-- +goose Down
DROP TRIGGER events_need_txid;
DROP INDEX events_order_idx;
DROP INDEX events_feed_idx;
ALTER TABLE events DROP COLUMN txid;
