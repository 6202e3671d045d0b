package event

import (
	"fmt"
	"slices"
	"strings"
)

// Types is every event type the service records. The timeline, the change feed and webhook
// subscriptions filter by them; a test checks that every type the code records is listed.
var Types = []string{
	"api_key.created", "api_key.revoked",
	"contact.created", "contact.deleted", "contact.updated",
	"customer.created", "customer.deleted", "customer.lifecycle_stage_changed", "customer.merged",
	"customer.restored", "customer.status_changed", "customer.updated",
	"feedback.created", "feedback.deleted", "feedback.status_changed", "feedback.updated",
	"feedback_sla.updated",
	"loyalty.adjust", "loyalty.earn", "loyalty.expire", "loyalty.redeem", "loyalty.reverse",
	"loyalty.redemption_cancelled", "loyalty.reward_redeemed", "loyalty.tier_changed",
	"loyalty_program.updated", "loyalty_reward.created", "loyalty_reward.updated",
	"organization.created",
	"purchase.created", "purchase.refunded",
	"user.created", "user.updated",
}

// Patterns turns a comma-separated list of event types and patterns (customer.* for every
// customer event) into the types they name, in Types' order. An entry that names no type is an
// error that lists the known ones.
func Patterns(list string) ([]string, error) {
	var out []string
	for _, p := range strings.Split(list, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		n := 0
		for _, t := range Types {
			if Match(p, t) {
				n++
				if !slices.Contains(out, t) {
					out = append(out, t)
				}
			}
		}
		if n == 0 {
			return nil, fmt.Errorf("%q is not an event type; known: %s, each also as prefix.* (customer.*)", p, strings.Join(Types, ", "))
		}
	}
	slices.SortFunc(out, func(a, b string) int { return slices.Index(Types, a) - slices.Index(Types, b) })
	return out, nil
}

// Match reports whether typ is pattern, or starts with pattern's prefix when it ends in ".*".
func Match(pattern, typ string) bool {
	if prefix, ok := strings.CutSuffix(pattern, "*"); ok && strings.HasSuffix(prefix, ".") {
		return strings.HasPrefix(typ, prefix)
	}
	return pattern == typ
}
