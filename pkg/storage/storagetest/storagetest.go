// Package storagetest gives each test a fresh, migrated database: SQLite in a temporary folder by
// default, PostgreSQL when RAPPORT_TEST_DATABASE_URL is set.
package storagetest

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver for the admin connection
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/rapportcrm/rapport/pkg/feed"
	"github.com/rapportcrm/rapport/pkg/storage"
	"github.com/rapportcrm/rapport/pkg/storage/migrations"
)

// EnvURL names the variable that selects PostgreSQL for tests.
const EnvURL = "RAPPORT_TEST_DATABASE_URL"

// New returns a fresh, migrated database that is dropped when the test ends.
func New(t testing.TB) *storage.DB {
	t.Helper()
	return Open(t, URL(t))
}

// Open opens and migrates the database at url (from URL), closing it when the test ends; a test
// opens one url twice for two instances of the service.
func Open(t testing.TB, url string) *storage.DB {
	t.Helper()
	db, err := storage.Open(context.Background(), url, storage.Options{MaxOpenConns: 10, MaxIdleConns: 10})
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if db.Dialect() == storage.SQLite {
		if err := db.Migrate(context.Background(), slog.New(slog.DiscardHandler)); err != nil {
			t.Fatalf("migrate test database: %v", err)
		}
	}
	return db
}

// URL returns the URL of a fresh database: a migrated PostgreSQL copy of a template, or the path of
// a new SQLite file (not yet migrated). In CI (CI set) PostgreSQL is required when the URL is set.
func URL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvURL)
	if base == "" {
		if os.Getenv("RAPPORT_TEST_REQUIRE_POSTGRES") != "" {
			t.Fatalf("%s is not set, but RAPPORT_TEST_REQUIRE_POSTGRES is", EnvURL)
		}
		return "sqlite:" + filepath.Join(t.TempDir(), "rapport.db")
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("open %s: %v", EnvURL, err)
	}
	defer admin.Close()
	tmpl := template(t, admin, base)
	name := "rapport_test_" + strings.ReplaceAll(uuid.NewString(), "-", "")
	if _, err := admin.Exec(fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", name, tmpl)); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	// A test database is thrown away: commits need not wait for the disk.
	if _, err := admin.Exec(fmt.Sprintf("ALTER DATABASE %s SET synchronous_commit = off", name)); err != nil {
		t.Fatalf("configure test database: %v", err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer admin.Close()
		if _, err := admin.Exec(fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", name)); err != nil {
			t.Logf("drop test database %s: %v", name, err)
		}
	})
	return withDatabase(t, base, name)
}

// template returns a database migrated to the current migrations, ours and River's, creating it
// once for all test processes: its name carries a hash of the migrations, and an advisory lock
// serialises creation.
func template(t testing.TB, admin *sql.DB, base string) string {
	t.Helper()
	h := sha256.New()
	_ = fs.WalkDir(migrations.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := migrations.FS.ReadFile(path)
			h.Write([]byte(path))
			h.Write(b)
		}
		return nil
	})
	river, err := rivermigrate.New(riverdatabasesql.New(nil), nil)
	if err != nil {
		t.Fatalf("River's migrations: %v", err)
	}
	for _, m := range river.AllVersions() {
		h.Write([]byte(m.Name))
		h.Write([]byte(m.SQLUp))
	}
	name := "rapport_tmpl_" + hex.EncodeToString(h.Sum(nil))[:16]
	ctx := context.Background()
	conn, err := admin.Conn(ctx)
	if err != nil {
		t.Fatalf("connect to %s: %v", EnvURL, err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(727274)"); err != nil {
		t.Fatalf("lock: %v", err)
	}
	defer conn.ExecContext(ctx, "SELECT pg_advisory_unlock(727274)")
	var exists bool
	if err := conn.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		t.Fatalf("look up template: %v", err)
	}
	if exists {
		return name
	}
	building := name + "_building"
	_, _ = conn.ExecContext(ctx, fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", building))
	if _, err := conn.ExecContext(ctx, "CREATE DATABASE "+building); err != nil {
		t.Fatalf("create template: %v", err)
	}
	db, err := storage.Open(ctx, withDatabase(t, base, building), storage.Options{})
	if err != nil {
		t.Fatalf("open template: %v", err)
	}
	err = db.Migrate(ctx, slog.New(slog.DiscardHandler))
	db.Close()
	if err != nil {
		t.Fatalf("migrate template: %v", err)
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("ALTER DATABASE %s RENAME TO %s", building, name)); err != nil {
		t.Fatalf("finish template: %v", err)
	}
	return name
}

func withDatabase(t testing.TB, base, name string) string {
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", EnvURL, err)
	}
	u.Path = "/" + name
	return u.String()
}

// FeedSettled waits until the events feed hands out every event committed before the call. On
// PostgreSQL the feed stops below the oldest transaction still writing anywhere in the cluster,
// and other tests' databases share it: their transactions hold the feed back for a moment.
func FeedSettled(t testing.TB, db *storage.DB) {
	t.Helper()
	if db.Dialect() != storage.Postgres {
		return // SQLite's feed shows every committed event at once
	}
	ctx := context.Background()
	var now uint64
	if err := db.SQL().QueryRowContext(ctx, "SELECT pg_current_xact_id()::text::int8").Scan(&now); err != nil {
		t.Fatalf("read the transaction id: %v", err)
	}
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(5 * time.Millisecond) {
		b, err := db.FeedStore().Read(ctx, feed.Query{Types: []string{}})
		if err != nil {
			t.Fatalf("read the feed's end: %v", err)
		}
		if b.End.Tx > now {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the feed stayed below transaction %d for a minute (at %d): a transaction is left open", now, b.End.Tx)
		}
	}
}
