package auth

import (
	"testing"
	"time"

	"github.com/google/uuid"
)

// A verified access token is remembered until it expires and no longer: the cached answer needs
// no signature check, so it must never outlive the token.
func TestVerifiedTokensAreRememberedUntilTheyExpire(t *testing.T) {
	cfg := TokenConfig{Secret: []byte("a-secret-of-at-least-thirty-two-bytes"), Issuer: "rapport", Audience: "rapport-api", AccessTTL: time.Minute}
	s := NewService(nil, nil, Config{Tokens: cfg, BcryptCost: 4, LoginRefill: time.Second})
	u := User{ID: uuid.New(), OrgID: uuid.New()}
	token, err := cfg.signAccess(u, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.verify(token)
	if err != nil || v.userID != u.ID || v.orgID != u.OrgID {
		t.Fatalf("verify: %+v, %v", v, err)
	}
	if e := s.verified.entries[token]; !e.expires.Equal(v.expires) || time.Until(v.expires) > cfg.AccessTTL {
		t.Fatalf("remembered until %v, the token expires %v", e.expires, v.expires)
	}

	// Under another key, only the remembered token still verifies: it was not checked again.
	s.cfg.Tokens.Secret = []byte("another-secret-of-thirty-two-bytes!!")
	if _, err := s.verify(token); err != nil {
		t.Fatalf("the remembered token: %v", err)
	}
	other, _ := cfg.signAccess(u, time.Now().Add(time.Second))
	if _, err := s.verify(other); err == nil {
		t.Fatal("a token signed with the old key verified under the new one")
	}
	// Past its expiry, the memory is not used.
	e := s.verified.entries[token]
	e.expires = time.Now().Add(-time.Millisecond)
	s.verified.entries[token] = e
	if _, err := s.verify(token); err == nil {
		t.Fatal("a remembered token past its expiry verified without a check")
	}
}
