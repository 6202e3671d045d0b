package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"reflect"
	"strings"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"github.com/go-playground/validator/v10"
	"github.com/labstack/echo/v4"

	"github.com/rapportcrm/rapport/pkg/apperr"
)

var validate = newValidator()

func newValidator() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			return ""
		}
		return name
	})
	return v
}

// errUnsupportedMedia is answered for a body that is not JSON.
var errUnsupportedMedia = echo.NewHTTPError(415, "the request body must be application/json")

// ReadBody returns the request's JSON body, refusing other media types.
func ReadBody(c echo.Context) ([]byte, error) {
	if ct := c.Request().Header.Get(echo.HeaderContentType); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && mt != "application/merge-patch+json") {
			return nil, errUnsupportedMedia
		}
	}
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		var he *echo.HTTPError
		if errors.As(err, &he) {
			return nil, he // the body limit
		}
		return nil, apperr.New(apperr.KindBadRequest, "could not read the request body")
	}
	return body, nil
}

// Bind reads the JSON body into dst strictly and validates it.
func Bind(c echo.Context, dst any) error {
	body, err := ReadBody(c)
	if err != nil {
		return err
	}
	return Decode(body, dst)
}

// Decode parses JSON into dst, refusing unknown fields and trailing data, then validates dst.
func Decode(body []byte, dst any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return apperr.New(apperr.KindBadRequest, "the request body is empty; a JSON object is required")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	if dec.More() {
		return apperr.New(apperr.KindBadRequest, "the request body has data after the JSON value")
	}
	return Validate(dst)
}

func decodeError(err error) error {
	var syntax *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return apperr.New(apperr.KindBadRequest, "malformed JSON at byte %d: %s", syntax.Offset, syntax.Error())
	case errors.As(err, &typeErr):
		field := typeErr.Field
		e := apperr.New(apperr.KindBadRequest, "field %s must be %s, not %s", field, jsonType(typeErr.Type), typeErr.Value)
		e.Fields = []apperr.FieldError{{Field: field, Message: fmt.Sprintf("must be %s", jsonType(typeErr.Type))}}
		return e
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		e := apperr.New(apperr.KindBadRequest, "unknown or read-only field %q", field)
		e.Fields = []apperr.FieldError{{Field: field, Message: "is not a writable field of this resource"}}
		return e
	case errors.Is(err, io.ErrUnexpectedEOF):
		return apperr.New(apperr.KindBadRequest, "malformed JSON: unexpected end of input")
	default:
		return apperr.New(apperr.KindBadRequest, "malformed JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
}

func jsonType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int32, reflect.Int64, reflect.Float64:
		return "a number"
	case reflect.Slice:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Pointer:
		return jsonType(t.Elem())
	}
	return t.String()
}

// Validate checks dst's validate tags and reports every offending field at once.
func Validate(dst any) error {
	err := validate.Struct(dst)
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) {
		return err
	}
	var bad apperr.Fields
	for _, fe := range verrs {
		// Namespace is Type.field.sub[0]; drop the type.
		_, field, _ := strings.Cut(fe.Namespace(), ".")
		bad.Add(field, "%s", message(fe))
	}
	return bad.Err()
}

func message(fe validator.FieldError) string {
	switch fe.Tag() {
	case "required", "required_without_all":
		return "is required"
	case "email":
		return "must be a valid email address"
	case "max":
		if fe.Kind() == reflect.Slice || fe.Kind() == reflect.Map {
			return "must have at most " + fe.Param() + " entries"
		}
		return "must be at most " + fe.Param() + " characters"
	case "min":
		if fe.Kind() == reflect.Slice || fe.Kind() == reflect.Map {
			return "must have at least " + fe.Param() + " entries"
		}
		return "must be at least " + fe.Param() + " characters"
	case "oneof":
		return "must be one of " + strings.ReplaceAll(fe.Param(), " ", ", ")
	case "uuid":
		return "must be a UUID"
	case "iso3166_1_alpha2":
		return "must be an ISO 3166-1 alpha-2 country code"
	case "datetime":
		return "must be a date in the form YYYY-MM-DD"
	case "numeric":
		return "must be a decimal number in a string, such as \"19.90\""
	case "len":
		return "must be exactly " + fe.Param() + " characters"
	}
	return "is invalid (" + fe.Tag() + ")"
}

// MergePatch applies an RFC 7396 JSON merge patch to doc (a resource's writable fields, as its
// input type) and decodes the result strictly into dst: a read-only or unknown field is refused.
func MergePatch(doc any, patch []byte, dst any) error {
	if !bytes.HasPrefix(bytes.TrimSpace(patch), []byte("{")) {
		return apperr.New(apperr.KindBadRequest, "a merge patch must be a JSON object")
	}
	current, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	merged, err := jsonpatch.MergePatch(current, patch)
	if err != nil {
		return apperr.New(apperr.KindBadRequest, "malformed JSON merge patch")
	}
	return Decode(merged, dst)
}
