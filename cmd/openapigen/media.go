package main

import (
	"net/http"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// pictures documents web.Report on every operation whose success answer comes in more than one
// media type (@Produce json,image/svg+xml,image/png): Swagger 2.0 gives every produced type the
// one schema, the JSON object's; an image is binary instead. The answer varies with Accept, which
// it says in Vary, and an Accept that allows none of the types answers 406.
func pictures(doc *openapi3.T) error {
	operations(doc, func(_, _ string, op *openapi3.Operation) {
		negotiated := false
		for code, resp := range op.Responses.Map() {
			if !strings.HasPrefix(code, "2") || resp.Value == nil || len(resp.Value.Content) < 2 {
				continue
			}
			negotiated = true
			for name, mt := range resp.Value.Content {
				if strings.HasPrefix(name, "image/") {
					mt.Schema = openapi3.NewSchemaRef("", openapi3.NewStringSchema().WithFormat("binary"))
				}
			}
			if resp.Value.Headers == nil {
				resp.Value.Headers = openapi3.Headers{}
			}
			resp.Value.Headers["Vary"] = header("Accept: the media type of the answer follows the Accept header.", true, openapi3.NewStringSchema())
		}
		if negotiated {
			ensureProblem(op, http.StatusNotAcceptable)
		}
	})
	return nil
}
