package summaryapi

import (
	"time"

	"github.com/rapportcrm/rapport/api/contactapi"
	"github.com/rapportcrm/rapport/api/customerapi"
	"github.com/rapportcrm/rapport/api/feedbackapi"
)

// ContactSummary is what the contact history says.
type ContactSummary struct {
	Total     int            `json:"total"`
	ByChannel map[string]int `json:"by_channel" example:"phone:3"`
	// The latest contact; null before the first.
	Last *contactapi.Contact `json:"last" extensions:"x-nullable"`
} // @name ContactSummary

// SurveyAnswer is the customer's latest answer to a survey.
type SurveyAnswer struct {
	Score      int       `json:"score"`
	AnsweredAt time.Time `json:"answered_at"`
	Survey     string    `json:"survey"`
} // @name SurveyAnswer

// FeedbackSummary is what the feedback says.
type FeedbackSummary struct {
	LatestNPS  *SurveyAnswer `json:"latest_nps" extensions:"x-nullable"`
	LatestCSAT *SurveyAnswer `json:"latest_csat" extensions:"x-nullable"`
	// Complaints not yet resolved or closed, newest first (at most 20), with their SLA state.
	OpenComplaints []feedbackapi.Feedback `json:"open_complaints"`
} // @name FeedbackSummary

// Summary is the 360° view of a customer.
type Summary struct {
	Customer customerapi.Customer `json:"customer"`
	Contacts ContactSummary       `json:"contacts"`
	Feedback FeedbackSummary      `json:"feedback"`
} // @name CustomerSummary
