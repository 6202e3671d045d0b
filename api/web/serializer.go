package web

import (
	"github.com/goccy/go-json"
	"github.com/labstack/echo/v4"
)

// JSONSerializer writes the JSON answers with goccy/go-json, which encodes as encoding/json does
// (the API tests compare the two on every answer, apitest) for about a fifth of the instructions:
// a page of 50 customers costs 0.65M instead of 3.0M. Request bodies are read by Bind, never by
// Echo.
type JSONSerializer struct{}

// Serialize writes i to the response, as encoding/json's Encoder would.
func (JSONSerializer) Serialize(c echo.Context, i any, indent string) error {
	enc := json.NewEncoder(c.Response())
	if indent != "" {
		enc.SetIndent("", indent)
	}
	return enc.Encode(i)
}

// Deserialize is Echo's; the handlers bind through Bind instead.
func (JSONSerializer) Deserialize(c echo.Context, i any) error {
	return echo.DefaultJSONSerializer{}.Deserialize(c, i)
}
