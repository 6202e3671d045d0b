package customer

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
	"golang.org/x/text/language"

	"github.com/rapportcrm/rapport/pkg/apperr"
)

// Limits on list-like fields, so that one customer cannot grow without bound.
const (
	maxTags             = 50
	maxTagLength        = 64
	maxCustomFields     = 100
	maxCustomFieldsSize = 16 << 10
)

// normalize applies the business rules to c in place and reports every field that breaks one.
// Phone numbers become E.164, read against the customer's country or else the default region.
func normalize(c *Customer, defaultRegion string) apperr.Fields {
	var bad apperr.Fields
	trim(&c.ExternalID, &c.FirstName, &c.LastName, &c.Email, &c.Phone, &c.Company, &c.JobTitle, &c.Source, &c.PreferredChannel)
	c.PreferredChannel = strings.ToLower(c.PreferredChannel)
	if c.Address != nil {
		a := c.Address
		trim(&a.Line1, &a.Line2, &a.City, &a.Region, &a.PostalCode, &a.Country)
		a.Country = strings.ToUpper(a.Country)
		if a.Country == "UK" { // reserved in ISO 3166-1 for the United Kingdom, whose code is GB
			a.Country = "GB"
		}
		if r, err := language.ParseRegion(a.Country); a.Country != "" && (err != nil || !r.IsCountry() || r.String() != a.Country) {
			bad.Add("address.country", "must be an ISO 3166-1 alpha-2 country code")
			a.Country = ""
		}
		if *a == (Address{}) {
			c.Address = nil
		}
	}
	if c.FirstName == "" && c.LastName == "" && c.Email == "" && c.Phone == "" && c.Company == "" && c.ExternalID == "" {
		bad.Add("first_name", "a customer needs at least one of first_name, last_name, email, phone, company or external_id")
	}
	if c.CustomFields == nil {
		c.CustomFields = map[string]any{}
	}
	if c.Phone != "" {
		region := defaultRegion
		if c.Address != nil && c.Address.Country != "" {
			region = c.Address.Country
		}
		num, err := phonenumbers.Parse(c.Phone, region)
		if err != nil || !phonenumbers.IsValidNumber(num) {
			bad.Add("phone", "must be a valid phone number (international +… form, or national for region %s)", region)
		} else {
			c.Phone = phonenumbers.Format(num, phonenumbers.E164)
		}
	}
	if !slices.Contains(Stages, c.LifecycleStage) {
		bad.Add("lifecycle_stage", "must be one of %s", join(Stages))
	}
	if !slices.Contains(Statuses, c.Status) {
		bad.Add("status", "must be one of %s", join(Statuses))
	}
	if c.PreferredChannel != "" && !slices.Contains(Channels, c.PreferredChannel) {
		bad.Add("preferred_channel", "must be one of %s", join(Channels))
	}
	c.Tags = normalizeList("tags", c.Tags, &bad)
	c.Interests = normalizeList("interests", c.Interests, &bad)
	if len(c.CustomFields) > maxCustomFields {
		bad.Add("custom_fields", "must have at most %d keys", maxCustomFields)
	} else if b, err := json.Marshal(c.CustomFields); err != nil || len(b) > maxCustomFieldsSize {
		bad.Add("custom_fields", "must encode to at most %d bytes of JSON", maxCustomFieldsSize)
	}
	if m := c.AcquisitionCost; m != nil {
		m.Normalize("acquisition_cost.amount", "acquisition_cost.currency", &bad)
	}
	return bad
}

// normalizeList trims, lower-cases and de-duplicates tags and interests, keeping their order.
func normalizeList(field string, list []string, bad *apperr.Fields) []string {
	out := make([]string, 0, len(list))
	for i, v := range list {
		v = strings.ToLower(strings.TrimSpace(v))
		switch {
		case v == "":
			bad.Add(fmt.Sprintf("%s[%d]", field, i), "must not be empty")
		case utf8.RuneCountInString(v) > maxTagLength:
			bad.Add(fmt.Sprintf("%s[%d]", field, i), "must be at most %d characters", maxTagLength)
		case !slices.Contains(out, v):
			out = append(out, v)
		}
	}
	if len(out) > maxTags {
		bad.Add(field, "must have at most %d entries", maxTags)
	}
	return out
}

func trim(fields ...*string) {
	for _, f := range fields {
		*f = strings.TrimSpace(*f)
	}
}

func join[T ~string](values []T) string {
	s := make([]string, len(values))
	for i, v := range values {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}
