package analyticsapi_test

import (
	"compress/gzip"
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rapportcrm/rapport/api/apitest"
)

type invoice struct {
	no, customer string
	at           time.Time
	cents        int64
}

// dataDirEnv names the folder that holds the data sets too large for the repository (CI sets it
// to the shared data folder).
const dataDirEnv = "RAPPORT_TEST_DATA_DIR"

// onlineRetail reads the UCI Online Retail year into invoices (the sum of their lines, in cents),
// leaving out the lines without a customer. Without $RAPPORT_TEST_DATA_DIR the test skips; with it,
// a missing file fails the test.
func onlineRetail(t *testing.T) []invoice {
	t.Helper()
	dir := os.Getenv(dataDirEnv)
	if dir == "" {
		t.Skipf("%s is not set: it names the folder holding uci_online_retail_2010-2011.csv.gz (7.5 MB, not in the repository)", dataDirEnv)
	}
	f, err := os.Open(filepath.Join(dir, "uci_online_retail_2010-2011.csv.gz"))
	if err != nil {
		t.Fatalf("%s: %v", dataDirEnv, err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(gz)
	header, err := r.Read()
	if err != nil || header[0] != "InvoiceNo" {
		t.Fatalf("header %v: %v", header, err)
	}
	byNo := map[string]*invoice{}
	var order []string
	lines := 1
	for {
		row, err := r.Read()
		if err != nil {
			break
		}
		lines++
		if row[6] == "" {
			continue
		}
		qty, _ := strconv.ParseFloat(row[3], 64)
		price, _ := strconv.ParseFloat(row[5], 64)
		inv := byNo[row[0]]
		if inv == nil {
			at, err := time.Parse("2006-01-02 15:04:05", row[4])
			if err != nil {
				t.Fatal(err)
			}
			inv = &invoice{no: row[0], customer: row[6], at: at}
			byNo[row[0]] = inv
			order = append(order, row[0])
		}
		inv.cents += int64(math.Round(qty * price * 100))
	}
	if lines != 541910 {
		t.Fatalf("%d lines, want 541,909 and the header", lines)
	}
	out := make([]invoice, len(order))
	for i, no := range order {
		out[i] = *byNo[no]
	}
	return out
}

func cents(c int64) string { return fmt.Sprintf("%d.%02d", c/100, c%100) }

// A real shop's year through the batch endpoints: invoices become purchases, cancellations
// (invoices starting with C) refund the customer's latest earlier purchases. The value tiers
// must show what the raw data shows: the top 20% of customers bring about 73.5% of net revenue
// (over the whole year; the report's trailing 12 months leave out the first 9 days).
func TestOnlineRetailThroughTheAPI(t *testing.T) {
	invoices := onlineRetail(t)
	env := apitest.New(t)
	env.Expect(t, "", "POST", "/v1/auth/signup", map[string]string{"organization_name": "Online Retail", "name": "Owner",
		"email": "owner@retail.example", "password": "correct horse battery", "currency": "GBP"}, 201)
	s := env.Login(t, "owner@retail.example", "correct horse battery")
	var customers []string
	seen := map[string]bool{}
	for _, inv := range invoices {
		if !seen[inv.customer] {
			seen[inv.customer] = true
			customers = append(customers, inv.customer)
		}
	}
	ids := map[string]string{}
	for start := 0; start < len(customers); start += 1000 {
		var items []any
		for _, c := range customers[start:min(start+1000, len(customers))] {
			items = append(items, map[string]any{"external_id": c, "first_name": "Customer", "last_name": c})
		}
		res := env.Expect(t, s.Access, "POST", "/v1/customers/batch", map[string]any{"items": items, "atomic": true}, 200)
		for i, r := range res["results"].([]any) {
			ids[customers[start+i]] = r.(map[string]any)["id"].(string)
		}
	}
	type bought struct {
		id   string
		at   time.Time
		left int64
	}
	var sales, cancellations []invoice
	for _, inv := range invoices {
		switch {
		case strings.HasPrefix(inv.no, "C"):
			cancellations = append(cancellations, inv)
		case inv.cents > 0:
			sales = append(sales, inv)
		}
	}
	purchases := map[string][]*bought{}
	for start := 0; start < len(sales); start += 1000 {
		chunk := sales[start:min(start+1000, len(sales))]
		var items []any
		for _, inv := range chunk {
			items = append(items, map[string]any{"customer_id": ids[inv.customer], "amount": cents(inv.cents),
				"occurred_at": inv.at, "channel": "online", "external_id": inv.no})
		}
		res := env.Expect(t, s.Access, "POST", "/v1/purchases/batch", map[string]any{"items": items, "atomic": true}, 200)
		for i, r := range res["results"].([]any) {
			inv := chunk[i]
			purchases[inv.customer] = append(purchases[inv.customer], &bought{id: r.(map[string]any)["id"].(string), at: inv.at, left: inv.cents})
		}
	}
	refunds := 0
	for _, c := range cancellations {
		owed := -c.cents
		ps := purchases[c.customer]
		for i := len(ps) - 1; i >= 0 && owed > 0; i-- {
			p := ps[i]
			if p.left == 0 || p.at.After(c.at) {
				continue
			}
			amount := min(owed, p.left)
			env.Expect(t, s.Access, "POST", "/v1/purchases/"+p.id+"/refund", map[string]any{"amount": cents(amount)}, 200)
			p.left -= amount
			owed -= amount
			refunds++
		}
	}
	t.Logf("%d invoices, %d customers, %d purchases, %d cancellations as %d refunds", len(invoices), len(customers), len(sales), len(cancellations), refunds)

	// What the loaded data should say: net revenue per customer in the 12 months before as_of,
	// from what the refunds left of the purchases.
	asOf := time.Date(2011, 12, 10, 0, 0, 0, 0, time.UTC)
	var net []int64
	for _, ps := range purchases {
		var sum int64
		for _, p := range ps {
			if p.at.After(asOf.AddDate(-1, 0, 0)) {
				sum += p.left
			}
		}
		if sum > 0 {
			net = append(net, sum)
		}
	}
	slices.Sort(net)
	slices.Reverse(net)
	var top, all int64
	for i, v := range net {
		if i < (len(net)+4)/5 {
			top += v
		}
		all += v
	}

	if j := runJob(t, env, s.Access, env.Expect(t, s.Access, "POST", "/v1/analytics/rfm/run", map[string]any{"as_of": asOf}, 202)); j["status"] != "succeeded" {
		t.Fatalf("rfm: %v", j)
	}
	pareto := env.Expect(t, s.Access, "GET", "/v1/analytics/pareto", nil, 200)
	t.Logf("pareto: %v customers, top 20%% share %v, gini %v", pareto["customers"], pareto["top_20_percent_share"], pareto["gini"])
	near(t, "top 20% share", pareto["top_20_percent_share"], float64(top)/float64(all), 0.001)
	near(t, "top 20% share against the raw data", pareto["top_20_percent_share"], 0.7346, 0.02)
	if pareto["customers"] != float64(len(net)) {
		t.Errorf("pareto over %v customers, want %d", pareto["customers"], len(net))
	}

	// The models fit a real shop. One year barely shows dropout: the fit puts a near 0, so P(alive)
	// is near 1 for nearly everyone, and the expected purchases follow the observed pace (4.3
	// purchase days a year on average).
	if j := runJob(t, env, s.Access, env.Expect(t, s.Access, "POST", "/v1/analytics/clv/fit", map[string]any{"as_of": asOf}, 202)); j["status"] != "succeeded" {
		t.Fatalf("clv: %v", j)
	}
	fit := env.Expect(t, s.Access, "GET", "/v1/analytics/clv", nil, 200)
	alive := fit["p_alive"].(map[string]any)
	next := fit["expected_purchases_365"].(map[string]any)["mean"].(float64)
	t.Logf("clv: %v; %v customers, %v repeat buyers, P(alive) mean %v, E[purchases next 365 days] mean %v, CLV mean %v", fit["bgnbd"],
		fit["customers"], fit["repeat_buyers"], alive["mean"], next, fit["clv"].(map[string]any)["mean"])
	if next < 2 || next > 8 || fit["clv"].(map[string]any)["mean"].(float64) <= 0 {
		t.Errorf("expected purchases in a year %v, CLV %v", next, fit["clv"])
	}
	if fit["repeat_buyers"].(float64) < fit["customers"].(float64)/2 {
		t.Errorf("%v repeat buyers of %v", fit["repeat_buyers"], fit["customers"])
	}
}
