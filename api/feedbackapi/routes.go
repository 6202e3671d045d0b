// Package feedbackapi serves /v1/feedback: survey answers, complaints with their workflow and
// service levels, suggestions and compliments.
package feedbackapi

import (
	"github.com/rapportcrm/rapport/api/mid"
	"github.com/rapportcrm/rapport/api/web"
	"github.com/rapportcrm/rapport/pkg/auth"
	"github.com/rapportcrm/rapport/pkg/feedback"
)

type handlers struct{ svc *feedback.Service }

// Register mounts the feedback routes.
func Register(g web.Routes, svc *feedback.Service) {
	h := handlers{svc: svc}
	g.GET("/feedback", h.list, mid.Require(auth.FeedbackRead))
	g.POST("/feedback", h.create, mid.Require(auth.FeedbackWrite))
	g.GET("/feedback/sla", h.getSLA, mid.Require(auth.FeedbackRead))
	g.GET("/feedback/stats", h.stats, mid.Require(auth.FeedbackRead))
	g.PUT("/feedback/sla", h.putSLA, mid.Require(auth.FeedbackAdmin))
	g.GET("/customers/:id/feedback", h.listForCustomer, mid.Require(auth.FeedbackRead))
	g.POST("/customers/:id/feedback", h.createForCustomer, mid.Require(auth.FeedbackWrite))
	g.GET("/feedback/:id", h.get, mid.Require(auth.FeedbackRead))
	g.PATCH("/feedback/:id", h.patch, mid.Require(auth.FeedbackWrite))
	g.DELETE("/feedback/:id", h.delete, mid.Require(auth.FeedbackWrite))
	g.GET("/feedback/:id/transitions", h.transitions, mid.Require(auth.FeedbackRead))
	g.POST("/feedback/:id/transitions", h.transition, mid.Require(auth.FeedbackWrite))
}
