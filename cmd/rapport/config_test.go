package main

import (
	"strings"
	"testing"
)

// TestConfigNamesTheVariable: a bad setting is reported by its environment variable, every bad
// one at once, and a placeholder JWT secret is refused although it is long enough.
func TestConfigNamesTheVariable(t *testing.T) {
	t.Setenv("RAPPORT_RATE_LIMIT", "fast")
	t.Setenv("RAPPORT_ACCESS_TOKEN_TTL", "15")
	_, err := loadConfig()
	for _, want := range []string{`RAPPORT_RATE_LIMIT: must be a number, not "fast"`, `RAPPORT_ACCESS_TOKEN_TTL: must be a duration`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want %q", err, want)
		}
	}
	t.Setenv("RAPPORT_RATE_LIMIT", "50")
	t.Setenv("RAPPORT_ACCESS_TOKEN_TTL", "15m")
	for secret, ok := range map[string]bool{
		"CHANGE-ME-to-at-least-32-random-characters": false,
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx":  false,
		"short": false,
		"q8Zr1vN4kP0sLw7YcT2bHf9uJm3xEaG6dRiQ5oVnK1zXy=": true,
	} {
		t.Setenv("RAPPORT_JWT_SECRET", secret)
		if _, err := loadConfig(); (err == nil) != ok {
			t.Errorf("secret %q: %v", secret, err)
		}
	}
	t.Setenv("RAPPORT_REDIS_URL", "127.0.0.1:6379")
	if _, err := loadConfig(); err == nil || !strings.Contains(err.Error(), "RAPPORT_REDIS_URL: must be a Redis URL") {
		t.Errorf("a Redis address that is not a URL: %v", err)
	}
	t.Setenv("RAPPORT_REDIS_URL", "redis://127.0.0.1:6379/0")
	t.Setenv("RAPPORT_TRUSTED_PROXIES", "10.0.0.0/8,not-a-network")
	if _, err := loadConfig(); err == nil || !strings.Contains(err.Error(), "RAPPORT_TRUSTED_PROXIES") {
		t.Errorf("a bad proxy network: %v", err)
	}
}

// TestHelpOpensNothing: rapport --help prints the commands and settings without a database.
func TestHelpOpensNothing(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv("RAPPORT_DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
	if err := run(t.Context(), []string{"--help"}); err != nil {
		t.Fatal(err)
	}
	if err := run(t.Context(), []string{"bogus"}); err == nil || !strings.Contains(err.Error(), "unknown command") {
		t.Fatalf("an unknown command: %v", err)
	}
	if !strings.Contains(usage(), "RAPPORT_TRUSTED_PROXIES") {
		t.Fatal("the usage does not list every setting")
	}
}
