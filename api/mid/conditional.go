package mid

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// NotModified answers 304 Not Modified, without a body, to a GET or HEAD whose If-None-Match
// names the ETag that the response would carry (RFC 9110, 13.1.2): a client that cached a
// resource learns that it is still current without downloading it again.
func NotModified() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req, res := c.Request(), c.Response()
			inm := req.Header.Get("If-None-Match")
			if inm == "" || (req.Method != http.MethodGet && req.Method != http.MethodHead) {
				return next(c)
			}
			w := &bodyless{ResponseWriter: res.Writer}
			res.Writer = w
			res.Before(func() {
				if res.Status == http.StatusOK && etagListed(inm, res.Header().Get("ETag")) {
					res.Status, w.drop = http.StatusNotModified, true
					res.Header().Del(echo.HeaderContentType)
					res.Header().Del(echo.HeaderContentLength)
				}
			})
			return next(c)
		}
	}
}

// bodyless drops the body of a response that became a 304.
type bodyless struct {
	http.ResponseWriter
	drop bool
}

func (w *bodyless) Write(b []byte) (int, error) {
	if w.drop {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

// etagListed reports whether an If-None-Match list names etag, by weak comparison.
func etagListed(list, etag string) bool {
	if etag == "" {
		return false
	}
	for _, tag := range strings.Split(list, ",") {
		tag = strings.TrimSpace(tag)
		if tag == "*" || strings.TrimPrefix(tag, "W/") == strings.TrimPrefix(etag, "W/") {
			return true
		}
	}
	return false
}
