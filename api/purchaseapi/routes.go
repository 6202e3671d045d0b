// Package purchaseapi serves /v1/purchases and /v1/customers/{id}/purchases: what customers bought.
package purchaseapi

import (
	"github.com/rapportcrm/rapport/api/mid"
	"github.com/rapportcrm/rapport/api/web"
	"github.com/rapportcrm/rapport/pkg/auth"
	"github.com/rapportcrm/rapport/pkg/purchase"
)

type handlers struct{ svc *purchase.Service }

// Register mounts the purchase routes.
func Register(g web.Routes, svc *purchase.Service) {
	h := handlers{svc: svc}
	g.GET("/purchases", h.list, mid.Require(auth.PurchasesRead))
	g.POST("/purchases", h.create, mid.Require(auth.PurchasesWrite))
	g.POST("/purchases/batch", h.batch, mid.Require(auth.PurchasesWrite))
	g.GET("/customers/:id/purchases", h.listForCustomer, mid.Require(auth.PurchasesRead))
	g.POST("/customers/:id/purchases", h.createForCustomer, mid.Require(auth.PurchasesWrite))
	g.GET("/purchases/:id", h.get, mid.Require(auth.PurchasesRead))
	g.POST("/purchases/:id/refund", h.refund, mid.Require(auth.PurchasesWrite))
}
