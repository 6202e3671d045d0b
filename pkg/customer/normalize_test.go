package customer

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/rapportcrm/rapport/pkg/apperr/apperrtest"
	"github.com/rapportcrm/rapport/pkg/money"
)

// ada is a valid new customer, as normalize leaves it; the specs change her.
func ada() Customer {
	c := New()
	c.FirstName, c.LastName = "Ada", "Lovelace"
	return c
}

// words are n distinct lower-case words.
func words(n int) []string {
	w := make([]string, n)
	for i := range w {
		w[i] = fmt.Sprintf("w%d", i)
	}
	return w
}

func TestNormalize(t *testing.T) {
	cost := func(amount, currency string) *money.Money {
		return &money.Money{Amount: decimal.RequireFromString(amount), Currency: currency}
	}
	fields := func(n int) map[string]any {
		m := map[string]any{}
		for i := range n {
			m[fmt.Sprint("k", i)] = i
		}
		return m
	}
	tests := []struct {
		name   string
		region string // the service's default region; DE unless set
		in     func(*Customer)
		bad    []string
		// want is what normalize makes of the changed customer; nil: it leaves it as it is.
		want func(*Customer)
	}{
		// Spellings a client may reasonably send.
		{name: "UK, which ISO 3166-1 reserves for the United Kingdom, is stored as GB, and its national numbers are read",
			in:   func(c *Customer) { c.Address, c.Phone = &Address{Country: "uk"}, "020 7946 0018" },
			want: func(c *Customer) { c.Address, c.Phone = &Address{Country: "GB"}, "+442079460018" }},
		{name: "a tag's length is counted in characters, not bytes",
			in:   func(c *Customer) { c.Tags = []string{strings.Repeat("ü", 64)} },
			want: func(c *Customer) { c.Tags = []string{strings.Repeat("ü", 64)} }},
		{name: "the preferred channel is read in any case",
			in:   func(c *Customer) { c.PreferredChannel = " SMS " },
			want: func(c *Customer) { c.PreferredChannel = "sms" }},

		// Who the customer is.
		{name: "names, email, company, job title, source and external_id are trimmed; the email keeps its case",
			in: func(c *Customer) {
				c.FirstName, c.LastName, c.Email, c.Company = " Ada ", "\tLovelace\n", " Ada@Example.COM ", " Analytical Engines "
				c.JobTitle, c.Source, c.ExternalID = " Countess ", " referral ", " crm-1 "
			},
			want: func(c *Customer) {
				c.FirstName, c.LastName, c.Email, c.Company = "Ada", "Lovelace", "Ada@Example.COM", "Analytical Engines"
				c.JobTitle, c.Source, c.ExternalID = "Countess", "referral", "crm-1"
			}},
		{name: "a customer needs a name, email, phone, company or external_id; blanks do not count",
			in: func(c *Customer) { c.FirstName, c.LastName = "  ", "" }, bad: []string{"first_name"},
			want: func(c *Customer) { c.FirstName, c.LastName = "", "" }},
		{name: "a job title alone does not identify a customer",
			in: func(c *Customer) { c.FirstName, c.LastName, c.JobTitle = "", "", "CEO" }, bad: []string{"first_name"}},
		{name: "a last name alone identifies a customer", in: func(c *Customer) { c.FirstName = "" }},
		{name: "an email alone identifies a customer", in: func(c *Customer) { c.FirstName, c.LastName, c.Email = "", "", "a@b.c" }},
		{name: "a company alone identifies a customer", in: func(c *Customer) { c.FirstName, c.LastName, c.Company = "", "", "ACME" }},
		{name: "an external_id alone identifies a customer", in: func(c *Customer) { c.FirstName, c.LastName, c.ExternalID = "", "", "x1" }},
		{name: "a phone alone identifies a customer", in: func(c *Customer) { c.FirstName, c.LastName, c.Phone = "", "", "+4930123456" }},

		// Phone numbers.
		{name: "a national number is read in the default region and stored in E.164",
			in: func(c *Customer) { c.Phone = " 030 12345678 " }, want: func(c *Customer) { c.Phone = "+493012345678" }},
		{name: "the default region is the service's",
			region: "GB", in: func(c *Customer) { c.Phone = "020 7946 0958" }, want: func(c *Customer) { c.Phone = "+442079460958" }},
		{name: "the address's country, when there is one, is the region national numbers are read in",
			in:   func(c *Customer) { c.Phone, c.Address = "(201) 555-0123", &Address{Country: "us"} },
			want: func(c *Customer) { c.Phone, c.Address = "+12015550123", &Address{Country: "US"} }},
		{name: "an international number keeps its country",
			in: func(c *Customer) { c.Phone = "+44 20 7946 0958" }, want: func(c *Customer) { c.Phone = "+442079460958" }},
		{name: "a number too short to be valid is refused and left as given",
			in: func(c *Customer) { c.Phone = "12" }, bad: []string{"phone"}},
		{name: "words are not a phone number",
			in: func(c *Customer) { c.Phone = "call me" }, bad: []string{"phone"}},

		// Address.
		{name: "address fields are trimmed and the country upper-cased",
			in: func(c *Customer) {
				c.Address = &Address{Line1: " 1 Main St ", City: " Berlin ", PostalCode: " 10115 ", Country: " de "}
			},
			want: func(c *Customer) {
				c.Address = &Address{Line1: "1 Main St", City: "Berlin", PostalCode: "10115", Country: "DE"}
			}},
		{name: "an unassigned country code is refused and dropped",
			in:   func(c *Customer) { c.Address = &Address{City: "Nowhere", Country: "ZZ"} },
			bad:  []string{"address.country"},
			want: func(c *Customer) { c.Address = &Address{City: "Nowhere"} }},
		{name: "a region that is not a country is refused",
			in: func(c *Customer) { c.Address = &Address{City: "Brussels", Country: "EU"} }, bad: []string{"address.country"},
			want: func(c *Customer) { c.Address = &Address{City: "Brussels"} }},
		{name: "a numeric region code is refused",
			in: func(c *Customer) { c.Address = &Address{City: "Earth", Country: "001"} }, bad: []string{"address.country"},
			want: func(c *Customer) { c.Address = &Address{City: "Earth"} }},
		{name: "an address of blanks is no address",
			in: func(c *Customer) { c.Address = &Address{Line1: " ", City: "\t"} }, want: func(c *Customer) { c.Address = nil }},
		{name: "an address left empty by its refused country is no address",
			in: func(c *Customer) { c.Address = &Address{Country: "ZZ"} }, bad: []string{"address.country"},
			want: func(c *Customer) { c.Address = nil }},
		{name: "a national number is read in the default region when the address's country is refused",
			in:   func(c *Customer) { c.Phone, c.Address = "030 12345678", &Address{City: "Berlin", Country: "XX"} },
			bad:  []string{"address.country"},
			want: func(c *Customer) { c.Phone, c.Address = "+493012345678", &Address{City: "Berlin"} }},

		// Ladder, status, channel.
		{name: "the lifecycle stage is a rung of the ladder",
			in: func(c *Customer) { c.LifecycleStage = "lead" }, bad: []string{"lifecycle_stage"}},
		{name: "normalize gives no default stage or status",
			in: func(c *Customer) { c.LifecycleStage, c.Status = "", "" }, bad: []string{"lifecycle_stage", "status"}},
		{name: "the status is active, churned or won_back",
			in: func(c *Customer) { c.Status = "lost" }, bad: []string{"status"}},
		{name: "a preferred channel is optional",
			in: func(c *Customer) { c.PreferredChannel = "  " }, want: func(c *Customer) { c.PreferredChannel = "" }},
		{name: "a preferred channel is trimmed and must be a known one",
			in: func(c *Customer) { c.PreferredChannel = " sms " }, want: func(c *Customer) { c.PreferredChannel = "sms" }},
		{name: "an unknown preferred channel is refused",
			in: func(c *Customer) { c.PreferredChannel = "fax" }, bad: []string{"preferred_channel"}},

		// Tags and interests.
		{name: "tags are trimmed, lower-cased and de-duplicated, in their first order",
			in:   func(c *Customer) { c.Tags = []string{" VIP ", "Gold", "vip", "GOLD", "new"} },
			want: func(c *Customer) { c.Tags = []string{"vip", "gold", "new"} }},
		{name: "an empty tag is refused by its index and left out",
			in: func(c *Customer) { c.Tags = []string{"vip", "  ", "gold"} }, bad: []string{"tags[1]"},
			want: func(c *Customer) { c.Tags = []string{"vip", "gold"} }},
		{name: "a tag is at most 64 characters",
			in:  func(c *Customer) { c.Tags = []string{strings.Repeat("a", 64), strings.Repeat("b", 65)} },
			bad: []string{"tags[1]"}, want: func(c *Customer) { c.Tags = []string{strings.Repeat("a", 64)} }},
		{name: "a customer has at most 50 tags",
			in: func(c *Customer) { c.Tags = words(51) }, bad: []string{"tags"}},
		{name: "duplicates do not count towards the 50 tags",
			in:   func(c *Customer) { c.Tags = append(words(50), "W0") },
			want: func(c *Customer) { c.Tags = words(50) }},
		{name: "interests follow the rules of tags",
			in:   func(c *Customer) { c.Interests = []string{" Chess ", "chess", "", strings.Repeat("x", 65), "Go"} },
			bad:  []string{"interests[2]", "interests[3]"},
			want: func(c *Customer) { c.Interests = []string{"chess", "go"} }},
		{name: "more than 50 interests are refused",
			in: func(c *Customer) { c.Interests = words(51) }, bad: []string{"interests"}},

		// Custom fields.
		{name: "no custom fields are an empty set",
			in: func(c *Customer) { c.CustomFields = nil }, want: func(c *Customer) { c.CustomFields = map[string]any{} }},
		{name: "a customer has at most 100 custom fields",
			in: func(c *Customer) { c.CustomFields = fields(100) }},
		{name: "101 custom fields are refused",
			in: func(c *Customer) { c.CustomFields = fields(101) }, bad: []string{"custom_fields"}},
		{name: "custom fields encode to at most 16 KiB of JSON",
			in:  func(c *Customer) { c.CustomFields = map[string]any{"notes": strings.Repeat("x", 16<<10)} },
			bad: []string{"custom_fields"}},
		{name: "custom fields must encode to JSON",
			in: func(c *Customer) { c.CustomFields = map[string]any{"score": math.Inf(1)} }, bad: []string{"custom_fields"}},

		// Acquisition cost.
		{name: "the acquisition cost's currency is trimmed and upper-cased",
			in: func(c *Customer) { c.AcquisitionCost = cost("12.50", " eur ") }, want: func(c *Customer) { c.AcquisitionCost = cost("12.50", "EUR") }},
		{name: "the acquisition cost is in an ISO 4217 currency",
			in: func(c *Customer) { c.AcquisitionCost = cost("12", "EURO") }, bad: []string{"acquisition_cost.currency"}},
		{name: "the acquisition cost is not negative",
			in: func(c *Customer) { c.AcquisitionCost = cost("-1", "EUR") }, bad: []string{"acquisition_cost.amount"}},
		{name: "the acquisition cost has no more decimals than its currency",
			in: func(c *Customer) { c.AcquisitionCost = cost("100.5", "JPY") }, bad: []string{"acquisition_cost.amount"}},

		{name: "every broken rule is reported at once",
			in: func(c *Customer) {
				c.FirstName, c.LastName, c.Phone, c.Address = "", "", "", &Address{Country: "ZZ"}
				c.LifecycleStage, c.Status, c.PreferredChannel = "lead", "lost", "fax"
				c.Tags, c.Interests, c.CustomFields = []string{""}, []string{""}, fields(101)
				c.AcquisitionCost = cost("-1", "EUR")
			},
			bad: []string{"address.country", "first_name", "lifecycle_stage", "status", "preferred_channel", "tags[0]", "interests[0]",
				"custom_fields", "acquisition_cost.amount"},
			want: func(c *Customer) {
				c.FirstName, c.LastName, c.Phone, c.Address = "", "", "", nil
				c.LifecycleStage, c.Status, c.PreferredChannel = "lead", "lost", "fax"
				c.Tags, c.Interests, c.CustomFields = []string{}, []string{}, fields(101)
				c.AcquisitionCost = cost("-1", "EUR")
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, want := ada(), ada()
			tc.in(&got)
			if tc.want != nil {
				tc.want(&want)
			} else {
				tc.in(&want)
			}
			region := tc.region
			if region == "" {
				region = "DE"
			}
			bad := normalize(&got, region)
			var wantBad *apperrtest.Want
			if tc.bad != nil {
				wantBad = apperrtest.Invalid(tc.bad...)
			}
			apperrtest.Check(t, bad.Err(), wantBad)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("normalized to\n%+v\nwant\n%+v", got, want)
			}
		})
	}
}
