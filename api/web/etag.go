package web

import (
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/rapportcrm/rapport/pkg/apperr"
)

// SetETag sets a strong ETag from a resource's version.
func SetETag(c echo.Context, version int64) {
	c.Response().Header().Set("ETag", `"`+strconv.FormatInt(version, 10)+`"`)
}

// IfMatch reads If-Match: nil when absent or "*", else the version it names.
func IfMatch(c echo.Context) (*int64, error) {
	v := strings.TrimSpace(c.Request().Header.Get("If-Match"))
	if v == "" || v == "*" {
		return nil, nil
	}
	v = strings.Trim(strings.TrimPrefix(v, "W/"), `"`)
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return nil, apperr.New(apperr.KindBadRequest, "If-Match must be an ETag this API issued, such as \"3\"")
	}
	return &n, nil
}
