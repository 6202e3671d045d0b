package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// TokenConfig sets how access tokens are signed and how long tokens live.
type TokenConfig struct {
	Secret     []byte
	Issuer     string
	Audience   string
	AccessTTL  time.Duration
	RefreshTTL time.Duration
}

// Tokens is what signup, login and refresh answer.
type Tokens struct {
	AccessToken  string
	RefreshToken string
	ExpiresIn    time.Duration
}

type accessClaims struct {
	jwt.RegisteredClaims
	OrgID string `json:"org"`
	Type  string `json:"typ"`
}

const accessType = "access"

func (c TokenConfig) signAccess(u User, now time.Time) (string, error) {
	claims := accessClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    c.Issuer,
			Subject:   u.ID.String(),
			Audience:  jwt.ClaimStrings{c.Audience},
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(c.AccessTTL)),
			ID:        uuid.NewString(),
		},
		OrgID: u.OrgID.String(),
		Type:  accessType,
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(c.Secret)
}

// verifiedToken is what a verified access token says: who, and until when.
type verifiedToken struct {
	userID, orgID uuid.UUID
	expires       time.Time
}

// parseAccess verifies an access token: HS256 only, signed with our key, not expired, our issuer
// and audience, and of the access type.
func (c TokenConfig) parseAccess(token string) (v verifiedToken, err error) {
	var claims accessClaims
	_, err = jwt.ParseWithClaims(token, &claims, func(*jwt.Token) (any, error) { return c.Secret, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(c.Issuer),
		jwt.WithAudience(c.Audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(5*time.Second),
	)
	if err != nil {
		return v, err
	}
	if claims.Type != accessType {
		return v, errors.New("not an access token")
	}
	if v.userID, err = uuid.Parse(claims.Subject); err != nil {
		return v, err
	}
	v.expires = claims.ExpiresAt.Time
	v.orgID, err = uuid.Parse(claims.OrgID)
	return v, err
}

// randomToken returns prefix followed by n random bytes, base64url-encoded.
func randomToken(prefix string, n int) string {
	return prefix + base64.RawURLEncoding.EncodeToString(randomBytes(n))
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return b
}

// hashToken returns the SHA-256 of a high-entropy secret; such secrets need no slow hash.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
