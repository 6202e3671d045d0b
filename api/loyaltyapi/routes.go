// Package loyaltyapi serves the loyalty program and the points ledger.
package loyaltyapi

import (
	"github.com/rapportcrm/rapport/api/mid"
	"github.com/rapportcrm/rapport/api/web"
	"github.com/rapportcrm/rapport/pkg/auth"
	"github.com/rapportcrm/rapport/pkg/loyalty"
)

type handlers struct{ svc *loyalty.Service }

// Register mounts the loyalty routes.
func Register(g web.Routes, svc *loyalty.Service) {
	h := handlers{svc: svc}
	g.GET("/loyalty/program", h.getProgram, mid.Require(auth.LoyaltyRead))
	g.PUT("/loyalty/program", h.putProgram, mid.Require(auth.LoyaltyAdmin))
	g.GET("/customers/:id/loyalty", h.account, mid.Require(auth.LoyaltyRead))
	g.POST("/loyalty/simulate", h.simulate, mid.Require(auth.LoyaltyRead))
	g.POST("/loyalty/expire", h.expire, mid.Require(auth.LoyaltyAdmin))
	g.GET("/customers/:id/loyalty/transactions", h.transactions, mid.Require(auth.LoyaltyRead))
	g.POST("/customers/:id/loyalty/transactions", h.record, mid.Require(auth.LoyaltyWrite))
	g.GET("/loyalty/rewards", h.listRewards, mid.Require(auth.LoyaltyRead))
	g.POST("/loyalty/rewards", h.createReward, mid.Require(auth.LoyaltyAdmin))
	g.GET("/loyalty/rewards/:id", h.getReward, mid.Require(auth.LoyaltyRead))
	g.PUT("/loyalty/rewards/:id", h.putReward, mid.Require(auth.LoyaltyAdmin))
	g.GET("/customers/:id/loyalty/redemptions", h.redemptions, mid.Require(auth.LoyaltyRead))
	g.POST("/customers/:id/loyalty/redemptions", h.redeem, mid.Require(auth.LoyaltyWrite))
	g.POST("/customers/:id/loyalty/redemptions/:rid/cancel", h.cancelRedemption, mid.Require(auth.LoyaltyWrite))
}
