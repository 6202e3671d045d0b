// Package contactapi serves the contact history: /v1/contact-history across customers and
// /v1/customers/{id}/contact-history for one.
package contactapi

import (
	"github.com/rapportcrm/rapport/api/mid"
	"github.com/rapportcrm/rapport/api/web"
	"github.com/rapportcrm/rapport/pkg/auth"
	"github.com/rapportcrm/rapport/pkg/contact"
)

type handlers struct{ svc *contact.Service }

// Register mounts the contact history routes.
func Register(g web.Routes, svc *contact.Service) {
	h := handlers{svc: svc}
	g.GET("/contact-history", h.list, mid.Require(auth.ContactsRead))
	g.POST("/contact-history", h.create, mid.Require(auth.ContactsWrite))
	g.GET("/customers/:id/contact-history", h.listForCustomer, mid.Require(auth.ContactsRead))
	g.POST("/customers/:id/contact-history", h.createForCustomer, mid.Require(auth.ContactsWrite))
	g.GET("/contact-history/:id", h.get, mid.Require(auth.ContactsRead))
	g.PATCH("/contact-history/:id", h.patch, mid.Require(auth.ContactsWrite))
	g.DELETE("/contact-history/:id", h.delete, mid.Require(auth.ContactsWrite))
}
