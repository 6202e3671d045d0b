// Package api is Rapport's HTTP transport, and the only tree that imports Echo. New builds the
// router: operations endpoints at the root, the versioned API under /v1.
//
//	@title						Rapport API
//	@version					1.0
//	@description				Rapport is a headless CRM: customers, their contact history, feedback and loyalty.
//	@description				Errors are RFC 9457 problem details (application/problem+json). Lists are keyset-paginated:
//	@description				{data, next_cursor, has_more}. Every POST takes an Idempotency-Key. Every response carries
//	@description				X-Request-Id and RateLimit-Limit, RateLimit-Remaining and RateLimit-Reset.
//	@description				A problem's type is a page on this server that explains it; [/problems/](/problems/) lists them all.
//	@BasePath					/v1
//	@accept						json
//	@produce					json
//	@securityDefinitions.apikey	BearerAuth
//	@in							header
//	@name						Authorization
//	@description				Authorization: Bearer <access token or API key>
//
//	@tag.name					analytics
//	@tag.description			Segmentation (RFM, value tiers), the Pareto analysis, lifetime value, churn risk, the loyalty matrix and ladder, and KPIs. Long runs are jobs (see jobs); admins start them.
//
//	@tag.name					api-keys
//	@tag.description			Keys for integrations: scoped, shown once at creation, revocable. Admins manage them.
//
//	@tag.name					auth
//	@tag.description			Sign-up, sign-in, token refresh and sign-out (no credentials needed), and who the caller is.
//
//	@tag.name					contact-history
//	@tag.description			Every interaction with a customer on any channel: direction, subject, outcome, follow-ups.
//
//	@tag.name					customers
//	@tag.description			Customers: the record, search and lists, batch upserts, merging duplicates, soft deletion, the timeline and the 360° summary.
//
//	@tag.name					events
//	@tag.description			The change feed: every change in the organization in one order that never skips, with long polling.
//
//	@tag.name					feedback
//	@tag.description			Surveys (NPS, CSAT, CES), complaints with their workflow and service levels, suggestions and compliments, and their figures.
//
//	@tag.name					jobs
//	@tag.description			Background jobs: the status, progress and result of long runs started elsewhere.
//
//	@tag.name					loyalty
//	@tag.description			The loyalty program, each customer's points account and ledger, the rewards catalogue and redemptions.
//
//	@tag.name					purchases
//	@tag.description			What customers bought: single purchases, batches and refunds. Purchases earn loyalty points and feed analytics.
//
//	@tag.name					users
//	@tag.description			The organization's users and their roles (owner, admin, agent, viewer). Admins manage them.
package api

import (
	"log/slog"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rapportcrm/rapport/api/analyticsapi"
	"github.com/rapportcrm/rapport/api/authapi"
	"github.com/rapportcrm/rapport/api/contactapi"
	"github.com/rapportcrm/rapport/api/customerapi"
	"github.com/rapportcrm/rapport/api/eventapi"
	"github.com/rapportcrm/rapport/api/feedbackapi"
	"github.com/rapportcrm/rapport/api/loyaltyapi"
	"github.com/rapportcrm/rapport/api/mid"
	"github.com/rapportcrm/rapport/api/opsapi"
	"github.com/rapportcrm/rapport/api/purchaseapi"
	"github.com/rapportcrm/rapport/api/summaryapi"
	"github.com/rapportcrm/rapport/api/timelineapi"
	"github.com/rapportcrm/rapport/api/web"
	"github.com/rapportcrm/rapport/pkg/analytics"
	"github.com/rapportcrm/rapport/pkg/auth"
	"github.com/rapportcrm/rapport/pkg/contact"
	"github.com/rapportcrm/rapport/pkg/customer"
	"github.com/rapportcrm/rapport/pkg/feed"
	"github.com/rapportcrm/rapport/pkg/feedback"
	"github.com/rapportcrm/rapport/pkg/idempotency"
	"github.com/rapportcrm/rapport/pkg/loyalty"
	"github.com/rapportcrm/rapport/pkg/purchase"
	"github.com/rapportcrm/rapport/pkg/ratelimit"
	"github.com/rapportcrm/rapport/pkg/timeline"
)

// Config is what the router needs.
type Config struct {
	Log         *slog.Logger
	Registry    *prometheus.Registry
	Ready       opsapi.Pinger
	Auth        *auth.Service
	Customers   *customer.Service
	Contacts    *contact.Service
	Timeline    *timeline.Service
	Feed        *feed.Service
	Feedback    *feedback.Service
	Purchases   *purchase.Service
	Loyalty     *loyalty.Service
	Analytics   *analytics.Service
	Jobs        analyticsapi.Jobs
	Idempotency idempotency.Store
	RateLimit   ratelimit.Limiter
	// AuthFailures is the budget of failed credentials per client address.
	AuthFailures ratelimit.Limiter
	// MetricsElsewhere leaves /metrics off the API port: the process serves it on a port of its own.
	MetricsElsewhere bool
	// TrustedProxies are the networks whose X-Forwarded-For is believed; none by default, so that a
	// client cannot choose the address its limits are kept under.
	TrustedProxies []*net.IPNet
	CORSOrigins    []string
	BodyLimit      int64 // bytes
	BatchBodyLimit int64 // bytes
	// BodyBudget bounds the bytes of request bodies in flight (see mid.BodyBudget).
	BodyBudget     int64
	RequestTimeout time.Duration
	// Capacity caps the /v1 requests worked at once (mid.InFlight); no cap when its Limit is 0.
	Capacity mid.Capacity
}

// New builds the router.
func New(cfg Config) *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = web.ErrorHandler(cfg.Log)
	e.JSONSerializer = web.JSONSerializer{}
	e.IPExtractor = echo.ExtractIPDirect()
	if len(cfg.TrustedProxies) > 0 {
		trust := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
		for _, n := range cfg.TrustedProxies {
			trust = append(trust, echo.TrustIPRange(n))
		}
		e.IPExtractor = echo.ExtractIPFromXFFHeader(trust...)
	}

	e.Use(middleware.RequestIDWithConfig(middleware.RequestIDConfig{Generator: func() string { return uuid.Must(uuid.NewV7()).String() }}))
	e.Use(mid.Observe(cfg.Log, mid.NewMetrics(cfg.Registry)))
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
		cfg.Log.ErrorContext(c.Request().Context(), "panic", "error", err, "stack", string(stack))
		return err
	}}))
	if len(cfg.CORSOrigins) > 0 {
		e.Use(middleware.CORSWithConfig(middleware.CORSConfig{
			AllowOrigins:  cfg.CORSOrigins,
			AllowHeaders:  []string{echo.HeaderAuthorization, echo.HeaderContentType, "If-Match", "Idempotency-Key", echo.HeaderXRequestID},
			ExposeHeaders: []string{"ETag", echo.HeaderLocation, echo.HeaderXRequestID, "Retry-After", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "Idempotent-Replayed"},
			MaxAge:        3600,
		}))
	}
	isBatch := func(c echo.Context) bool { return strings.HasSuffix(c.Request().URL.Path, "/batch") }
	bodyLimit := func(c echo.Context) int64 {
		if isBatch(c) {
			return cfg.BatchBodyLimit
		}
		return cfg.BodyLimit
	}
	e.Use(middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: strconv.FormatInt(cfg.BodyLimit, 10) + "B", Skipper: isBatch}))
	e.Use(middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: strconv.FormatInt(cfg.BatchBodyLimit, 10) + "B", Skipper: func(c echo.Context) bool { return !isBatch(c) }}))
	e.Use(mid.BodyBudget(cfg.BodyBudget, bodyLimit))
	e.Use(mid.Deadline(cfg.RequestTimeout))
	e.Use(mid.NotModified())

	opsapi.Register(e, cfg.Ready, cfg.Registry, !cfg.MetricsElsewhere)

	v1 := e.Group("/v1")
	var capped []echo.MiddlewareFunc
	if cfg.Capacity.Limit > 0 {
		capped = append(capped, mid.InFlight(cfg.Capacity, cfg.Registry))
	}
	public := web.NewRoutes(v1, slices.Concat(capped, []echo.MiddlewareFunc{mid.RateLimit(cfg.RateLimit)})...)
	private := web.NewRoutes(v1, slices.Concat(capped, []echo.MiddlewareFunc{mid.Authenticate(cfg.Auth, cfg.AuthFailures),
		mid.RateLimit(cfg.RateLimit), mid.Idempotency(cfg.Idempotency)})...)
	authapi.Register(public, private, cfg.Auth)
	customerapi.Register(private, cfg.Customers)
	contactapi.Register(private, cfg.Contacts)
	timelineapi.Register(private, cfg.Timeline)
	eventapi.Register(private, cfg.Feed)
	feedbackapi.Register(private, cfg.Feedback)
	summaryapi.Register(private, cfg.Customers, cfg.Contacts, cfg.Feedback)
	purchaseapi.Register(private, cfg.Purchases)
	loyaltyapi.Register(private, cfg.Loyalty)
	analyticsapi.Register(private, cfg.Analytics, cfg.Jobs, cfg.Feedback)

	return e
}
