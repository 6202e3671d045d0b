package apitest

import (
	"bytes"
	"image/png"
	"io"
	"net/http"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/rapportcrm/rapport/pkg/chart/charttest"
)

// The contract check reads the charts the reports answer (web.Report) as what the document says
// they are, binary strings, once the bytes have shown that they are what their Content-Type says:
// an SVG document or a PNG image.
func init() {
	openapi3filter.RegisterBodyDecoder("image/svg+xml", binary(func(b []byte) error {
		_, err := charttest.Texts(b)
		return err
	}))
	openapi3filter.RegisterBodyDecoder("image/png", binary(func(b []byte) error {
		_, err := png.Decode(bytes.NewReader(b))
		return err
	}))
}

// binary is a body decoder that checks the body with valid and answers it as a string.
func binary(valid func([]byte) error) openapi3filter.BodyDecoder {
	return func(body io.Reader, _ http.Header, _ *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
		b, err := io.ReadAll(body)
		if err != nil {
			return nil, err
		}
		if err := valid(b); err != nil {
			return nil, &openapi3filter.ParseError{Kind: openapi3filter.KindInvalidFormat, Cause: err}
		}
		return string(b), nil
	}
}

// Chart fetches the chart of a report (path) as SVG and as PNG: each must answer 200 in its media
// type, varying by Accept, and pass charttest.Check. It answers the SVG's texts, one a line.
func (e *Env) Chart(t *testing.T, token, path, name string) string {
	t.Helper()
	bodies := map[string][]byte{}
	for _, mt := range []string{"image/svg+xml", "image/png"} {
		res := e.Do(t, Req{Method: "GET", Path: path, Token: token, Header: map[string]string{"Accept": mt}})
		if res.Code != http.StatusOK || res.Header.Get("Content-Type") != mt || res.Header.Get("Vary") != "Accept" {
			t.Fatalf("GET %s as %s: %d %s, Vary %q: %.300s", path, mt, res.Code, res.Header.Get("Content-Type"), res.Header.Get("Vary"), res.Body)
		}
		bodies[mt] = res.Body
	}
	return charttest.Check(t, name, bodies["image/svg+xml"], bodies["image/png"])
}
