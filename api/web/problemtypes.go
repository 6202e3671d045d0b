package web

import (
	"cmp"
	"net/http"
	"slices"

	"github.com/rapportcrm/rapport/pkg/apperr"
)

// ProblemType is one kind of problem the API answers with. Its type URI is ProblemBase+Slug, and
// GET on that URI shows a developer the rest: when it happens and what to do about it.
type ProblemType struct {
	Slug   string
	Status int
	Title  string
	When   string // when the API answers with it
	Do     string // what a client should do about it
}

// URI is the problem's "type" member.
func (pt ProblemType) URI() string { return ProblemBase + pt.Slug }

func (pt ProblemType) problem(detail, instance string) Problem {
	return Problem{Type: pt.URI(), Title: pt.Title, Status: pt.Status, Detail: detail, Instance: instance}
}

// kinds gives every error kind of the domain its problem type.
var kinds = map[apperr.Kind]ProblemType{
	apperr.KindInternal: {"internal", http.StatusInternalServerError, "Internal server error",
		"The server failed in a way it did not expect. The answer says nothing of the cause; the server logged it with the request_id.",
		"Retry later if the request is safe to repeat (a GET, or a POST with the same Idempotency-Key). If it keeps failing, report the request_id to whoever runs the server."},
	apperr.KindBadRequest: {"bad-request", http.StatusBadRequest, "Bad request",
		"The request cannot be read: malformed JSON, an unknown or read-only field in the body, a field of the wrong JSON type, an unknown or malformed query parameter (limit above 200, say), a cursor this list did not issue, or an If-Match that is not an ETag of this API. errors[] names the field or parameter when there is one.",
		"Fix the request as the detail says; sending it again unchanged gets the same answer."},
	apperr.KindInvalid: {"validation", http.StatusUnprocessableEntity, "Validation failed",
		"The request is well-formed but some values break the rules: a required field is missing, an email or phone number is not valid, a number is out of range, an atomic batch had bad items. errors[] lists every offending field (a dotted path such as address.country) with a message. An Idempotency-Key reused with a different body answers this too.",
		"Correct every field listed in errors[] and send the request again; for a reused Idempotency-Key, use a new key for the new request."},
	apperr.KindUnauthorized: {"unauthorized", http.StatusUnauthorized, "Unauthorized",
		"The request has no credentials, or they are not valid: a missing Authorization header, an expired or forged access token, a revoked API key, or a wrong email or password at sign-in. The answer carries WWW-Authenticate: Bearer.",
		"Send Authorization: Bearer <access token or API key>. When an access token has expired, get a new pair with POST /v1/auth/refresh and retry; when the refresh token has expired too, sign in again."},
	apperr.KindForbidden: {"forbidden", http.StatusForbidden, "Forbidden",
		"The caller is known, but its role or its API key's scopes do not allow the request (viewers only read; agents do not manage users, keys or the loyalty program), or the server has sign-up turned off.",
		"Do not retry: ask an admin or owner of the organization for the role or scope the operation needs."},
	apperr.KindNotFound: {"not-found", http.StatusNotFound, "Not found",
		"There is no such resource in the caller's organization: the id does not exist, belongs to another organization (which answers exactly the same), or was deleted; or no route has this path.",
		"Check the id and the path. A soft-deleted resource can be restored by an admin with POST .../restore."},
	apperr.KindConflict: {"conflict", http.StatusConflict, "Conflict",
		"The request collides with the current state: a unique value is taken (an email or external_id in the same organization; existing_id names the record that has it), the resource is in a state that does not allow the change (a transaction reversed already), a request with the same Idempotency-Key is still running, or the transaction collided with a concurrent one.",
		"For a taken value, work with the record in existing_id (update it instead of creating another). For a key still in flight or a collision, retry after a moment with the same Idempotency-Key."},
	apperr.KindPreconditionFailed: {"precondition-failed", http.StatusPreconditionFailed, "Precondition failed",
		"The request carried If-Match, and the resource has changed since the version that ETag names: someone else wrote it first.",
		"GET the resource again, apply the change to the current version and send it with the new ETag."},
	apperr.KindTooLarge: {"too-large", http.StatusRequestEntityTooLarge, "Request too large",
		"The body is over the limit (1 MiB, 16 MiB for a batch), or an array or object in it has more entries than any request takes (1,000, a batch's items too).",
		"Split the work into smaller requests."},
	apperr.KindRateLimited: {"rate-limited", http.StatusTooManyRequests, "Too many requests",
		"The caller (user, API key or, unauthenticated, IP address) sent more requests than its rate allows, or an account had too many failed sign-ins, or the organization already has 3 jobs (analytics runs) queued or running. Retry-After says when to come back; every response carries RateLimit-Limit, RateLimit-Remaining and RateLimit-Reset.",
		"Wait the seconds in Retry-After before retrying, and spread requests out (batch endpoints take up to 1,000 items in one request). For a job, poll the running ones (GET /v1/jobs/{id}) and start the next when one has finished."},
	apperr.KindUnavailable: {"unavailable", http.StatusServiceUnavailable, "Service unavailable",
		"The server cannot answer now: its database is unreachable, the request ran past its deadline and was abandoned, or the server is working at its capacity with its queue full (it answers the excess at once rather than slow every request down), or is busy with large request bodies.",
		"Retry after the seconds in Retry-After, waiting longer each time. A POST is safe to retry with the same Idempotency-Key."},
	apperr.KindGone: {"gone", http.StatusGone, "Gone",
		"The events feed was given a cursor (after=) that points at an event older than the feed's retention (RAPPORT_FEED_RETENTION, 30 days by default, and an hour's grace): the feed no longer promises that it can hand out every event after it. Events are kept longer (timelines show them), but a follower that fell this far behind must not assume it saw everything.",
		"Resynchronise: read the current records through the lists (on customers, updated_after= picks up what changed since your last sync), then follow the feed again from after=now, or from the start (no after), which is the oldest retained event."},
}

// specific are problem types narrower than their kind's, named by apperr.Error.Type.
var specific = map[string]ProblemType{
	"token-expired": {"token-expired", http.StatusUnauthorized, "Access token expired",
		"The access token was issued by this server and is genuine, but it is past its expiry (access tokens live 15 minutes by default). A forged or malformed token answers /problems/unauthorized instead.",
		"Get a new token pair with POST /v1/auth/refresh and your refresh token, then retry the request with the new access token. No need to ask the user to sign in again until the refresh token expires too."},
}

// The problems Echo itself reports that have no error kind of their own.
var (
	methodNotAllowed = ProblemType{"method-not-allowed", http.StatusMethodNotAllowed, "Method not allowed",
		"The path exists, but not with this HTTP method.",
		"Look up the path in the API reference (/docs) for the methods it takes."}
	notAcceptable = ProblemType{"not-acceptable", http.StatusNotAcceptable, "Not acceptable",
		"The Accept header allows none of the media types the operation answers. The reports answer application/json (the default), and the charts of them as image/svg+xml or image/png; the detail lists what the operation offers.",
		"Send an Accept header that names one of the offered types (q weights are respected), or */*, or none at all for JSON."}
	unsupportedMediaType = ProblemType{"unsupported-media-type", http.StatusUnsupportedMediaType, "Unsupported media type",
		"The request has a body where JSON is required, but its Content-Type is not application/json.",
		"Send the body as JSON with Content-Type: application/json."}
)

// ProblemTypes returns every problem type the API answers with, by status.
func ProblemTypes() []ProblemType {
	all := []ProblemType{methodNotAllowed, notAcceptable, unsupportedMediaType}
	for _, pt := range kinds {
		all = append(all, pt)
	}
	for _, pt := range specific {
		all = append(all, pt)
	}
	slices.SortFunc(all, func(a, b ProblemType) int {
		return cmp.Or(cmp.Compare(a.Status, b.Status), cmp.Compare(a.Slug, b.Slug))
	})
	return all
}

// LookupProblemType finds a problem type by its slug.
func LookupProblemType(slug string) (ProblemType, bool) {
	all := ProblemTypes()
	i := slices.IndexFunc(all, func(pt ProblemType) bool { return pt.Slug == slug })
	if i < 0 {
		return ProblemType{}, false
	}
	return all[i], true
}
