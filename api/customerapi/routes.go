// Package customerapi serves /v1/customers: the record, its list with search and filters, batch
// upserts, merging duplicates, deletion and restoration.
package customerapi

import (
	"github.com/rapportcrm/rapport/api/mid"
	"github.com/rapportcrm/rapport/api/web"
	"github.com/rapportcrm/rapport/pkg/auth"
	"github.com/rapportcrm/rapport/pkg/customer"
)

type handlers struct{ svc *customer.Service }

// Register mounts the customer routes.
func Register(g web.Routes, svc *customer.Service) {
	h := handlers{svc: svc}
	g.GET("/customers", h.list, mid.Require(auth.CustomersRead))
	g.POST("/customers", h.create, mid.Require(auth.CustomersWrite))
	g.POST("/customers/batch", h.batch, mid.Require(auth.CustomersWrite))
	g.GET("/customers/:id", h.get, mid.Require(auth.CustomersRead))
	g.PATCH("/customers/:id", h.patch, mid.Require(auth.CustomersWrite))
	g.DELETE("/customers/:id", h.delete, mid.Require(auth.CustomersWrite))
	g.POST("/customers/:id/restore", h.restore, mid.Require(auth.CustomersAdmin))
	g.POST("/customers/:id/merge", h.merge, mid.Require(auth.CustomersWrite))
}
