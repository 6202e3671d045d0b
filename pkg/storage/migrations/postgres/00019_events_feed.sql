-- +goose NO TRANSACTION
-- +goose Up
-- The events feed (GET /v1/events) and, later, webhooks follow the events in one order that never
-- hands out an event behind one already handed out. Transactions commit out of order: an event
-- stamped earlier (by time, or by a sequence) can become visible after a later one, and a reader
-- that moved past its place would never see it. So each event carries the id of the transaction
-- that wrote it, and the feed hands out, in (txid, id) order, only the events whose txid is below
-- the xmin of its snapshot: every transaction below that has finished, and none that starts later
-- gets a lower id.
--
-- One statement, so that no event is written between the two steps: the constant default makes
-- the new column free for the rows already there (no rewrite; they all sit at 0, in id order,
-- before every new event), and the second step gives new rows their transaction's id.
ALTER TABLE events ADD COLUMN txid xid8 NOT NULL DEFAULT '0',
    ALTER COLUMN txid SET DEFAULT pg_current_xact_id();
-- An organization's feed, and the order across all organizations that a webhook dispatcher
-- follows. CONCURRENTLY: building them does not block writes to a live table.
CREATE INDEX CONCURRENTLY IF NOT EXISTS events_feed_idx ON events (org_id, txid, id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS events_order_idx ON events (txid, id);

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS events_order_idx;
DROP INDEX CONCURRENTLY IF EXISTS events_feed_idx;
ALTER TABLE events DROP COLUMN txid;
