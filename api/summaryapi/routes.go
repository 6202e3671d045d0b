// Package summaryapi serves /v1/customers/{id}/summary, the 360° view: the profile with what the
// contact history and the feedback say about the customer, in one request.
package summaryapi

import (
	"github.com/rapportcrm/rapport/api/mid"
	"github.com/rapportcrm/rapport/api/web"
	"github.com/rapportcrm/rapport/pkg/auth"
	"github.com/rapportcrm/rapport/pkg/contact"
	"github.com/rapportcrm/rapport/pkg/customer"
	"github.com/rapportcrm/rapport/pkg/feedback"
)

type handlers struct {
	customers *customer.Service
	contacts  *contact.Service
	feedback  *feedback.Service
}

// Register mounts the summary route.
func Register(g web.Routes, customers *customer.Service, contacts *contact.Service, fb *feedback.Service) {
	h := handlers{customers: customers, contacts: contacts, feedback: fb}
	g.GET("/customers/:id/summary", h.summary, mid.Require(auth.CustomersRead), mid.Require(auth.ContactsRead), mid.Require(auth.FeedbackRead))
}
