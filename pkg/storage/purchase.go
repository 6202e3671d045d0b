package storage

import (
	"context"
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
type PurchaseStore struct{ conn }

var _ purchase.Store = (*PurchaseStore)(nil)

// PurchaseStore returns the store over db.
func (db *DB) PurchaseStore() *PurchaseStore { return &PurchaseStore{db.conn} }

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
	UpdatedAt      time.Time `gorm:"autoUpdateTime:false"`
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

// InsertMany stores purchases (column-wise, see columnWise, else in multi-row statements) and
// their events; a taken external_id fails the whole call with ErrDuplicate and writes nothing
// (in a transaction, or a savepoint of the caller's).
func (s *PurchaseStore) InsertMany(ctx context.Context, ps []purchase.Purchase, created []event.Event) error {
	if len(ps) == 0 {
		return nil
	}
	rows := make([]purchaseRow, len(ps))
	for i, p := range ps {
		rows[i] = toPurchaseRow(p)
	}
	return s.InTx(ctx, func(ctx context.Context) error {
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
	})
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

// OrgCurrency returns the organization's currency.
func (s *PurchaseStore) OrgCurrency(ctx context.Context, orgID uuid.UUID) (string, error) {
	return s.orgCurrency(ctx, orgID)
}

// RefreshCustomers recomputes customers' purchase figures from their purchases.
func (s *PurchaseStore) RefreshCustomers(ctx context.Context, orgID uuid.UUID, ids []uuid.UUID, currency string) error {
	return s.refreshPurchaseFigures(ctx, orgID, ids, currency)
}

// AddToCustomers adds new purchases to their customers' figures.
func (s *PurchaseStore) AddToCustomers(ctx context.Context, orgID uuid.UUID, fresh []purchase.Purchase, currency string) error {
	return s.addPurchaseFigures(ctx, orgID, fresh, currency)
}

// MoveCustomers moves those of the customers whose field is "from" to "to".
func (s *PurchaseStore) MoveCustomers(ctx context.Context, orgID uuid.UUID, ids []uuid.UUID, field, from, to string, at time.Time) ([]uuid.UUID, error) {
	return s.moveCustomers(ctx, orgID, ids, field, from, to, at)
}
