// Command rapport runs the Rapport API.
//
//	rapport [serve]   migrate the database, then serve the API (the default)
//	rapport migrate   apply pending migrations and exit
//	rapport status    list migrations and whether each is applied
//	rapport healthcheck  exit 0 when the server on RAPPORT_ADDR answers /healthz (for container checks)
//	rapport help      print the commands and settings
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/rapportcrm/rapport/api/mid"
	"github.com/rapportcrm/rapport/api/opsapi"
	"github.com/rapportcrm/rapport/cmd/rapport/app"
	"github.com/rapportcrm/rapport/pkg/queue"
	"github.com/rapportcrm/rapport/pkg/redisx"
	"github.com/rapportcrm/rapport/pkg/storage"
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
	switch cmd {
	case "help", "-h", "-help", "--help":
		fmt.Print(usage())
		return nil
	case "serve", "migrate", "status", "healthcheck":
	default:
		return fmt.Errorf("unknown command %q (rapport --help lists them)", cmd)
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
			state := "pending"
			if s.Applied {
				state = "applied"
			}
			fmt.Printf("%05d %-40s %s\n", s.Version, s.Source, state)
		}
		return nil
	default:
		if err := db.Migrate(ctx, log); err != nil {
			return err
		}
		return serve(ctx, cfg, db, log)
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
	var rdb *redisx.Client
	if cfg.RedisURL != "" {
		var err error
		if rdb, err = redisx.Open(cfg.RedisURL, "rapport", log); err != nil {
			return err
		}
		defer rdb.Close()
		log.Info("rate limits and revocations are shared through Redis")
	}
	registry := prometheus.NewRegistry()
	registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewDBStatsCollector(db.SQL(), "rapport"))
	a, err := app.New(db, app.Config{
		JWTSecret: []byte(secret), SignupOpen: cfg.Signup == "open", AccessTokenTTL: cfg.AccessTokenTTL,
		RefreshTokenTTL: cfg.RefreshTokenTTL, LoginAttempts: cfg.LoginAttempts, AuthCacheTTL: cfg.AuthCacheTTL,
		DefaultRegion: cfg.DefaultRegion, RateLimit: cfg.RateLimit, RateBurst: cfg.RateBurst, AuthFailures: cfg.AuthFailures,
		TrustedProxies: cfg.proxies(), CORSOrigins: cfg.CORSOrigins, RequestTimeout: cfg.RequestTimeout,
		MetricsElsewhere: cfg.MetricsAddr != "", BodyBudget: int64(cfg.BodyBudgetMB) << 20, Redis: rdb, FeedRetention: cfg.FeedRetention,
		Jobs:     queue.Config{Workers: cfg.JobWorkers, PollInterval: cfg.JobPollInterval, Timeout: cfg.JobTimeout, StopTimeout: cfg.ShutdownTimeout},
		Capacity: mid.Capacity{Limit: cfg.MaxInFlight, Queue: cfg.MaxQueued, Wait: cfg.MaxQueueWait},
	}, log, registry)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Addr:              cfg.Addr,
		Handler:           a.Echo,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		WriteTimeout:      cfg.RequestTimeout + 10*time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	jobs := make(chan error, 1)
	go func() { jobs <- a.Run(ctx) }()
	if cfg.MetricsAddr != "" {
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", opsapi.Metrics(registry))
		if cfg.Pprof {
			mux.HandleFunc("GET /debug/pprof/", pprof.Index)
			mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
			mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
		}
		metrics := &http.Server{Addr: cfg.MetricsAddr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go func() {
			log.Info("serving metrics", "addr", cfg.MetricsAddr)
			if err := metrics.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("metrics server", "error", err)
			}
		}()
		defer metrics.Close()
	}

	errc := make(chan error, 1)
	go func() {
		log.Info("listening", "addr", cfg.Addr)
		errc <- srv.ListenAndServe()
	}()
	select {
	case err := <-errc:
		return err
	case err := <-jobs:
		if err != nil {
			return err // the queue did not start
		}
		jobs <- nil // it returns nil only once ctx has ended: shut down below
	case <-ctx.Done():
	}
	log.Info("shutting down: draining in-flight requests and running jobs", "timeout", cfg.ShutdownTimeout)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	if err := <-jobs; err != nil {
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
