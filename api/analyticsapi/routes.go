// Package analyticsapi serves /v1/analytics/* and /v1/jobs/{id}: the long analyses start as jobs
// (202 with a Location to poll) and store their results, which the GET endpoints read at once.
package analyticsapi

import (
	"context"

	"github.com/google/uuid"

	"github.com/rapportcrm/rapport/api/mid"
	"github.com/rapportcrm/rapport/api/web"
	"github.com/rapportcrm/rapport/pkg/analytics"
	"github.com/rapportcrm/rapport/pkg/auth"
	"github.com/rapportcrm/rapport/pkg/feedback"
	"github.com/rapportcrm/rapport/pkg/job"
)

// Jobs reads the jobs that the runs start.
type Jobs interface {
	Get(ctx context.Context, orgID, id uuid.UUID) (job.Job, error)
}

type handlers struct {
	svc      *analytics.Service
	jobs     Jobs
	feedback *feedback.Service
}

// Register mounts the analytics and job routes; the KPIs include the feedback figures.
func Register(g web.Routes, svc *analytics.Service, jobs Jobs, fb *feedback.Service) {
	h := handlers{svc: svc, jobs: jobs, feedback: fb}
	g.GET("/jobs/:id", h.getJob, mid.Require(auth.AnalyticsRead))
	g.POST("/analytics/rfm/run", h.runSegmentation, mid.Require(auth.AnalyticsAdmin))
	g.GET("/analytics/rfm", h.rfm, mid.Require(auth.AnalyticsRead))
	g.GET("/analytics/pareto", h.pareto, mid.Require(auth.AnalyticsRead))
	g.POST("/analytics/clv/fit", h.fitCLV, mid.Require(auth.AnalyticsAdmin))
	g.GET("/analytics/clv", h.clv, mid.Require(auth.AnalyticsRead))
	g.POST("/analytics/clv/backtest", h.startBacktest, mid.Require(auth.AnalyticsAdmin))
	g.GET("/analytics/clv/backtests", h.backtests, mid.Require(auth.AnalyticsRead))
	g.GET("/analytics/clv/backtests/:id", h.backtest, mid.Require(auth.AnalyticsRead))
	g.GET("/analytics/clv/backtests/:id/customers", h.backtestCustomers, mid.Require(auth.AnalyticsRead))
	g.GET("/analytics/loyalty-matrix", h.matrix, mid.Require(auth.AnalyticsRead))
	g.GET("/analytics/churn", h.churn, mid.Require(auth.AnalyticsRead))
	g.POST("/analytics/churn/apply", h.applyChurn, mid.Require(auth.AnalyticsAdmin))
	g.GET("/analytics/ladder", h.ladder, mid.Require(auth.AnalyticsRead))
	g.POST("/analytics/ladder/apply", h.applyLadder, mid.Require(auth.AnalyticsAdmin))
	g.GET("/analytics/kpis", h.kpis, mid.Require(auth.AnalyticsRead))
}
