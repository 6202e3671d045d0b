// Command rapport runs the Rapport API.
//
//	rapport [serve]   migrate the database, then serve the API (the default)
//	rapport migrate   apply pending migrations and exit
//	rapport status    list migrations and whether each is applied
//	rapport healthcheck  exit 0 when the server on RAPPORT_ADDR answers /healthz (for container checks)
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/rapportcrm/rapport/api"
	"github.com/rapportcrm/rapport/pkg/analytics"
	"github.com/rapportcrm/rapport/pkg/auth"
	"github.com/rapportcrm/rapport/pkg/contact"
	"github.com/rapportcrm/rapport/pkg/customer"
	"github.com/rapportcrm/rapport/pkg/event"
	"github.com/rapportcrm/rapport/pkg/feedback"
	"github.com/rapportcrm/rapport/pkg/job"
	"github.com/rapportcrm/rapport/pkg/loyalty"
	"github.com/rapportcrm/rapport/pkg/purchase"
	"github.com/rapportcrm/rapport/pkg/ratelimit"
	"github.com/rapportcrm/rapport/pkg/storage"
	"github.com/rapportcrm/rapport/pkg/timeline"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "rapport:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	cmd := "serve"
	if len(args) > 0 {
		cmd = args[0]
	}
	cfg, err := loadConfig()
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	if cmd == "healthcheck" {
		return healthcheck(ctx, cfg.Addr)
	}
	level, _ := parseLevel(cfg.LogLevel)
	log := slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: level}))

	db, err := storage.Open(ctx, cfg.DatabaseURL, storage.Options{MaxOpenConns: cfg.DBMaxConns, MaxIdleConns: cfg.DBMaxConns})
	if err != nil {
		return err
	}
	defer db.Close()
	log.Info("database opened", "dialect", db.Dialect())

	switch cmd {
	case "migrate":
		return db.Migrate(ctx, log)
	case "status":
		statuses, err := db.MigrationStatus(ctx)
		if err != nil {
			return err
		}
		for _, s := range statuses {
			fmt.Printf("%05d %-40s %s\n", s.Source.Version, s.Source.Path, s.State)
		}
		return nil
	case "serve":
		if err := db.Migrate(ctx, log); err != nil {
			return err
		}
		return serve(ctx, cfg, db, log)
	default:
		return fmt.Errorf("unknown command %q: use serve, migrate or status", cmd)
	}
}

func serve(ctx context.Context, cfg config, db *storage.DB, log *slog.Logger) error {
	secret := cfg.JWTSecret
	if secret == "" {
		stored, created, err := db.Setting(ctx, "jwt_secret", randomSecret)
		if err != nil {
			return err
		}
		secret = stored
		log.Warn("RAPPORT_JWT_SECRET is not set: signing tokens with a key kept in the database", "generated_now", created)
	}

	authStore := db.AuthStore()
	authSvc := auth.NewService(authStore, auth.Config{
		Tokens: auth.TokenConfig{Secret: []byte(secret), Issuer: "rapport", Audience: "rapport-api",
			AccessTTL: cfg.AccessTokenTTL, RefreshTTL: cfg.RefreshTokenTTL},
		SignupOpen:    cfg.Signup == "open",
		LoginAttempts: cfg.LoginAttempts,
		LoginRefill:   time.Minute,
		CacheTTL:      cfg.AuthCacheTTL,
	})
	registry := prometheus.NewRegistry()
	registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewDBStatsCollector(db.SQL(), "rapport"))
	idem := db.IdempotencyStore()

	points := loyalty.NewService(db.LoyaltyStore(), event.Now)
	customers := customer.NewService(db.CustomerStore(), authStore, cfg.DefaultRegion)
	fb := feedback.NewService(db.FeedbackStore(), authStore, event.Now)
	jobs := job.NewRunner(db.JobStore(), log, time.Now)
	e := api.New(api.Config{
		Log:            log,
		Registry:       registry,
		Ready:          db,
		Auth:           authSvc,
		Customers:      customers,
		Contacts:       contact.NewService(db.ContactStore(), authStore),
		Timeline:       timeline.NewService(db.TimelineStore()),
		Feedback:       fb,
		Purchases:      purchase.NewService(db.PurchaseStore(), points),
		Loyalty:        points,
		Analytics:      analytics.NewService(db.AnalyticsStore(), jobs, customers, event.Now),
		Jobs:           jobs,
		Idempotency:    idem,
		RateLimit:      ratelimit.New(cfg.RateLimit, cfg.RateBurst),
		CORSOrigins:    cfg.CORSOrigins,
		BodyLimit:      "1M",
		BatchBodyLimit: "16M",
		RequestTimeout: cfg.RequestTimeout,
	})
	srv := &http.Server{
		Addr:              cfg.Addr,
		Handler:           e,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		WriteTimeout:      cfg.RequestTimeout + 10*time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	go purgeHourly(ctx, log, "idempotency keys", idem.Purge)
	go purgeHourly(ctx, log, "finished jobs", func(ctx context.Context, now time.Time) (int64, error) {
		return db.JobStore().PurgeJobs(ctx, now.Add(-job.Retention))
	})
	go expirePoints(ctx, db, points, log)
	go jobs.Run(ctx)

	errc := make(chan error, 1)
	go func() {
		log.Info("listening", "addr", cfg.Addr)
		errc <- srv.ListenAndServe()
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: draining in-flight requests", "timeout", cfg.ShutdownTimeout)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}

// healthcheck asks the local server whether it is up; distroless images have no curl.
func healthcheck(ctx context.Context, addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, port)+"/healthz", nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("healthz answered %d", res.StatusCode)
	}
	return nil
}

// expirePoints expires due loyalty points and re-checks tiers whose points left their window,
// hourly, one instance at a time.
func expirePoints(ctx context.Context, db *storage.DB, points *loyalty.Service, log *slog.Logger) {
	tick := time.NewTicker(time.Hour)
	defer tick.Stop()
	for {
		var report loyalty.ExpireReport
		ran, err := db.Exclusively(ctx, "loyalty-expiry", func(ctx context.Context) error {
			var err error
			if report, err = points.ExpireDue(ctx); err != nil {
				return err
			}
			_, err = points.RetierDue(ctx)
			return err
		})
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn("expire loyalty points", "error", err)
		case ran && report.Points > 0:
			log.Info("expired loyalty points", "customers", report.Customers, "points", report.Points)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// purgeHourly removes expired records now and every hour until ctx ends; purge gets the time.
func purgeHourly(ctx context.Context, log *slog.Logger, what string, purge func(context.Context, time.Time) (int64, error)) {
	tick := time.NewTicker(time.Hour)
	defer tick.Stop()
	for {
		n, err := purge(ctx, time.Now().UTC())
		if err != nil && ctx.Err() == nil {
			log.Warn("purge "+what, "error", err)
		} else if n > 0 {
			log.Info("purged "+what, "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
