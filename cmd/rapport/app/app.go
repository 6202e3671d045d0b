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

	"github.com/rapportcrm/rapport/api"
	"github.com/rapportcrm/rapport/pkg/analytics"
	"github.com/rapportcrm/rapport/pkg/auth"
	"github.com/rapportcrm/rapport/pkg/contact"
	"github.com/rapportcrm/rapport/pkg/customer"
	"github.com/rapportcrm/rapport/pkg/event"
	"github.com/rapportcrm/rapport/pkg/feed"
	"github.com/rapportcrm/rapport/pkg/feedback"
	"github.com/rapportcrm/rapport/pkg/job"
	"github.com/rapportcrm/rapport/pkg/loyalty"
	"github.com/rapportcrm/rapport/pkg/purchase"
	"github.com/rapportcrm/rapport/pkg/ratelimit"
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
	// FeedRetention is how long the events feed keeps events available; 30 days when zero.
	FeedRetention time.Duration
	// Now is the services' clock: event.Now when nil; tests move it.
	Now func() time.Time
}

// App is the wired application.
type App struct {
	Echo      *echo.Echo
	DB        *storage.DB
	Log       *slog.Logger
	Auth      *auth.Service
	Customers *customer.Service
	Loyalty   *loyalty.Service
	// Jobs runs the queued jobs; Run starts it, tests call RunNext.
	Jobs        *job.Runner
	idempotency *storage.IdempotencyStore
}

// New wires every service over db, and the router. Metrics go to registry.
func New(db *storage.DB, cfg Config, log *slog.Logger, registry *prometheus.Registry) *App {
	now := cfg.Now
	if now == nil {
		now = event.Now
	}
	if cfg.BodyBudget == 0 {
		cfg.BodyBudget = 48 << 20
	}
	authStore := db.AuthStore()
	authSvc := auth.NewService(authStore, db, auth.Config{
		Tokens: auth.TokenConfig{Secret: cfg.JWTSecret, Issuer: "rapport", Audience: "rapport-api",
			AccessTTL: cfg.AccessTokenTTL, RefreshTTL: cfg.RefreshTokenTTL},
		SignupOpen: cfg.SignupOpen, BcryptCost: cfg.BcryptCost, LoginAttempts: cfg.LoginAttempts,
		LoginRefill: time.Minute, CacheTTL: cfg.AuthCacheTTL,
	})
	customers := customer.NewService(db.CustomerStore(), db, authStore, cfg.DefaultRegion)
	points := loyalty.NewService(db.LoyaltyProgramStore(), db.LedgerStore(), db.RewardStore(), db, customers, now)
	fb := feedback.NewService(db.FeedbackStore(), db, customers, authStore, now)
	contacts := contact.NewService(db.ContactStore(), db, customers, authStore)
	jobs := job.NewRunner(db.JobStore(), log, now)
	a := &App{DB: db, Log: log, Auth: authSvc, Customers: customers, Loyalty: points, Jobs: jobs, idempotency: db.IdempotencyStore()}
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
		RateLimit:        ratelimit.New(cfg.RateLimit, cfg.RateBurst),
		AuthFailures:     ratelimit.New(1, cfg.AuthFailures),
		TrustedProxies:   cfg.TrustedProxies,
		MetricsElsewhere: cfg.MetricsElsewhere,
		CORSOrigins:      cfg.CORSOrigins,
		BodyLimit:        1 << 20,
		BatchBodyLimit:   16 << 20,
		BodyBudget:       cfg.BodyBudget,
		RequestTimeout:   cfg.RequestTimeout,
	})
	return a
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

// Run does the background work until ctx ends: it runs the queued jobs, purges expired
// idempotency keys and finished jobs, and expires loyalty points, each hourly.
func (a *App) Run(ctx context.Context) {
	go a.hourly(ctx, "purge idempotency keys", func(ctx context.Context) error {
		n, err := a.idempotency.Purge(ctx, time.Now().UTC())
		a.logCount("purged idempotency keys", n)
		return err
	})
	go a.hourly(ctx, "purge finished jobs", func(ctx context.Context) error {
		n, err := a.DB.JobStore().PurgeJobs(ctx, time.Now().UTC().Add(-job.Retention))
		a.logCount("purged finished jobs", n)
		return err
	})
	go a.hourly(ctx, "expire loyalty points", a.expirePoints)
	a.Jobs.Run(ctx)
}

// expirePoints expires due loyalty points and re-checks tiers whose points left their window,
// one instance at a time.
func (a *App) expirePoints(ctx context.Context) error {
	var report loyalty.ExpireReport
	_, err := a.DB.Exclusively(ctx, "loyalty-expiry", func(ctx context.Context) error {
		var err error
		if report, err = a.Loyalty.ExpireDue(ctx); err != nil {
			return err
		}
		_, err = a.Loyalty.RetierDue(ctx)
		return err
	})
	if report.Points > 0 {
		a.Log.Info("expired loyalty points", "customers", report.Customers, "points", report.Points)
	}
	return err
}

func (a *App) logCount(msg string, n int64) {
	if n > 0 {
		a.Log.Info(msg, "count", n)
	}
}

// hourly runs task now and every hour until ctx ends, logging its failures.
func (a *App) hourly(ctx context.Context, what string, task func(context.Context) error) {
	tick := time.NewTicker(time.Hour)
	defer tick.Stop()
	for {
		if err := task(ctx); err != nil && ctx.Err() == nil {
			a.Log.Warn(what, "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
