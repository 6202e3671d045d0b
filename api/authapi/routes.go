// Package authapi serves sign-up, sign-in and tokens, the caller's identity, the organization's
// users and its API keys.
package authapi

import (
	"github.com/rapportcrm/rapport/api/mid"
	"github.com/rapportcrm/rapport/api/web"
	"github.com/rapportcrm/rapport/pkg/auth"
)

type handlers struct{ svc *auth.Service }

// Register mounts the auth routes: sign-up and tokens on public, the rest on private.
func Register(public, private web.Routes, svc *auth.Service) {
	h := handlers{svc: svc}
	public.POST("/auth/signup", h.signup)
	public.POST("/auth/login", h.login)
	public.POST("/auth/refresh", h.refresh)
	public.POST("/auth/logout", h.logout)

	private.GET("/me", h.me)
	private.GET("/users", h.listUsers, mid.Require(auth.UsersRead))
	private.POST("/users", h.createUser, mid.Require(auth.UsersWrite))
	private.GET("/users/:id", h.getUser, mid.Require(auth.UsersRead))
	private.PATCH("/users/:id", h.updateUser, mid.Require(auth.UsersWrite))
	private.GET("/api-keys", h.listAPIKeys, mid.Require(auth.APIKeysWrite))
	private.POST("/api-keys", h.createAPIKey, mid.Require(auth.APIKeysWrite))
	private.DELETE("/api-keys/:id", h.revokeAPIKey, mid.Require(auth.APIKeysWrite))
}
