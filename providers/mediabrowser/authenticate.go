package mediabrowser

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/authportal/authportal/providers"
)

// authenticateRequest is the AuthenticateUserByName body. Only Pw carries
// the password: Jellyfin reads nothing else (its Password is a deprecated
// sha1 field), and Emby documents Username and Pw.
type authenticateRequest struct {
	Username string `json:"Username"`
	Pw       string `json:"Pw"`
}

type authenticationResult struct {
	User        user   `json:"User"`
	AccessToken string `json:"AccessToken"`
	ServerID    string `json:"ServerId"`
}

// Authenticate checks username and password with the server and returns
// who signed in. It sends exactly one POST /Users/AuthenticateByName and
// never retries it (Jellyfin counts every failure toward its lockout), then
// validates the returned token by reading the user with it, and reads the
// user's policy with the API key when one is configured.
//
// Errors: providers.ErrInvalidCredentials (wrong name or password, or the
// token was refused), ErrDisabled (wrapping it; Jellyfin's answer for a
// disabled or locked-out user; Emby answers a disabled user as a wrong
// password), providers.ErrUnavailable (no answer, timeout, 5xx, 429,
// unreadable answer), ErrAPIKeyRefused. A user the server authenticated but
// whose policy says disabled comes back with Access false, Reason
// "disabled" and a nil error.
func (c *Client) Authenticate(ctx context.Context, username, password string) (providers.Identity, error) {
	if strings.TrimSpace(username) == "" {
		// Nothing to ask the server; not worth a lockout count either.
		return providers.Identity{}, &Error{Flavor: c.cfg.Flavor, Op: "authenticate", Err: providers.ErrInvalidCredentials}
	}
	var res authenticationResult
	status, err := c.call(ctx, http.MethodPost, "/Users/AuthenticateByName", "", authenticateRequest{Username: username, Pw: password}, &res)
	if err != nil || status != http.StatusOK {
		refused := providers.ErrInvalidCredentials
		if status == http.StatusForbidden {
			refused = ErrDisabled
		}
		return providers.Identity{}, c.fail("authenticate", status, err, refused)
	}
	if res.AccessToken == "" || res.User.ID == "" {
		return providers.Identity{}, &Error{Flavor: c.cfg.Flavor, Op: "authenticate", Status: status, Err: providers.ErrUnavailable,
			cause: errors.New("answer lacks AccessToken or User.Id")}
	}

	// The token must work before we vouch for it, and must belong to the user
	// the server named.
	me, status, err := c.getUser(ctx, res.User.ID, res.AccessToken)
	if err != nil || status != http.StatusOK {
		refused := providers.ErrInvalidCredentials
		if status == http.StatusForbidden {
			// Jellyfin refuses a disabled user's token with 403.
			refused = ErrDisabled
		}
		return providers.Identity{}, c.fail("validate token", status, err, refused)
	}
	if !strings.EqualFold(me.ID, res.User.ID) {
		return providers.Identity{}, &Error{Flavor: c.cfg.Flavor, Op: "validate token", Status: status, Err: providers.ErrInvalidCredentials,
			cause: errors.New("token belongs to another user")}
	}

	policy := me.Policy
	if c.cfg.APIKey != "" {
		u, status, err := c.getUser(ctx, res.User.ID, c.cfg.APIKey)
		if err != nil || status != http.StatusOK {
			if err == nil && status == http.StatusNotFound {
				// Removed between the two calls.
				return providers.Identity{}, &Error{Flavor: c.cfg.Flavor, Op: "read policy", Status: status, Err: providers.ErrInvalidCredentials}
			}
			return providers.Identity{}, c.fail("read policy", status, err, ErrAPIKeyRefused)
		}
		policy = u.Policy
	}
	if policy == nil {
		return providers.Identity{}, &Error{Flavor: c.cfg.Flavor, Op: "read policy", Err: providers.ErrUnavailable,
			cause: errors.New("answer lacks Policy")}
	}

	name := me.Name
	if name == "" {
		name = res.User.Name
	}
	id := providers.Identity{
		Provider:    string(c.cfg.Flavor),
		Subject:     res.User.ID,
		Username:    name,
		DisplayName: name,
		Token:       res.AccessToken,
		Access:      !policy.IsDisabled,
		Reason:      ReasonEnabled,
	}
	if policy.IsDisabled {
		id.Reason = ReasonDisabled
	} else {
		id.Admin = c.cfg.AdminIsAdmin && policy.IsAdministrator
	}
	return id, nil
}
