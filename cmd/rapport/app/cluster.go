package app

import (
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rapportcrm/rapport/pkg/auth"
	"github.com/rapportcrm/rapport/pkg/ratelimit"
	"github.com/rapportcrm/rapport/pkg/redisx"
)

// clusterWide returns what makes instances agree: limits kept in Redis (in memory while it does
// not answer) and the carrier of invalidations; without Redis, limits in this instance's memory
// and nothing to carry.
func clusterWide(rdb *redisx.Client, log *slog.Logger, reg prometheus.Registerer) (ratelimit.Factory, auth.Invalidations) {
	if rdb == nil {
		return ratelimit.Local, nil
	}
	return ratelimit.NewCluster(rdb.Limits(), log, reg).Limiter, rdb.Invalidations(log, reg)
}
