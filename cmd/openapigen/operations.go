package main

import (
	"net/http"
	"strconv"

	"github.com/getkin/kin-openapi/openapi3"
)

func secured(op *openapi3.Operation) bool { return op.Security != nil && len(*op.Security) > 0 }

// publicSecurity says of every operation without credentials (sign-up, sign-in, refresh, logout)
// that it needs none, with an empty requirement, instead of leaving it unsaid.
func publicSecurity(doc *openapi3.T) error {
	operations(doc, func(_, _ string, op *openapi3.Operation) {
		if op.Security == nil {
			op.Security = openapi3.NewSecurityRequirements()
		}
	})
	return nil
}

// maxIdempotencyKey is mid.Idempotency's limit.
const maxIdempotencyKey = 255

// idempotency documents mid.Idempotency on every POST that needs credentials (the group it runs
// in): the optional Idempotency-Key header, and its answers: 400 for a key too long, 409 while the
// first request with the key is running, 422 for the key reused with another body.
func idempotency(doc *openapi3.T) error {
	operations(doc, func(_, method string, op *openapi3.Operation) {
		if method != http.MethodPost || !secured(op) {
			return
		}
		var key *openapi3.Parameter
		for _, p := range op.Parameters {
			if p.Value != nil && p.Value.In == openapi3.ParameterInHeader && http.CanonicalHeaderKey(p.Value.Name) == "Idempotency-Key" {
				key = p.Value
			}
		}
		if key == nil {
			key = openapi3.NewHeaderParameter("Idempotency-Key")
			key.Description = "Makes a retry safe: the same key and body answer the first response"
			op.Parameters = append(op.Parameters, &openapi3.ParameterRef{Value: key})
		}
		s := openapi3.NewStringSchema()
		s.MaxLength = openapi3.Ptr(uint64(maxIdempotencyKey))
		key.Schema = openapi3.NewSchemaRef("", s)
		for _, code := range []int{http.StatusBadRequest, http.StatusConflict, http.StatusUnprocessableEntity} {
			ensureProblem(op, code)
		}
	})
	return nil
}

// ensureProblem documents a problem answer with the status, unless the operation does already.
func ensureProblem(op *openapi3.Operation, code int) {
	if op.Responses.Value(strconv.Itoa(code)) == nil {
		r := openapi3.NewResponse().WithDescription(http.StatusText(code)).
			WithContent(openapi3.NewContentWithJSONSchemaRef(openapi3.NewSchemaRef(schemaPrefix+"Problem", nil)))
		op.Responses.Set(strconv.Itoa(code), &openapi3.ResponseRef{Value: r})
	}
}

// pathIDs documents web.PathID on every operation with an id in its path: a malformed id answers
// 400 naming the parameter (an id that is well-formed but unknown is 404).
func pathIDs(doc *openapi3.T) error {
	operations(doc, func(_, _ string, op *openapi3.Operation) {
		for _, p := range op.Parameters {
			if p.Value != nil && p.Value.In == openapi3.ParameterInPath && p.Value.Schema != nil && p.Value.Schema.Value.Format == "uuid" {
				ensureProblem(op, http.StatusBadRequest)
				return
			}
		}
	})
	return nil
}

// conditionalGets documents mid.NotModified on every GET whose answer carries an ETag: the
// If-None-Match header, and the 304 without a body that answers it when it names the ETag.
func conditionalGets(doc *openapi3.T) error {
	operations(doc, func(_, method string, op *openapi3.Operation) {
		ok := op.Responses.Value("200")
		if method != http.MethodGet || ok == nil || ok.Value == nil || ok.Value.Headers["ETag"] == nil {
			return
		}
		inm := openapi3.NewHeaderParameter("If-None-Match").WithSchema(openapi3.NewStringSchema())
		inm.Description = "An ETag from an earlier answer: 304 without a body while it is still current"
		op.Parameters = append(op.Parameters, &openapi3.ParameterRef{Value: inm})
		r := openapi3.NewResponse().WithDescription("Not Modified: the ETag in If-None-Match is current")
		r.Headers = openapi3.Headers{"ETag": ok.Value.Headers["ETag"]}
		op.Responses.Set("304", &openapi3.ResponseRef{Value: r})
	})
	return nil
}

// problemContent declares error responses as application/problem+json, which is what the error
// handler sends; swag can only say one media type per operation.
func problemContent(doc *openapi3.T) error {
	operations(doc, func(_, _ string, op *openapi3.Operation) {
		for code, resp := range op.Responses.Map() {
			if len(code) == 3 && code >= "400" && resp.Value != nil {
				if mt := resp.Value.Content.Get("application/json"); mt != nil {
					resp.Value.Content = openapi3.Content{"application/problem+json": mt}
				}
			}
		}
	})
	return nil
}

func header(description string, required bool, schema *openapi3.Schema) *openapi3.HeaderRef {
	return &openapi3.HeaderRef{Value: &openapi3.Header{Parameter: openapi3.Parameter{
		Description: description, Required: required, Schema: openapi3.NewSchemaRef("", schema)}}}
}

const beforeLimiter = " Absent when the answer came before the limiter counted the request: refused credentials, a body over the size limit by its Content-Length, or a failure while authenticating."

// The headers that middleware sends, as components that responses refer to.
var headers = map[string]*openapi3.HeaderRef{
	"X-Request-Id": header("The request's id: the X-Request-Id the request carried, else a new UUIDv7. Problem details repeat it as request_id; quote it when reporting a problem.",
		true, openapi3.NewStringSchema()),
	"RateLimit-Limit":     header("Requests the caller's bucket holds: the burst allowed (per user, API key, or client IP before sign-in).", true, openapi3.NewIntegerSchema()),
	"RateLimit-Remaining": header("Requests left in the caller's bucket.", true, openapi3.NewIntegerSchema()),
	"RateLimit-Reset":     header("Seconds until the caller's bucket is full again.", true, openapi3.NewIntegerSchema()),
	"RateLimit-Limit-Optional": header("Requests the caller's bucket holds: the burst allowed (per user, API key, or client IP before sign-in)."+beforeLimiter,
		false, openapi3.NewIntegerSchema()),
	"RateLimit-Remaining-Optional": header("Requests left in the caller's bucket."+beforeLimiter, false, openapi3.NewIntegerSchema()),
	"RateLimit-Reset-Optional":     header("Seconds until the caller's bucket is full again."+beforeLimiter, false, openapi3.NewIntegerSchema()),
	"Retry-After":                  header("Seconds to wait before the next request is allowed.", true, openapi3.NewIntegerSchema()),
	"WWW-Authenticate":             header(`The scheme to authenticate with: Bearer realm="rapport".`, true, openapi3.NewStringSchema()),
	"Idempotent-Replayed": header("true when this is the stored answer to an earlier request with the same Idempotency-Key and body; the request did nothing again.",
		false, openapi3.NewStringSchema().WithEnum("true")),
}

func headerRef(name string) *openapi3.HeaderRef {
	return &openapi3.HeaderRef{Ref: "#/components/headers/" + name, Value: headers[name].Value}
}

// responseHeaders documents, on every response, the headers that it carries:
//   - X-Request-Id, always (the request id middleware runs first);
//   - RateLimit-Limit, -Remaining and -Reset, always where the limiter has run; where the answer
//     may come before it (401, 413, 500 and 503 of operations that authenticate, since
//     authentication runs first; 413 of the others, from the body limit), as optional;
//   - Retry-After on 429, WWW-Authenticate on 401 (the error handler sets both);
//   - Idempotent-Replayed on every answer that mid.Idempotency stores and can replay: those
//     below 500 of a POST that needs credentials, but for 401 and 429, which come before it.
//
// A header that an annotation documents (ETag, Location) is one its handler always sends, so it
// becomes required, which the API tests' contract check then holds the handlers to.
func responseHeaders(doc *openapi3.T) error {
	doc.Components.Headers = openapi3.Headers{}
	for name, h := range headers {
		doc.Components.Headers[name] = h
	}
	operations(doc, func(_, method string, op *openapi3.Operation) {
		for code, r := range op.Responses.Map() {
			resp := r.Value
			if resp == nil {
				continue
			}
			if resp.Headers == nil {
				resp.Headers = openapi3.Headers{}
			}
			for _, h := range resp.Headers {
				h.Value.Required = true
				if h.Value.Schema == nil {
					h.Value.Schema = openapi3.NewSchemaRef("", openapi3.NewStringSchema())
				}
			}
			status, _ := strconv.Atoi(code)
			resp.Headers["X-Request-Id"] = headerRef("X-Request-Id")
			mayPrecede := status == http.StatusRequestEntityTooLarge || secured(op) &&
				(status == http.StatusUnauthorized || status == http.StatusInternalServerError || status == http.StatusServiceUnavailable)
			for _, name := range []string{"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"} {
				if mayPrecede {
					resp.Headers[name] = headerRef(name + "-Optional")
				} else {
					resp.Headers[name] = headerRef(name)
				}
			}
			switch status {
			case http.StatusTooManyRequests, http.StatusServiceUnavailable:
				resp.Headers["Retry-After"] = headerRef("Retry-After")
			case http.StatusUnauthorized:
				resp.Headers["WWW-Authenticate"] = headerRef("WWW-Authenticate")
			}
			if method == http.MethodPost && secured(op) && status < 500 && status != http.StatusUnauthorized && status != http.StatusTooManyRequests {
				resp.Headers["Idempotent-Replayed"] = headerRef("Idempotent-Replayed")
			}
		}
	})
	return nil
}
