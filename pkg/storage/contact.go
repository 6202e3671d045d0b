package storage

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/rapportcrm/rapport/pkg/contact"
	"github.com/rapportcrm/rapport/pkg/page"
)

// ContactStore keeps the contact history.
type ContactStore struct{ conn }

var _ contact.Store = (*ContactStore)(nil)

// ContactStore returns the store over db.
func (db *DB) ContactStore() *ContactStore {
	return &ContactStore{db.conn}
}

type contactRow struct {
	OrgID           uuid.UUID `gorm:"primaryKey"`
	ID              uuid.UUID `gorm:"primaryKey"`
	CustomerID      uuid.UUID
	Channel         string
	Direction       string
	Subject         string
	Notes           string
	OccurredAt      time.Time
	DurationSeconds *int
	AgentID         *uuid.UUID
	Outcome         string
	FollowUpAt      *time.Time
	Tags            jsonValue[[]string]
	ExternalRef     *string
	SearchText      string
	Version         int64
	CreatedAt       time.Time
	UpdatedAt       time.Time `gorm:"autoUpdateTime:false"`
	DeletedAt       *time.Time
}

func (contactRow) TableName() string { return "contacts" }

func toContactRow(c contact.Contact) contactRow {
	tags := c.Tags
	if tags == nil {
		tags = []string{}
	}
	return contactRow{
		OrgID: c.OrgID, ID: c.ID, CustomerID: c.CustomerID, Channel: c.Channel, Direction: c.Direction, Subject: c.Subject,
		Notes: c.Notes, OccurredAt: c.OccurredAt.UTC(), DurationSeconds: c.DurationSeconds, AgentID: c.AgentID, Outcome: c.Outcome,
		FollowUpAt: utcPtr(c.FollowUpAt), Tags: jsonValue[[]string]{V: tags}, ExternalRef: nullable(c.ExternalRef),
		SearchText: strings.ToLower(c.Subject + " " + c.Notes), Version: c.Version, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
		DeletedAt: c.DeletedAt,
	}
}

func (r contactRow) toContact() contact.Contact {
	c := contact.Contact{
		ID: r.ID, OrgID: r.OrgID, CustomerID: r.CustomerID, Channel: r.Channel, Direction: r.Direction, Subject: r.Subject,
		Notes: r.Notes, OccurredAt: r.OccurredAt.UTC(), DurationSeconds: r.DurationSeconds, AgentID: r.AgentID, Outcome: r.Outcome,
		FollowUpAt: utcPtr(r.FollowUpAt), Tags: r.Tags.V, ExternalRef: deref(r.ExternalRef), Version: r.Version,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), DeletedAt: utcPtr(r.DeletedAt),
	}
	if c.Tags == nil {
		c.Tags = []string{}
	}
	return c
}

func contactWriteErr(err error) error {
	if _, ok := uniqueViolation(err); ok {
		return contact.ErrExternalRef
	}
	return translate(err)
}

// Insert stores a new contact.
func (s *ContactStore) Insert(ctx context.Context, c contact.Contact) error {
	row := toContactRow(c)
	return contactWriteErr(s.with(ctx).Create(&row).Error)
}

// Update overwrites a contact whose stored version is prev.
func (s *ContactStore) Update(ctx context.Context, c contact.Contact, prev int64) error {
	row := toContactRow(c)
	res := s.with(ctx).Model(&contactRow{}).Where("org_id = ? AND id = ? AND version = ?", c.OrgID, c.ID, prev).
		Select("*").Omit("org_id", "id", "created_at").Updates(&row)
	if res.Error != nil {
		return contactWriteErr(res.Error)
	}
	if res.RowsAffected == 0 {
		return contact.ErrConcurrentWrite
	}
	return nil
}

func (s *ContactStore) live(ctx context.Context, orgID uuid.UUID) *gorm.DB {
	return s.with(ctx).Where("org_id = ? AND deleted_at IS NULL", orgID)
}

func (s *ContactStore) take(q *gorm.DB) (contact.Contact, error) {
	var row contactRow
	if err := q.Take(&row).Error; err != nil {
		return contact.Contact{}, notFound(err, contact.ErrNotFound)
	}
	return row.toContact(), nil
}

// Get returns a live contact.
func (s *ContactStore) Get(ctx context.Context, orgID, id uuid.UUID) (contact.Contact, error) {
	return s.take(s.live(ctx, orgID).Where("id = ?", id))
}

// ByExternalRef finds a live contact by the integrator's reference.
func (s *ContactStore) ByExternalRef(ctx context.Context, orgID uuid.UUID, ref string) (contact.Contact, error) {
	return s.take(s.live(ctx, orgID).Where("external_ref IS NOT NULL AND external_ref = ?", ref))
}

var contactSortKeys = map[string]sortKey[contactRow]{
	"occurred_at": {column: "occurred_at", isTime: true, value: func(r contactRow) any { return r.OccurredAt }},
	"created_at":  {column: "created_at", isTime: true, value: func(r contactRow) any { return r.CreatedAt }},
}

// List returns a page of live contacts matching the filter.
func (s *ContactStore) List(ctx context.Context, orgID uuid.UUID, f contact.Filter, p page.Request) (page.Result[contact.Contact], error) {
	q := s.live(ctx, orgID).Model(&contactRow{})
	for column, value := range map[string]string{"channel": f.Channel, "direction": f.Direction, "outcome": f.Outcome} {
		if value != "" {
			q = q.Where(column+" = ?", value)
		}
	}
	for column, id := range map[string]*uuid.UUID{"customer_id": f.CustomerID, "agent_id": f.AgentID} {
		if id != nil {
			q = q.Where(column+" = ?", *id)
		}
	}
	for cond, t := range map[string]*time.Time{"occurred_at >= ?": f.OccurredAfter, "occurred_at < ?": f.OccurredBefore,
		"follow_up_at IS NOT NULL AND follow_up_at <= ?": f.FollowUpDue} {
		if t != nil {
			q = q.Where(cond, t.UTC())
		}
	}
	if f.Q != "" {
		q = q.Where(`search_text LIKE ? ESCAPE '\'`, "%"+likeEscaper.Replace(strings.ToLower(f.Q))+"%")
	}
	return keysetPage(q, p, contactSortKeys, func(r contactRow) uuid.UUID { return r.ID }, gormScan[contactRow](q), contactRow.toContact)
}

// RefreshCustomer recomputes a customer's contact figures.
func (s *ContactStore) RefreshCustomer(ctx context.Context, orgID, customerID uuid.UUID) error {
	return s.refreshContactFigures(ctx, orgID, customerID)
}

// ChannelCounts counts a customer's live contacts per channel.
func (s *ContactStore) ChannelCounts(ctx context.Context, orgID, customerID uuid.UUID) (map[string]int, error) {
	var rows []struct {
		Channel string
		N       int
	}
	err := s.live(ctx, orgID).Model(&contactRow{}).Where("customer_id = ?", customerID).
		Select("channel, count(*) AS n").Group("channel").Scan(&rows).Error
	counts := map[string]int{}
	for _, r := range rows {
		counts[r.Channel] = r.N
	}
	return counts, translate(err)
}

// contactOf tells whether a live contact has the id and belongs to the customer.
func (c conn) contactOf(ctx context.Context, orgID, contactID, customerID uuid.UUID) (bool, error) {
	var n int64
	err := c.with(ctx).Model(&contactRow{}).Where("org_id = ? AND id = ? AND customer_id = ? AND deleted_at IS NULL", orgID, contactID, customerID).Count(&n).Error
	return n > 0, translate(err)
}
