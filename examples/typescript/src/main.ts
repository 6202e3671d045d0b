// A Rapport client in TypeScript: the types come from the published OpenAPI document
// (openapi-typescript, its default options), the calls go through openapi-fetch. It signs up,
// creates a customer, sends a batch, pages through the customers, records an NPS answer and a
// purchase, reads the loyalty account and handles a validation error, checking each answer.
//
//   BASE=http://localhost:8080 node dist/main.js      (run.sh builds it and starts a server)
import createClient from "openapi-fetch";

import type { components, paths } from "./schema.js";

type Problem = components["schemas"]["Problem"];

const base = (process.env.BASE ?? "http://localhost:8080") + "/v1";

function check(ok: boolean, what: string): void {
  if (!ok) {
    throw new Error(`FAIL: ${what}`);
  }
  console.log(`ok  ${what}`);
}

// ok returns an answer's data, or throws with the problem the server answered instead.
function ok<T, E>(what: string, res: { data?: T; error?: E; response: Response }): T {
  if (res.data === undefined) {
    throw new Error(`FAIL: ${what}: HTTP ${res.response.status}: ${JSON.stringify(res.error)}`);
  }
  console.log(`ok  ${what} (${res.response.status})`);
  return res.data;
}

function describe(p: Problem): string {
  const fields = (p.errors ?? []).map((e) => `${e.field}: ${e.message}`).join("; ");
  return `${p.status} ${p.title}: ${p.detail}${fields ? ` [${fields}]` : ""}`;
}

async function main(): Promise<void> {
  // 1. Sign up: an organization and its owner; the answer carries the tokens.
  const anonymous = createClient<paths>({ baseUrl: base });
  const stamp = Date.now().toString(36);
  const tokens = ok(
    "sign up",
    await anonymous.POST("/auth/signup", {
      body: {
        organization_name: "Acme " + stamp,
        name: "Ada Owner",
        email: `ada-${stamp}@acme.example`,
        password: "correct horse battery",
      },
    }),
  );
  const api = createClient<paths>({ baseUrl: base, headers: { Authorization: `Bearer ${tokens.access_token}` } });

  // 2. Create a customer: Location and ETag come with it.
  const created = await api.POST("/customers", {
    body: { first_name: "Grace", last_name: "Hopper", email: "grace@example.com", tags: ["vip"] },
  });
  const grace = ok("create a customer", created);
  check(created.response.headers.get("Location") === `/v1/customers/${grace.id}`, "Location names the new customer");
  check(grace.lifecycle_stage === "prospect" && grace.tags.includes("vip"), "defaults and tags as sent");

  // 3. Create or update customers in one batch, matched by external_id.
  const items: components["schemas"]["CustomerInput"][] = [];
  for (let i = 1; i <= 120; i++) {
    items.push({ external_id: `shop-${i}`, first_name: `Customer ${i}`, tags: ["import"] });
  }
  const batch = ok("batch of 120", await api.POST("/customers/batch", { body: { items } }));
  check(batch.results.length === 120 && batch.results.every((r) => r.status === "created" && r.id !== undefined), "all 120 created");
  const again = ok("the same batch again", await api.POST("/customers/batch", { body: { items } }));
  check(again.results.every((r) => r.status === "unchanged"), "a repeated batch changes nothing");

  // 4. Page through the list with next_cursor.
  let cursor: string | undefined;
  let seen = 0;
  let pages = 0;
  for (;;) {
    const page = ok(`page ${pages + 1}`, await api.GET("/customers", { params: { query: { limit: 50, cursor } } }));
    seen += page.data.length;
    pages++;
    if (!page.has_more || page.next_cursor === null) {
      break;
    }
    cursor = page.next_cursor;
  }
  check(seen === 121 && pages === 3, `paged through ${seen} customers in ${pages} pages`);

  // 5. An NPS answer: only the fields that apply to a survey.
  const nps = ok(
    "record an NPS answer",
    await api.POST("/customers/{id}/feedback", {
      params: { path: { id: grace.id } },
      body: { kind: "nps", score: 9, survey: "Onboarding" },
    }),
  );
  check(nps.kind === "nps" && nps.score === 9, "the answer is stored");

  // 6. Turn the loyalty program on, then record a purchase (safe to retry with its Idempotency-Key).
  ok(
    "set the loyalty program",
    await api.PUT("/loyalty/program", {
      body: { active: true, points_per_unit: "1", rounding: "floor", min_redemption: 100, tiers: [], expiry_months: null },
    }),
  );
  const recordOrder = () =>
    api.POST("/customers/{id}/purchases", {
      params: { path: { id: grace.id }, header: { "Idempotency-Key": `order-10042-${stamp}` } },
      body: { external_id: "order-10042", amount: "19.90", channel: "online" },
    });
  const purchase = ok("record a purchase", await recordOrder());
  check(purchase.amount.amount === "19.90" && purchase.amount.currency === "EUR", "the amount, in the organization's currency");
  check(purchase.points_earned?.points === 19 && purchase.points_earned.reason === null, "the answer says it earned 19 points");
  const retried = await recordOrder();
  check(ok("retry the purchase", retried).id === purchase.id, "a retry answers the same purchase");
  check(retried.response.headers.get("Idempotent-Replayed") === "true", "and says it is a replay");

  // 7. The loyalty account: the purchase earned 19 points (19.90 × 1, rounded down).
  const account = ok("read the loyalty account", await api.GET("/customers/{id}/loyalty", { params: { path: { id: grace.id } } }));
  check(account.balance === 19 && account.lifetime_earned === 19, `balance ${account.balance}`);

  // 8. A validation error: 422 with the offending fields in errors[].
  const bad = await api.POST("/customers", { body: { first_name: "Nobody", email: "not an email" } });
  if (bad.error === undefined) {
    throw new Error(`FAIL: an invalid customer was accepted (${bad.response.status})`);
  }
  console.log(`    ${describe(bad.error)}`);
  check(bad.response.status === 422 && (bad.error.errors ?? []).some((e) => e.field === "email"), "422 names the bad email");

  console.log("typescript example: all steps passed");
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
