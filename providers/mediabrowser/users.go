package mediabrowser

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/authportal/authportal/providers"
)

// user is the part of a MediaBrowser UserDto the portal reads.
type user struct {
	ID     string `json:"Id"`
	Name   string `json:"Name"`
	Policy *struct {
		IsAdministrator bool `json:"IsAdministrator"`
		IsDisabled      bool `json:"IsDisabled"`
	} `json:"Policy"`
}

// getUser reads GET /Users/{id} with token (a user's token or the API key).
func (c *Client) getUser(ctx context.Context, id, token string) (user, int, error) {
	var u user
	status, err := c.call(ctx, http.MethodGet, "/Users/"+url.PathEscape(id), token, nil, &u)
	return u, status, err
}

// CheckAccess asks the server, with the API key, whether the user with
// userID (an Identity.Subject) may still use it: (false, "removed") when the
// server no longer knows the user, (false, "disabled") when its policy says
// so, (true, "enabled") otherwise. An error means the answer is unknown
// (server unavailable, API key refused, no API key): callers keep what they
// had and never revoke on it.
func (c *Client) CheckAccess(ctx context.Context, userID string) (access bool, reason string, err error) {
	if c.cfg.APIKey == "" {
		return false, "", ErrNoAPIKey
	}
	if userID == "" {
		return false, "", errors.New("mediabrowser: check access: empty user id")
	}
	u, status, err := c.getUser(ctx, userID, c.cfg.APIKey)
	switch {
	case err == nil && status == http.StatusOK:
	case err == nil && status == http.StatusNotFound:
		return false, ReasonRemoved, nil
	default:
		return false, "", c.fail("check access", status, err, ErrAPIKeyRefused)
	}
	if u.Policy == nil || u.ID == "" {
		return false, "", &Error{Flavor: c.cfg.Flavor, Op: "check access", Status: status, Err: providers.ErrUnavailable}
	}
	if u.Policy.IsDisabled {
		return false, ReasonDisabled, nil
	}
	return true, ReasonEnabled, nil
}
