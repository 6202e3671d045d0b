package customerapi

import (
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/rapportcrm/rapport/api/web"
	"github.com/rapportcrm/rapport/pkg/customer"
	"github.com/rapportcrm/rapport/pkg/money"
)

// Address is a postal address.
type Address struct {
	Line1      string `json:"line1,omitempty" validate:"max=200"`
	Line2      string `json:"line2,omitempty" validate:"max=200"`
	City       string `json:"city,omitempty" validate:"max=100"`
	Region     string `json:"region,omitempty" validate:"max=100"`
	PostalCode string `json:"postal_code,omitempty" validate:"max=20"`
	// ISO 3166-1 alpha-2; also the region national phone numbers are read in.
	Country string `json:"country,omitempty" validate:"max=2" example:"DE"`
} // @name Address

// Money is an exact amount: a decimal string, never a float, in an ISO 4217 currency.
type Money struct {
	Amount   string `json:"amount" validate:"required,numeric,max=24" example:"19.90"`
	Currency string `json:"currency" validate:"required,len=3" example:"EUR"`
} // @name Money

// CustomerInput holds a customer's writable fields, for POST and as the document a PATCH
// (JSON merge patch) applies to. Text fields are trimmed; tags and interests are lower-cased.
type CustomerInput struct {
	// The integrator's own key, unique in the organization.
	ExternalID string `json:"external_id,omitempty" validate:"max=255" example:"shop-10042"`
	FirstName  string `json:"first_name,omitempty" validate:"max=100" example:"Grace"`
	LastName   string `json:"last_name,omitempty" validate:"max=100" example:"Hopper"`
	// Unique in the organization, compared without regard to case.
	Email string `json:"email,omitempty" validate:"omitempty,email,max=254" example:"grace@example.com"`
	// Stored in E.164. A national number is read in the address's country, else the server's default region.
	Phone    string   `json:"phone,omitempty" validate:"max=40" example:"+14155550123"`
	Company  string   `json:"company,omitempty" validate:"max=200" example:"Navy"`
	JobTitle string   `json:"job_title,omitempty" validate:"max=200"`
	Address  *Address `json:"address,omitempty"`
	Birthday string   `json:"birthday,omitempty" validate:"omitempty,datetime=2006-01-02" format:"date" example:"1906-12-09"`
	Tags     []string `json:"tags,omitempty" validate:"max=50,dive,max=64" example:"vip"`
	// Any JSON object of up to 100 keys and 16 KiB.
	CustomFields map[string]any `json:"custom_fields,omitempty"`
	// A user of the organization who looks after this customer.
	OwnerID string `json:"owner_id,omitempty" validate:"omitempty,uuid" format:"uuid"`
	// The customer who referred this one (the ladder's referral rule counts referrals).
	ReferredByID string `json:"referred_by_id,omitempty" validate:"omitempty,uuid" format:"uuid"`
	// The loyalty ladder. Empty, or absent on create: prospect.
	LifecycleStage string `json:"lifecycle_stage,omitempty" enums:"prospect,customer,client,supporter,advocate,partner"`
	// Empty, or absent on create: active.
	Status string `json:"status,omitempty" enums:"active,churned,won_back"`
	// The acquisition channel, such as google_ads or referral.
	Source           string   `json:"source,omitempty" validate:"max=100" example:"referral"`
	AcquisitionCost  *Money   `json:"acquisition_cost,omitempty"`
	MarketingConsent bool     `json:"marketing_consent,omitempty"`
	PreferredChannel string   `json:"preferred_channel,omitempty" enums:"phone,email,sms,chat,social,visit,video,web,mail,other"`
	Interests        []string `json:"interests,omitempty" validate:"max=50,dive,max=64" example:"jazz"`
} // @name CustomerInput

// Customer is a customer record.
type Customer struct {
	ID         string  `json:"id" format:"uuid"`
	ExternalID *string `json:"external_id" extensions:"x-nullable"`
	FirstName  string  `json:"first_name"`
	LastName   string  `json:"last_name"`
	Email      *string `json:"email" extensions:"x-nullable"`
	// E.164.
	Phone        *string        `json:"phone" extensions:"x-nullable"`
	Company      string         `json:"company"`
	JobTitle     string         `json:"job_title"`
	Address      *Address       `json:"address" extensions:"x-nullable"`
	Birthday     *string        `json:"birthday" format:"date" extensions:"x-nullable"`
	Tags         []string       `json:"tags"`
	CustomFields map[string]any `json:"custom_fields"`
	OwnerID      *string        `json:"owner_id" format:"uuid" extensions:"x-nullable"`
	// The customer who referred this one.
	ReferredByID *string `json:"referred_by_id" format:"uuid" extensions:"x-nullable"`
	// The loyalty ladder.
	LifecycleStage   string `json:"lifecycle_stage" enums:"prospect,customer,client,supporter,advocate,partner"`
	Status           string `json:"status" enums:"active,churned,won_back"`
	Source           string `json:"source"`
	AcquisitionCost  *Money `json:"acquisition_cost" extensions:"x-nullable"`
	MarketingConsent bool   `json:"marketing_consent"`
	// When consent was last given; null without consent.
	MarketingConsentAt *time.Time `json:"marketing_consent_at" extensions:"x-nullable"`
	PreferredChannel   string     `json:"preferred_channel"`
	Interests          []string   `json:"interests"`
	// The latest contact in the contact history; null before the first.
	LastContactedAt *time.Time `json:"last_contacted_at" extensions:"x-nullable"`
	// Contacts in the contact history.
	ContactCount    int        `json:"contact_count"`
	FirstPurchaseAt *time.Time `json:"first_purchase_at" extensions:"x-nullable"`
	LastPurchaseAt  *time.Time `json:"last_purchase_at" extensions:"x-nullable"`
	PurchaseCount   int        `json:"purchase_count"`
	// Net of refunds, over the purchases in the organization's currency; null before the first.
	TotalSpent *Money `json:"total_spent" extensions:"x-nullable"`
	// The latest segmentation run's scores; null when that run did not score the customer.
	RFM *RFM `json:"rfm" extensions:"x-nullable"`
	// The latest lifetime-value fit's predictions; null when that fit did not score the customer.
	Value *Value `json:"value" extensions:"x-nullable"`
	// Increases with every change to the fields above that a client writes; the ETag carries it.
	Version   int64     `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
} // @name Customer

// RFM is the customer's place in the latest segmentation (POST /v1/analytics/rfm/run).
type RFM struct {
	AsOf time.Time `json:"as_of"`
	// Recency, frequency and monetary scores, 1–5 by quintile over the organization's customers
	// with purchases (5: most recent, most frequent, highest spending).
	R       int    `json:"r" minimum:"1" maximum:"5"`
	F       int    `json:"f" minimum:"1" maximum:"5"`
	M       int    `json:"m" minimum:"1" maximum:"5"`
	Segment string `json:"segment" enums:"champions,loyal_customers,potential_loyalists,new_customers,promising,need_attention,about_to_sleep,at_risk,cant_lose,hibernating"`
	// UTC calendar days from the last purchase to as_of (as in the cut-offs).
	RecencyDays    int       `json:"recency_days"`
	LastPurchaseAt time.Time `json:"last_purchase_at"`
	Frequency      int       `json:"frequency"`
	// Net spend up to as_of, in the organization's currency.
	Monetary float64 `json:"monetary"`
	// Net spend in the 12 months before as_of.
	Revenue12M float64 `json:"revenue_12m"`
	// In the top 20% of customers by trailing-12-month revenue.
	KeyAccount bool `json:"key_account"`
} // @name CustomerRFM

// Value is the customer's result of the latest lifetime-value fit (POST /v1/analytics/clv/fit).
type Value struct {
	AsOf time.Time `json:"as_of"`
	// The probability that the customer is still active (BG/NBD).
	PAlive float64 `json:"p_alive"`
	// 1 − p_alive.
	ChurnRisk            float64 `json:"churn_risk"`
	ExpectedPurchases90  float64 `json:"expected_purchases_90d"`
	ExpectedPurchases365 float64 `json:"expected_purchases_365d"`
	// The expected value of a future purchase (Gamma-Gamma).
	ExpectedOrderValue float64 `json:"expected_order_value"`
	// The discounted value of the purchases expected over the fit's horizon.
	CLV      float64 `json:"clv"`
	Quadrant string  `json:"loyalty_quadrant" enums:"true_friend,butterfly,barnacle,stranger"`
} // @name CustomerValue

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func toMoney(m *money.Money) *Money {
	if m == nil {
		return nil
	}
	return &Money{Amount: m.String(), Currency: m.Currency}
}

func toAddress(a *customer.Address) *Address {
	if a == nil {
		return nil
	}
	return &Address{Line1: a.Line1, Line2: a.Line2, City: a.City, Region: a.Region, PostalCode: a.PostalCode, Country: a.Country}
}

// ToCustomer converts a domain customer for a response.
func ToCustomer(c customer.Customer) Customer {
	out := Customer{
		ID: c.ID.String(), ExternalID: optional(c.ExternalID), FirstName: c.FirstName, LastName: c.LastName,
		Email: optional(c.Email), Phone: optional(c.Phone), Company: c.Company, JobTitle: c.JobTitle, Address: toAddress(c.Address),
		Tags: c.Tags, CustomFields: c.CustomFields, LifecycleStage: string(c.LifecycleStage), Status: string(c.Status),
		Source: c.Source, AcquisitionCost: toMoney(c.AcquisitionCost), MarketingConsent: c.MarketingConsent,
		MarketingConsentAt: c.MarketingConsentAt, PreferredChannel: c.PreferredChannel, Interests: c.Interests,
		LastContactedAt: c.LastContactedAt, ContactCount: c.ContactCount, FirstPurchaseAt: c.FirstPurchaseAt,
		LastPurchaseAt: c.LastPurchaseAt, PurchaseCount: c.PurchaseCount, TotalSpent: toMoney(c.TotalSpent),
		Version: c.Version, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
	}
	if r := c.RFM; r != nil {
		out.RFM = &RFM{AsOf: r.AsOf, R: r.Recency, F: r.FrequencyScore, M: r.MonetaryScore, Segment: r.Segment,
			RecencyDays: int(r.AsOf.Unix()/86400 - r.LastPurchaseAt.Unix()/86400), LastPurchaseAt: r.LastPurchaseAt, Frequency: r.Frequency,
			Monetary: r.Monetary, Revenue12M: r.Revenue12M, KeyAccount: r.KeyAccount}
	}
	if v := c.Value; v != nil {
		out.Value = &Value{AsOf: v.AsOf, PAlive: v.PAlive, ChurnRisk: v.ChurnRisk, ExpectedPurchases90: v.ExpectedPurchases90,
			ExpectedPurchases365: v.ExpectedPurchases365, ExpectedOrderValue: v.ExpectedOrderValue, CLV: v.CLV, Quadrant: v.Quadrant}
	}
	if c.Birthday != nil {
		out.Birthday = optional(c.Birthday.Format(time.DateOnly))
	}
	out.OwnerID, out.ReferredByID = optional(idString(c.OwnerID)), optional(idString(c.ReferredByID))
	return out
}

// toInput is the writable part of a stored customer: the document a merge patch applies to.
func toInput(c customer.Customer) CustomerInput {
	in := CustomerInput{
		ExternalID: c.ExternalID, FirstName: c.FirstName, LastName: c.LastName, Email: c.Email, Phone: c.Phone,
		Company: c.Company, JobTitle: c.JobTitle, Address: toAddress(c.Address), Tags: c.Tags, CustomFields: c.CustomFields,
		LifecycleStage: string(c.LifecycleStage), Status: string(c.Status), Source: c.Source,
		AcquisitionCost: toMoney(c.AcquisitionCost), MarketingConsent: c.MarketingConsent,
		PreferredChannel: c.PreferredChannel, Interests: c.Interests,
	}
	if c.Birthday != nil {
		in.Birthday = c.Birthday.Format(time.DateOnly)
	}
	in.OwnerID, in.ReferredByID = idString(c.OwnerID), idString(c.ReferredByID)
	return in
}

func idString(id *uuid.UUID) string {
	if id == nil {
		return ""
	}
	return id.String()
}

// toDomain applies a validated input over base (a new customer, or the stored one). Empty
// lifecycle_stage and status mean the defaults.
func (in CustomerInput) toDomain(base customer.Customer) customer.Customer {
	c := base
	c.ExternalID, c.FirstName, c.LastName, c.Email, c.Phone = in.ExternalID, in.FirstName, in.LastName, in.Email, in.Phone
	c.Company, c.JobTitle, c.Source, c.PreferredChannel = in.Company, in.JobTitle, in.Source, in.PreferredChannel
	c.Tags, c.Interests, c.CustomFields, c.MarketingConsent = in.Tags, in.Interests, in.CustomFields, in.MarketingConsent
	c.LifecycleStage, c.Status = customer.LifecycleStage(in.LifecycleStage), customer.Status(in.Status)
	if c.LifecycleStage == "" {
		c.LifecycleStage = customer.StageProspect
	}
	if c.Status == "" {
		c.Status = customer.StatusActive
	}
	c.Address, c.Birthday, c.AcquisitionCost = nil, nil, nil
	c.OwnerID, c.ReferredByID = web.OptionalID(in.OwnerID), web.OptionalID(in.ReferredByID)
	if a := in.Address; a != nil {
		c.Address = &customer.Address{Line1: a.Line1, Line2: a.Line2, City: a.City, Region: a.Region, PostalCode: a.PostalCode, Country: a.Country}
	}
	if in.Birthday != "" {
		b, _ := time.Parse(time.DateOnly, in.Birthday) // validated
		c.Birthday = &b
	}
	if m := in.AcquisitionCost; m != nil {
		amount, _ := decimal.NewFromString(m.Amount) // validated
		c.AcquisitionCost = &money.Money{Amount: amount, Currency: m.Currency}
	}
	return c
}

// BatchResult is the outcome of one item of a customer batch, in the order sent: what
// web.BatchAnswer writes, with the statuses a customer batch has.
type BatchResult struct {
	Index  int    `json:"index"`
	Status string `json:"status" enums:"created,updated,unchanged,error"`
	// The customer's id; absent on error.
	ID *string `json:"id,omitempty" format:"uuid"`
	// Why the item failed; absent unless it did.
	Error *web.Problem `json:"error,omitempty"`
} // @name CustomerBatchResult

// BatchResponse answers POST /v1/customers/batch: one result per item.
type BatchResponse struct {
	Results []BatchResult `json:"results"`
} // @name CustomerBatchResponse

// MergeRequest names the duplicate to fold into the customer.
type MergeRequest struct {
	DuplicateID string `json:"duplicate_id" validate:"required,uuid" format:"uuid"`
} // @name MergeRequest
