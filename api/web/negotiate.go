package web

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/rapportcrm/rapport/pkg/chart"
)

// The media types of a report drawn as a chart.
const (
	MIMESVG = "image/svg+xml"
	MIMEPNG = "image/png"
)

// reportTypes are what a report answers, in the server's order of preference: JSON unless the
// client prefers a picture.
var reportTypes = []string{echo.MIMEApplicationJSON, MIMESVG, MIMEPNG}

// Report answers v as JSON, or the chart picture draws as SVG or PNG, as the Accept header asks;
// an Accept that allows none of them answers 406. picture must draw from v (or from what v was
// made of), so that both tell the same numbers; it runs only when a picture is asked for.
func Report(c echo.Context, v any, picture func() chart.Chart) error {
	c.Response().Header().Add(echo.HeaderVary, echo.HeaderAccept)
	mt, ok := Negotiate(c.Request().Header.Get(echo.HeaderAccept), reportTypes...)
	if !ok {
		return echo.NewHTTPError(http.StatusNotAcceptable, "this report answers "+strings.Join(reportTypes, ", ")+"; the Accept header allows none of them")
	}
	format := chart.SVG
	switch mt {
	case MIMEPNG:
		format = chart.PNG
	case MIMESVG:
	default:
		return c.JSON(http.StatusOK, v)
	}
	var buf bytes.Buffer
	if err := chart.Render(&buf, picture(), format); err != nil {
		return err
	}
	return c.Blob(http.StatusOK, mt, buf.Bytes())
}

// Negotiate picks from offers (type/subtype, in the server's order of preference) the one the
// Accept header gives the highest weight (RFC 9110, 12.5.1): each offer takes the q of the most
// specific media range that matches it (type/subtype over type/* over */*), q=0 rules it out, and
// ties go to the earlier offer. No Accept header accepts anything. Media ranges that do not
// parse match nothing.
func Negotiate(accept string, offers ...string) (string, bool) {
	if len(offers) == 0 {
		return "", false
	}
	if strings.TrimSpace(accept) == "" {
		return offers[0], true
	}
	ranges := parseAccept(accept)
	best, bestQ := "", 0.0
	for _, offer := range offers {
		q, specificity := 0.0, -1
		typ, sub, _ := strings.Cut(offer, "/")
		for _, r := range ranges {
			s := r.matches(typ, sub)
			if s > specificity {
				q, specificity = r.q, s
			}
		}
		if q > bestQ {
			best, bestQ = offer, q
		}
	}
	return best, bestQ > 0
}

// mediaRange is one member of an Accept header.
type mediaRange struct {
	typ, sub string
	q        float64
}

// matches answers how specifically the range matches type/sub: 2 exactly, 1 by type/*, 0 by
// */*, -1 not at all.
func (r mediaRange) matches(typ, sub string) int {
	switch {
	case r.typ == "*" && r.sub == "*":
		return 0
	case !strings.EqualFold(r.typ, typ):
		return -1
	case r.sub == "*":
		return 1
	case strings.EqualFold(r.sub, sub):
		return 2
	}
	return -1
}

func parseAccept(accept string) []mediaRange {
	var out []mediaRange
	for _, member := range strings.Split(accept, ",") {
		params := strings.Split(member, ";")
		typ, sub, ok := strings.Cut(strings.TrimSpace(params[0]), "/")
		if !ok || typ == "" || sub == "" || (typ == "*" && sub != "*") {
			continue
		}
		r := mediaRange{typ: typ, sub: sub, q: 1}
		for _, p := range params[1:] {
			name, value, _ := strings.Cut(strings.TrimSpace(p), "=")
			if strings.EqualFold(strings.TrimSpace(name), "q") {
				q, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
				if r.q = q; err != nil || q < 0 || q > 1 {
					r.q = -1
				}
				break // what follows q are accept extensions
			}
		}
		if r.q >= 0 {
			out = append(out, r)
		}
	}
	return out
}
