// Package storage is the one storage layer and the only importer of GORM. It opens PostgreSQL or
// an embedded SQLite database, applies the versioned migrations, and implements every domain's Store.
package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/rapportcrm/rapport/pkg/storage/migrations"
)

// Dialects.
const (
	Postgres = "postgres"
	SQLite   = "sqlite"
)

// DB is an open database.
type DB struct {
	gorm    *gorm.DB
	sql     *sql.DB
	dialect string
}

// Options tune the connection pool.
type Options struct {
	MaxOpenConns int
	MaxIdleConns int
}

// Dialect tells which database a URL selects: postgres:// and postgresql:// select PostgreSQL;
// sqlite:PATH, file:PATH or a plain path select SQLite.
func Dialect(databaseURL string) string {
	if strings.HasPrefix(databaseURL, "postgres://") || strings.HasPrefix(databaseURL, "postgresql://") {
		return Postgres
	}
	return SQLite
}

// Open connects to the database at databaseURL.
func Open(ctx context.Context, databaseURL string, opts Options) (*DB, error) {
	cfg := &gorm.Config{
		SkipDefaultTransaction: true, // transactions are opened where a write spans statements
		Logger:                 logger.Discard,
		NowFunc:                func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) },
	}
	var dialector gorm.Dialector
	dialect := Dialect(databaseURL)
	switch dialect {
	case Postgres:
		dsn, err := withDefaultParam(databaseURL, "connect_timeout", "5")
		if err != nil {
			return nil, err
		}
		dialector = postgres.Open(dsn)
	default:
		dialector = sqlite.Open(sqliteDSN(databaseURL))
	}
	g, err := gorm.Open(dialector, cfg)
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", dialect, err)
	}
	sqlDB, err := g.DB()
	if err != nil {
		return nil, err
	}
	if dialect == SQLite {
		// One writer at a time: more connections only queue on SQLite's lock.
		opts.MaxOpenConns = min(max(opts.MaxOpenConns, 1), 4)
	}
	if opts.MaxOpenConns > 0 {
		sqlDB.SetMaxOpenConns(opts.MaxOpenConns)
	}
	if opts.MaxIdleConns > 0 {
		sqlDB.SetMaxIdleConns(opts.MaxIdleConns)
	}
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	db := &DB{gorm: g, sql: sqlDB, dialect: dialect}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := sqlDB.PingContext(pingCtx); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("reach %s database: %w", dialect, err)
	}
	// WAL lets readers run beside the writer. It is a property of the file, set once here: set
	// on every new connection, it can fail with "database is locked" while another one writes.
	if dialect == SQLite {
		if _, err := sqlDB.ExecContext(pingCtx, "PRAGMA journal_mode=WAL"); err != nil {
			sqlDB.Close()
			return nil, fmt.Errorf("set SQLite WAL mode: %w", err)
		}
	}
	return db, nil
}

// sqliteDSN turns a path into a DSN with the per-connection settings the service relies on: a
// busy wait instead of immediate lock errors, write transactions that take the lock up front, and
// foreign keys. (No _time_format: the driver then ignores _txlock. Its default format sorts in
// time order as long as every time is UTC, which the stores ensure.)
func sqliteDSN(databaseURL string) string {
	path := strings.TrimPrefix(strings.TrimPrefix(databaseURL, "sqlite://"), "sqlite:")
	path = strings.TrimPrefix(path, "file:")
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	return "file:" + path + "?" + q.Encode()
}

func withDefaultParam(rawURL, key, value string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", errors.New("the database URL is not a valid URL")
	}
	q := u.Query()
	if q.Get(key) == "" {
		q.Set(key, value)
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// Dialect is Postgres or SQLite.
func (db *DB) Dialect() string { return db.dialect }

// SQL is the underlying pool, for health checks and pool metrics.
func (db *DB) SQL() *sql.DB { return db.sql }

// Close closes the pool.
func (db *DB) Close() error { return db.sql.Close() }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error { return translate(db.sql.PingContext(ctx)) }

// Exclusively runs fn unless another instance is running the job of that name, and reports
// whether it ran. On PostgreSQL a transaction-scoped advisory lock decides, and fn's storage calls
// join that transaction; SQLite serves one process, which runs it.
func (db *DB) Exclusively(ctx context.Context, name string, fn func(context.Context) error) (bool, error) {
	if db.dialect != Postgres {
		return true, fn(ctx)
	}
	ran := false
	err := db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Raw("SELECT pg_try_advisory_xact_lock(hashtext(?))", name).Row().Scan(&ran); err != nil || !ran {
			return err
		}
		return fn(conn{db: tx, dialect: db.dialect}.Join(ctx))
	})
	return ran, translate(err)
}

// Migrate applies every pending migration. On PostgreSQL a session lock makes concurrent
// instances wait for each other.
func (db *DB) Migrate(ctx context.Context, log *slog.Logger) error {
	p, err := db.migrator()
	if err != nil {
		return err
	}
	results, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, r := range results {
		log.Info("migration applied", "version", r.Source.Version, "file", r.Source.Path, "duration", r.Duration)
	}
	return nil
}

// MigrationStatus lists each migration and whether it is applied.
func (db *DB) MigrationStatus(ctx context.Context) ([]*goose.MigrationStatus, error) {
	p, err := db.migrator()
	if err != nil {
		return nil, err
	}
	return p.Status(ctx)
}

func (db *DB) migrator() (*goose.Provider, error) {
	dir, gooseDialect := "sqlite", goose.DialectSQLite3
	var opts []goose.ProviderOption
	if db.dialect == Postgres {
		dir, gooseDialect = "postgres", goose.DialectPostgres
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return nil, err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	fsys, err := fs.Sub(migrations.FS, dir)
	if err != nil {
		return nil, err
	}
	return goose.NewProvider(gooseDialect, db.sql, fsys, opts...)
}
