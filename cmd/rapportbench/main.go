// Command rapportbench seeds a PostgreSQL database with customers and measures a running Rapport
// server under concurrent load: GET /v1/customers/{id}, a filtered list page, and POST /v1/customers.
//
//	rapportbench -db postgres://.../rapport_bench -base http://127.0.0.1:8080 -customers 1000000 -orgs 100
//	rapportbench -db ... -customers 0 -wrk /tmp/wrkdata   # then: cd /tmp/wrkdata && wrk -s .../wrk/get.lua ...
//
// The server must use the same database. Seeding signs up the organizations through the API, then
// generates the customers inside PostgreSQL in one statement (like the baseline in shared/), so that
// a million rows load in about a minute; seeded rows have no change events.
package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
)

func main() {
	dbURL := flag.String("db", "", "PostgreSQL URL of the server's database")
	base := flag.String("base", "http://127.0.0.1:8080", "the server")
	customers := flag.Int("customers", 1_000_000, "customers to seed (0: keep what is there)")
	orgs := flag.Int("orgs", 100, "organizations to spread them over")
	conns := flag.String("conns", "8,32", "concurrent clients, comma-separated")
	duration := flag.Duration("duration", 15*time.Second, "length of each measurement")
	wrkDir := flag.String("wrk", "", "instead of measuring, write ids.txt and tokens.txt here for the wrk scripts in wrk/")
	history := flag.Bool("history", false, "also seed a contact (with its event) per live customer, and 200,000 feedback in the first organization")
	seedPurchases := flag.Int("seed-purchases", 0, "also seed this many purchases over the live customers (SQL, without loyalty points or customer figures)")
	batch := flag.Int("batch", 0, "instead of the rest, import this many new customers through POST /v1/customers/batch (1,000 a request, on -conns[0] connections) and print rows/s")
	pool := flag.Int("pool", 100_000, "with -batch -purchases: how many of the organization's customers, sampled at random, the orders go to")
	purchases := flag.Bool("purchases", false, "with -batch: import purchases of the first organization's customers through POST /v1/purchases/batch instead (needs -db)")
	flag.Parse()
	if *batch > 0 {
		if err := importBatches(*dbURL, *base, *batch, *conns, *purchases, *pool); err != nil {
			fmt.Fprintln(os.Stderr, "rapportbench:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*dbURL, *base, *customers, *orgs, *conns, *duration, *wrkDir, *history, *seedPurchases); err != nil {
		fmt.Fprintln(os.Stderr, "rapportbench:", err)
		os.Exit(1)
	}
}

type tenant struct {
	org, token string
	ids        []string
}

func run(dbURL, base string, customers, orgs int, conns string, duration time.Duration, wrkDir string, history bool, purchases int) error {
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx := context.Background()
	tenants, err := signup(base, orgs)
	if err != nil {
		return err
	}
	if customers > 0 {
		start := time.Now()
		orgIDs := make([]string, len(tenants))
		for i, t := range tenants {
			orgIDs[i] = t.org
		}
		if _, err := db.ExecContext(ctx, seedSQL, customers, "{"+strings.Join(orgIDs, ",")+"}"); err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		if _, err := db.ExecContext(ctx, "ANALYZE customers"); err != nil {
			return err
		}
		fmt.Printf("seeded %d customers in %d organizations in %s\n", customers, orgs, time.Since(start).Round(time.Second))
	}
	if history {
		start := time.Now()
		for _, q := range []string{seedContactsSQL, seedContactEventsSQL, refreshCountsSQL} {
			if _, err := db.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("seed contact history: %w", err)
			}
		}
		if _, err := db.ExecContext(ctx, seedFeedbackSQL, tenants[0].org); err != nil {
			return fmt.Errorf("seed feedback: %w", err)
		}
		if _, err := db.ExecContext(ctx, "ANALYZE contacts; ANALYZE events; ANALYZE feedback"); err != nil {
			return err
		}
		fmt.Printf("seeded the contact history and feedback in %s\n", time.Since(start).Round(time.Second))
	}
	if purchases > 0 {
		start := time.Now()
		if _, err := db.ExecContext(ctx, seedPurchasesSQL, purchases); err != nil {
			return fmt.Errorf("seed purchases: %w", err)
		}
		if _, err := db.ExecContext(ctx, "ANALYZE purchases"); err != nil {
			return err
		}
		fmt.Printf("seeded %d purchases in %s\n", purchases, time.Since(start).Round(time.Second))
	}
	var total int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM customers").Scan(&total); err != nil {
		return err
	}
	fmt.Printf("customers table: %d rows\n", total)
	for i := range tenants {
		rows, err := db.QueryContext(ctx, "SELECT id FROM customers WHERE org_id = $1 AND deleted_at IS NULL ORDER BY random() LIMIT 200", tenants[i].org)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id string
			rows.Scan(&id)
			tenants[i].ids = append(tenants[i].ids, id)
		}
		rows.Close()
	}
	if wrkDir != "" {
		return writeWrkData(wrkDir, tenants)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256}}
	scenarios := []struct {
		name string
		req  func(r *rand.Rand, n int64) *http.Request
	}{
		{"GET /v1/customers/{id}", func(r *rand.Rand, _ int64) *http.Request {
			t := tenants[r.IntN(len(tenants))]
			return request(t, "GET", base+"/v1/customers/"+t.ids[r.IntN(len(t.ids))], nil)
		}},
		{"GET /v1/customers?lifecycle_stage=customer&tag=vip&limit=50", func(r *rand.Rand, _ int64) *http.Request {
			t := tenants[r.IntN(len(tenants))]
			return request(t, "GET", base+"/v1/customers?lifecycle_stage=customer&tag=vip&limit=50", nil)
		}},
		{"GET /v1/customers?limit=50 (newest first)", func(r *rand.Rand, _ int64) *http.Request {
			t := tenants[r.IntN(len(tenants))]
			return request(t, "GET", base+"/v1/customers?limit=50", nil)
		}},
		{"POST /v1/customers", func(r *rand.Rand, n int64) *http.Request {
			t := tenants[r.IntN(len(tenants))]
			body := fmt.Sprintf(`{"first_name":"Bench","last_name":"User%d","email":"bench.%d.%d@bench.example.com","phone":"+1 415 555 %04d","company":"Bench Co","tags":["trial"],"custom_fields":{"source":"api","score":50},"lifecycle_stage":"prospect"}`,
				n, time.Now().UnixNano(), n, n%10000)
			return request(t, "POST", base+"/v1/customers", []byte(body))
		}},
	}
	for _, sc := range scenarios {
		for _, c := range strings.Split(conns, ",") {
			var n int
			fmt.Sscan(c, &n)
			measure(client, sc.name, n, duration, sc.req)
		}
	}
	return nil
}

// importBatches creates n customers through the batch endpoint, as an integration's import would.
func importBatches(dbURL, base string, n int, conns string, purchases bool, pool int) error {
	tenants, err := signup(base, 1)
	if err != nil {
		return err
	}
	var customerIDs []string
	if purchases {
		db, err := sql.Open("pgx", dbURL)
		if err != nil {
			return err
		}
		defer db.Close()
		// Orders go to a random sample of the organization's customers, as a shop's history would.
		rows, err := db.Query("SELECT id FROM customers WHERE org_id = $1 AND deleted_at IS NULL ORDER BY random() LIMIT $2", tenants[0].org, pool)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id string
			rows.Scan(&id)
			customerIDs = append(customerIDs, id)
		}
		rows.Close()
	}
	var workers int
	fmt.Sscan(strings.Split(conns, ",")[0], &workers)
	run := time.Now().UnixNano()
	batches := make(chan int)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range batches {
				var items strings.Builder
				for i := range 1000 {
					if i > 0 {
						items.WriteByte(',')
					}
					k := b*1000 + i
					if purchases {
						fmt.Fprintf(&items, `{"customer_id":"%s","external_id":"ord-%d-%d","amount":"%d.%02d","channel":"online"}`,
							customerIDs[k%len(customerIDs)], run, k, 5+k%200, k%100)
					} else {
						fmt.Fprintf(&items, `{"external_id":"imp-%d-%d","first_name":"Imported","last_name":"N%d","email":"imp.%d.%d@import.example.com","tags":["import"]}`, run, k, k, run, k)
					}
				}
				path := "/v1/customers/batch"
				if purchases {
					path = "/v1/purchases/batch"
				}
				res, err := http.DefaultClient.Do(request(tenants[0], "POST", base+path, []byte(`{"items":[`+items.String()+`]}`)))
				if err != nil {
					errs <- err
					return
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					errs <- fmt.Errorf("batch: HTTP %d", res.StatusCode)
					return
				}
			}
		}()
	}
	for b := range n / 1000 {
		batches <- b
	}
	close(batches)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	elapsed := time.Since(start)
	fmt.Printf("imported %d %s in batches of 1,000 on %d connections in %s: %.0f rows/s\n", n, map[bool]string{false: "customers", true: "purchases"}[purchases], workers, elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds())
	return nil
}

// writeWrkData writes "id,token" per sampled customer and a token per organization.
func writeWrkData(dir string, tenants []tenant) error {
	var ids, tokens strings.Builder
	for _, t := range tenants {
		fmt.Fprintln(&tokens, t.token)
		for _, id := range t.ids {
			fmt.Fprintf(&ids, "%s,%s\n", id, t.token)
		}
	}
	if err := os.WriteFile(dir+"/ids.txt", []byte(ids.String()), 0o644); err != nil {
		return err
	}
	return os.WriteFile(dir+"/tokens.txt", []byte(tokens.String()), 0o644)
}

func request(t tenant, method, url string, body []byte) *http.Request {
	req, _ := http.NewRequest(method, url, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+t.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req
}

// measure runs conns clients for d after a 2 s warm-up and prints throughput and latency.
func measure(client *http.Client, name string, conns int, d time.Duration, mk func(*rand.Rand, int64) *http.Request) {
	var counter atomic.Int64
	run := func(d time.Duration, record bool) (lat []time.Duration, bad int) {
		var mu sync.Mutex
		var wg sync.WaitGroup
		deadline := time.Now().Add(d)
		for w := range conns {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
				var mine []time.Duration
				myBad := 0
				for time.Now().Before(deadline) {
					req := mk(r, counter.Add(1))
					start := time.Now()
					res, err := client.Do(req)
					if err == nil {
						io.Copy(io.Discard, res.Body)
						res.Body.Close()
					}
					mine = append(mine, time.Since(start))
					if err != nil || res.StatusCode >= 300 {
						myBad++
					}
				}
				if record {
					mu.Lock()
					lat, bad = append(lat, mine...), bad+myBad
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		return lat, bad
	}
	run(2*time.Second, false)
	lat, bad := run(d, true)
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[int(float64(len(lat)-1)*p)].Round(10 * time.Microsecond) }
	fmt.Printf("%-58s c=%-3d req/s=%-8.0f p50=%-9s p99=%-9s non-2xx=%d\n", name, conns, float64(len(lat))/d.Seconds(), pct(0.5), pct(0.99), bad)
}

// signup creates the organizations, or signs in to those an earlier run created.
func signup(base string, orgs int) ([]tenant, error) {
	tenants := make([]tenant, orgs)
	for i := range tenants {
		creds := map[string]string{"organization_name": fmt.Sprint("Bench ", i), "name": "Bench",
			"email": fmt.Sprintf("bench-%d@bench.example.com", i), "password": "benchmark password"}
		token, status, err := post(base+"/v1/auth/signup", creds)
		if status == http.StatusConflict {
			token, status, err = post(base+"/v1/auth/login", map[string]string{"email": creds["email"], "password": creds["password"]})
		}
		if err != nil {
			return nil, err
		}
		if status >= 300 {
			return nil, fmt.Errorf("sign up or in: HTTP %d", status)
		}
		req, _ := http.NewRequest("GET", base+"/v1/me", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		var me struct {
			Organization struct{ ID string } `json:"organization"`
		}
		json.NewDecoder(res.Body).Decode(&me)
		res.Body.Close()
		tenants[i] = tenant{org: me.Organization.ID, token: token}
	}
	return tenants, nil
}

func post(url string, body any) (token string, status int, err error) {
	b, _ := json.Marshal(body)
	res, err := http.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		return "", 0, err
	}
	defer res.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	json.NewDecoder(res.Body).Decode(&tok)
	return tok.AccessToken, res.StatusCode, nil
}

// seedSQL generates $1 customers spread over the organizations in $2, shaped like the baseline's:
// names, emails, phones, companies, tags, custom fields, three years of creation times, 1 in 33 deleted.
const seedSQL = `
INSERT INTO customers (org_id, id, external_id, first_name, last_name, email, phone, company, job_title, address, birthday,
  tags, custom_fields, owner_id, lifecycle_stage, status, source, marketing_consent, preferred_channel, interests,
  search_text, version, created_at, updated_at, deleted_at)
SELECT org, id, 'ext-' || n, fn, ln, em, ph, co, '', NULL, NULL, tags, cf, NULL, stage, 'active', src, n % 3 = 0, '', '[]',
  lower(fn || ' ' || ln || ' ' || em || ' ' || ph || ' ' || co), 1, ca, ca + (hashint4(n + 29) & 1023) * interval '1 hour',
  CASE WHEN n % 33 = 0 THEN ca + interval '100 days' END
FROM (
  SELECT n, gen_random_uuid() AS id, ($2::uuid[])[1 + n % array_length($2::uuid[], 1)] AS org, fn, ln, co, ca,
    lower(fn) || '.' || lower(ln) || n || '@' || lower(replace(co, ' ', '')) || '.example.com' AS em,
    '+1415555' || lpad((n % 10000)::text, 4, '0') AS ph,
    (SELECT coalesce(jsonb_agg(t ORDER BY i), '[]') FROM unnest(ARRAY['vip','newsletter','trial','churn-risk','enterprise','smb','partner','beta']) WITH ORDINALITY u(t, i)
       WHERE (hashint4(n * 8 + i::int) & 1023) < 184) AS tags,
    jsonb_build_object('score', (n * 31) % 100, 'industry', (ARRAY['saas','retail','finance','health','edu'])[1 + n % 5]) AS cf,
    (ARRAY['prospect','customer','client','supporter','advocate','partner'])[1 + n % 6] AS stage,
    (ARRAY['web','referral','ads','event','import','api'])[1 + n % 6] AS src
  FROM (
    SELECT n,
      (ARRAY['James','Mary','John','Patricia','Robert','Jennifer','Michael','Linda','William','Elizabeth','David','Barbara','Richard','Susan','Joseph','Jessica','Thomas','Sarah','Charles','Karen'])[1 + (hashint4(n) & 2147483647) % 20] AS fn,
      (ARRAY['Smith','Johnson','Williams','Brown','Jones','Garcia','Miller','Davis','Rodriguez','Martinez','Hernandez','Lopez','Gonzalez','Wilson','Anderson','Thomas','Taylor','Moore','Jackson','Martin','Lee','Perez','Thompson','White','Harris'])[1 + (hashint4(n + 7) & 2147483647) % 25] AS ln,
      (ARRAY['Acme','Globex','Initech','Umbrella','Hooli','Vandelay','Stark','Wayne','Wonka','Cyberdyne'])[1 + (hashint4(n + 13) & 2147483647) % 10] || ' ' || (n % 500) AS co,
      timestamptz '2023-01-01 00:00:00+00' + ((hashint4(n + 23) & 2147483647) % 94608000) * interval '1 second' AS ca
    FROM generate_series(1, $1::int) n
  ) names
) s`

// seedContactsSQL gives every live customer one contact, spread over two years and the channels.
const seedContactsSQL = `
INSERT INTO contacts (org_id, id, customer_id, channel, direction, subject, notes, occurred_at, duration_seconds, agent_id,
  outcome, follow_up_at, tags, external_ref, search_text, version, created_at, updated_at)
SELECT org_id, gen_random_uuid(), id, ch, CASE WHEN n % 2 = 0 THEN 'inbound' ELSE 'outbound' END, 'Call about order ' || n,
  'Notes ' || n, at, 60 + n % 900, NULL, (ARRAY['resolved','follow_up','no_answer','sale','other'])[1 + n % 5],
  CASE WHEN n % 5 = 1 THEN at + interval '3 days' END, '[]', NULL, lower('Call about order ' || n || ' notes ' || n), 1, at, at
FROM (SELECT org_id, id, row_number() OVER () AS n,
        (ARRAY['phone','email','sms','chat','social','visit','video','web','other'])[1 + (hashint4(hashtext(id::text)) & 2147483647) % 9] AS ch,
        now() - ((hashint4(hashtext(id::text) + 1) & 2147483647) % 63072000) * interval '1 second' AS at
      FROM customers WHERE deleted_at IS NULL) c`

// seedContactEventsSQL records each seeded contact's creation, so that timelines show it.
const seedContactEventsSQL = `
INSERT INTO events (org_id, id, type, subject_type, subject_id, customer_id, actor_type, actor_id, changes, data, occurred_at)
SELECT org_id, gen_random_uuid(), 'contact.created', 'contact', id, customer_id, 'system', '00000000-0000-0000-0000-000000000000',
  NULL, NULL, occurred_at FROM contacts`

const refreshCountsSQL = `
UPDATE customers c SET contact_count = x.n, last_contacted_at = x.last
FROM (SELECT org_id, customer_id, count(*) AS n, max(occurred_at) AS last FROM contacts GROUP BY 1, 2) x
WHERE c.org_id = x.org_id AND c.id = x.customer_id`

// seedFeedbackSQL puts 200,000 feedback of the last year into one organization: surveys,
// complaints in every state with their SLA times, suggestions and compliments.
const seedFeedbackSQL = `
INSERT INTO feedback (org_id, id, customer_id, kind, score, comment, channel, survey, contact_id, subject, description, priority,
  assignee_id, resolution, response, status, first_response_at, resolved_at, first_response_due_at, resolution_due_at,
  version, created_at, updated_at)
SELECT org, gen_random_uuid(), cust, kind,
  CASE kind WHEN 'nps' THEN n % 11 WHEN 'csat' THEN 1 + n % 5 WHEN 'ces' THEN 1 + n % 7 END,
  '', (ARRAY['email','web','phone','app'])[1 + n % 4], (ARRAY['Onboarding','Quarterly','Support'])[1 + n % 3], NULL,
  CASE WHEN kind = 'complaint' THEN 'Complaint ' || n ELSE '' END, '', CASE WHEN kind = 'complaint' THEN prio ELSE '' END,
  NULL, CASE WHEN kind = 'complaint' AND st IN ('resolved', 'closed') THEN 'Fixed' ELSE '' END, '',
  CASE kind WHEN 'complaint' THEN st WHEN 'suggestion' THEN 'new' ELSE '' END,
  CASE WHEN kind = 'complaint' AND st <> 'open' THEN at + ((n * 37) % 43200) * interval '1 second' END,
  CASE WHEN kind = 'complaint' AND st IN ('resolved', 'closed') THEN at + ((n * 53) % 432000) * interval '1 second' END,
  CASE WHEN kind = 'complaint' THEN at + interval '8 hours' END, CASE WHEN kind = 'complaint' THEN at + interval '72 hours' END,
  1, at, at
FROM (WITH oc AS (SELECT id, row_number() OVER () - 1 AS i FROM customers WHERE org_id = $1::uuid AND deleted_at IS NULL),
           total AS (SELECT count(*) AS n FROM oc)
      SELECT n, $1::uuid AS org, oc.id AS cust,
        CASE WHEN n % 100 < 40 THEN 'nps' WHEN n % 100 < 65 THEN 'csat' WHEN n % 100 < 80 THEN 'ces'
             WHEN n % 100 < 95 THEN 'complaint' WHEN n % 100 < 98 THEN 'suggestion' ELSE 'compliment' END AS kind,
        (ARRAY['urgent','high','normal','normal','low'])[1 + n % 5] AS prio,
        (ARRAY['open','acknowledged','in_progress','resolved','closed','closed','closed','resolved'])[1 + (n / 7) % 8] AS st,
        now() - ((hashint4(n) & 2147483647) % 31536000) * interval '1 second' AS at
      FROM generate_series(1, 200000) n JOIN oc ON oc.i = n % (SELECT n FROM total)) f`

// seedPurchasesSQL spreads $1 purchases over the live customers (several each), over two years.
const seedPurchasesSQL = `
WITH c AS (SELECT org_id, id, row_number() OVER () - 1 AS i FROM customers WHERE deleted_at IS NULL),
     total AS (SELECT count(*) AS n FROM c)
INSERT INTO purchases (org_id, id, customer_id, external_id, amount, refunded_amount, currency, occurred_at, channel, items, status,
  version, created_at, updated_at)
SELECT c.org_id, gen_random_uuid(), c.id, NULL, 5 + (hashint4(n) & 2147483647) % 20000 / 100.0, 0, 'EUR', at,
  (ARRAY['store','online','phone','partner','other'])[1 + n % 5], '[]', 'completed', 1, at, at
FROM (SELECT n, now() - ((hashint4(n + 3) & 2147483647) % 63072000) * interval '1 second' AS at
      FROM generate_series(1, $1::int) n) g
JOIN c ON c.i = (hashint4(n + 5) & 2147483647) % (SELECT n FROM total)`
