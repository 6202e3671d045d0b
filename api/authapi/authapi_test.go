package authapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/rapportcrm/rapport/api/apitest"
)

func TestSignupLoginRefreshLogout(t *testing.T) {
	env := apitest.New(t)
	owner := env.Signup(t, "Acme")

	me := env.Do(t, apitest.Req{Method: "GET", Path: "/v1/me", Token: owner.Access}).Map(t)
	if me["role"] != "owner" || me["kind"] != "user" {
		t.Fatalf("me = %v", me)
	}

	t.Run("answers with credentials are never cached", func(t *testing.T) {
		other := env.Login(t, owner.Email, owner.Password) // its refresh token is spent below, not the owner's
		for _, r := range []apitest.Req{
			{Method: "POST", Path: "/v1/auth/login", Body: map[string]string{"email": owner.Email, "password": owner.Password}},
			{Method: "POST", Path: "/v1/auth/refresh", Body: map[string]string{"refresh_token": other.Refresh}},
			{Method: "POST", Path: "/v1/api-keys", Token: owner.Access, Body: map[string]any{"name": "sync", "scopes": []string{"customers:read"}}},
		} {
			res := env.Do(t, r)
			if res.Code >= 300 || res.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("%s: %d, Cache-Control %q", r.Path, res.Code, res.Header.Get("Cache-Control"))
			}
		}
	})

	t.Run("duplicate signup email is a conflict", func(t *testing.T) {
		res := env.Do(t, apitest.Req{Method: "POST", Path: "/v1/auth/signup", Body: map[string]string{
			"organization_name": "Other", "name": "X", "email": strings.ToUpper(owner.Email), "password": "correct horse battery"}})
		if res.Code != http.StatusConflict {
			t.Fatalf("got %d %s", res.Code, res.Body)
		}
	})
	t.Run("signup validation names every field", func(t *testing.T) {
		res := env.Do(t, apitest.Req{Method: "POST", Path: "/v1/auth/signup", Body: map[string]string{"email": "nope", "password": "short"}})
		if res.Code != http.StatusUnprocessableEntity {
			t.Fatalf("got %d %s", res.Code, res.Body)
		}
		fields := map[string]bool{}
		for _, e := range res.Map(t)["errors"].([]any) {
			fields[e.(map[string]any)["field"].(string)] = true
		}
		for _, f := range []string{"organization_name", "name", "email", "password"} {
			if !fields[f] {
				t.Errorf("no error for %s in %s", f, res.Body)
			}
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		res := env.Do(t, apitest.Req{Method: "POST", Path: "/v1/auth/login", Body: map[string]string{"email": owner.Email, "password": "wrong password!"}})
		if res.Code != http.StatusUnauthorized || res.Header.Get("WWW-Authenticate") == "" {
			t.Fatalf("got %d %v", res.Code, res.Header)
		}
	})

	// Rotation: the new refresh token works, the old one is refused and revokes the family.
	res := env.Do(t, apitest.Req{Method: "POST", Path: "/v1/auth/refresh", Body: map[string]string{"refresh_token": owner.Refresh}})
	if res.Code != http.StatusOK {
		t.Fatalf("refresh: %d %s", res.Code, res.Body)
	}
	second := res.Map(t)["refresh_token"].(string)
	if res := env.Do(t, apitest.Req{Method: "POST", Path: "/v1/auth/refresh", Body: map[string]string{"refresh_token": owner.Refresh}}); res.Code != http.StatusUnauthorized {
		t.Fatalf("reused refresh token: %d", res.Code)
	}
	if res := env.Do(t, apitest.Req{Method: "POST", Path: "/v1/auth/refresh", Body: map[string]string{"refresh_token": second}}); res.Code != http.StatusUnauthorized {
		t.Fatalf("after reuse, the family must be revoked; the newest token answered %d", res.Code)
	}

	// Logout revokes the token it is given.
	s := env.Login(t, owner.Email, owner.Password)
	if res := env.Do(t, apitest.Req{Method: "POST", Path: "/v1/auth/logout", Body: map[string]string{"refresh_token": s.Refresh}}); res.Code != http.StatusNoContent {
		t.Fatalf("logout: %d", res.Code)
	}
	if res := env.Do(t, apitest.Req{Method: "POST", Path: "/v1/auth/refresh", Body: map[string]string{"refresh_token": s.Refresh}}); res.Code != http.StatusUnauthorized {
		t.Fatalf("refresh after logout: %d", res.Code)
	}
	// An access token is not a refresh token, and a refresh token is not an access token.
	if res := env.Do(t, apitest.Req{Method: "POST", Path: "/v1/auth/refresh", Body: map[string]string{"refresh_token": s.Access}}); res.Code != http.StatusUnauthorized {
		t.Fatalf("access token as refresh token: %d", res.Code)
	}
	if res := env.Do(t, apitest.Req{Method: "GET", Path: "/v1/me", Token: s.Refresh}); res.Code != http.StatusUnauthorized {
		t.Fatalf("refresh token as access token: %d", res.Code)
	}
}

func TestSignupClosed(t *testing.T) {
	env := apitest.NewWith(t, apitest.Options{SignupClosed: true})
	res := env.Do(t, apitest.Req{Method: "POST", Path: "/v1/auth/signup", Body: map[string]string{
		"organization_name": "Acme", "name": "A", "email": "a@example.com", "password": "correct horse battery"}})
	if res.Code != http.StatusForbidden {
		t.Fatalf("got %d", res.Code)
	}
}

func TestLoginThrottle(t *testing.T) {
	env := apitest.NewWith(t, apitest.Options{LoginAttempts: 3})
	owner := env.Signup(t, "Acme")
	for i := 0; i < 3; i++ {
		env.Do(t, apitest.Req{Method: "POST", Path: "/v1/auth/login", Body: map[string]string{"email": owner.Email, "password": "wrong password!"}})
	}
	res := env.Do(t, apitest.Req{Method: "POST", Path: "/v1/auth/login", Body: map[string]string{"email": owner.Email, "password": owner.Password}})
	if res.Code != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Fatalf("after 3 failures even the right password is throttled: got %d %v", res.Code, res.Header)
	}
}

func sign(t *testing.T, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestTamperedTokens(t *testing.T) {
	env := apitest.New(t)
	owner := env.Signup(t, "Acme")
	valid := func() jwt.MapClaims {
		return jwt.MapClaims{"iss": "rapport", "aud": "rapport-api", "sub": owner.UserID, "org": owner.OrgID, "typ": "access",
			"iat": time.Now().Unix(), "exp": time.Now().Add(time.Minute).Unix()}
	}
	if res := env.Do(t, apitest.Req{Method: "GET", Path: "/v1/me", Token: sign(t, jwt.SigningMethodHS256, apitest.Secret, valid())}); res.Code != http.StatusOK {
		t.Fatalf("a well-formed token must work (else the cases below prove nothing): %d", res.Code)
	}
	with := func(k string, v any) jwt.MapClaims {
		c := valid()
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	none := sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, valid())
	cases := map[string]string{
		"alg none":       none,
		"wrong key":      sign(t, jwt.SigningMethodHS256, []byte("another-secret-another-secret-12345"), valid()),
		"HS512":          sign(t, jwt.SigningMethodHS512, apitest.Secret, valid()),
		"expired":        sign(t, jwt.SigningMethodHS256, apitest.Secret, with("exp", time.Now().Add(-time.Hour).Unix())),
		"no expiry":      sign(t, jwt.SigningMethodHS256, apitest.Secret, with("exp", nil)),
		"wrong audience": sign(t, jwt.SigningMethodHS256, apitest.Secret, with("aud", "someone-else")),
		"wrong issuer":   sign(t, jwt.SigningMethodHS256, apitest.Secret, with("iss", "evil")),
		"not access":     sign(t, jwt.SigningMethodHS256, apitest.Secret, with("typ", "refresh")),
		"other org":      sign(t, jwt.SigningMethodHS256, apitest.Secret, with("org", "01a21609-0000-7000-8000-000000000000")),
		"garbage":        "not.a.token",
	}
	for name, tok := range cases {
		t.Run(name, func(t *testing.T) {
			res := env.Do(t, apitest.Req{Method: "GET", Path: "/v1/me", Token: tok})
			if res.Code != http.StatusUnauthorized {
				t.Fatalf("got %d", res.Code)
			}
			// Only a genuine token past its expiry says so: the client should refresh. Every other
			// one, an expired token with a forged signature included, is just unauthorized.
			want := "/problems/unauthorized"
			if name == "expired" {
				want = "/problems/token-expired"
			}
			if typ := res.Map(t)["type"]; typ != want {
				t.Fatalf("type %v, want %s", typ, want)
			}
		})
	}
	forged := sign(t, jwt.SigningMethodHS256, []byte("another-secret-another-secret-12345"), with("exp", time.Now().Add(-time.Hour).Unix()))
	if typ := env.Do(t, apitest.Req{Method: "GET", Path: "/v1/me", Token: forged}).Map(t)["type"]; typ != "/problems/unauthorized" {
		t.Fatalf("an expired token with a forged signature: %v", typ)
	}
}

func TestUsersAndRoles(t *testing.T) {
	env := apitest.New(t)
	owner := env.Signup(t, "Acme")
	admin := env.AddUser(t, owner, "admin@acme.example", "admin")
	agent := env.AddUser(t, owner, "agent@acme.example", "agent")
	viewer := env.AddUser(t, owner, "viewer@acme.example", "viewer")

	customer := map[string]string{"email": "c@example.com"}
	for _, tc := range []struct {
		name   string
		s      apitest.Session
		req    apitest.Req
		status int
	}{
		{"viewer reads customers", viewer, apitest.Req{Method: "GET", Path: "/v1/customers"}, 200},
		{"viewer cannot write", viewer, apitest.Req{Method: "POST", Path: "/v1/customers", Body: customer}, 403},
		{"agent writes customers", agent, apitest.Req{Method: "POST", Path: "/v1/customers", Body: customer}, 201},
		{"agent cannot add users", agent, apitest.Req{Method: "POST", Path: "/v1/users", Body: map[string]string{"email": "x@acme.example", "name": "x", "password": "long enough pw", "role": "agent"}}, 403},
		{"agent cannot manage keys", agent, apitest.Req{Method: "GET", Path: "/v1/api-keys"}, 403},
		{"admin cannot make owners", admin, apitest.Req{Method: "POST", Path: "/v1/users", Body: map[string]string{"email": "o2@acme.example", "name": "x", "password": "long enough pw", "role": "owner"}}, 403},
		{"admin adds agents", admin, apitest.Req{Method: "POST", Path: "/v1/users", Body: map[string]string{"email": "a2@acme.example", "name": "x", "password": "long enough pw", "role": "agent"}}, 201},
		{"duplicate user email", admin, apitest.Req{Method: "POST", Path: "/v1/users", Body: map[string]string{"email": "A2@acme.example", "name": "x", "password": "long enough pw", "role": "agent"}}, 409},
		{"admin cannot demote the owner", admin, apitest.Req{Method: "PATCH", Path: "/v1/users/" + owner.UserID, Body: map[string]string{"role": "viewer"}}, 403},
		{"owner cannot demote self", owner, apitest.Req{Method: "PATCH", Path: "/v1/users/" + owner.UserID, Body: map[string]string{"role": "admin"}}, 403},
		{"viewer lists users", viewer, apitest.Req{Method: "GET", Path: "/v1/users?limit=2"}, 200},
		{"bad role", owner, apitest.Req{Method: "PATCH", Path: "/v1/users/" + agent.UserID, Body: map[string]string{"role": "king"}}, 422},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.req.Token = tc.s.Access
			if res := env.Do(t, tc.req); res.Code != tc.status {
				t.Fatalf("got %d, want %d: %s", res.Code, tc.status, res.Body)
			}
		})
	}

	// Deactivating a user ends their access at once, and their refresh tokens.
	res := env.Do(t, apitest.Req{Method: "PATCH", Path: "/v1/users/" + agent.UserID, Token: admin.Access, Body: map[string]bool{"active": false}})
	if res.Code != http.StatusOK || res.Map(t)["active"] != false {
		t.Fatalf("deactivate: %d %s", res.Code, res.Body)
	}
	if res := env.Do(t, apitest.Req{Method: "GET", Path: "/v1/me", Token: agent.Access}); res.Code != http.StatusUnauthorized {
		t.Fatalf("deactivated user's access token: %d", res.Code)
	}
	if res := env.Do(t, apitest.Req{Method: "POST", Path: "/v1/auth/refresh", Body: map[string]string{"refresh_token": agent.Refresh}}); res.Code != http.StatusUnauthorized {
		t.Fatalf("deactivated user's refresh token: %d", res.Code)
	}
	if res := env.Do(t, apitest.Req{Method: "POST", Path: "/v1/auth/login", Body: map[string]string{"email": agent.Email, "password": agent.Password}}); res.Code != http.StatusUnauthorized {
		t.Fatalf("deactivated user's login: %d", res.Code)
	}

	// Paging through users: 5 users, pages of 2.
	seen := map[string]bool{}
	path := "/v1/users?limit=2"
	for pages := 0; path != ""; pages++ {
		page := env.Do(t, apitest.Req{Method: "GET", Path: path, Token: owner.Access}).Map(t)
		for _, u := range page["data"].([]any) {
			seen[u.(map[string]any)["id"].(string)] = true
		}
		path = ""
		if c, ok := page["next_cursor"].(string); ok {
			path = "/v1/users?limit=2&cursor=" + c
		}
		if pages > 5 {
			t.Fatal("paging does not end")
		}
	}
	if len(seen) != 5 {
		t.Fatalf("saw %d users, want 5", len(seen))
	}

	// Another organization's user is not found.
	other := env.Signup(t, "Other")
	if res := env.Do(t, apitest.Req{Method: "GET", Path: "/v1/users/" + owner.UserID, Token: other.Access}); res.Code != http.StatusNotFound {
		t.Fatalf("cross-tenant user: %d", res.Code)
	}
}

func TestAPIKeys(t *testing.T) {
	env := apitest.New(t)
	owner := env.Signup(t, "Acme")
	res := env.Do(t, apitest.Req{Method: "POST", Path: "/v1/api-keys", Token: owner.Access, Body: map[string]any{"name": "shop", "scopes": []string{"customers:write"}}})
	if res.Code != http.StatusCreated {
		t.Fatalf("create key: %d %s", res.Code, res.Body)
	}
	created := res.Map(t)
	key, id := created["secret"].(string), created["id"].(string)
	if !strings.HasPrefix(key, "rpk_"+created["prefix"].(string)+"_") {
		t.Fatalf("key %q does not start with its prefix", key)
	}

	if res := env.Do(t, apitest.Req{Method: "POST", Path: "/v1/customers", Token: key, Body: map[string]string{"email": "k@example.com"}}); res.Code != http.StatusCreated {
		t.Fatalf("key writes customers: %d %s", res.Code, res.Body)
	}
	if res := env.Do(t, apitest.Req{Method: "GET", Path: "/v1/customers", Token: key}); res.Code != http.StatusOK {
		t.Fatalf("write scope includes read: %d", res.Code)
	}
	if res := env.Do(t, apitest.Req{Method: "GET", Path: "/v1/users", Token: key}); res.Code != http.StatusForbidden {
		t.Fatalf("key without users:read: %d", res.Code)
	}
	if res := env.Do(t, apitest.Req{Method: "GET", Path: "/v1/api-keys", Token: key}); res.Code != http.StatusForbidden {
		t.Fatalf("keys never manage keys: %d", res.Code)
	}
	me := env.Do(t, apitest.Req{Method: "GET", Path: "/v1/me", Token: key}).Map(t)
	if me["kind"] != "api_key" {
		t.Fatalf("me = %v", me)
	}
	list := env.Do(t, apitest.Req{Method: "GET", Path: "/v1/api-keys", Token: owner.Access}).Map(t)
	k := list["data"].([]any)[0].(map[string]any)
	if _, leaked := k["secret"]; leaked || k["last_used_at"] == nil {
		t.Fatalf("listed key = %v (no secret, a last-used time)", k)
	}

	if res := env.Do(t, apitest.Req{Method: "POST", Path: "/v1/api-keys", Token: owner.Access, Body: map[string]any{"name": "x", "scopes": []string{"everything"}}}); res.Code != http.StatusUnprocessableEntity {
		t.Fatalf("unknown scope: %d", res.Code)
	}
	other := env.Signup(t, "Other")
	if res := env.Do(t, apitest.Req{Method: "DELETE", Path: "/v1/api-keys/" + id, Token: other.Access}); res.Code != http.StatusNotFound {
		t.Fatalf("revoke another org's key: %d", res.Code)
	}
	if res := env.Do(t, apitest.Req{Method: "DELETE", Path: "/v1/api-keys/" + id, Token: owner.Access}); res.Code != http.StatusNoContent {
		t.Fatalf("revoke: %d", res.Code)
	}
	if res := env.Do(t, apitest.Req{Method: "GET", Path: "/v1/customers", Token: key}); res.Code != http.StatusUnauthorized {
		t.Fatalf("revoked key: %d", res.Code)
	}
	if res := env.Do(t, apitest.Req{Method: "GET", Path: "/v1/customers", Token: key[:len(key)-2] + "xx"}); res.Code != http.StatusUnauthorized {
		t.Fatalf("wrong secret: %d", res.Code)
	}
}

// TestAPIKeyAuthority: a key holds its scopes only as far as its creator's current role allows;
// demoting the creator narrows the key at once, deactivating them ends it. Analytics scopes are
// grantable. A key that reads customers sees no contact notes or ledger lines in a timeline.
func TestAPIKeyAuthority(t *testing.T) {
	env := apitest.NewWith(t, apitest.Options{})
	owner := env.Signup(t, "Acme")
	admin := env.AddUser(t, owner, "admin@acme.example", "admin")
	key := env.Expect(t, admin.Access, "POST", "/v1/api-keys", map[string]any{"name": "ops",
		"scopes": []string{"loyalty:admin", "analytics:read", "analytics:admin", "customers:read"}}, 201)["secret"].(string)
	program := map[string]any{"active": true, "points_per_unit": "1", "rounding": "floor"}
	env.Expect(t, key, "PUT", "/v1/loyalty/program", program, 200)
	env.Expect(t, key, "POST", "/v1/analytics/rfm/run", map[string]any{}, 202)

	c := env.Expect(t, owner.Access, "POST", "/v1/customers", map[string]any{"first_name": "Ada"}, 201)["id"].(string)
	env.Expect(t, owner.Access, "POST", "/v1/customers/"+c+"/contact-history", map[string]any{"channel": "phone", "direction": "inbound", "notes": "private"}, 201)
	env.Expect(t, owner.Access, "POST", "/v1/customers/"+c+"/loyalty/transactions", map[string]any{"type": "earn", "points": 5, "reason": "x"}, 201)
	for _, e := range env.Expect(t, key, "GET", "/v1/customers/"+c+"/timeline", nil, 200)["data"].([]any) {
		if typ := e.(map[string]any)["type"].(string); !strings.HasPrefix(typ, "customer.") && !strings.HasPrefix(typ, "loyalty") {
			t.Errorf("a key without contacts:read sees %s", typ)
		}
	}
	if n := len(env.Expect(t, key, "GET", "/v1/customers/"+c+"/timeline?types=contact.created", nil, 200)["data"].([]any)); n != 0 {
		t.Errorf("asking for contact events by name shows %d", n)
	}
	if n := len(env.Expect(t, owner.Access, "GET", "/v1/customers/"+c+"/timeline?types=contact.created", nil, 200)["data"].([]any)); n != 1 {
		t.Errorf("the owner sees %d contact events, want 1", n)
	}

	env.Expect(t, owner.Access, "PATCH", "/v1/users/"+admin.UserID, map[string]any{"role": "agent"}, 200)
	env.Expect(t, key, "PUT", "/v1/loyalty/program", program, 403) // agents do not run the program
	env.Expect(t, key, "GET", "/v1/customers", nil, 200)
	env.Expect(t, owner.Access, "PATCH", "/v1/users/"+admin.UserID, map[string]any{"active": false}, 200)
	res := env.Do(t, apitest.Req{Method: "GET", Path: "/v1/customers", Token: key})
	if res.Code != http.StatusUnauthorized || !strings.Contains(string(res.Body), "deactivated") {
		t.Fatalf("a key whose creator is deactivated: %d %s", res.Code, res.Body)
	}
}
