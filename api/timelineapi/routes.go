// Package timelineapi serves /v1/customers/{id}/timeline: everything that happened with a customer.
package timelineapi

import (
	"github.com/rapportcrm/rapport/api/mid"
	"github.com/rapportcrm/rapport/api/web"
	"github.com/rapportcrm/rapport/pkg/auth"
	"github.com/rapportcrm/rapport/pkg/timeline"
)

type handlers struct{ svc *timeline.Service }

// Register mounts the timeline route.
func Register(g web.Routes, svc *timeline.Service) {
	g.GET("/customers/:id/timeline", handlers{svc}.timeline, mid.Require(auth.CustomersRead))
}
