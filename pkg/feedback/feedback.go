// Package feedback owns what customers tell the organization: survey answers (NPS, CSAT, CES),
// complaints with their handling workflow and service levels, suggestions and compliments.
package feedback

import (
	"context"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/rapportcrm/rapport/pkg/apperr"
	"github.com/rapportcrm/rapport/pkg/event"
	"github.com/rapportcrm/rapport/pkg/page"
)

// Kinds of feedback.
const (
	KindNPS        = "nps"
	KindCSAT       = "csat"
	KindCES        = "ces"
	KindComplaint  = "complaint"
	KindSuggestion = "suggestion"
	KindCompliment = "compliment"
)

// Kinds lists every kind.
var Kinds = []string{KindNPS, KindCSAT, KindCES, KindComplaint, KindSuggestion, KindCompliment}

// Scales are the score ranges of the survey kinds.
var Scales = map[string][2]int{KindNPS: {0, 10}, KindCSAT: {1, 5}, KindCES: {1, 7}}

// Priorities of a complaint, most pressing first.
var Priorities = []string{"urgent", "high", "normal", "low"}

// Complaint statuses and the workflow between them.
var (
	ComplaintStatuses = []string{"open", "acknowledged", "in_progress", "resolved", "closed", "reopened"}
	transitions       = map[string][]string{
		"open":         {"acknowledged"},
		"acknowledged": {"in_progress"},
		"in_progress":  {"resolved"},
		"resolved":     {"closed", "reopened"},
		"reopened":     {"in_progress"},
		"closed":       {},
	}
	SuggestionStatuses = []string{"new", "under_review", "planned", "implemented", "declined"}
)

// Next lists the statuses a complaint may move to from status.
func Next(status string) []string { return slices.Clone(transitions[status]) }

// Feedback is one piece of feedback from a customer.
type Feedback struct {
	ID         uuid.UUID
	OrgID      uuid.UUID
	CustomerID uuid.UUID
	Kind       string
	Score      *int
	Comment    string
	Channel    string
	Survey     string
	ContactID  *uuid.UUID
	// Complaints.
	Subject            string
	Description        string
	Priority           string
	AssigneeID         *uuid.UUID
	Resolution         string
	FirstResponseAt    *time.Time
	ResolvedAt         *time.Time
	FirstResponseDueAt *time.Time
	ResolutionDueAt    *time.Time
	// Suggestions: the answer to the customer.
	Response string
	// Complaints and suggestions.
	Status    string
	Version   int64
	CreatedAt time.Time
	UpdatedAt time.Time
	DeletedAt *time.Time
}

// SLA is the service level for complaints of one priority.
type SLA struct {
	Priority      string
	FirstResponse time.Duration
	Resolution    time.Duration
}

// DefaultSLAs apply until an admin sets others.
var DefaultSLAs = []SLA{
	{"urgent", time.Hour, 8 * time.Hour},
	{"high", 4 * time.Hour, 24 * time.Hour},
	{"normal", 8 * time.Hour, 72 * time.Hour},
	{"low", 24 * time.Hour, 168 * time.Hour},
}

// SLA states.
const (
	SLAMet      = "met"
	SLABreached = "breached"
	SLARunning  = "running"
)

// SLAState tells whether a target was met, breached or is still running at now.
func SLAState(due, done *time.Time, now time.Time) string {
	switch {
	case due == nil:
		return ""
	case done != nil && !done.After(*due):
		return SLAMet
	case done != nil || now.After(*due):
		return SLABreached
	}
	return SLARunning
}

// Transition is one recorded move of a complaint's status.
type Transition struct {
	From, To, Note string
	Actor          event.Actor
	At             time.Time
}

// Filter narrows a feedback list.
type Filter struct {
	CustomerID    *uuid.UUID
	Kind          string
	Status        string
	Priority      string
	AssigneeID    *uuid.UUID
	Survey        string
	Channel       string
	CreatedAfter  *time.Time
	CreatedBefore *time.Time
	// OpenComplaints keeps complaints not yet resolved or closed.
	OpenComplaints bool
}

// SortFields are the fields a feedback list can be sorted by.
var SortFields = []string{"created_at"}

// Errors.
var (
	ErrNotFound        = apperr.New(apperr.KindNotFound, "feedback not found")
	ErrVersionConflict = apperr.New(apperr.KindPreconditionFailed, "the feedback has changed since the version given in If-Match")
	ErrConcurrentWrite = apperr.New(apperr.KindConflict, "another request changed the feedback at the same moment; retry")
	ErrNotComplaint    = apperr.New(apperr.KindInvalid, "only complaints have a workflow; change a suggestion's status with PATCH")
)

// Store is what the feedback service needs from storage.
type Store interface {
	event.Recorder
	Insert(ctx context.Context, f Feedback) error
	// Update writes f if the stored version is still prev, else answers ErrConcurrentWrite.
	Update(ctx context.Context, f Feedback, prev int64) error
	Get(ctx context.Context, orgID, id uuid.UUID) (Feedback, error)
	List(ctx context.Context, orgID uuid.UUID, f Filter, p page.Request) (page.Result[Feedback], error)
	// ContactOf tells whether a live contact of the organization has the id and belongs to the customer.
	ContactOf(ctx context.Context, orgID, contactID, customerID uuid.UUID) (bool, error)
	// SLAs returns the organization's targets, defaults filled in.
	SLAs(ctx context.Context, orgID uuid.UUID) ([]SLA, error)
	SetSLAs(ctx context.Context, orgID uuid.UUID, slas []SLA) error
	Transitions(ctx context.Context, orgID, feedbackID uuid.UUID) ([]Transition, error)
	StatsStore
}

// Transactor runs fn in one transaction: the store calls made with the context it gets commit
// together or not at all.
type Transactor interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}

// Customers checks the customer a piece of feedback names.
type Customers interface {
	// CheckLive answers a not-found error unless the customer is live in the organization.
	CheckLive(ctx context.Context, orgID, id uuid.UUID) error
}

// Users tells whether a user belongs to an organization; it checks assignees.
type Users interface {
	ActiveUserExists(ctx context.Context, orgID, userID uuid.UUID) (bool, error)
}
