// Package redistest gives tests a Redis: the one RAPPORT_TEST_REDIS_URL names (redis://127.0.0.1:6379/0
// by default) under a key prefix of each test's own, and servers of a test's own to stop and
// start. Without a Redis that answers a test is skipped, with the reason logged, unless
// RAPPORT_TEST_REQUIRE_REDIS is set (CI sets it), which makes it fail.
package redistest

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/rapportcrm/rapport/pkg/redisx"
)

const (
	// EnvURL names the test Redis.
	EnvURL = "RAPPORT_TEST_REDIS_URL"
	// EnvRequire turns a missing Redis (or redis-server, for Start) into a failure.
	EnvRequire = "RAPPORT_TEST_REQUIRE_REDIS"
)

// URL returns the test Redis's URL once it answers.
func URL(t testing.TB) string {
	t.Helper()
	url := os.Getenv(EnvURL)
	if url == "" {
		url = "redis://127.0.0.1:6379/0"
	}
	c := Open(t, url, Prefix(t))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.Ping(ctx); err != nil {
		unavailable(t, fmt.Sprintf("no Redis answers at %s (set %s): %v", url, EnvURL, err))
	}
	return url
}

func unavailable(t testing.TB, reason string) {
	t.Helper()
	if os.Getenv(EnvRequire) != "" {
		t.Fatalf("%s, and %s is set", reason, EnvRequire)
	}
	t.Skip(reason)
}

// Prefix returns a key and channel prefix that no other test uses.
func Prefix(testing.TB) string { return "rapport-test-" + uuid.NewString() }

// Open returns a client of url under prefix, closed when the test ends.
func Open(t testing.TB, url, prefix string) *redisx.Client {
	t.Helper()
	c, err := redisx.Open(url, prefix, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// Server is a redis-server of the test's own on a free loopback port, for tests that take Redis
// away. It is killed when the test ends.
type Server struct {
	t    testing.TB
	port int
	dir  string
	cmd  *exec.Cmd
}

// Start starts a server.
func Start(t testing.TB) *Server {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		unavailable(t, "redis-server is not installed (apt-get install redis-server)")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{t: t, port: l.Addr().(*net.TCPAddr).Port, dir: t.TempDir()}
	l.Close()
	t.Cleanup(s.Stop)
	s.Start()
	return s
}

// URL is the server's URL.
func (s *Server) URL() string { return "redis://127.0.0.1:" + strconv.Itoa(s.port) + "/0" }

// Stop kills the server, as a crash would, and waits until it is gone. Stopping a stopped server
// does nothing.
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}

// Start starts the server again on its port, empty, and waits until it answers.
func (s *Server) Start() {
	s.t.Helper()
	s.cmd = exec.Command("redis-server", "--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", s.dir, "--logfile", filepath.Join(s.dir, "redis.log"))
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("start redis-server: %v", err)
	}
	c, err := redisx.Open(s.URL(), "ready", slog.New(slog.DiscardHandler))
	if err != nil {
		s.t.Fatal(err)
	}
	defer c.Close()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		err := c.Ping(context.Background())
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("redis-server on port %d does not answer: %v (log in %s)", s.port, err, s.dir)
		}
	}
}

// Logs is a log handler that keeps its records' levels and messages, for tests that count
// warnings.
type Logs struct {
	mu      sync.Mutex
	records []slog.Record
}

// Logger returns a logger into l.
func (l *Logs) Logger() *slog.Logger { return slog.New(l) }

// Count is the number of records at level whose message contains msg.
func (l *Logs) Count(level slog.Level, msg string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, r := range l.records {
		if r.Level == level && strings.Contains(r.Message, msg) {
			n++
		}
	}
	return n
}

// Messages lists the records at level or above, for a failure's message.
func (l *Logs) Messages(level slog.Level) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, r := range l.records {
		if r.Level >= level {
			out = append(out, r.Level.String()+" "+r.Message)
		}
	}
	return out
}

// Enabled is true from info up: go-redis's own lines come at debug level.
func (l *Logs) Enabled(_ context.Context, level slog.Level) bool { return level >= slog.LevelInfo }

// Handle keeps r.
func (l *Logs) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.records = append(l.records, r)
	return nil
}

// WithAttrs returns l: the attributes do not matter here.
func (l *Logs) WithAttrs([]slog.Attr) slog.Handler { return l }

// WithGroup returns l.
func (l *Logs) WithGroup(string) slog.Handler { return l }
