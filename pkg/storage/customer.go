package storage

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"gorm.io/gorm"

	"github.com/rapportcrm/rapport/pkg/customer"
	"github.com/rapportcrm/rapport/pkg/event"
	"github.com/rapportcrm/rapport/pkg/money"
	"github.com/rapportcrm/rapport/pkg/page"
	"github.com/rapportcrm/rapport/pkg/purchase"
)

// CustomerStore keeps customers.
type CustomerStore struct{ conn }

var _ customer.Store = (*CustomerStore)(nil)

// CustomerStore returns the store over db.
func (db *DB) CustomerStore() *CustomerStore { return &CustomerStore{db.conn} }

type addressJSON struct {
	Line1      string `json:"line1,omitempty"`
	Line2      string `json:"line2,omitempty"`
	City       string `json:"city,omitempty"`
	Region     string `json:"region,omitempty"`
	PostalCode string `json:"postal_code,omitempty"`
	Country    string `json:"country,omitempty"`
}

type customerRow struct {
	OrgID                   uuid.UUID `gorm:"primaryKey"`
	ID                      uuid.UUID `gorm:"primaryKey"`
	ExternalID              *string
	FirstName               string
	LastName                string
	Email                   *string
	Phone                   string
	Company                 string
	JobTitle                string
	Address                 jsonValue[*addressJSON]
	Birthday                *time.Time
	Tags                    jsonValue[[]string]
	CustomFields            jsonValue[map[string]any]
	OwnerID                 *uuid.UUID
	ReferredByID            *uuid.UUID
	LifecycleStage          string
	Status                  string
	Source                  string
	AcquisitionCostAmount   decimal.NullDecimal
	AcquisitionCostCurrency *string
	MarketingConsent        bool
	MarketingConsentAt      *time.Time
	PreferredChannel        string
	Interests               jsonValue[[]string]
	LastContactedAt         *time.Time
	ContactCount            int
	FirstPurchaseAt         *time.Time
	LastPurchaseAt          *time.Time
	PurchaseCount           int
	TotalSpent              decimal.Decimal
	TotalSpentCurrency      *string
	SearchText              string
	Version                 int64
	CreatedAt               time.Time
	UpdatedAt               time.Time `gorm:"autoUpdateTime:false"`
	DeletedAt               *time.Time
	MergedIntoID            *uuid.UUID
}

func (customerRow) TableName() string { return "customers" }

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// searchText is what q= searches: names, email, phone and company, lower-cased.
func searchText(c customer.Customer) string {
	return strings.ToLower(strings.Join([]string{c.FirstName, c.LastName, c.Email, c.Phone, c.Company}, " "))
}

func toCustomerRow(c customer.Customer) customerRow {
	r := customerRow{
		OrgID: c.OrgID, ID: c.ID, ExternalID: nullable(c.ExternalID), FirstName: c.FirstName, LastName: c.LastName,
		Email: nullable(c.Email), Phone: c.Phone, Company: c.Company, JobTitle: c.JobTitle, Birthday: c.Birthday,
		Tags: jsonValue[[]string]{V: c.Tags}, CustomFields: jsonValue[map[string]any]{V: c.CustomFields}, OwnerID: c.OwnerID, ReferredByID: c.ReferredByID,
		LifecycleStage: string(c.LifecycleStage), Status: string(c.Status), Source: c.Source,
		MarketingConsent: c.MarketingConsent, MarketingConsentAt: c.MarketingConsentAt, PreferredChannel: c.PreferredChannel,
		Interests: jsonValue[[]string]{V: c.Interests}, SearchText: searchText(c), Version: c.Version,
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, DeletedAt: c.DeletedAt, MergedIntoID: c.MergedIntoID,
	}
	if a := c.Address; a != nil {
		r.Address.V = &addressJSON{a.Line1, a.Line2, a.City, a.Region, a.PostalCode, a.Country}
	}
	if m := c.AcquisitionCost; m != nil {
		r.AcquisitionCostAmount = decimal.NullDecimal{Decimal: m.Amount, Valid: true}
		r.AcquisitionCostCurrency = &m.Currency
	}
	// JSON columns are NOT NULL: an absent list or object is stored empty.
	if r.Tags.V == nil {
		r.Tags.V = []string{}
	}
	if r.Interests.V == nil {
		r.Interests.V = []string{}
	}
	if r.CustomFields.V == nil {
		r.CustomFields.V = map[string]any{}
	}
	return r
}

// customerColumns are the columns scanCustomer reads, in its order. Reads scan by hand: GORM's
// reflection was a fifth of a list page's CPU time.
const customerColumns = `org_id, id, external_id, first_name, last_name, email, phone, company, job_title, address,
	birthday, tags, custom_fields, owner_id, lifecycle_stage, status, source, acquisition_cost_amount,
	acquisition_cost_currency, marketing_consent, marketing_consent_at, preferred_channel, interests, search_text,
	version, created_at, updated_at, deleted_at, merged_into_id, last_contacted_at, contact_count,
	first_purchase_at, last_purchase_at, purchase_count, total_spent, total_spent_currency, referred_by_id`

const customerColumnCount = 37

// customerValues are a row's values in customerColumns' order.
func customerValues(r customerRow) []any {
	return []any{r.OrgID, r.ID, r.ExternalID, r.FirstName, r.LastName, r.Email, r.Phone, r.Company, r.JobTitle,
		r.Address, r.Birthday, r.Tags, r.CustomFields, r.OwnerID, r.LifecycleStage, r.Status, r.Source,
		r.AcquisitionCostAmount, r.AcquisitionCostCurrency, r.MarketingConsent, r.MarketingConsentAt,
		r.PreferredChannel, r.Interests, r.SearchText, r.Version, r.CreatedAt, r.UpdatedAt, r.DeletedAt, r.MergedIntoID,
		r.LastContactedAt, r.ContactCount, r.FirstPurchaseAt, r.LastPurchaseAt, r.PurchaseCount, r.TotalSpent, r.TotalSpentCurrency,
		r.ReferredByID}
}

// scoreColumns are the analytics scores read with a customer, from the LEFT JOINs of withScores.
const scoreColumns = `r.as_of, r.last_purchase_at, r.frequency, r.monetary, r.r_score, r.f_score, r.m_score, r.segment,
	r.revenue_12m, r.key_account, v.as_of, v.p_alive, v.churn_risk, v.expected_purchases_90, v.expected_purchases_365,
	v.expected_order_value, v.clv, v.quadrant`

// scoreJoins add a customer's scores to a read of customers.
const scoreJoins = `LEFT JOIN rfm_scores r ON r.org_id = customers.org_id AND r.customer_id = customers.id
	LEFT JOIN clv_scores v ON v.org_id = customers.org_id AND v.customer_id = customers.id`

// withScores reads customers with their scores; conditions must then name customers.org_id.
func withScores(q *gorm.DB) *gorm.DB {
	return q.Model(&customerRow{}).Select(qualifiedCustomerColumns + ", " + scoreColumns).Joins(scoreJoins)
}

// getCustomer reads one live customer with its scores: the hottest read, written out in full
// rather than built by GORM on every request.
var getCustomer = "SELECT " + qualifiedCustomerColumns + ", " + scoreColumns + " FROM customers " + scoreJoins +
	" WHERE customers.org_id = ? AND customers.id = ? AND customers.deleted_at IS NULL"

var qualifiedCustomerColumns = "customers." + strings.Join(strings.Fields(strings.ReplaceAll(customerColumns, ",", " ")), ", customers.")

type scoresRow struct {
	RFMAsOf, LastPurchaseAt                  *time.Time
	Frequency, R, F, M                       sql.NullInt64
	Monetary, Revenue12M                     decimal.NullDecimal
	Segment                                  sql.NullString
	KeyAccount                               sql.NullBool
	ValueAsOf                                *time.Time
	PAlive, ChurnRisk, Exp90, Exp365, AOV, V sql.NullFloat64
	Quadrant                                 sql.NullString
}

func (r scoresRow) apply(c *customer.Customer) {
	if r.RFMAsOf != nil {
		m, _ := r.Monetary.Decimal.Float64()
		rev, _ := r.Revenue12M.Decimal.Float64()
		c.RFM = &customer.RFM{AsOf: r.RFMAsOf.UTC(), LastPurchaseAt: r.LastPurchaseAt.UTC(), Frequency: int(r.Frequency.Int64),
			Monetary: m, Recency: int(r.R.Int64), FrequencyScore: int(r.F.Int64), MonetaryScore: int(r.M.Int64),
			Segment: r.Segment.String, Revenue12M: rev, KeyAccount: r.KeyAccount.Bool}
	}
	if r.ValueAsOf != nil {
		c.Value = &customer.Value{AsOf: r.ValueAsOf.UTC(), PAlive: r.PAlive.Float64, ChurnRisk: r.ChurnRisk.Float64,
			ExpectedPurchases90: r.Exp90.Float64, ExpectedPurchases365: r.Exp365.Float64, ExpectedOrderValue: r.AOV.Float64,
			CLV: r.V.Float64, Quadrant: r.Quadrant.String}
	}
}

// scanScored reads a row of withScores.
func scanScored(row interface{ Scan(...any) error }) (scoredRow, error) {
	var r scoredRow
	s := &r.scores
	err := row.Scan(append(r.customerRow.targets(), &s.RFMAsOf, &s.LastPurchaseAt, &s.Frequency, &s.Monetary, &s.R, &s.F, &s.M,
		&s.Segment, &s.Revenue12M, &s.KeyAccount, &s.ValueAsOf, &s.PAlive, &s.ChurnRisk, &s.Exp90, &s.Exp365, &s.AOV, &s.V,
		&s.Quadrant)...)
	return r, err
}

type scoredRow struct {
	customerRow
	scores scoresRow
}

func (r scoredRow) toCustomer() customer.Customer {
	c := r.customerRow.toCustomer()
	r.scores.apply(&c)
	return c
}

// targets are the scan destinations of customerColumns.
func (r *customerRow) targets() []any {
	return []any{&r.OrgID, &r.ID, &r.ExternalID, &r.FirstName, &r.LastName, &r.Email, &r.Phone, &r.Company, &r.JobTitle,
		&r.Address, &r.Birthday, &r.Tags, &r.CustomFields, &r.OwnerID, &r.LifecycleStage, &r.Status, &r.Source,
		&r.AcquisitionCostAmount, &r.AcquisitionCostCurrency, &r.MarketingConsent, &r.MarketingConsentAt,
		&r.PreferredChannel, &r.Interests, &r.SearchText, &r.Version, &r.CreatedAt, &r.UpdatedAt, &r.DeletedAt, &r.MergedIntoID,
		&r.LastContactedAt, &r.ContactCount, &r.FirstPurchaseAt, &r.LastPurchaseAt, &r.PurchaseCount, &r.TotalSpent, &r.TotalSpentCurrency,
		&r.ReferredByID}
}

func (r customerRow) toCustomer() customer.Customer {
	c := customer.Customer{
		ID: r.ID, OrgID: r.OrgID, ExternalID: deref(r.ExternalID), FirstName: r.FirstName, LastName: r.LastName,
		Email: deref(r.Email), Phone: r.Phone, Company: r.Company, JobTitle: r.JobTitle, Tags: r.Tags.V,
		CustomFields: r.CustomFields.V, OwnerID: r.OwnerID, ReferredByID: r.ReferredByID, LifecycleStage: customer.LifecycleStage(r.LifecycleStage),
		Status: customer.Status(r.Status), Source: r.Source, MarketingConsent: r.MarketingConsent,
		MarketingConsentAt: utcPtr(r.MarketingConsentAt), PreferredChannel: r.PreferredChannel, Interests: r.Interests.V,
		Version: r.Version, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), DeletedAt: utcPtr(r.DeletedAt),
		MergedIntoID: r.MergedIntoID, LastContactedAt: utcPtr(r.LastContactedAt), ContactCount: r.ContactCount,
		FirstPurchaseAt: utcPtr(r.FirstPurchaseAt), LastPurchaseAt: utcPtr(r.LastPurchaseAt), PurchaseCount: r.PurchaseCount,
	}
	if r.TotalSpentCurrency != nil {
		c.TotalSpent = &money.Money{Amount: r.TotalSpent, Currency: *r.TotalSpentCurrency}
	}
	if a := r.Address.V; a != nil {
		c.Address = &customer.Address{Line1: a.Line1, Line2: a.Line2, City: a.City, Region: a.Region, PostalCode: a.PostalCode, Country: a.Country}
	}
	if r.Birthday != nil {
		b := time.Date(r.Birthday.Year(), r.Birthday.Month(), r.Birthday.Day(), 0, 0, 0, 0, time.UTC)
		c.Birthday = &b
	}
	if r.AcquisitionCostAmount.Valid {
		c.AcquisitionCost = &money.Money{Amount: r.AcquisitionCostAmount.Decimal, Currency: deref(r.AcquisitionCostCurrency)}
	}
	if c.Tags == nil {
		c.Tags = []string{}
	}
	if c.Interests == nil {
		c.Interests = []string{}
	}
	if c.CustomFields == nil {
		c.CustomFields = map[string]any{}
	}
	return c
}

func customerWriteErr(err error) error {
	if name, ok := uniqueViolation(err); ok {
		if strings.Contains(name, "external_id") {
			return customer.ErrExternalIDTaken
		}
		return customer.ErrEmailTaken
	}
	return translate(err)
}

// Insert stores a new customer and its creation event. ON CONFLICT DO NOTHING turns a duplicate
// into "no row" rather than an error, which would abort a PostgreSQL transaction before the caller
// can look up the existing customer. On PostgreSQL both rows go in one statement: one round trip,
// and atomic without a transaction.
func (s *CustomerStore) Insert(ctx context.Context, c customer.Customer, created event.Event) error {
	insert := "INSERT INTO customers (" + customerColumns + ") VALUES " + rowPlaceholders(customerColumnCount, 1) + " ON CONFLICT DO NOTHING"
	values := customerValues(toCustomerRow(c))
	if s.dialect == Postgres {
		q := "WITH c AS (" + insert + " RETURNING 1) INSERT INTO events (" + eventColumns + ") SELECT " +
			strings.Trim(placeholders(eventColumnCount), "()") + " FROM c"
		res := s.with(ctx).Exec(q, append(values, eventValues(created)...)...)
		if res.Error != nil {
			return customerWriteErr(res.Error)
		}
		if res.RowsAffected == 0 {
			return customer.ErrDuplicate
		}
		return nil
	}
	return s.InTx(ctx, func(ctx context.Context) error {
		res := s.with(ctx).Exec(insert, values...)
		if res.Error != nil {
			return customerWriteErr(res.Error)
		}
		if res.RowsAffected == 0 {
			return customer.ErrDuplicate
		}
		return s.RecordEvent(ctx, created)
	})
}

// InsertMany stores new customers with multi-row statements, skipping duplicates (ON CONFLICT DO
// NOTHING), then the creation events of those it inserted.
func (s *CustomerStore) InsertMany(ctx context.Context, cs []customer.Customer, created []event.Event) (map[uuid.UUID]bool, error) {
	inserted := make(map[uuid.UUID]bool, len(cs))
	size := s.chunk()
	for start := 0; start < len(cs); start += size {
		chunk := cs[start:min(start+size, len(cs))]
		values := make([]any, 0, len(chunk)*customerColumnCount)
		for _, c := range chunk {
			values = append(values, customerValues(toCustomerRow(c))...)
		}
		rows, err := s.with(ctx).Raw("INSERT INTO customers ("+customerColumns+") VALUES "+
			rowPlaceholders(customerColumnCount, len(chunk))+" ON CONFLICT DO NOTHING RETURNING id", values...).Rows()
		if err != nil {
			return nil, customerWriteErr(err)
		}
		for rows.Next() {
			var id uuid.UUID
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, translate(err)
			}
			inserted[id] = true
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, customerWriteErr(err)
		}
	}
	var events []event.Event
	for _, e := range created {
		if inserted[e.SubjectID] {
			events = append(events, e)
		}
	}
	return inserted, s.RecordEvents(ctx, events)
}

// derivedColumns are kept by the contact history and the purchases, never by a customer update.
var derivedColumns = []string{"last_contacted_at", "contact_count", "first_purchase_at", "last_purchase_at",
	"purchase_count", "total_spent", "total_spent_currency"}

// Update overwrites a customer whose stored version is prev; derivedColumns stay as they are.
func (s *CustomerStore) Update(ctx context.Context, c customer.Customer, prev int64) error {
	row := toCustomerRow(c)
	res := s.with(ctx).Model(&customerRow{}).Where("org_id = ? AND id = ? AND version = ?", c.OrgID, c.ID, prev).
		Select("*").Omit(append([]string{"org_id", "id", "created_at"}, derivedColumns...)...).Updates(&row)
	if res.Error != nil {
		return customerWriteErr(res.Error)
	}
	if res.RowsAffected == 0 {
		return customer.ErrConcurrentWrite
	}
	return nil
}

func (s *CustomerStore) take(q *gorm.DB) (customer.Customer, error) {
	return scanOne(withScores(q).Limit(1).Row())
}

func scanOne(r *sql.Row) (customer.Customer, error) {
	row, err := scanScored(r)
	if errors.Is(err, sql.ErrNoRows) {
		return customer.Customer{}, customer.ErrNotFound
	}
	if err != nil {
		return customer.Customer{}, translate(err)
	}
	return row.toCustomer(), nil
}

func (s *CustomerStore) live(ctx context.Context, orgID uuid.UUID) *gorm.DB {
	return s.with(ctx).Where("customers.org_id = ? AND customers.deleted_at IS NULL", orgID)
}

// Get returns a live customer.
func (s *CustomerStore) Get(ctx context.Context, orgID, id uuid.UUID) (customer.Customer, error) {
	return scanOne(s.with(ctx).Raw(getCustomer, orgID, id).Row())
}

// GetMany returns the live customers among ids, without their scores (on PostgreSQL with the
// ids as one array).
func (s *CustomerStore) GetMany(ctx context.Context, orgID uuid.UUID, ids []uuid.UUID) ([]customer.Customer, error) {
	var out []customer.Customer
	for start := 0; start < len(ids); start += 1000 {
		chunk := ids[start:min(start+1000, len(ids))]
		q := s.live(ctx, orgID).Where("id IN ?", chunk)
		if s.dialect == Postgres {
			q = s.live(ctx, orgID).Where("id = ANY(?)", pgArray(pgUUIDs(chunk)))
		}
		var rows []customerRow
		if err := q.Find(&rows).Error; err != nil {
			return nil, translate(err)
		}
		for _, r := range rows {
			out = append(out, r.toCustomer())
		}
	}
	return out, nil
}

// GetDeleted returns a soft-deleted customer.
func (s *CustomerStore) GetDeleted(ctx context.Context, orgID, id uuid.UUID) (customer.Customer, error) {
	return s.take(s.with(ctx).Where("customers.org_id = ? AND id = ? AND customers.deleted_at IS NOT NULL", orgID, id))
}

// ByExternalID finds a live customer by the integrator's key.
func (s *CustomerStore) ByExternalID(ctx context.Context, orgID uuid.UUID, externalID string) (customer.Customer, error) {
	// IS NOT NULL lets SQLite use the partial unique index (PostgreSQL infers it).
	return s.take(s.live(ctx, orgID).Where("external_id IS NOT NULL AND external_id = ?", externalID))
}

// ByEmail finds a live customer by email, ignoring case.
func (s *CustomerStore) ByEmail(ctx context.Context, orgID uuid.UUID, email string) (customer.Customer, error) {
	return s.take(s.live(ctx, orgID).Where("email IS NOT NULL AND lower(email) = ?", strings.ToLower(email)))
}

// Matching returns the live customers with any of the external ids or lower-cased emails, through
// the two partial unique indexes (on PostgreSQL through keyed).
func (s *CustomerStore) Matching(ctx context.Context, orgID uuid.UUID, externalIDs, emails []string) ([]customer.Customer, error) {
	var out []customer.Customer
	for column, keys := range map[string][]string{"external_id": externalIDs, "lower(email)": emails} {
		if len(keys) == 0 {
			continue
		}
		nullable := strings.TrimSuffix(strings.TrimPrefix(column, "lower("), ")")
		match := withScores(s.live(ctx, orgID)).Where(nullable+" IS NOT NULL AND "+column+" IN ?", keys)
		if s.dialect == Postgres {
			match = s.with(ctx).Raw("SELECT "+qualifiedCustomerColumns+", "+scoreColumns+" FROM "+
				keyed("customers", column, nullable+" IS NOT NULL AND deleted_at IS NULL")+" "+scoreJoins, pgArray(keys), orgID)
		}
		rows, err := match.Rows()
		if err != nil {
			return nil, translate(err)
		}
		for rows.Next() {
			r, err := scanScored(rows)
			if err != nil {
				rows.Close()
				return nil, translate(err)
			}
			out = append(out, r.toCustomer())
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, translate(err)
		}
	}
	return out, nil
}

var customerSortKeys = map[string]sortKey[scoredRow]{
	"created_at": {column: "created_at", isTime: true, value: func(r scoredRow) any { return r.CreatedAt }},
	"updated_at": {column: "updated_at", isTime: true, value: func(r scoredRow) any { return r.UpdatedAt }},
	"last_name":  {column: "last_name", value: func(r scoredRow) any { return r.LastName }},
	"clv":        {column: "v.clv", isFloat: true, value: func(r scoredRow) any { return r.scores.V.Float64 }},
}

// likeEscaper makes user text literal inside a LIKE pattern.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// List returns a page of live customers matching the filter.
func (s *CustomerStore) List(ctx context.Context, orgID uuid.UUID, f customer.Filter, p page.Request) (page.Result[customer.Customer], error) {
	q := s.live(ctx, orgID)
	if f.RFMSegment != "" {
		q = q.Where("r.segment = ?", f.RFMSegment)
	}
	if f.ChurnRiskAbove != nil {
		q = q.Where("v.churn_risk > ?", *f.ChurnRiskAbove)
	}
	if p.Sort == "clv" {
		q = q.Where("v.clv IS NOT NULL")
	}
	if f.Q != "" {
		q = q.Where(`search_text LIKE ? ESCAPE '\'`, "%"+likeEscaper.Replace(strings.ToLower(f.Q))+"%")
	}
	if f.Email != "" {
		q = q.Where("email IS NOT NULL AND lower(email) = ?", strings.ToLower(f.Email))
	}
	for _, tag := range f.Tags {
		if s.dialect == Postgres {
			b, _ := json.Marshal([]string{strings.ToLower(tag)})
			q = q.Where("tags @> ?::jsonb", string(b))
		} else {
			q = q.Where("EXISTS (SELECT 1 FROM json_each(customers.tags) WHERE json_each.value = ?)", strings.ToLower(tag))
		}
	}
	for column, value := range map[string]string{"lifecycle_stage": string(f.LifecycleStage), "status": string(f.Status), "source": f.Source} {
		if value != "" {
			q = q.Where(column+" = ?", value)
		}
	}
	if f.OwnerID != nil {
		q = q.Where("owner_id = ?", *f.OwnerID)
	}
	for cond, t := range map[string]*time.Time{"created_at >= ?": f.CreatedAfter, "created_at < ?": f.CreatedBefore, "updated_at >= ?": f.UpdatedAfter} {
		if t != nil {
			q = q.Where(cond, t.UTC())
		}
	}
	return keysetPage(withScores(q), p, customerSortKeys, func(r scoredRow) uuid.UUID { return r.ID },
		func(rows *sql.Rows) (scoredRow, error) { return scanScored(rows) }, scoredRow.toCustomer)
}

// MoveRecords re-points the duplicate's contacts, feedback, purchases and referrals to the
// survivor and recomputes both customers' contact and purchase figures.
func (s *CustomerStore) MoveRecords(ctx context.Context, orgID, fromID, toID uuid.UUID) error {
	for _, table := range []string{"contacts", "feedback", "purchases"} {
		err := s.with(ctx).Exec("UPDATE "+table+" SET customer_id = ? WHERE org_id = ? AND customer_id = ?", toID, orgID, fromID).Error
		if err != nil {
			return translate(err)
		}
	}
	// Whom the duplicate referred, the survivor referred (the survivor's own record is the merge's).
	err := s.with(ctx).Exec(`UPDATE customers SET referred_by_id = ?, version = version + 1
		WHERE org_id = ? AND referred_by_id IS NOT NULL AND referred_by_id = ? AND id <> ?`, toID, orgID, fromID, toID).Error
	if err != nil {
		return translate(err)
	}
	currency, err := s.orgCurrency(ctx, orgID)
	if err != nil {
		return err
	}
	for _, id := range []uuid.UUID{fromID, toID} {
		if err := s.refreshContactFigures(ctx, orgID, id); err != nil {
			return err
		}
	}
	return s.refreshPurchaseFigures(ctx, orgID, []uuid.UUID{fromID, toID}, currency)
}

// Live returns which of the ids are live customers of the organization.
func (s *CustomerStore) Live(ctx context.Context, orgID uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]bool, error) {
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

// refreshContactFigures recomputes a customer's contact figures from its live contacts, in one
// statement over the customer's slice of the contacts index.
func (c conn) refreshContactFigures(ctx context.Context, orgID, customerID uuid.UUID) error {
	err := c.with(ctx).Exec(`UPDATE customers SET
		last_contacted_at = (SELECT max(occurred_at) FROM contacts WHERE org_id = ? AND customer_id = ? AND deleted_at IS NULL),
		contact_count = (SELECT count(*) FROM contacts WHERE org_id = ? AND customer_id = ? AND deleted_at IS NULL)
		WHERE org_id = ? AND id = ?`, orgID, customerID, orgID, customerID, orgID, customerID).Error
	return translate(err)
}

// refreshPurchaseFigures recomputes customers' purchase figures from their purchases. updated_at stays
// as it is: it is indexed, and an update that touches no indexed column is HOT (fillfactor leaves
// the room). On PostgreSQL one UPDATE … FROM an aggregate does it all (a batch of 1,000 purchases
// had spent most of its time in 1,000 single-row updates); SQLite would sum its text decimals as
// floats, so there the figures are summed as exact decimals in Go: one read, one update each.
func (c conn) refreshPurchaseFigures(ctx context.Context, orgID uuid.UUID, ids []uuid.UUID, currency string) error {
	if c.dialect == Postgres {
		return translate(c.with(ctx).Exec(`UPDATE customers c SET purchase_count = f.n, first_purchase_at = f.first,
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
		err := c.with(ctx).Model(&purchaseRow{}).Select("customer_id, amount, refunded_amount, currency, occurred_at").
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
		if err := c.with(ctx).Model(&customerRow{}).Where("org_id = ? AND id = ?", orgID, id).UpdateColumns(updates).Error; err != nil {
			return translate(err)
		}
	}
	return nil
}

// addPurchaseFigures adds new purchases to their customers' figures. On PostgreSQL it adds in one
// UPDATE … FROM VALUES, without reading the customers' earlier purchases (recomputing them was
// most of a batch's time: 1,000 customers' purchases lie on as many pages); the row locks of the
// update keep concurrent additions exact. SQLite recomputes.
func (c conn) addPurchaseFigures(ctx context.Context, orgID uuid.UUID, fresh []purchase.Purchase, currency string) error {
	type sums struct {
		n           int
		total       decimal.Decimal
		first, last time.Time
	}
	byCustomer := map[uuid.UUID]*sums{}
	var ids []uuid.UUID
	for _, p := range fresh {
		sum := byCustomer[p.CustomerID]
		if sum == nil {
			sum = &sums{first: p.OccurredAt, last: p.OccurredAt}
			byCustomer[p.CustomerID] = sum
			ids = append(ids, p.CustomerID)
		}
		sum.n++
		if p.Amount.Currency == currency {
			sum.total = sum.total.Add(p.Amount.Amount.Sub(p.RefundedAmount))
		}
		sum.first, sum.last = minTime(sum.first, p.OccurredAt), maxTime(sum.last, p.OccurredAt)
	}
	if c.dialect != Postgres {
		return c.refreshPurchaseFigures(ctx, orgID, ids, currency)
	}
	// In customer order, so that concurrent batches lock the rows they share in the same order.
	slices.SortFunc(ids, func(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) })
	counts, totals, firsts, lasts := make([]int64, len(ids)), make([]string, len(ids)), make([]time.Time, len(ids)), make([]time.Time, len(ids))
	for i, id := range ids {
		sum := byCustomer[id]
		counts[i], totals[i], firsts[i], lasts[i] = int64(sum.n), sum.total.String(), sum.first.UTC(), sum.last.UTC()
	}
	added, _, args := unnest([]pgColumn{{"id", "uuid", pgUUIDs(ids)}, {"n", "int8", counts}, {"total", "numeric", totals},
		{"first", "timestamptz", firsts}, {"last", "timestamptz", lasts}}, 3)
	_, err := c.with(ctx).Statement.ConnPool.ExecContext(ctx, `UPDATE customers c SET purchase_count = c.purchase_count + v.n,
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

// moveCustomers sets field (lifecycle_stage or status) to "to" on those of the customers whose
// field is "from", and answers which: one UPDATE … RETURNING.
func (c conn) moveCustomers(ctx context.Context, orgID uuid.UUID, ids []uuid.UUID, field, from, to string, at time.Time) ([]uuid.UUID, error) {
	if field != "lifecycle_stage" && field != "status" {
		return nil, fmt.Errorf("cannot move customers by %q", field)
	}
	if c.dialect == Postgres {
		return c.queryIDs(ctx, "UPDATE customers SET "+field+" = $1, version = version + 1, updated_at = $2 WHERE org_id = $3 AND id = ANY($4::uuid[]) AND "+
			field+" = $5 AND deleted_at IS NULL RETURNING id", to, at, pgUUID(orgID), pgUUIDs(ids), from)
	}
	var moved []uuid.UUID
	err := c.with(ctx).Raw("UPDATE customers SET "+field+" = ?, version = version + 1, updated_at = ? WHERE org_id = ? AND id IN ? AND "+
		field+" = ? AND deleted_at IS NULL RETURNING id", to, at, orgID, ids, from).Scan(&moved).Error
	return moved, translate(err)
}

// mergedInto lists the customers merged into the survivor.
func (c conn) mergedInto(ctx context.Context, orgID, survivorID uuid.UUID) ([]uuid.UUID, error) {
	var ids []uuid.UUID
	err := c.with(ctx).Model(&customerRow{}).Where("org_id = ? AND merged_into_id = ?", orgID, survivorID).Pluck("id", &ids).Error
	return ids, translate(err)
}
