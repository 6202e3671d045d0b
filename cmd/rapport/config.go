package main

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"reflect"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
	"github.com/nyaruka/phonenumbers"
	"github.com/redis/go-redis/v9"
)

// config is every setting, read from RAPPORT_* environment variables.
type config struct {
	Addr            string        `env:"ADDR" envDefault:":8080"`
	MetricsAddr     string        `env:"METRICS_ADDR"`
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
	AuthFailures    int           `env:"AUTH_FAILURES" envDefault:"20"`
	BodyBudgetMB    int           `env:"BODY_BUDGET_MB" envDefault:"48"`
	TrustedProxies  []string      `env:"TRUSTED_PROXIES" envSeparator:","`
	AuthCacheTTL    time.Duration `env:"AUTH_CACHE_TTL" envDefault:"5s"`
	RedisURL        string        `env:"REDIS_URL"`
	RequestTimeout  time.Duration `env:"REQUEST_TIMEOUT" envDefault:"30s"`
	FeedRetention   time.Duration `env:"FEED_RETENTION" envDefault:"720h"`
	ShutdownTimeout time.Duration `env:"SHUTDOWN_TIMEOUT" envDefault:"20s"`
	JobWorkers      int           `env:"JOB_WORKERS" envDefault:"2"`
	JobPollInterval time.Duration `env:"JOB_POLL_INTERVAL" envDefault:"1s"`
	JobTimeout      time.Duration `env:"JOB_TIMEOUT" envDefault:"10m"`
	MaxInFlight     int           `env:"MAX_IN_FLIGHT" envDefault:"32"`
	MaxQueued       int           `env:"MAX_QUEUED" envDefault:"128"`
	MaxQueueWait    time.Duration `env:"MAX_QUEUE_WAIT" envDefault:"1s"`
	Pprof           bool          `env:"PPROF"`
}

const envPrefix = "RAPPORT_"

// loadConfig reads and checks the environment; an error names the offending variable.
func loadConfig() (config, error) {
	cfg, err := env.ParseAsWithOptions[config](env.Options{Prefix: envPrefix})
	if err != nil {
		return config{}, nameVariables(err)
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
		"REQUEST_TIMEOUT": cfg.RequestTimeout, "SHUTDOWN_TIMEOUT": cfg.ShutdownTimeout, "JOB_POLL_INTERVAL": cfg.JobPollInterval,
		"JOB_TIMEOUT": cfg.JobTimeout, "FEED_RETENTION": cfg.FeedRetention, "MAX_QUEUE_WAIT": cfg.MaxQueueWait} {
		if d <= 0 {
			bad(name, "must be a positive duration such as 15m")
		}
	}
	if cfg.JWTSecret != "" && (len(cfg.JWTSecret) < 32 || placeholder(cfg.JWTSecret)) {
		bad("JWT_SECRET", "must be at least 32 random characters (openssl rand -base64 48), not a placeholder")
	}
	if cfg.RateLimit <= 0 || cfg.RateBurst < 1 {
		bad("RATE_LIMIT", "and RAPPORT_RATE_BURST must be positive")
	}
	for name, n := range map[string]int{"LOGIN_ATTEMPTS": cfg.LoginAttempts, "DB_MAX_CONNS": cfg.DBMaxConns, "AUTH_FAILURES": cfg.AuthFailures,
		"BODY_BUDGET_MB": cfg.BodyBudgetMB, "JOB_WORKERS": cfg.JobWorkers} {
		if n < 1 {
			bad(name, "must be at least 1")
		}
	}
	if cfg.MaxInFlight < 0 || cfg.MaxQueued < 0 {
		bad("MAX_IN_FLIGHT", "and RAPPORT_MAX_QUEUED must not be negative (RAPPORT_MAX_IN_FLIGHT=0: no cap)")
	}
	if cfg.Pprof && cfg.MetricsAddr == "" {
		bad("PPROF", "needs RAPPORT_METRICS_ADDR: the profiles are served there, never on the API port")
	}
	if cfg.RedisURL != "" {
		if _, err := redis.ParseURL(cfg.RedisURL); err != nil {
			var urlErr *url.Error
			if errors.As(err, &urlErr) {
				err = urlErr.Err // without the URL, which may hold a password
			}
			bad("REDIS_URL", "must be a Redis URL such as redis://127.0.0.1:6379/0: %v", err)
		}
	}
	for _, cidr := range cfg.TrustedProxies {
		if _, _, err := net.ParseCIDR(strings.TrimSpace(cidr)); err != nil {
			bad("TRUSTED_PROXIES", "must be CIDR networks such as 10.0.0.0/8, not %q", cidr)
		}
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

// kinds say what a setting of each type must be.
var kinds = map[string]string{"int": "a whole number", "float64": "a number", "time.Duration": "a duration such as 15m or 1h30m",
	"bool": "true or false", "[]string": "a comma-separated list"}

// nameVariables rewrites the parse errors of env, which name Go fields, to name the variables.
func nameVariables(err error) error {
	var agg env.AggregateError
	if !errors.As(err, &agg) {
		return err
	}
	errs := make([]error, 0, len(agg.Errors))
	for _, e := range agg.Errors {
		var pe env.ParseError
		if errors.As(e, &pe) {
			if f, ok := reflect.TypeFor[config]().FieldByName(pe.Name); ok {
				name := envPrefix + strings.Split(f.Tag.Get("env"), ",")[0]
				e = fmt.Errorf("%s: must be %s, not %q", name, kinds[pe.Type.String()], os.Getenv(name))
			}
		}
		errs = append(errs, e)
	}
	return errors.Join(errs...)
}

// usage lists the commands and every setting with its default.
func usage() string {
	var b strings.Builder
	b.WriteString(`Rapport, a headless CRM API.

Usage: rapport [command]

Commands:
  serve        migrate the database, then serve the API (the default)
  migrate      apply pending migrations and exit
  status       list the migrations and whether each is applied
  healthcheck  exit 0 when the server on RAPPORT_ADDR answers /healthz
  help         print this

Settings (environment variables; README.md says what each means):
`)
	params, _ := env.GetFieldParamsWithOptions(&config{}, env.Options{Prefix: envPrefix})
	for _, p := range params {
		fmt.Fprintf(&b, "  %-28s default %q\n", p.Key, p.DefaultValue)
	}
	return b.String()
}

// proxies parses RAPPORT_TRUSTED_PROXIES, which loadConfig checked.
func (c config) proxies() []*net.IPNet {
	var nets []*net.IPNet
	for _, cidr := range c.TrustedProxies {
		if _, n, err := net.ParseCIDR(strings.TrimSpace(cidr)); err == nil {
			nets = append(nets, n)
		}
	}
	return nets
}

// placeholder tells a secret that was never replaced (CHANGE-ME-…, xxxx…) from a random one:
// one that says "change" or "example", or uses fewer than 12 distinct characters.
func placeholder(secret string) bool {
	lower := strings.ToLower(secret)
	distinct := map[rune]bool{}
	for _, r := range secret {
		distinct[r] = true
	}
	return strings.Contains(lower, "change") || strings.Contains(lower, "example") || len(distinct) < 12
}
