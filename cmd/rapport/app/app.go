// Package app is Rapport's composition root: New builds every service over one database and the
// router over them, and Run does the background work. cmd/rapport serves what it builds, and
// api/apitest tests exactly that, so a service is wired in one place.
package app

import (
	"context"
	"log/slog"
	"net"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"

	"github.com/rapportcrm/rapport/api"
	"github.com/rapportcrm/rapport/api/mid"
	"github.com/rapportcrm/rapport/pkg/analytics"
	"github.com/rapportcrm/rapport/pkg/auth"
	"github.com/rapportcrm/rapport/pkg/contact"
	"github.com/rapportcrm/rapport/pkg/customer"
	"github.com/rapportcrm/rapport/pkg/event"
	"github.com/rapportcrm/rapport/pkg/feed"
	"github.com/rapportcrm/rapport/pkg/feedback"
	"github.com/rapportcrm/rapport/pkg/loyalty"
	"github.com/rapportcrm/rapport/pkg/purchase"
	"github.com/rapportcrm/rapport/pkg/queue"
	"github.com/rapportcrm/rapport/pkg/redisx"
	"github.com/rapportcrm/rapport/pkg/storage"
	"github.com/rapportcrm/rapport/pkg/timeline"
)

// Config is what the services and the router need to know; cmd/rapport reads it from RAPPORT_*
// variables.
type Config struct {
	JWTSecret       []byte
	SignupOpen      bool
	AccessTokenTTL  time.Duration
	RefreshTokenTTL time.Duration
	// BcryptCost is bcrypt's default when zero; tests lower it.
	BcryptCost    int
	LoginAttempts int
	AuthCacheTTL  time.Duration
	DefaultRegion string
	RateLimit     float64
	RateBurst     int
	// AuthFailures is how many failed credentials a client address may send in a burst, refilled
	// one a second.
	AuthFailures   int
	TrustedProxies []*net.IPNet
	// BodyBudget bounds the bytes of request bodies in flight; 48 MiB when zero.
	BodyBudget int64
	// MetricsElsewhere leaves /metrics off the API port (the caller serves it on its own).
	MetricsElsewhere bool
	CORSOrigins      []string
	RequestTimeout   time.Duration
	// Jobs tunes the job queue; the app adds its periodic tasks.
	Jobs queue.Config
	// FeedRetention is how long the events feed keeps events available; 30 days when zero.
	FeedRetention time.Duration
	// Now is the services' clock: event.Now when nil; tests move it.
	Now func() time.Time
	// Redis, when set, keeps the limits for all instances and carries revocations to them; nil:
	// each instance counts and caches alone.
	Redis *redisx.Client
	// Capacity caps the API requests worked at once; none when its Limit is 0.
	Capacity mid.Capacity
}

// App is the wired application.
type App struct {
	Echo      *echo.Echo
	DB        *storage.DB
	Log       *slog.Logger
	Auth      *auth.Service
	Customers *customer.Service
	Loyalty   *loyalty.Service
	// Jobs starts the background jobs; Run works them.
	Jobs        *queue.Queue
	idempotency *storage.IdempotencyStore
}

// New wires every service over db, and the router. Metrics go to registry.
func New(db *storage.DB, cfg Config, log *slog.Logger, registry *prometheus.Registry) (*App, error) {
	now := cfg.Now
	if now == nil {
		now = event.Now
	}
	if cfg.BodyBudget == 0 {
		cfg.BodyBudget = 48 << 20
	}
	authStore := db.AuthStore()
	limits, invalidations := clusterWide(cfg.Redis, log, registry)
	authSvc := auth.NewService(authStore, db, auth.Config{
		Tokens: auth.TokenConfig{Secret: cfg.JWTSecret, Issuer: "rapport", Audience: "rapport-api",
			AccessTTL: cfg.AccessTokenTTL, RefreshTTL: cfg.RefreshTokenTTL},
		SignupOpen: cfg.SignupOpen, BcryptCost: cfg.BcryptCost, LoginAttempts: cfg.LoginAttempts,
		LoginRefill: time.Minute, CacheTTL: cfg.AuthCacheTTL, Limits: limits, Invalidations: invalidations,
	})
	customers := customer.NewService(db.CustomerStore(), db, authStore, cfg.DefaultRegion)
	points := loyalty.NewService(db.LoyaltyProgramStore(), db.LedgerStore(), db.RewardStore(), db, customers, now)
	fb := feedback.NewService(db.FeedbackStore(), db, customers, authStore, now)
	contacts := contact.NewService(db.ContactStore(), db, customers, authStore)
	a := &App{DB: db, Log: log, Auth: authSvc, Customers: customers, Loyalty: points, idempotency: db.IdempotencyStore()}
	// Each domain's River workers join these before the queue is built over them.
	workers := river.NewWorkers()
	cfg.Jobs.Tasks = append(cfg.Jobs.Tasks, a.tasks()...)
	jobs, err := queue.New(db, db.JobStore(), workers, cfg.Jobs, log, now, registry)
	if err != nil {
		return nil, err
	}
	a.Jobs = jobs
	a.Echo = api.New(api.Config{
		Log:              log,
		Registry:         registry,
		Ready:            db,
		Auth:             authSvc,
		Customers:        customers,
		Contacts:         contacts,
		Timeline:         timeline.NewService(db.TimelineStore(), customers),
		Feed:             feed.NewService(db.FeedStore(), cfg.FeedRetention, now),
		Feedback:         fb,
		Purchases:        purchase.NewService(db.PurchaseStore(), db, customers, purchasePoints{points}),
		Loyalty:          points,
		Analytics:        analytics.NewService(db.AnalyticsStore(), jobs, customers, now),
		Jobs:             jobs,
		Idempotency:      a.idempotency,
		RateLimit:        limits("requests", cfg.RateLimit, cfg.RateBurst),
		AuthFailures:     limits("auth-failures", 1, cfg.AuthFailures),
		TrustedProxies:   cfg.TrustedProxies,
		MetricsElsewhere: cfg.MetricsElsewhere,
		CORSOrigins:      cfg.CORSOrigins,
		BodyLimit:        1 << 20,
		BatchBodyLimit:   16 << 20,
		BodyBudget:       cfg.BodyBudget,
		RequestTimeout:   cfg.RequestTimeout,
		Capacity:         cfg.Capacity,
	})
	return a, nil
}

// purchasePoints lets purchases earn through the loyalty service; the two domains name their
// earnings each in their own words.
type purchasePoints struct{ *loyalty.Service }

func (p purchasePoints) EarnForPurchases(ctx context.Context, actor event.Actor, earnings []purchase.Earning) ([]purchase.Earned, error) {
	converted := make([]loyalty.Earning, len(earnings))
	for i, e := range earnings {
		converted[i] = loyalty.Earning{CustomerID: e.CustomerID, PurchaseID: e.PurchaseID, Amount: e.Amount}
	}
	earned, err := p.Service.EarnForPurchases(ctx, actor, converted)
	out := make([]purchase.Earned, len(earned))
	for i, e := range earned {
		out[i] = purchase.Earned{Points: e.Points, Reason: e.Reason}
	}
	return out, err
}

var _ purchase.Points = purchasePoints{}

// Run does the background work until ctx ends (see queue.Queue.Run): the jobs that requests
// start, and the tasks below, which River's leader enqueues hourly for the whole cluster.
func (a *App) Run(ctx context.Context) error { return a.Jobs.Run(ctx) }

func (a *App) tasks() []queue.Task {
	return []queue.Task{
		{Name: "idempotency.purge", Every: time.Hour, Run: func(ctx context.Context) error {
			n, err := a.idempotency.Purge(ctx, time.Now().UTC())
			if n > 0 {
				a.Log.Info("purged idempotency keys", "count", n)
			}
			return err
		}},
		{Name: "loyalty.expire_points", Every: time.Hour, Run: a.expirePoints},
	}
}

// expirePoints expires due loyalty points and re-checks tiers whose points left their window.
func (a *App) expirePoints(ctx context.Context) error {
	report, err := a.Loyalty.ExpireDue(ctx)
	if report.Points > 0 {
		a.Log.Info("expired loyalty points", "customers", report.Customers, "points", report.Points)
	}
	if err != nil {
		return err
	}
	_, err = a.Loyalty.RetierDue(ctx)
	return err
}
