// Package storage is the one storage layer and the only importer of GORM. It opens PostgreSQL or
// an embedded SQLite database, applies the versioned migrations (ours, then River's, the job
// queue's), and implements every domain's Store. River works on the same pool (RiverDriver) and
// inserts its jobs in InTx's transactions (SQLTx).
//
// Stores. Each table family has one store type, a conn with that family's methods (CustomerStore
// for customers, ContactStore for contacts, …); no store embeds another. What a store needs of
// another family's tables (does the customer exist, refresh its contact figures) is an unexported
// helper on conn in the file that owns those tables, called by whichever store needs it.
//
// Transactions. One rule: a domain service that needs several calls to commit together wraps
// them in InTx (DB implements the services' Transactor):
//
//	err := s.tx.InTx(ctx, func(ctx context.Context) error { … s.store.X(ctx, …) … })
//
// Every store method runs on the transaction carried by the context it is given, else on the pool;
// a store never opens a transaction of its own except to make one method atomic (through InTx
// too, so that it nests). What runs in one transaction is what the call site wraps in InTx.
//
// Data access. GORM builds the single-row reads and writes and the simple filtered lists. SQL is
// written out where GORM cannot say it or costs too much on a hot path: set-based and multi-row
// statements, dialect-specific ones, and the hottest reads (getCustomer). A PostgreSQL fast path
// is one `if c.dialect == Postgres` block that returns (or, inside a chunk loop, one if/else),
// with the portable statement after it. Column-wise batches go through insertColumns, unnest and
// queryIDs (columnar.go). Row types carry the times the domain set: their UpdatedAt is tagged
// autoUpdateTime:false, or GORM would put its own clock there on every update. Reports that aggregate across tables (analytics, the timeline) join
// them in one statement; every other need a store has of another family's tables goes through
// that family's helper.
package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
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

// DB is an open database. Its InTx opens the transactions of every service.
type DB struct {
	conn
	sql *sql.DB
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
	switch {
	case dialect == SQLite:
		// One writer at a time: more connections only queue on SQLite's lock.
		opts.MaxOpenConns = min(max(opts.MaxOpenConns, 1), 4)
	case opts.MaxOpenConns == 1:
		// River's migrator works on one connection while another holds its lock (migrateRiver).
		opts.MaxOpenConns = 2
	}
	if opts.MaxOpenConns > 0 {
		sqlDB.SetMaxOpenConns(opts.MaxOpenConns)
	}
	if opts.MaxIdleConns > 0 {
		sqlDB.SetMaxIdleConns(opts.MaxIdleConns)
	}
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	db := &DB{conn: conn{db: g, dialect: dialect}, sql: sqlDB}
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

// RiverDriver is River's driver over the pool, so that River's jobs live in this database and can
// be inserted in the transactions of InTx (see SQLTx).
func (db *DB) RiverDriver() riverdriver.Driver[*sql.Tx] {
	if db.dialect == Postgres {
		return riverdatabasesql.New(db.sql)
	}
	return riversqlite.New(db.sql)
}

// Close closes the pool.
func (db *DB) Close() error { return db.sql.Close() }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error { return translate(db.sql.PingContext(ctx)) }

// Migrate applies every pending migration: ours, then River's (its job tables). On PostgreSQL
// session locks make concurrent instances wait for each other.
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
	return db.migrateRiver(ctx, log)
}

// migrateRiver applies River's migrations. River's migrator takes no lock, so on PostgreSQL an
// advisory lock, held on a connection of its own while the migrator works on others, serializes
// instances; SQLite's migrations take its write lock.
func (db *DB) migrateRiver(ctx context.Context, log *slog.Logger) error {
	m, err := db.riverMigrator()
	if err != nil {
		return err
	}
	if db.dialect == Postgres {
		c, err := db.sql.Conn(ctx)
		if err != nil {
			return fmt.Errorf("migrate River: %w", err)
		}
		defer c.Close()
		if _, err := c.ExecContext(ctx, "SELECT pg_advisory_lock(hashtext('rapport.river_migrate'))"); err != nil {
			return fmt.Errorf("migrate River: %w", err)
		}
		defer c.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(hashtext('rapport.river_migrate'))")
	}
	res, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return fmt.Errorf("migrate River: %w", err)
	}
	for _, v := range res.Versions {
		log.Info("migration applied", "river_version", v.Version, "name", v.Name, "duration", v.Duration)
	}
	return nil
}

func (db *DB) riverMigrator() (*rivermigrate.Migrator[*sql.Tx], error) {
	return rivermigrate.New(db.RiverDriver(), &rivermigrate.Config{Logger: slog.New(slog.DiscardHandler)})
}

// MigrationStatus is one migration and whether it is applied.
type MigrationStatus struct {
	Source  string // the file, or River's migration
	Version int
	Applied bool
}

// MigrationStatus lists our migrations, then River's.
func (db *DB) MigrationStatus(ctx context.Context) ([]MigrationStatus, error) {
	p, err := db.migrator()
	if err != nil {
		return nil, err
	}
	ours, err := p.Status(ctx)
	if err != nil {
		return nil, err
	}
	var out []MigrationStatus
	for _, s := range ours {
		out = append(out, MigrationStatus{Source: s.Source.Path, Version: int(s.Source.Version), Applied: s.State == goose.StateApplied})
	}
	m, err := db.riverMigrator()
	if err != nil {
		return nil, err
	}
	applied, err := m.ExistingVersions(ctx)
	if err != nil {
		return nil, err
	}
	for _, v := range m.AllVersions() {
		out = append(out, MigrationStatus{Source: "river " + v.Name, Version: v.Version,
			Applied: slices.ContainsFunc(applied, func(a rivermigrate.Migration) bool { return a.Version == v.Version })})
	}
	return out, nil
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
