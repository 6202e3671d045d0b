package storage

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/rapportcrm/rapport/pkg/event"
	"github.com/rapportcrm/rapport/pkg/money"
	"github.com/rapportcrm/rapport/pkg/page"
	"github.com/rapportcrm/rapport/pkg/purchase"
)

// PurchaseStore keeps purchases and the purchase figures of customers.
type PurchaseStore struct{ ContactStore }

var _ purchase.Store = (*PurchaseStore)(nil)

// PurchaseStore returns the store over db.
func (db *DB) PurchaseStore() *PurchaseStore {
	return &PurchaseStore{ContactStore{conn{db: db.gorm, dialect: db.dialect}}}
}

// Tx runs fn in a transaction.
func (s *PurchaseStore) Tx(ctx context.Context, fn func(purchase.Store) error) error {
	return inTx(ctx, s.conn, func(c conn) purchase.Store { return &PurchaseStore{ContactStore{c}} }, fn)
}

type itemJSON struct {
	SKU       string          `json:"sku,omitempty"`
	Name      string          `json:"name,omitempty"`
	Quantity  int             `json:"quantity"`
	UnitPrice decimal.Decimal `json:"unit_price"`
}

type purchaseRow struct {
	OrgID          uuid.UUID `gorm:"primaryKey"`
	ID             uuid.UUID `gorm:"primaryKey"`
	CustomerID     uuid.UUID
	ExternalID     *string
	Amount         decimal.Decimal
	RefundedAmount decimal.Decimal
	Currency       string
	OccurredAt     time.Time
	Channel        string
	Items          jsonValue[[]itemJSON]
	Status         string
	Version        int64
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

func (purchaseRow) TableName() string { return "purchases" }

func toPurchaseRow(p purchase.Purchase) purchaseRow {
	items := make([]itemJSON, len(p.Items))
	for i, it := range p.Items {
		items[i] = itemJSON{SKU: it.SKU, Name: it.Name, Quantity: it.Quantity, UnitPrice: it.UnitPrice}
	}
	return purchaseRow{OrgID: p.OrgID, ID: p.ID, CustomerID: p.CustomerID, ExternalID: nullable(p.ExternalID), Amount: p.Amount.Amount,
		RefundedAmount: p.RefundedAmount, Currency: p.Amount.Currency, OccurredAt: p.OccurredAt.UTC(), Channel: p.Channel,
		Items: jsonValue[[]itemJSON]{V: items}, Status: p.Status, Version: p.Version, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
}

func (r purchaseRow) toPurchase() purchase.Purchase {
	items := make([]purchase.Item, len(r.Items.V))
	for i, it := range r.Items.V {
		items[i] = purchase.Item{SKU: it.SKU, Name: it.Name, Quantity: it.Quantity, UnitPrice: it.UnitPrice}
	}
	return purchase.Purchase{ID: r.ID, OrgID: r.OrgID, CustomerID: r.CustomerID, ExternalID: deref(r.ExternalID),
		Amount: money.Money{Amount: r.Amount, Currency: r.Currency}, RefundedAmount: r.RefundedAmount, OccurredAt: r.OccurredAt.UTC(),
		Channel: r.Channel, Items: items, Status: r.Status, Version: r.Version, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

// Insert stores a purchase; a taken external_id is ErrDuplicate (without aborting the transaction).
func (s *PurchaseStore) Insert(ctx context.Context, p purchase.Purchase) error {
	row := toPurchaseRow(p)
	res := s.with(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
	if res.Error != nil {
		return translate(res.Error)
	}
	if res.RowsAffected == 0 {
		return purchase.ErrDuplicate
	}
	return nil
}

// Refund writes a purchase's refunded amount and status if its version is still prev.
func (s *PurchaseStore) Refund(ctx context.Context, p purchase.Purchase, prev int64) error {
	res := s.with(ctx).Model(&purchaseRow{}).Where("org_id = ? AND id = ? AND version = ?", p.OrgID, p.ID, prev).
		Updates(map[string]any{"refunded_amount": p.RefundedAmount, "status": p.Status, "version": p.Version, "updated_at": p.UpdatedAt})
	if res.Error != nil {
		return translate(res.Error)
	}
	if res.RowsAffected == 0 {
		return purchase.ErrConcurrentWrite
	}
	return nil
}

func (s *PurchaseStore) take(q *gorm.DB) (purchase.Purchase, error) {
	var row purchaseRow
	if err := q.Take(&row).Error; err != nil {
		return purchase.Purchase{}, notFound(err, purchase.ErrNotFound)
	}
	return row.toPurchase(), nil
}

// Get returns a purchase.
func (s *PurchaseStore) Get(ctx context.Context, orgID, id uuid.UUID) (purchase.Purchase, error) {
	return s.take(s.with(ctx).Where("org_id = ? AND id = ?", orgID, id))
}

// ByExternalID finds a purchase by the shop's order id.
func (s *PurchaseStore) ByExternalID(ctx context.Context, orgID uuid.UUID, externalID string) (purchase.Purchase, error) {
	return s.take(s.with(ctx).Where("org_id = ? AND external_id IS NOT NULL AND external_id = ?", orgID, externalID))
}

var purchaseSortKeys = map[string]sortKey[purchaseRow]{
	"occurred_at": {column: "occurred_at", isTime: true, value: func(r purchaseRow) any { return r.OccurredAt }},
	"created_at":  {column: "created_at", isTime: true, value: func(r purchaseRow) any { return r.CreatedAt }},
}

// List returns a page of purchases matching the filter.
func (s *PurchaseStore) List(ctx context.Context, orgID uuid.UUID, f purchase.Filter, p page.Request) (page.Result[purchase.Purchase], error) {
	q := s.with(ctx).Model(&purchaseRow{}).Where("org_id = ?", orgID)
	if f.CustomerID != nil {
		q = q.Where("customer_id = ?", *f.CustomerID)
	}
	for column, value := range map[string]string{"channel": f.Channel, "status": f.Status} {
		if value != "" {
			q = q.Where(column+" = ?", value)
		}
	}
	for cond, t := range map[string]*time.Time{"occurred_at >= ?": f.OccurredAfter, "occurred_at < ?": f.OccurredBefore} {
		if t != nil {
			q = q.Where(cond, t.UTC())
		}
	}
	return keysetPage(q, p, purchaseSortKeys, func(r purchaseRow) uuid.UUID { return r.ID }, gormScan[purchaseRow](q), purchaseRow.toPurchase)
}

// OrgCurrency returns the organization's currency.
func (s *PurchaseStore) OrgCurrency(ctx context.Context, orgID uuid.UUID) (string, error) {
	var cur string
	err := s.with(ctx).Model(&organizationRow{}).Where("id = ?", orgID).Pluck("currency", &cur).Error
	return cur, translate(err)
}

// RefreshCustomers recomputes customers' purchase figures from their purchases. updated_at stays
// as it is: it is indexed, and an update that touches no indexed column is HOT (fillfactor leaves
// the room). On PostgreSQL one UPDATE … FROM an aggregate does it all (a batch of 1,000 purchases
// had spent most of its time in 1,000 single-row updates); SQLite would sum its text decimals as
// floats, so there the figures are summed as exact decimals in Go: one read, one update each.
func (s *PurchaseStore) RefreshCustomers(ctx context.Context, orgID uuid.UUID, ids []uuid.UUID, currency string) error {
	if s.dialect == Postgres {
		return translate(s.with(ctx).Exec(`UPDATE customers c SET purchase_count = f.n, first_purchase_at = f.first,
				last_purchase_at = f.last, total_spent = f.total, total_spent_currency = CASE WHEN f.n > 0 THEN ?::text END
			FROM (SELECT k.id, count(p.id) AS n, min(p.occurred_at) AS first, max(p.occurred_at) AS last,
					coalesce(sum(CASE WHEN p.currency = ? THEN p.amount - p.refunded_amount END), 0) AS total
				FROM customers k LEFT JOIN purchases p ON p.org_id = k.org_id AND p.customer_id = k.id
				WHERE k.org_id = ? AND k.id IN ? GROUP BY k.id) f
			WHERE c.org_id = ? AND c.id = f.id`, currency, currency, orgID, ids, orgID).Error)
	}
	type figures struct {
		count       int
		total       decimal.Decimal
		first, last *time.Time
	}
	all := make(map[uuid.UUID]*figures, len(ids))
	for _, id := range ids {
		all[id] = &figures{total: decimal.Zero}
	}
	for start := 0; start < len(ids); start += 500 {
		var rows []struct {
			CustomerID             uuid.UUID
			Amount, RefundedAmount decimal.Decimal
			Currency               string
			OccurredAt             time.Time
		}
		err := s.with(ctx).Model(&purchaseRow{}).Select("customer_id, amount, refunded_amount, currency, occurred_at").
			Where("org_id = ? AND customer_id IN ?", orgID, ids[start:min(start+500, len(ids))]).Scan(&rows).Error
		if err != nil {
			return translate(err)
		}
		for i, r := range rows {
			f := all[r.CustomerID]
			f.count++
			if r.Currency == currency {
				f.total = f.total.Add(r.Amount.Sub(r.RefundedAmount))
			}
			if f.first == nil || r.OccurredAt.Before(*f.first) {
				f.first = &rows[i].OccurredAt
			}
			if f.last == nil || r.OccurredAt.After(*f.last) {
				f.last = &rows[i].OccurredAt
			}
		}
	}
	for _, id := range ids {
		f := all[id]
		updates := map[string]any{"purchase_count": f.count, "first_purchase_at": f.first, "last_purchase_at": f.last,
			"total_spent": f.total, "total_spent_currency": nil}
		if f.count > 0 {
			updates["total_spent_currency"] = currency
		}
		if err := s.with(ctx).Model(&customerRow{}).Where("org_id = ? AND id = ?", orgID, id).UpdateColumns(updates).Error; err != nil {
			return translate(err)
		}
	}
	return nil
}

// AddToCustomers adds new purchases to their customers' figures. On PostgreSQL it adds in one
// UPDATE … FROM VALUES, without reading the customers' earlier purchases (recomputing them was
// most of a batch's time: 1,000 customers' purchases lie on as many pages); the row locks of the
// update keep concurrent additions exact. SQLite recomputes.
func (s *PurchaseStore) AddToCustomers(ctx context.Context, orgID uuid.UUID, fresh []purchase.Purchase, currency string) error {
	type sums struct {
		n           int
		total       decimal.Decimal
		first, last time.Time
	}
	byCustomer := map[uuid.UUID]*sums{}
	var ids []uuid.UUID
	for _, p := range fresh {
		c := byCustomer[p.CustomerID]
		if c == nil {
			c = &sums{first: p.OccurredAt, last: p.OccurredAt}
			byCustomer[p.CustomerID] = c
			ids = append(ids, p.CustomerID)
		}
		c.n++
		if p.Amount.Currency == currency {
			c.total = c.total.Add(p.Amount.Amount.Sub(p.RefundedAmount))
		}
		c.first, c.last = minTime(c.first, p.OccurredAt), maxTime(c.last, p.OccurredAt)
	}
	if s.dialect != Postgres {
		return s.RefreshCustomers(ctx, orgID, ids, currency)
	}
	// In customer order, so that concurrent batches lock the rows they share in the same order.
	slices.SortFunc(ids, func(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) })
	counts, totals, firsts, lasts := make([]int64, len(ids)), make([]string, len(ids)), make([]time.Time, len(ids)), make([]time.Time, len(ids))
	for i, id := range ids {
		c := byCustomer[id]
		counts[i], totals[i], firsts[i], lasts[i] = int64(c.n), c.total.String(), c.first.UTC(), c.last.UTC()
	}
	added, _, args := unnest([]pgColumn{{"id", "uuid", pgUUIDs(ids)}, {"n", "int8", counts}, {"total", "numeric", totals},
		{"first", "timestamptz", firsts}, {"last", "timestamptz", lasts}}, 3)
	_, err := s.with(ctx).Statement.ConnPool.ExecContext(ctx, `UPDATE customers c SET purchase_count = c.purchase_count + v.n,
			total_spent = c.total_spent + v.total, total_spent_currency = $2,
			first_purchase_at = LEAST(c.first_purchase_at, v.first), last_purchase_at = GREATEST(c.last_purchase_at, v.last)
		FROM (`+added+`) AS v WHERE c.org_id = $1 AND c.id = v.id`, append([]any{pgUUID(orgID), currency}, args...)...)
	return translate(err)
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// MoveCustomers sets field (lifecycle_stage or status) to "to" on those of the customers whose
// field is "from", and answers which: one UPDATE … RETURNING.
func (s *PurchaseStore) MoveCustomers(ctx context.Context, orgID uuid.UUID, ids []uuid.UUID, field, from, to string, at time.Time) ([]uuid.UUID, error) {
	if field != "lifecycle_stage" && field != "status" {
		return nil, fmt.Errorf("cannot move customers by %q", field)
	}
	if s.dialect == Postgres {
		return s.queryIDs(ctx, "UPDATE customers SET "+field+" = $1, version = version + 1, updated_at = $2 WHERE org_id = $3 AND id = ANY($4::uuid[]) AND "+
			field+" = $5 AND deleted_at IS NULL RETURNING id", to, at, pgUUID(orgID), pgUUIDs(ids), from)
	}
	var moved []uuid.UUID
	err := s.with(ctx).Raw("UPDATE customers SET "+field+" = ?, version = version + 1, updated_at = ? WHERE org_id = ? AND id IN ? AND "+
		field+" = ? AND deleted_at IS NULL RETURNING id", to, at, orgID, ids, from).Scan(&moved).Error
	return moved, translate(err)
}

// InsertMany stores purchases (column-wise, see columnWise, else in multi-row statements) and
// their events; a taken external_id fails the whole call with ErrDuplicate.
func (s *PurchaseStore) InsertMany(ctx context.Context, ps []purchase.Purchase, created []event.Event) error {
	if len(ps) == 0 {
		return nil
	}
	rows := make([]purchaseRow, len(ps))
	for i, p := range ps {
		rows[i] = toPurchaseRow(p)
	}
	var inserted int64
	var err error
	if s.columnWise(len(rows)) {
		inserted, err = s.insertPurchaseColumns(ctx, rows)
	} else {
		res := s.with(ctx).Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(rows, s.chunk())
		inserted, err = res.RowsAffected, translate(res.Error)
	}
	if err != nil {
		return err
	}
	if inserted != int64(len(rows)) {
		return purchase.ErrDuplicate
	}
	return s.RecordEvents(ctx, created)
}

func (s *PurchaseStore) insertPurchaseColumns(ctx context.Context, rows []purchaseRow) (int64, error) {
	n := len(rows)
	orgs, ids, customers := make([]pgtype.UUID, n), make([]pgtype.UUID, n), make([]pgtype.UUID, n)
	externalIDs, items := make([]pgtype.Text, n), make([]pgtype.Text, n)
	amounts, refunded, currencies, channels, statuses := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	occurred, createdAt, updatedAt := make([]time.Time, n), make([]time.Time, n), make([]time.Time, n)
	versions := make([]int64, n)
	for i, r := range rows {
		orgs[i], ids[i], customers[i], externalIDs[i] = pgUUID(r.OrgID), pgUUID(r.ID), pgUUID(r.CustomerID), pgText(r.ExternalID)
		amounts[i], refunded[i], currencies[i], channels[i], statuses[i] = r.Amount.String(), r.RefundedAmount.String(), r.Currency, r.Channel, r.Status
		occurred[i], createdAt[i], updatedAt[i], versions[i] = r.OccurredAt, r.CreatedAt, r.UpdatedAt, r.Version
		var err error
		if items[i], err = pgJSON(r.Items); err != nil {
			return 0, err
		}
	}
	return s.insertColumns(ctx, "purchases", []pgColumn{{"org_id", "uuid", orgs}, {"id", "uuid", ids}, {"customer_id", "uuid", customers},
		{"external_id", "text", externalIDs}, {"amount", "numeric", amounts}, {"refunded_amount", "numeric", refunded},
		{"currency", "text", currencies}, {"occurred_at", "timestamptz", occurred}, {"channel", "text", channels},
		{"items", "jsonb", items}, {"status", "text", statuses}, {"version", "int8", versions},
		{"created_at", "timestamptz", createdAt}, {"updated_at", "timestamptz", updatedAt}}, "ON CONFLICT DO NOTHING")
}

// ByExternalIDs returns the purchases with any of the external ids (on PostgreSQL through
// keyed).
func (s *PurchaseStore) ByExternalIDs(ctx context.Context, orgID uuid.UUID, externalIDs []string) ([]purchase.Purchase, error) {
	var out []purchase.Purchase
	for start := 0; start < len(externalIDs); start += 500 {
		keys := externalIDs[start:min(start+500, len(externalIDs))]
		var rows []purchaseRow
		var err error
		if s.dialect == Postgres {
			err = s.with(ctx).Raw("SELECT purchases.* FROM "+keyed("purchases", "external_id", "external_id IS NOT NULL"), pgArray(keys), orgID).Scan(&rows).Error
		} else {
			err = s.with(ctx).Where("org_id = ? AND external_id IS NOT NULL AND external_id IN ?", orgID, keys).Find(&rows).Error
		}
		if err != nil {
			return nil, translate(err)
		}
		for _, r := range rows {
			out = append(out, r.toPurchase())
		}
	}
	return out, nil
}

// LiveCustomers returns which of the ids are live customers of the organization.
func (s *PurchaseStore) LiveCustomers(ctx context.Context, orgID uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]bool, error) {
	live := map[uuid.UUID]bool{}
	for start := 0; start < len(ids); start += 1000 {
		chunk := ids[start:min(start+1000, len(ids))]
		var found []uuid.UUID
		var err error
		if s.dialect == Postgres {
			found, err = s.queryIDs(ctx, "SELECT id FROM customers WHERE org_id = $1 AND id = ANY($2::uuid[]) AND deleted_at IS NULL", pgUUID(orgID), pgUUIDs(chunk))
		} else {
			err = translate(s.with(ctx).Model(&customerRow{}).Where("org_id = ? AND deleted_at IS NULL AND id IN ?", orgID, chunk).Pluck("id", &found).Error)
		}
		if err != nil {
			return nil, err
		}
		for _, id := range found {
			live[id] = true
		}
	}
	return live, nil
}
