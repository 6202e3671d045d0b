package storage_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/rapportcrm/rapport/pkg/storage"
	"github.com/rapportcrm/rapport/pkg/storage/storagetest"
)

// columns lists table.column names of the migrated schema, without goose's own table.
func columns(t *testing.T, db *storage.DB) []string {
	t.Helper()
	q := `SELECT table_name || '.' || column_name FROM information_schema.columns
	      WHERE table_schema = 'public' AND table_name <> 'goose_db_version'`
	if db.Dialect() == storage.SQLite {
		q = `SELECT m.name || '.' || p.name FROM sqlite_master m, pragma_table_info(m.name) p
		     WHERE m.type = 'table' AND m.name NOT IN ('goose_db_version', 'sqlite_sequence')`
	}
	rows, err := db.SQL().Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var cols []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			t.Fatal(err)
		}
		cols = append(cols, c)
	}
	slices.Sort(cols)
	return cols
}

// TestDialectsAgree checks that the PostgreSQL and SQLite migrations build the same tables and columns.
func TestDialectsAgree(t *testing.T) {
	if os.Getenv(storagetest.EnvURL) == "" {
		if os.Getenv("RAPPORT_TEST_REQUIRE_POSTGRES") != "" {
			t.Fatalf("needs PostgreSQL, and RAPPORT_TEST_REQUIRE_POSTGRES is set: set %s", storagetest.EnvURL)
		}
		t.Skipf("needs PostgreSQL: set %s", storagetest.EnvURL)
	}
	pg := storagetest.New(t)
	lite, err := storage.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "s.db"), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	if err := lite.Migrate(context.Background(), discard); err != nil {
		t.Fatal(err)
	}
	pgCols, liteCols := columns(t, pg), columns(t, lite)
	if len(pgCols) == 0 {
		t.Fatal("no columns read from PostgreSQL")
	}
	if !slices.Equal(pgCols, liteCols) {
		t.Errorf("schemas differ:\npostgres: %v\nsqlite:   %v", pgCols, liteCols)
	}
}
