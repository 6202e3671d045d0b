// Package eventapi serves /v1/events: the organization's change log in one order that a follower
// can trust never to skip an event. Its Event is also the body webhooks deliver.
package eventapi

import (
	"github.com/rapportcrm/rapport/api/mid"
	"github.com/rapportcrm/rapport/api/web"
	"github.com/rapportcrm/rapport/pkg/auth"
	"github.com/rapportcrm/rapport/pkg/feed"
)

type handlers struct{ svc *feed.Service }

// Register mounts the feed.
func Register(g web.Routes, svc *feed.Service) {
	g.GET("/events", handlers{svc}.list, mid.Require(auth.EventsRead))
}
