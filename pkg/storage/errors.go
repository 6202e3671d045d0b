package storage

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"github.com/rapportcrm/rapport/pkg/apperr"
)

// errUnavailable is what every error that means "the database cannot be reached" becomes.
var errUnavailable = apperr.New(apperr.KindUnavailable, "the database is unavailable; try again shortly")

// collided is the message of a deadlock or serialization failure: the transaction was rolled back
// and the same request, sent again, succeeds.
const collided = "the request collided with a concurrent one writing the same records; nothing was written, retry it"

// translate turns driver errors that mean the database is down or overloaded into an
// unavailable error, and those that mean a collision with a concurrent transaction into a
// conflict; other errors pass through for the caller to translate or wrap.
func translate(err error) error {
	var pgErr *pgconn.PgError
	switch {
	case err == nil:
		return nil
	case isUnavailable(err):
		return apperr.Wrap(apperr.KindUnavailable, err, errUnavailable.Message)
	case errors.As(err, &pgErr) && (pgErr.Code == "40P01" || pgErr.Code == "40001"):
		return apperr.Wrap(apperr.KindConflict, err, collided)
	case errors.As(err, &pgErr) && strings.HasPrefix(pgErr.Code, "22"):
		// A data exception: a value the checks above the database let through. The client sent it.
		msg, ok := dataExceptions[pgErr.Code]
		if !ok {
			msg = "a value cannot be stored as given"
		}
		return apperr.Wrap(apperr.KindInvalid, err, msg)
	}
	return err
}

// dataExceptions say in a client's words what each PostgreSQL data exception (class 22) means.
var dataExceptions = map[string]string{
	"22003": "a number is too large to be stored",
	"22008": "a time is outside the range that can be stored",
	"22021": "a text holds a character that cannot be stored, such as NUL",
	"22P05": "a text holds a character that cannot be stored, such as NUL",
	"22001": "a text is too long to be stored",
}

func isUnavailable(err error) bool {
	if _, ok := apperr.As(err); ok {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// Class 08: connection exception; 53: insufficient resources; 57P0x: shutdown; 57014: cancelled by timeout.
		return strings.HasPrefix(pgErr.Code, "08") || strings.HasPrefix(pgErr.Code, "53") ||
			strings.HasPrefix(pgErr.Code, "57P0") || pgErr.Code == "57014"
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	// A connection that dies mid-answer ends the read early (io.ErrUnexpectedEOF); a request past its
	// deadline finds its transaction already rolled back (sql.ErrTxDone).
	if errors.As(err, &connectErr) || errors.As(err, &netErr) || errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, sql.ErrConnDone) || errors.Is(err, sql.ErrTxDone) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "database is closed") || strings.Contains(msg, "database is locked") ||
		strings.Contains(msg, "SQLITE_BUSY") || strings.Contains(msg, "conn closed")
}

// uniqueViolation reports whether err broke a unique index, and which: the index name on
// PostgreSQL, the message (naming the index or its columns) on SQLite.
func uniqueViolation(err error) (string, bool) {
	if err == nil {
		return "", false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.ConstraintName, pgErr.Code == "23505"
	}
	msg := err.Error()
	return msg, strings.Contains(msg, "UNIQUE constraint failed")
}

// notFound maps gorm's not-found to the domain's sentinel and translates other errors.
func notFound(err error, sentinel error) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return sentinel
	}
	return translate(err)
}
