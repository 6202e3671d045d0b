package opsapi

import (
	"bytes"
	"context"
	"embed"
	"html/template"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	swaggerFiles "github.com/swaggo/files/v2"

	"github.com/rapportcrm/rapport/api/web"
	"github.com/rapportcrm/rapport/docs"
	"github.com/rapportcrm/rapport/pkg/apperr"
)

// Pinger reports whether the database answers.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Status is the body of /healthz and /readyz.
type Status struct {
	Status string `json:"status"`
}

func healthz(c echo.Context) error { return c.JSON(http.StatusOK, Status{"ok"}) }

// readyTimeout bounds /readyz: a load balancer asks often and must learn of a hung database in
// seconds, not after the request deadline.
const readyTimeout = 2 * time.Second

func readyz(db Pinger) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx, cancel := context.WithTimeout(c.Request().Context(), readyTimeout)
		defer cancel()
		if err := db.Ping(ctx); err != nil {
			return err
		}
		return c.JSON(http.StatusOK, Status{"ready"})
	}
}

func openAPI(c echo.Context) error {
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, docs.OpenAPI)
}

//go:embed pages
var pages embed.FS

// docsPage is Swagger UI showing /openapi.json and nothing else; its assets are served from
// swaggo/files, built into the binary.
var docsPage = echo.StaticFileHandler("pages/docs.html", pages)

// docsAssets are the files of swaggo/files that the reference page loads (with their source maps);
// the rest of that folder (its own index.html and initializer, pointing at the petstore example)
// is not served.
var docsAssets = map[string]bool{
	"swagger-ui.css": true, "swagger-ui.css.map": true,
	"swagger-ui-bundle.js": true, "swagger-ui-bundle.js.map": true,
	"favicon-32x32.png": true, "favicon-16x16.png": true,
}

func docsAsset(c echo.Context) error {
	name := c.Param("asset")
	if !docsAssets[name] {
		return echo.ErrNotFound
	}
	return echo.StaticFileHandler(name, swaggerFiles.FS)(c)
}

var problemTemplates = template.Must(template.ParseFS(pages, "pages/problems.tmpl"))

// problemIndex lists every problem type.
func problemIndex(c echo.Context) error {
	return renderPage(c, "index", web.ProblemTypes())
}

// problemPage explains one problem type: the page its type URI points at.
func problemPage(c echo.Context) error {
	pt, ok := web.LookupProblemType(c.Param("slug"))
	if !ok {
		return apperr.New(apperr.KindNotFound, "no such problem type; /problems/ lists them all")
	}
	return renderPage(c, "type", pt)
}

// renderPage renders into a buffer first, so that a template error answers a problem, not half a page.
func renderPage(c echo.Context, name string, data any) error {
	var b bytes.Buffer
	if err := problemTemplates.ExecuteTemplate(&b, name, data); err != nil {
		return err
	}
	c.Response().Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	return c.HTMLBlob(http.StatusOK, b.Bytes())
}
