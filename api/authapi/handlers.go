package authapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/rapportcrm/rapport/api/mid"
	"github.com/rapportcrm/rapport/api/web"
	"github.com/rapportcrm/rapport/pkg/auth"
)

// signup godoc
//
//	@Summary		Sign up: create an organization and its owner
//	@ID				signup
//	@Description	Creates an organization and its first user (role owner) and signs the owner in.
//	@Description	A server may turn sign-up off (RAPPORT_SIGNUP=closed): then it answers 403.
//	@Description	Sign-in is by email alone, so an email has one account across all organizations: 409 means
//	@Description	the address is taken somewhere, which does tell a caller that it has an account.
//	@Tags			auth
//	@Accept			json
//	@Produce		json
//	@Param			body	body		SignupRequest	true	"The organization and its owner"
//	@Success		201		{object}	TokenResponse
//	@Failure		400,403,409,413,415,422,429,500,503	{object}	web.Problem
//	@Router			/auth/signup [post]
func (h handlers) signup(c echo.Context) error {
	var req SignupRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	t, err := h.svc.Signup(c.Request().Context(), auth.SignupInput{OrganizationName: req.OrganizationName, Name: req.Name, Email: req.Email, Password: req.Password, Currency: req.Currency})
	if err != nil {
		return err
	}
	return secretJSON(c, http.StatusCreated, toTokenResponse(t))
}

// login godoc
//
//	@Summary		Sign in with email and password
//	@ID				login
//	@Description	Answers an access token (a JWT, short-lived) and a refresh token. Failed attempts are
//	@Description	throttled per account and per client IP: past the limit the answer is 429 with Retry-After.
//	@Tags			auth
//	@Accept			json
//	@Produce		json
//	@Param			body	body		LoginRequest	true	"Credentials"
//	@Success		200		{object}	TokenResponse
//	@Failure		400,401,413,415,422,429,500,503	{object}	web.Problem
//	@Router			/auth/login [post]
func (h handlers) login(c echo.Context) error {
	var req LoginRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	t, err := h.svc.Login(c.Request().Context(), req.Email, req.Password, c.RealIP())
	if err != nil {
		return err
	}
	return secretJSON(c, http.StatusOK, toTokenResponse(t))
}

// refresh godoc
//
//	@Summary		Exchange a refresh token for a new pair
//	@ID				refreshTokens
//	@Description	The refresh token used stops working (rotation). Presenting a rotated token again
//	@Description	revokes every token of that sign-in, since it means the token leaked.
//	@Tags			auth
//	@Accept			json
//	@Produce		json
//	@Param			body	body		RefreshRequest	true	"The refresh token"
//	@Success		200		{object}	TokenResponse
//	@Failure		400,401,413,415,422,429,500,503	{object}	web.Problem
//	@Router			/auth/refresh [post]
func (h handlers) refresh(c echo.Context) error {
	var req RefreshRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	t, err := h.svc.Refresh(c.Request().Context(), req.RefreshToken)
	if err != nil {
		return err
	}
	return secretJSON(c, http.StatusOK, toTokenResponse(t))
}

// logout godoc
//
//	@Summary	Sign out: revoke a refresh token
//	@ID			logout
//	@Tags		auth
//	@Accept		json
//	@Produce	json
//	@Param		body	body	RefreshRequest	true	"The refresh token to revoke"
//	@Success	204
//	@Failure	400,413,415,422,429,500,503	{object}	web.Problem
//	@Router		/auth/logout [post]
func (h handlers) logout(c echo.Context) error {
	var req RefreshRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	if err := h.svc.Logout(c.Request().Context(), req.RefreshToken); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// me godoc
//
//	@Summary	Who am I: the caller, its organization and its permissions
//	@ID			getMe
//	@Tags		auth
//	@Produce	json
//	@Security	BearerAuth
//	@Success	200	{object}	Me
//	@Failure	401,429,500,503	{object}	web.Problem
//	@Router		/me [get]
func (h handlers) me(c echo.Context) error {
	p := mid.Principal(c)
	org, err := h.svc.Organization(c.Request().Context(), p)
	if err != nil {
		return err
	}
	me := Me{Kind: p.Kind, Organization: Organization{ID: org.ID.String(), Name: org.Name, Currency: org.Currency, CreatedAt: org.CreatedAt}, Permissions: []string{}}
	for _, perm := range p.Permissions() {
		me.Permissions = append(me.Permissions, string(perm))
	}
	if p.User != nil {
		u := toUser(*p.User)
		me.User, me.Role = &u, string(p.User.Role)
	} else {
		k := toAPIKey(*p.APIKey)
		me.APIKey = &k
	}
	return c.JSON(http.StatusOK, me)
}

// listUsers godoc
//
//	@Summary	List the organization's users
//	@ID			listUsers
//	@Tags		users
//	@Produce	json
//	@Security	BearerAuth
//	@Param		limit	query		int		false	"Page size, 1 to 200"	default(50)
//	@Param		cursor	query		string	false	"next_cursor of the previous page"
//	@Param		sort	query		string	false	"Order"	Enums(created_at, -created_at)	default(-created_at)
//	@Success	200		{object}	web.Page{data=[]User}
//	@Failure	400,401,403,429,500,503	{object}	web.Problem
//	@Router		/users [get]
func (h handlers) listUsers(c echo.Context) error {
	q := web.NewQuery(c)
	req := q.Page([]string{"created_at"}, "-created_at")
	if err := q.Err(); err != nil {
		return err
	}
	res, err := h.svc.Users(c.Request().Context(), mid.Principal(c), req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, web.NewPage(res, toUser))
}

// createUser godoc
//
//	@Summary		Add a user to the organization
//	@ID				createUser
//	@Description	Admins add users; only an owner can add another owner. An email has one account across all
//	@Description	organizations (sign-in is by email alone): 409 when it is taken anywhere.
//	@Tags			users
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			Idempotency-Key	header		string				false	"Makes a retry safe"
//	@Param			body			body		CreateUserRequest	true	"The user"
//	@Success		201				{object}	User
//	@Header			201				{string}	Location	"The new user's URL"
//	@Failure		400,401,403,409,413,415,422,429,500,503	{object}	web.Problem
//	@Router			/users [post]
func (h handlers) createUser(c echo.Context) error {
	var req CreateUserRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	u, err := h.svc.CreateUser(c.Request().Context(), mid.Principal(c), auth.NewUser{Email: req.Email, Name: req.Name, Password: req.Password, Role: auth.Role(req.Role)})
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/v1/users/"+u.ID.String())
	return c.JSON(http.StatusCreated, toUser(u))
}

// getUser godoc
//
//	@Summary	Get a user
//	@ID			getUser
//	@Tags		users
//	@Produce	json
//	@Security	BearerAuth
//	@Param		id	path		string	true	"User id"	format(uuid)
//	@Success	200	{object}	User
//	@Failure	401,403,404,429,500,503	{object}	web.Problem
//	@Router		/users/{id} [get]
func (h handlers) getUser(c echo.Context) error {
	id, err := web.PathID(c)
	if err != nil {
		return err
	}
	u, err := h.svc.User(c.Request().Context(), mid.Principal(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toUser(u))
}

// updateUser godoc
//
//	@Summary		Change a user's name, role or active flag
//	@ID				updateUser
//	@Description	Deactivating a user ends their sessions at once: their tokens stop working.
//	@Description	Only owners change owners; nobody changes their own role; the last active owner stays.
//	@Tags			users
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id		path		string				true	"User id"	format(uuid)
//	@Param			body	body		UpdateUserRequest	true	"The changes"
//	@Success		200		{object}	User
//	@Failure		400,401,403,404,409,413,415,422,429,500,503	{object}	web.Problem
//	@Router			/users/{id} [patch]
func (h handlers) updateUser(c echo.Context) error {
	id, err := web.PathID(c)
	if err != nil {
		return err
	}
	var req UpdateUserRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	ch := auth.UserChanges{Name: req.Name, Active: req.Active}
	if req.Role != nil {
		r := auth.Role(*req.Role)
		ch.Role = &r
	}
	u, err := h.svc.UpdateUser(c.Request().Context(), mid.Principal(c), id, ch)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toUser(u))
}

// listAPIKeys godoc
//
//	@Summary	List the organization's API keys, revoked ones included
//	@ID			listApiKeys
//	@Tags		api-keys
//	@Produce	json
//	@Security	BearerAuth
//	@Param		limit	query		int		false	"Page size, 1 to 200"	default(50)
//	@Param		cursor	query		string	false	"next_cursor of the previous page"
//	@Param		sort	query		string	false	"Order"	Enums(created_at, -created_at)	default(-created_at)
//	@Success	200		{object}	web.Page{data=[]APIKey}
//	@Failure	400,401,403,429,500,503	{object}	web.Problem
//	@Router		/api-keys [get]
func (h handlers) listAPIKeys(c echo.Context) error {
	q := web.NewQuery(c)
	req := q.Page([]string{"created_at"}, "-created_at")
	if err := q.Err(); err != nil {
		return err
	}
	res, err := h.svc.APIKeys(c.Request().Context(), mid.Principal(c), req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, web.NewPage(res, toAPIKey))
}

// createAPIKey godoc
//
//	@Summary		Create an API key
//	@ID				createApiKey
//	@Description	The answer carries the secret, which is shown this once; only its hash is kept.
//	@Description	A key may hold only scopes its creator's role holds, and keeps them only while it does:
//	@Description	demoting the creator narrows the key at once, and deactivating them ends it.
//	@Tags			api-keys
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			Idempotency-Key	header		string				false	"Makes a retry safe"
//	@Param			body			body		CreateAPIKeyRequest	true	"The key"
//	@Success		201				{object}	CreatedAPIKey
//	@Failure		400,401,403,409,413,415,422,429,500,503	{object}	web.Problem
//	@Router			/api-keys [post]
func (h handlers) createAPIKey(c echo.Context) error {
	var req CreateAPIKeyRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	in := auth.NewAPIKey{Name: req.Name, ExpiresAt: req.ExpiresAt}
	for _, s := range req.Scopes {
		in.Scopes = append(in.Scopes, auth.Permission(s))
	}
	k, secret, err := h.svc.CreateAPIKey(c.Request().Context(), mid.Principal(c), in)
	if err != nil {
		return err
	}
	return secretJSON(c, http.StatusCreated, CreatedAPIKey{APIKey: toAPIKey(k), Secret: secret})
}

// revokeAPIKey godoc
//
//	@Summary	Revoke an API key
//	@ID			revokeApiKey
//	@Tags		api-keys
//	@Produce	json
//	@Security	BearerAuth
//	@Param		id	path	string	true	"Key id"	format(uuid)
//	@Success	204
//	@Failure	401,403,404,429,500,503	{object}	web.Problem
//	@Router		/api-keys/{id} [delete]
func (h handlers) revokeAPIKey(c echo.Context) error {
	id, err := web.PathID(c)
	if err != nil {
		return err
	}
	if err := h.svc.RevokeAPIKey(c.Request().Context(), mid.Principal(c), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// secretJSON answers a body that holds credentials: no cache or proxy may keep it (RFC 6749, 5.1).
func secretJSON(c echo.Context, status int, body any) error {
	h := c.Response().Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	return c.JSON(status, body)
}
