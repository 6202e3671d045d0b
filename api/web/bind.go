package web

import (
	"bytes"
	stdjson "encoding/json"
	"errors"
	"strconv"
	"time"

	"fmt"
	"io"
	"mime"
	"reflect"
	"slices"
	"strings"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/go-playground/validator/v10"
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/shopspring/decimal"

	"github.com/rapportcrm/rapport/pkg/apperr"
)

var validate = newValidator()

func newValidator() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterCustomTypeFunc(amountValue, Amount{})
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
	shape, err := BindShape(c, dst)
	if err != nil {
		return err
	}
	return shape.Err()
}

// BindShape is Bind for a handler that reports the fields the request type's tags refuse together
// with the domain's (see Checked): a body that cannot be read is the error; the fields that break
// the tags are returned apart.
func BindShape(c echo.Context, dst any) (apperr.Fields, error) {
	body, err := ReadBody(c)
	if err != nil {
		return nil, err
	}
	return DecodeShape(body, dst)
}

// MaxDepth bounds how deeply a request body's JSON may nest: a body is checked against it before
// it is decoded or merged, whose cost grows faster than the nesting (a 58 KB merge patch nesting
// 10,000 levels took 1 GB).
const MaxDepth = 12

// MaxEntries bounds the elements of an array and the members of an object in a request body, as
// many as the largest batch takes: decoding and merging cost far more memory than the text (a
// 200 KB array of 100,000 numbers took 25 MB to merge, 50,000 members 50 MB and seconds).
const MaxEntries = 1000

// Decode parses JSON into dst strictly: unknown members, duplicate names, invalid UTF-8, the NUL
// character (which no text column can hold) and nesting deeper than MaxDepth are refused, as is
// data after the value. Then dst's validate tags are checked.
func Decode(body []byte, dst any) error {
	shape, err := DecodeShape(body, dst)
	if err != nil {
		return err
	}
	return shape.Err()
}

// DecodeShape is Decode returning the fields that break dst's validate tags apart from the error.
func DecodeShape(body []byte, dst any) (apperr.Fields, error) {
	if err := Check(body); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(body, dst, json.RejectUnknownMembers(true), json.WithUnmarshalers(storableTimes)); err != nil {
		return nil, decodeError(err)
	}
	return Shape(dst)
}

// storableTimes reads times as RFC 3339 within the years Storable allows.
var storableTimes = json.UnmarshalFunc(func(b []byte, t *time.Time) error {
	if err := t.UnmarshalJSON(b); err != nil {
		return err
	}
	if !Storable(*t) {
		return errors.New("outside the years 1 to 9999 in UTC")
	}
	return nil
})

// Storable tells whether t, in UTC, falls in the years 1 to 9999: year 0 parses, but no database
// stores it, and a time is written and answered in UTC, where 9999-12-31T23:59:59-23:59 is in
// year 10000, which RFC 3339 cannot write and SQLite cannot read back.
func Storable(t time.Time) bool {
	y := t.UTC().Year()
	return y >= 1 && y <= 9999
}

// Check refuses a body that is empty, not one JSON value, nested deeper than MaxDepth, with more
// than MaxEntries in an array or object (413, as a batch of too many items), or that has a NUL
// character in a string, naming where.
func Check(body []byte) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return apperr.New(apperr.KindBadRequest, "the request body is empty; a JSON object is required")
	}
	dec := jsontext.NewDecoder(bytes.NewBuffer(body)) // from a bytes.Buffer it reads body in place
	for {
		start := dec.InputOffset()
		tok, err := dec.ReadToken()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return decodeError(err)
		}
		if dec.StackDepth() > MaxDepth {
			return fieldProblem(dec.StackPointer(), "nests deeper than %d levels", MaxDepth)
		}
		if kind, n := dec.StackIndex(dec.StackDepth()); kind == '[' && n > MaxEntries || kind == '{' && n > 2*MaxEntries {
			e := fieldProblem(dec.StackPointer().Parent(), "has more than %d entries", MaxEntries)
			e.Kind = apperr.KindTooLarge
			return e
		}
		// A NUL can only be written \u0000; strings without that text are not copied to look.
		if tok.Kind() == '"' && bytes.Contains(body[start:dec.InputOffset()], []byte(`\u0000`)) && strings.IndexByte(tok.String(), 0) >= 0 {
			at := dec.StackPointer()
			if strings.IndexByte(at.LastToken(), 0) >= 0 { // a member name
				return fieldProblem(at.Parent(), "has a member name with the NUL character (\\u0000)")
			}
			return fieldProblem(at, "must not contain the NUL character (\\u0000)")
		}
	}
}

// fieldProblem is a bad request about the member at pointer.
func fieldProblem(pointer jsontext.Pointer, format string, args ...any) *apperr.Error {
	field := FieldPath(pointer)
	msg := fmt.Sprintf(format, args...)
	e := apperr.New(apperr.KindBadRequest, "%s %s", field, msg)
	if field == "" {
		e = apperr.New(apperr.KindBadRequest, "the body %s", msg)
	}
	e.Fields = []apperr.FieldError{{Field: field, Message: msg}}
	return e
}

// FieldPath turns a JSON pointer (/items/2/name) into the field names errors use (items[2].name).
func FieldPath(p jsontext.Pointer) string {
	var b strings.Builder
	for tok := range p.Tokens() {
		if _, err := strconv.Atoi(tok); err == nil {
			b.WriteString("[" + tok + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(tok)
	}
	return b.String()
}

func decodeError(err error) error {
	var syntax *jsontext.SyntacticError
	var semantic *json.SemanticError
	switch {
	case errors.As(err, &semantic) && errors.Is(semantic.Err, json.ErrUnknownName):
		field := FieldPath(semantic.JSONPointer)
		e := apperr.New(apperr.KindBadRequest, "unknown or read-only field %q", field)
		e.Fields = []apperr.FieldError{{Field: field, Message: "is not a writable field of this resource"}}
		return e
	case errors.As(err, &semantic):
		return fieldProblem(semantic.JSONPointer, "%s", expected(semantic.GoType))
	case errors.As(err, &syntax) && errors.Is(syntax.Err, jsontext.ErrDuplicateName):
		return fieldProblem(syntax.JSONPointer, "is given twice")
	case errors.As(err, &syntax) && strings.Contains(syntax.Err.Error(), "UTF-8"):
		return fieldProblem(syntax.JSONPointer, "is not valid UTF-8")
	case errors.As(err, &syntax):
		return apperr.New(apperr.KindBadRequest, "malformed JSON at byte %d: %s", syntax.ByteOffset, syntax.Err)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return apperr.New(apperr.KindBadRequest, "malformed JSON: unexpected end of input")
	default:
		return apperr.New(apperr.KindBadRequest, "malformed JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
}

// expected says what a value of Go type t must look like in JSON.
func expected(t reflect.Type) string {
	if t == nil {
		return "has a value of the wrong type"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t {
	case reflect.TypeFor[time.Time]():
		return "must be an RFC 3339 time such as \"2026-01-02T15:04:05Z\", in the years 1 to 9999"
	case reflect.TypeFor[uuid.UUID]():
		return "must be a UUID"
	case reflect.TypeFor[decimal.Decimal]():
		return "must be a decimal number in a string, such as \"19.90\""
	case reflect.TypeFor[Amount]():
		return "must be a decimal number in a string, such as \"19.90\", or an object {\"amount\": \"19.90\", \"currency\": \"EUR\"}"
	}
	switch t.Kind() {
	case reflect.String:
		return "must be a string"
	case reflect.Bool:
		return "must be true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return fmt.Sprintf("must be a whole number from %d to %d", int64(-1)<<(t.Bits()-1), int64(1)<<(t.Bits()-1)-1)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "must be a whole number, not negative"
	case reflect.Float32, reflect.Float64:
		return "must be a number"
	case reflect.Slice, reflect.Array:
		return "must be an array"
	case reflect.Map, reflect.Struct:
		return "must be an object"
	}
	return "has a value of the wrong type"
}

// Validate checks dst's validate tags and reports every offending field at once.
func Validate(dst any) error {
	bad, err := Shape(dst)
	if err != nil {
		return err
	}
	return bad.Err()
}

// Shape returns every field that breaks dst's validate tags.
func Shape(dst any) (apperr.Fields, error) {
	err := validate.Struct(dst)
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) {
		return nil, err
	}
	var bad apperr.Fields
	for _, fe := range verrs {
		// Namespace is Type.field.sub[0]; drop the type.
		_, field, _ := strings.Cut(fe.Namespace(), ".")
		bad.Add(field, "%s", message(fe))
	}
	return bad, nil
}

// Checked answers every bad field of a request at once. shape holds the fields the request
// type's tags refused; when there are any, rules runs the domain's checks of the converted input
// (which write nothing) and their fields join shape's in one 422. With no shape errors it answers
// nil without running rules: the write that follows checks them itself.
func Checked(shape apperr.Fields, rules func() error) error {
	if len(shape) == 0 {
		return nil
	}
	err := rules()
	e, ok := apperr.As(err)
	switch {
	case ok && e.Kind == apperr.KindInvalid:
		for _, f := range e.Fields {
			if !slices.ContainsFunc(shape, func(g apperr.FieldError) bool { return g.Field == f.Field }) {
				shape = append(shape, f)
			}
		}
	case err != nil && (apperr.KindOf(err) == apperr.KindInternal || apperr.KindOf(err) == apperr.KindUnavailable):
		return err
	}
	return shape.Err()
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
	shape, err := MergePatchShape(doc, patch, dst)
	if err != nil {
		return err
	}
	return shape.Err()
}

// MergePatchShape is MergePatch returning the fields that break dst's validate tags apart.
func MergePatchShape(doc any, patch []byte, dst any) (apperr.Fields, error) {
	if !bytes.HasPrefix(bytes.TrimSpace(patch), []byte("{")) {
		return nil, apperr.New(apperr.KindBadRequest, "a merge patch must be a JSON object")
	}
	current, err := stdjson.Marshal(doc)
	if err != nil {
		return nil, err
	}
	if err := Check(patch); err != nil {
		return nil, err
	}
	merged, err := jsonpatch.MergePatch(current, patch)
	if err != nil {
		return nil, apperr.New(apperr.KindBadRequest, "malformed JSON merge patch")
	}
	return DecodeShape(merged, dst)
}
