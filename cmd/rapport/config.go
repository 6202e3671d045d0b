package main

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
	"github.com/nyaruka/phonenumbers"
)

// config is every setting, read from RAPPORT_* environment variables.
type config struct {
	Addr            string        `env:"ADDR" envDefault:":8080"`
	DatabaseURL     string        `env:"DATABASE_URL" envDefault:"rapport.db"`
	DBMaxConns      int           `env:"DB_MAX_CONNS" envDefault:"20"`
	JWTSecret       string        `env:"JWT_SECRET"`
	Signup          string        `env:"SIGNUP" envDefault:"open"`
	AccessTokenTTL  time.Duration `env:"ACCESS_TOKEN_TTL" envDefault:"15m"`
	RefreshTokenTTL time.Duration `env:"REFRESH_TOKEN_TTL" envDefault:"720h"`
	LogLevel        string        `env:"LOG_LEVEL" envDefault:"info"`
	CORSOrigins     []string      `env:"CORS_ORIGINS" envSeparator:","`
	DefaultRegion   string        `env:"DEFAULT_REGION" envDefault:"US"`
	RateLimit       float64       `env:"RATE_LIMIT" envDefault:"50"`
	RateBurst       int           `env:"RATE_BURST" envDefault:"200"`
	LoginAttempts   int           `env:"LOGIN_ATTEMPTS" envDefault:"10"`
	AuthCacheTTL    time.Duration `env:"AUTH_CACHE_TTL" envDefault:"5s"`
	RequestTimeout  time.Duration `env:"REQUEST_TIMEOUT" envDefault:"30s"`
	ShutdownTimeout time.Duration `env:"SHUTDOWN_TIMEOUT" envDefault:"20s"`
}

// loadConfig reads and checks the environment; an error names the offending variable.
func loadConfig() (config, error) {
	cfg, err := env.ParseAsWithOptions[config](env.Options{Prefix: "RAPPORT_"})
	if err != nil {
		return config{}, err
	}
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, fmt.Errorf("RAPPORT_%s: %s", name, fmt.Sprintf(format, args...)))
	}
	if cfg.Signup != "open" && cfg.Signup != "closed" {
		bad("SIGNUP", "must be open or closed, not %q", cfg.Signup)
	}
	if _, err := parseLevel(cfg.LogLevel); err != nil {
		bad("LOG_LEVEL", "must be debug, info, warn or error, not %q", cfg.LogLevel)
	}
	cfg.DefaultRegion = strings.ToUpper(cfg.DefaultRegion)
	if phonenumbers.GetCountryCodeForRegion(cfg.DefaultRegion) == 0 {
		bad("DEFAULT_REGION", "must be an ISO 3166-1 alpha-2 region such as US or DE, not %q", cfg.DefaultRegion)
	}
	for name, d := range map[string]time.Duration{"ACCESS_TOKEN_TTL": cfg.AccessTokenTTL, "REFRESH_TOKEN_TTL": cfg.RefreshTokenTTL,
		"REQUEST_TIMEOUT": cfg.RequestTimeout, "SHUTDOWN_TIMEOUT": cfg.ShutdownTimeout} {
		if d <= 0 {
			bad(name, "must be a positive duration such as 15m")
		}
	}
	if cfg.JWTSecret != "" && len(cfg.JWTSecret) < 32 {
		bad("JWT_SECRET", "must be at least 32 characters")
	}
	if cfg.RateLimit <= 0 || cfg.RateBurst < 1 {
		bad("RATE_LIMIT", "and RAPPORT_RATE_BURST must be positive")
	}
	if cfg.LoginAttempts < 1 || cfg.DBMaxConns < 1 {
		bad("LOGIN_ATTEMPTS", "and RAPPORT_DB_MAX_CONNS must be at least 1")
	}
	return cfg, errors.Join(errs...)
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	err := l.UnmarshalText([]byte(s))
	return l, err
}

func randomSecret() string {
	b := make([]byte, 48)
	_, _ = rand.Read(b)
	return base64.RawStdEncoding.EncodeToString(b)
}
