package contactapi

import (
	"time"

	"github.com/rapportcrm/rapport/api/web"
	"github.com/rapportcrm/rapport/pkg/contact"
)

// ContactInput holds a contact's writable fields, for POST and as the document a PATCH (JSON
// merge patch) applies to.
type ContactInput struct {
	// Required on POST /v1/contact-history; taken from the path under /v1/customers/{id}.
	CustomerID string `json:"customer_id,omitempty" validate:"omitempty,uuid" format:"uuid"`
	Channel    string `json:"channel" validate:"required" enums:"phone,email,sms,chat,social,visit,video,web,other" example:"phone"`
	Direction  string `json:"direction" validate:"required" enums:"inbound,outbound" example:"inbound"`
	Subject    string `json:"subject,omitempty" validate:"max=500" example:"Delivery late"`
	Notes      string `json:"notes,omitempty" validate:"max=20000"`
	// When it happened; defaults to now, and may not lie in the future (beyond 5 minutes of clock skew).
	OccurredAt      *time.Time `json:"occurred_at,omitempty"`
	DurationSeconds *int       `json:"duration_seconds,omitempty"`
	// The user who handled it; defaults to the calling user.
	AgentID string `json:"agent_id,omitempty" validate:"omitempty,uuid" format:"uuid"`
	// Absent on create: other.
	Outcome string `json:"outcome,omitempty" enums:"resolved,follow_up,no_answer,sale,other"`
	// An open follow-up until cleared (set to null).
	FollowUpAt *time.Time `json:"follow_up_at,omitempty"`
	Tags       []string   `json:"tags,omitempty" validate:"max=50,dive,max=64"`
	// The integrator's id of the interaction (a call id, a message id), unique in the organization:
	// importing the same log twice answers 409 with existing_id instead of a duplicate.
	ExternalRef string `json:"external_ref,omitempty" validate:"max=255"`
} // @name ContactInput

// Contact is one interaction with a customer.
type Contact struct {
	ID              string     `json:"id" format:"uuid"`
	CustomerID      string     `json:"customer_id" format:"uuid"`
	Channel         string     `json:"channel" enums:"phone,email,sms,chat,social,visit,video,web,other"`
	Direction       string     `json:"direction" enums:"inbound,outbound"`
	Subject         string     `json:"subject"`
	Notes           string     `json:"notes"`
	OccurredAt      time.Time  `json:"occurred_at"`
	DurationSeconds *int       `json:"duration_seconds" extensions:"x-nullable"`
	AgentID         *string    `json:"agent_id" format:"uuid" extensions:"x-nullable"`
	Outcome         string     `json:"outcome" enums:"resolved,follow_up,no_answer,sale,other"`
	FollowUpAt      *time.Time `json:"follow_up_at" extensions:"x-nullable"`
	Tags            []string   `json:"tags"`
	ExternalRef     *string    `json:"external_ref" extensions:"x-nullable"`
	Version         int64      `json:"version"`
	CreatedAt       time.Time  `json:"created_at"`
	UpdatedAt       time.Time  `json:"updated_at"`
} // @name Contact

// ToContact converts a domain contact for a response.
func ToContact(c contact.Contact) Contact {
	out := Contact{
		ID: c.ID.String(), CustomerID: c.CustomerID.String(), Channel: c.Channel, Direction: c.Direction, Subject: c.Subject,
		Notes: c.Notes, OccurredAt: c.OccurredAt, DurationSeconds: c.DurationSeconds, Outcome: c.Outcome, FollowUpAt: c.FollowUpAt,
		Tags: c.Tags, Version: c.Version, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
	}
	if c.AgentID != nil {
		id := c.AgentID.String()
		out.AgentID = &id
	}
	if c.ExternalRef != "" {
		out.ExternalRef = &c.ExternalRef
	}
	return out
}

// toInput is the writable part of a stored contact: the document a merge patch applies to.
func toInput(c contact.Contact) ContactInput {
	in := ContactInput{
		CustomerID: c.CustomerID.String(), Channel: c.Channel, Direction: c.Direction, Subject: c.Subject, Notes: c.Notes,
		OccurredAt: &c.OccurredAt, DurationSeconds: c.DurationSeconds, Outcome: c.Outcome, FollowUpAt: c.FollowUpAt,
		Tags: c.Tags, ExternalRef: c.ExternalRef,
	}
	if c.AgentID != nil {
		in.AgentID = c.AgentID.String()
	}
	return in
}

// toDomain applies a validated input over base. An absent occurred_at keeps base's (none on
// create: the service sets now); an absent outcome is "other".
func (in ContactInput) toDomain(base contact.Contact) contact.Contact {
	c := base
	if in.CustomerID != "" {
		c.CustomerID = web.ParseID(in.CustomerID)
	}
	c.Channel, c.Direction, c.Subject, c.Notes = in.Channel, in.Direction, in.Subject, in.Notes
	c.DurationSeconds, c.FollowUpAt, c.Tags, c.ExternalRef = in.DurationSeconds, in.FollowUpAt, in.Tags, in.ExternalRef
	c.Outcome = in.Outcome
	if c.Outcome == "" {
		c.Outcome = "other"
	}
	if in.OccurredAt != nil {
		c.OccurredAt = in.OccurredAt.UTC().Truncate(time.Microsecond)
	}
	if c.FollowUpAt != nil {
		t := c.FollowUpAt.UTC().Truncate(time.Microsecond)
		c.FollowUpAt = &t
	}
	c.AgentID = web.OptionalID(in.AgentID)
	return c
}
