package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/rapportcrm/rapport/pkg/apperr"
)

// TestTranslateCollisions: a deadlock or serialization failure is a conflict the client may retry,
// an outage is unavailable, and other database errors pass through untouched.
func TestTranslateCollisions(t *testing.T) {
	for code, want := range map[string]apperr.Kind{
		"40P01": apperr.KindConflict, "40001": apperr.KindConflict, "08006": apperr.KindUnavailable, "23505": apperr.KindInternal,
		"22003": apperr.KindInvalid, "22021": apperr.KindInvalid, "22P02": apperr.KindInvalid,
	} {
		err := translate(fmt.Errorf("exec: %w", &pgconn.PgError{Code: code}))
		if got := apperr.KindOf(err); got != want {
			t.Errorf("%s: kind %v, want %v", code, got, want)
		}
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) {
			t.Errorf("%s: the driver error is no longer wrapped", code)
		}
	}
}

// TestTranslateBrokenConnections: a connection that dies mid-answer, or a transaction a deadline
// already ended, is the database being unavailable (503), not a server fault.
func TestTranslateBrokenConnections(t *testing.T) {
	for _, cause := range []error{io.ErrUnexpectedEOF, sql.ErrTxDone, sql.ErrConnDone, context.DeadlineExceeded} {
		if got := apperr.KindOf(translate(fmt.Errorf("query: %w", cause))); got != apperr.KindUnavailable {
			t.Errorf("%v: kind %v, want unavailable", cause, got)
		}
	}
}
