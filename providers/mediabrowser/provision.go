package mediabrowser

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/authportal/authportal/providers"
)

// ErrNameTaken is returned by CreateUser when the server already has a user
// of that name. Both servers answer it as a 400 (an ArgumentException), the
// same status as other refusals, so on a 400 CreateUser looks the name up.
var ErrNameTaken = errors.New("mediabrowser: a user with that name already exists")

// Policy is the library access a new user gets.
type Policy struct {
	// EnableAllFolders gives every library; otherwise EnabledFolders lists
	// the libraries (Jellyfin: their Id; Emby: their Guid).
	EnableAllFolders bool
	EnabledFolders   []string
}

// createdUser is the UserDto CreateUser reads back; Policy is kept whole so
// that POST /Users/{id}/Policy sends every field the server returned (the
// servers bind the body to a full UserPolicy).
type createdUser struct {
	ID     string         `json:"Id"`
	Name   string         `json:"Name"`
	Policy map[string]any `json:"Policy"`
}

// CreateUser makes a user on the server with the API key: POST /Users/New
// {Name, Password}, then POST /Users/{id}/Password (Emby's /Users/New
// ignores the password; Jellyfin's sets it, and setting it again is
// harmless), then POST /Users/{id}/Policy with policy, never an
// administrator and never disabled. It returns the new user's id (the
// Identity.Subject its sign-ins will carry).
//
// When a step after the creation fails, the half-made user is deleted again
// (a user without its password or policy must not stay behind), and the
// error says what failed. Errors: ErrNameTaken, ErrNoAPIKey,
// ErrAPIKeyRefused, providers.ErrUnavailable.
func (c *Client) CreateUser(ctx context.Context, name, password string, policy Policy) (string, error) {
	if c.cfg.APIKey == "" {
		return "", ErrNoAPIKey
	}
	name = strings.TrimSpace(name)
	if name == "" || password == "" {
		return "", errors.New("mediabrowser: create user: name and password are required")
	}
	var u createdUser
	status, err := c.call(ctx, http.MethodPost, "/Users/New", c.cfg.APIKey, map[string]any{"Name": name, "Password": password}, &u)
	if err != nil || status != http.StatusOK {
		if err == nil && status == http.StatusBadRequest {
			// The 400 says "already exists" only in its text, which varies by
			// server and version: ask the user list instead.
			if again, lerr := c.nameTaken(ctx, name); lerr == nil && again {
				return "", &Error{Flavor: c.cfg.Flavor, Op: "create user", Status: status, Err: ErrNameTaken}
			}
		}
		return "", c.fail("create user", status, err, ErrAPIKeyRefused)
	}
	if u.ID == "" {
		return "", &Error{Flavor: c.cfg.Flavor, Op: "create user", Status: status, Err: providers.ErrUnavailable,
			cause: errors.New("answer lacks Id")}
	}
	if err := c.finishUser(ctx, u, password, policy); err != nil {
		if derr := c.DeleteUser(context.WithoutCancel(ctx), u.ID); derr != nil {
			return "", errors.Join(err, derr)
		}
		return "", err
	}
	return u.ID, nil
}

// finishUser sets the new user's password and policy.
func (c *Client) finishUser(ctx context.Context, u createdUser, password string, policy Policy) error {
	path := "/Users/" + url.PathEscape(u.ID)
	status, err := c.call(ctx, http.MethodPost, path+"/Password", c.cfg.APIKey,
		map[string]any{"Id": u.ID, "CurrentPw": "", "NewPw": password, "ResetPassword": false}, nil)
	if err != nil || (status != http.StatusOK && status != http.StatusNoContent) {
		return c.fail("set password", status, err, ErrAPIKeyRefused)
	}
	p := u.Policy
	if p == nil {
		p = map[string]any{}
	}
	folders := policy.EnabledFolders
	if folders == nil {
		folders = []string{}
	}
	p["IsAdministrator"], p["IsDisabled"] = false, false
	p["EnableAllFolders"], p["EnabledFolders"] = policy.EnableAllFolders, folders
	status, err = c.call(ctx, http.MethodPost, path+"/Policy", c.cfg.APIKey, p, nil)
	if err != nil || (status != http.StatusOK && status != http.StatusNoContent) {
		return c.fail("set policy", status, err, ErrAPIKeyRefused)
	}
	return nil
}

// DeleteUser removes the user with id from the server, with the API key. A
// user the server no longer knows is already gone: nil.
func (c *Client) DeleteUser(ctx context.Context, id string) error {
	if c.cfg.APIKey == "" {
		return ErrNoAPIKey
	}
	status, err := c.call(ctx, http.MethodDelete, "/Users/"+url.PathEscape(id), c.cfg.APIKey, nil, nil)
	switch {
	case err == nil && (status == http.StatusNoContent || status == http.StatusOK || status == http.StatusNotFound):
		return nil
	default:
		return c.fail("delete user", status, err, ErrAPIKeyRefused)
	}
}

// nameTaken asks the server, with the API key, whether a user is named name
// (the servers compare names case-insensitively).
func (c *Client) nameTaken(ctx context.Context, name string) (bool, error) {
	var users []user
	status, err := c.call(ctx, http.MethodGet, "/Users", c.cfg.APIKey, nil, &users)
	if err != nil || status != http.StatusOK {
		return false, c.fail("list users", status, err, ErrAPIKeyRefused)
	}
	for _, u := range users {
		if strings.EqualFold(u.Name, name) {
			return true, nil
		}
	}
	return false, nil
}
